"""The POA&M as a file, from the browser: the assessment POA&M or the operational plan of action (one kind
unless both are asked for), open items unless closed ones are asked for, as CSV or the Punchlist workbook.
Marked "POA&M for the CMMC assessment" only where a person has marked an assessment's POA&M official; an
internal tracking document otherwise. Sent as an attachment and written to the security log (3.3.1)."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from django.http import FileResponse, HttpResponseBadRequest
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET

from punchlist.register.exports import EXPORT_KINDS, build_export
from punchlist.web.downloads import log_download
from punchlist.web.tenancy import member_view

FORMATS = {"csv": ("csv", "text/csv"),
           "workbook": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}
KIND_NAMES = {"assessment_poam": "poam", "operational_plan": "operational-plan", "both": "poam-and-plan"}


@member_view
@require_GET
def export(request):
    fmt = request.GET.get("format", "csv")
    kind = request.GET.get("kind", "assessment_poam")
    if fmt not in FORMATS or kind not in EXPORT_KINDS:
        return HttpResponseBadRequest(f"format is one of {', '.join(FORMATS)}; kind is one of "
                                      f"{', '.join(EXPORT_KINDS)}", content_type="text/plain")
    return export_response(request, fmt, kind, closed=request.GET.get("closed") in ("1", "yes", "on", "true"))


def export_response(request, fmt: str, kind: str, *, closed: bool, organization=None) -> FileResponse:
    """The file of one export (``fmt`` a key of FORMATS, ``kind`` of EXPORT_KINDS) as an attachment, written
    to the security log: what every export button of the web app and the API's export send."""
    organization = organization or request.organization
    built = build_export(request.user, organization, kind=kind, include_closed=closed)
    extension, media_type = FORMATS[fmt]
    name = (f"{organization.slug}-{KIND_NAMES[kind]}{'-with-closed' if closed else ''}-"
            f"{timezone.localdate().isoformat()}.{extension}")
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / name
        if fmt == "csv":
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


organization_patterns = [
    path("export/", export, name="export"),
]
