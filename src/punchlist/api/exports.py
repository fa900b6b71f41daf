"""The POA&M as a file, in every format the web's Export offers: CSV, the Punchlist workbook, OSCAL POA&M
(JSON or XML, in each OSCAL version) by GET, and the FedRAMP POA&M template filled in by a POST that carries
the template. One kind of item or both, open items unless closed ones are asked for: the same writers, logged
as a download."""

from __future__ import annotations

from typing import Literal

from ninja import File, Form, Router
from ninja.files import UploadedFile

from punchlist.errors import InputError
from punchlist.register.export_formats import EXPORT_FORMATS, OSCAL_VERSION
from punchlist.web.views.exports import export_response, template_file

from .auth import organization
from .errors import ApiError, responses

router = Router(tags=["exports"])
Kind = Literal["assessment_poam", "operational_plan", "both"]
OscalVersion = Literal["1.1.3", "1.2.1"]  # register.export_formats.OSCAL_VERSIONS (a test keeps them equal)


def _file_answer(formats) -> dict:
    media = sorted({EXPORT_FORMATS[key].media_type for key in formats})
    return {"responses": {200: {"description": "The file, as an attachment", "content": {
        kind: {"schema": {"type": "string", "format": "binary"}} for kind in media}}}}


def _refused(exc: InputError) -> ApiError:
    return ApiError(400, "invalid", str(exc) or "The export cannot be made")


@router.get("/organizations/{slug}/export", summary="Export the POA&M as CSV, a workbook or OSCAL (JSON or XML)",
            response=responses(200, None),
            openapi_extra=_file_answer(("csv", "workbook", "oscal", "oscal-xml")))
def export(request, slug: str, format: Literal["csv", "workbook", "oscal", "oscal-xml"] = "csv",
           kind: Kind = "assessment_poam", closed: bool = False, oscal_version: OscalVersion = OSCAL_VERSION):
    """``format``: csv (UTF-8 with BOM, text/csv), workbook (the Punchlist workbook, XLSX), oscal (OSCAL POA&M
    JSON) or oscal-xml (its XML form); ``oscal_version`` the OSCAL version the document declares (OSCAL
    formats only; a document with no items is refused, 400). The FedRAMP template is filled by
    ``POST .../export/fedramp``."""
    org = organization(request, slug)
    try:
        return export_response(request, format, kind, closed=closed, organization=org, oscal_version=oscal_version)
    except InputError as exc:
        raise _refused(exc) from None


@router.post("/organizations/{slug}/export/fedramp", summary="Export the POA&M into the FedRAMP POA&M template",
             response=responses(200, None), openapi_extra=_file_answer(("fedramp",)))
def export_fedramp(request, slug: str, template: UploadedFile | None = File(None), kind: Form[Kind] = "assessment_poam",
                   closed: Form[bool] = False):
    """Multipart: ``template``, the FedRAMP POA&M template v2.1 (.xlsx, up to the upload limit; any other
    workbook is refused, naming the sheet, row and column that differ), ``kind`` and ``closed``. Answers the
    template filled in: open items in "Open POA&M Items", closed ones in "Closed POA&M Items". Writes nothing
    in Punchlist: a read-only token may use it."""
    org = organization(request, slug, writes=False)
    limit = getattr(request, "upload_limit", None)
    if limit is not None and limit.too_large:
        raise ApiError(413, "too_large", f"{limit.too_large[0]} is larger than an upload may be; nothing was read.")
    if template is None:  # optional in the form only so that a file dropped for its size is answered 413
        raise ApiError(400, "invalid", "Send the FedRAMP POA&M template (.xlsx) as the multipart field 'template'.")
    try:
        with template_file(template) as path:
            return export_response(request, "fedramp", kind, closed=closed, organization=org, template=path,
                                   template_label=template.name)
    except InputError as exc:
        raise _refused(exc) from None
