"""The POA&M as a file, in every format the web's Export offers (CSV and the Punchlist workbook), of one kind
of item or both, open items unless closed ones are asked for: the same writers, logged as a download."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Literal

from django.http import FileResponse
from django.utils import timezone
from ninja import Router

from punchlist.register.exports import build_export
from punchlist.web.downloads import log_download
from punchlist.web.views.exports import FORMATS, KIND_NAMES

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
    org = organization(request, slug)
    built = build_export(request.user, org, kind=kind, include_closed=closed)
    extension, media_type = FORMATS[format]
    name = (f"{org.slug}-{KIND_NAMES[kind]}{'-with-closed' if closed else ''}-"
            f"{timezone.localdate().isoformat()}.{extension}")
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / name
        if format == "csv":
            from punchlist.interchange.csv_export import write_csv

            write_csv(built.poam, built.context, target)
        else:
            from punchlist.interchange.workbook import write_workbook

            write_workbook(built.poam, built.context, target, evidence=built.evidence)
        content = target.read_bytes()
    log_download(request, f"{name} ({built.context.marking}, {len(built.poam.items)} items)")
    response = FileResponse(io.BytesIO(content), as_attachment=True, filename=name, content_type=media_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
