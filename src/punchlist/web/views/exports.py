"""The POA&M as a file, from the browser: the assessment POA&M or the operational plan of action (one kind
unless both are asked for), open items unless closed ones are asked for, as CSV, the Punchlist workbook, OSCAL
POA&M (JSON or XML, in each OSCAL version), or the FedRAMP POA&M template the person uploads, filled in.
Marked "POA&M for the CMMC assessment" only where a person has marked an assessment's POA&M official; an
internal tracking document otherwise. Sent as an attachment and written to the security log (3.3.1)."""

from __future__ import annotations

import io
import re
import tempfile
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, HttpResponseBadRequest, HttpResponseNotAllowed
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET

from punchlist.errors import InputError
from punchlist.interchange import guards
from punchlist.register.export_formats import EXPORT_FORMATS, OSCAL_VERSION, OSCAL_VERSIONS, write_export
from punchlist.register.exports import EXPORT_KINDS, build_export
from punchlist.web.downloads import log_download
from punchlist.web.import_jobs import upload_limits
from punchlist.web.tenancy import member_view
from punchlist.web.views.item_parts import UploadLimit

FORMATS = {key: (fmt.extension, fmt.media_type) for key, fmt in EXPORT_FORMATS.items()}
KIND_NAMES = {"assessment_poam": "poam", "operational_plan": "operational-plan", "both": "poam-and-plan"}
KIND_WORDS = {"assessment_poam": "The assessment POA&M", "operational_plan": "The operational plan of action",
              "both": "Both kinds"}
TRUE = ("1", "yes", "on", "true")


@member_view
@require_GET
def export(request):
    """The file (``?format=...&kind=...&closed=1&oscal_version=...``); the FedRAMP template is filled by a POST
    to ``export_fedramp``, which carries the template."""
    fmt = request.GET.get("format", "csv")
    kind = request.GET.get("kind", "assessment_poam")
    version = request.GET.get("oscal_version", OSCAL_VERSION)
    direct = [key for key, found in EXPORT_FORMATS.items() if not found.needs_template]
    if fmt not in direct or kind not in EXPORT_KINDS or version not in OSCAL_VERSIONS:
        return HttpResponseBadRequest(f"format is one of {', '.join(direct)} (the FedRAMP template is uploaded "
                                      f"on the export page); kind is one of {', '.join(EXPORT_KINDS)}; "
                                      f"oscal_version is one of {', '.join(OSCAL_VERSIONS)}",
                                      content_type="text/plain")
    closed = request.GET.get("closed") in TRUE
    try:
        return export_response(request, fmt, kind, closed=closed, oscal_version=version)
    except InputError as exc:
        return _page(request, error=str(exc), status=400)


@member_view
@require_GET
def export_page(request):
    """Every format, with the kind of item, closed items and the OSCAL version to choose, and the FedRAMP
    template's upload form."""
    return _page(request)


def _page(request, *, error: str | None = None, status: int = 200, chosen: dict | None = None):
    context = {"formats": [(key, fmt.name) for key, fmt in EXPORT_FORMATS.items() if not fmt.needs_template],
               "kinds": list(KIND_WORDS.items()), "oscal_versions": OSCAL_VERSIONS,
               "oscal_version": OSCAL_VERSION, "error": error, "chosen": chosen or {},
               "max_upload": settings.PUNCHLIST_MAX_UPLOAD_BYTES}
    return render(request, "web/export.html", context, status=status)


@csrf_exempt  # checked in _receive_template, once the upload handler is in place (Django's documented pattern)
@member_view
def export_fedramp(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    limit = UploadLimit(request, settings.PUNCHLIST_MAX_UPLOAD_BYTES)
    request.upload_handlers.insert(0, limit)
    return _receive_template(request, limit)


@csrf_protect
def _receive_template(request, limit: UploadLimit):
    kind = request.POST.get("kind", "assessment_poam")
    closed = request.POST.get("closed") in TRUE
    chosen = {"kind": kind, "closed": closed}
    if kind not in EXPORT_KINDS:
        return _page(request, error="Choose which items to export.", status=400, chosen=chosen)
    if limit.too_large:
        return _page(request, error=f"{limit.too_large[0]}: the file is larger than an upload may be "
                                    f"({settings.PUNCHLIST_MAX_UPLOAD_BYTES:,} bytes).", status=400, chosen=chosen)
    upload = request.FILES.get("template")
    if upload is None:
        return _page(request, error="Choose the FedRAMP POA&M template's file (an .xlsx workbook) to fill in.",
                     status=400, chosen=chosen)
    try:
        with template_file(upload) as template:
            return export_response(request, "fedramp", kind, closed=closed, template=template,
                                   template_label=upload.name)
    except InputError as exc:
        return _page(request, error=str(exc), status=400, chosen=chosen)


class template_file:
    """The uploaded FedRAMP template in a folder of its own, checked by the upload guards (size, content,
    zip bombs, DTDs) at the upload limit before anything reads it; removed afterwards."""

    def __init__(self, upload):
        self.upload = upload
        self.folder = tempfile.TemporaryDirectory()

    def __enter__(self) -> Path:
        suffix = Path(self.upload.name or "").suffix.lower()
        target = Path(self.folder.name) / ("template" + (suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix)
                                                        else ""))
        with target.open("wb") as out:
            for chunk in self.upload.chunks():
                out.write(chunk)
        guards.check_file(target, label=self.upload.name or "the template", limits=upload_limits())
        return target

    def __exit__(self, *exc_info) -> None:
        self.folder.cleanup()


def export_response(request, fmt: str, kind: str, *, closed: bool, organization=None,
                    oscal_version: str = OSCAL_VERSION, template: Path | None = None,
                    template_label: str | None = None) -> FileResponse:
    """The file of one export (``fmt`` a key of EXPORT_FORMATS, ``kind`` of EXPORT_KINDS) as an attachment,
    written to the security log: what every export button of the web app and the API's export send.
    InputError for a request that cannot be met (an OSCAL POA&M with no items, a template that is not
    FedRAMP's)."""
    organization = organization or request.organization
    built = build_export(request.user, organization, kind=kind, include_closed=closed)
    extension, media_type = FORMATS[fmt]
    label = {"fedramp": "-fedramp", "oscal": f"-oscal-{oscal_version}",
             "oscal-xml": f"-oscal-{oscal_version}"}.get(fmt, "")
    name = (f"{organization.slug}-{KIND_NAMES[kind]}{'-with-closed' if closed else ''}{label}-"
            f"{timezone.localdate().isoformat()}.{extension}")
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / name
        write_export(built, fmt, target, oscal_version=oscal_version, template=template,
                     template_label=template_label)
        content = target.read_bytes()
    log_download(request, f"{name} ({built.context.marking}, {len(built.poam.items)} items)")

    response = FileResponse(io.BytesIO(content), as_attachment=True, filename=name, content_type=media_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


organization_patterns = [
    path("export/", export, name="export"),
    path("export/choose/", export_page, name="export_page"),
    path("export/fedramp/", export_fedramp, name="export_fedramp"),
]
