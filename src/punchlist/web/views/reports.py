"""The Reports screens: leadership, security and operations views, and the downloads (PDF, HTML, the assessor
package). Every member may read them, viewers included: they show what the register shows, summed up.

Views are thin: ``punchlist.reports.data`` reads the register in a fixed number of queries and computes the
figures (kept by ``punchlist.reports.cache`` until the register changes); ``punchlist.reports.render`` draws the
documents. Downloads are attachments.
"""

from __future__ import annotations

import os
import tempfile

from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.http import require_GET

from punchlist.orgs.permissions import require
from punchlist.reports import cache, data, render as documents
from punchlist.web.downloads import log_download
from punchlist.web.tenancy import member_view

VIEWS = (("leadership", "Leadership"), ("security", "Security"), ("operations", "Operations"))
WEB_LIMIT = 50  # rows of a list on screen (the counts always cover everything)
FORMATS = {"pdf": "application/pdf", "html": "text/html; charset=utf-8"}


def _snapshot(request) -> data.Snapshot:
    require(request.user, "register.view_item", request.organization)
    return data.Snapshot(request.organization)


def _view(key: str):
    @member_view
    @require_GET
    def view(request):
        require(request.user, "register.view_item", request.organization)
        figures, charts, marking, as_of = cache.section(request.organization, key, WEB_LIMIT)
        slug = request.organization.slug
        tabs = [{"label": label, "url": reverse(f"web:report_{name}", args=[slug]), "current": name == key}
                for name, label in VIEWS]
        downloads = [{"label": documents.KINDS[name].title, "links": [
            {"format": fmt.upper(), "url": reverse("web:report_download", args=[slug, name, fmt])}
            for fmt in FORMATS]} for name in documents.DOCUMENTS]
        return render(request, "reports/web/view.html", {
            "key": key, "title": f"{dict(VIEWS)[key]} view", "section": documents.KINDS[key].section,
            "data": figures, "charts": charts, "tabs": tabs, "downloads": downloads,
            "package_url": reverse("web:report_package", args=[slug]), "marking": marking,
            "as_of": as_of, "web": True,
        })

    view.__name__ = f"report_{key}"
    return view


@member_view
@require_GET
def download(request, kind: str, fmt: str):
    if kind not in documents.DOCUMENTS or fmt not in FORMATS:
        raise Http404("No such report")
    snap = _snapshot(request)
    if fmt == "pdf":
        body = documents.render_pdf(kind, snap)
    else:
        body = documents.render_html(kind, snap).encode("utf-8")
    filename = documents.filename(kind, snap, fmt)
    log_download(request, filename)
    response = HttpResponse(body, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@member_view
@require_GET
def package(request):
    """The assessor package, written to a temporary file and streamed; the file goes once it is sent. With
    ``without_evidence_files`` (the form's checkbox) the evidence files stay out; their index and hashes do not."""
    from punchlist.reports.package import package_name, write_package

    snap = _snapshot(request)
    handle, name = tempfile.mkstemp(prefix="punchlist-package-", suffix=".zip")
    os.close(handle)
    try:
        write_package(request.user, request.organization, name, generated_at=snap.generated_at,
                      evidence_files=request.GET.get("without_evidence_files") != "1")
        stream = open(name, "rb")  # noqa: SIM115 - FileResponse closes it
    finally:
        os.unlink(name)  # the open handle keeps the data until the response is sent (POSIX)
    filename = package_name(request.organization, snap.as_of)
    log_download(request, filename)
    return FileResponse(stream, as_attachment=True, filename=filename,
                        content_type="application/zip")


report_leadership = _view("leadership")
report_security = _view("security")
report_operations = _view("operations")

organization_patterns = [
    path("reports/", report_leadership, name="report_leadership"),
    path("reports/security/", report_security, name="report_security"),
    path("reports/operations/", report_operations, name="report_operations"),
    path("reports/download/<slug:kind>.<slug:fmt>", download, name="report_download"),
    path("reports/assessor-package.zip", package, name="report_package"),
]
