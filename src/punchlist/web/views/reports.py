"""The Reports screens: leadership, security and operations views, and the downloads (PDF, HTML, the assessor
package). Every member may read them, viewers included: they show what the register shows, summed up.

Views are thin: ``punchlist.reports.data`` reads the register in a fixed number of queries and computes the
figures (kept by ``punchlist.reports.cache`` until the register changes); ``punchlist.reports.render`` draws the
documents. A document or the assessor package is asked for with a POST and built by the worker
(``web.report_jobs``); its page polls until the download link shows. Downloads are attachments.
"""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from punchlist.orgs.permissions import require
from punchlist.reports import cache, render as documents
from punchlist.web import report_jobs
from punchlist.web.downloads import log_download
from punchlist.web.models import ReportJob
from punchlist.web.tenancy import member_view

VIEWS = (("leadership", "Leadership"), ("security", "Security"), ("operations", "Operations"))
WEB_LIMIT = 50  # rows of a list on screen (the counts always cover everything)
FORMATS = {"pdf": "application/pdf", "html": "text/html; charset=utf-8"}


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
            {"format": fmt.upper(), "url": reverse("web:report_ask", args=[slug, name, fmt])}
            for fmt in FORMATS]} for name in documents.DOCUMENTS]
        return render(request, "reports/web/view.html", {
            "key": key, "title": f"{dict(VIEWS)[key]} view", "section": documents.KINDS[key].section,
            "data": figures, "charts": charts, "tabs": tabs, "downloads": downloads,
            "package_url": reverse("web:report_ask", args=[slug, "package", "zip"]), "marking": marking,
            "as_of": as_of, "web": True,
        })

    view.__name__ = f"report_{key}"
    return view


@member_view
@require_POST
def ask(request, kind: str, fmt: str):
    """Queue a report (PDF or HTML) or the assessor package for the worker (``web.report_jobs``), then show its
    page. With ``without_evidence_files`` (the package form's checkbox) the evidence files stay out of the
    package; their index and hashes do not."""
    if kind not in report_jobs.kinds() or fmt not in report_jobs.FORMATS or (fmt == "zip") != (kind == "package"):
        raise Http404("No such report")
    require(request.user, "register.view_item", request.organization)
    job = report_jobs.start(request.user, request.organization, kind, fmt,
                            evidence_files=request.POST.get("without_evidence_files") != "1")
    return redirect(reverse("web:report_job", args=[request.organization.slug, job.pk]))


def _job(request, pk: int) -> ReportJob:
    require(request.user, "register.view_item", request.organization)
    return get_object_or_404(ReportJob.objects.filter(organization=request.organization), pk=pk)


def job_title(job: ReportJob) -> str:
    if job.kind == report_jobs.PACKAGE:
        return "Assessor package" + ("" if job.options.get("evidence_files", True) else " (without the evidence files)")
    return f"{documents.KINDS[job.kind].title} ({job.format.upper()})"


@member_view
@require_GET
def job(request, pk: int):
    """A report or package being built by the worker: how far it has come (polled with htmx), then its download
    link. Every member of the organization sees its jobs (the file is what the Reports screen shows them)."""
    job = _job(request, pk)
    context = {"job": job, "title": job_title(job), "progress": report_jobs.progress_of(job),
               "ready": report_jobs.ready(job), "expired": job.state == ReportJob.State.DONE and not report_jobs.ready(job),
               "reports_url": reverse("web:report_leadership", args=[request.organization.slug])}
    template = "reports/web/job_status.html" if getattr(request, "htmx", False) else "reports/web/job.html"
    return render(request, template, context)


@member_view
@require_GET
def job_download(request, pk: int):
    """The built file, as an attachment, written to the security log; 404 before it is ready and after a day."""
    return job_file_response(request, _job(request, pk))


def job_file_response(request, job: ReportJob) -> FileResponse:
    """The job's file streamed from the reports storage, for the web and the API alike."""
    try:
        handle = report_jobs.reader(job)
    except FileNotFoundError:
        raise Http404("This report is not ready, or was removed after a day; ask for it again") from None
    log_download(request, job.file_name)
    response = FileResponse(handle, as_attachment=True, filename=job.file_name,
                            content_type=report_jobs.FORMATS[job.format])
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


report_leadership = _view("leadership")
report_security = _view("security")
report_operations = _view("operations")

organization_patterns = [
    path("reports/", report_leadership, name="report_leadership"),
    path("reports/security/", report_security, name="report_security"),
    path("reports/operations/", report_operations, name="report_operations"),
    path("reports/ask/<slug:kind>.<slug:fmt>", ask, name="report_ask"),
    path("reports/jobs/<int:pk>/", job, name="report_job"),
    path("reports/jobs/<int:pk>/download", job_download, name="report_job_download"),
]
