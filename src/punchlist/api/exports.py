"""The POA&M as a file, in every format the web's Export offers (CSV and the Punchlist workbook), of one kind
of item or both, open items unless closed ones are asked for: the same writers, logged as a download."""

from __future__ import annotations

from typing import Literal

from ninja import Router

from punchlist.web.views.exports import FORMATS, export_response

from .auth import organization
from .errors import responses

router = Router(tags=["exports"])
MEDIA = {"csv": "text/csv", "workbook": FORMATS["workbook"][1]}


@router.get("/organizations/{slug}/export", summary="Export the POA&M as CSV or a workbook",
            response=responses(200, None),
            openapi_extra={"responses": {200: {"description": "The file, as an attachment", "content": {
                media: {"schema": {"type": "string", "format": "binary"}} for media in MEDIA.values()}}}})
def export(request, slug: str, format: Literal["csv", "workbook"] = "csv",
           kind: Literal["assessment_poam", "operational_plan", "both"] = "assessment_poam", closed: bool = False):
    return export_response(request, format, kind, closed=closed, organization=organization(request, slug))
