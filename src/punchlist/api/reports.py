"""Reports: the leadership, review and readiness documents (PDF or HTML) and the assessor package, built by the
worker as the Reports screen's are (``web.report_jobs``): asking for one answers 202 with a job to read again
until its ``download`` address shows; that download is the file, an attachment logged as a download.

Asking stays a GET, readable with a read-only token as before: it changes nothing in the register, and each
answer is a new job (the file is built as the register stands when the worker gets to it)."""

from __future__ import annotations

from typing import Literal

from django.http import Http404
from django.urls import reverse
from ninja import Router, Schema, Status

from punchlist.orgs.permissions import require
from punchlist.web import report_jobs
from punchlist.web.models import ReportJob
from punchlist.web.views.reports import job_file_response

from .auth import organization
from .errors import responses

router = Router(tags=["reports"])
API = "api-v1"  # the URL namespace of the API (v1.py)


class ReportJobOut(Schema):
    id: int
    url: str  # this job's own address, to read again
    kind: str  # leadership, review, readiness, or package
    format: str  # pdf, html, or zip
    state: str  # queued, running, done, failed
    progress: str  # what the worker is doing, in words
    file: str | None  # the download's file name, once built
    download: str | None  # the address of the file, once built (kept a day)
    error: str | None  # why it could not be built (state "failed")


def _job(job: ReportJob) -> dict:
    ready = report_jobs.ready(job)
    slug = job.organization.slug
    return {"id": job.pk, "url": reverse(f"{API}:read_report_job", args=[slug, job.pk]), "kind": job.kind,
            "format": job.format, "state": job.state,
            "progress": report_jobs.progress_of(job) if job.state in ("queued", "running") else
            ("Ready" if ready else ReportJob.State(job.state).label),
            "file": job.file_name or None,
            "download": reverse(f"{API}:report_file", args=[slug, job.pk]) if ready else None,
            "error": (job.outcome or {}).get("error")}


def _asked(job: ReportJob):
    return Status(202, _job(job))


@router.get("/organizations/{slug}/reports/{kind}", summary="Ask for a report as PDF or HTML",
            response=responses(202, ReportJobOut))
def report(request, slug: str, kind: Literal["leadership", "review", "readiness"],
           format: Literal["pdf", "html"] = "pdf"):
    """The worker builds it: read ``/report-jobs/{id}`` until ``download`` is given, then get that."""
    org = organization(request, slug)
    require(request.user, "register.view_item", org)
    return _asked(report_jobs.start(request.user, org, kind, format))


@router.get("/organizations/{slug}/assessor-package", summary="Ask for the assessor package (ZIP)",
            response=responses(202, ReportJobOut))
def assessor_package(request, slug: str, evidence_files: bool = True):
    """The package the Reports screen builds; ``evidence_files=false`` leaves the files out (not their index
    and hashes). Read ``/report-jobs/{id}`` until ``download`` is given, then get that."""
    org = organization(request, slug)
    require(request.user, "register.view_item", org)
    return _asked(report_jobs.start(request.user, org, report_jobs.PACKAGE, "zip", evidence_files=evidence_files))


def _found(request, slug: str, pk: int) -> ReportJob:
    org = organization(request, slug)
    require(request.user, "register.view_item", org)
    job = ReportJob.objects.filter(organization=org, pk=pk).select_related("organization").first()
    if job is None:
        raise Http404(f"No report job #{pk} in this organization")
    return job


@router.get("/organizations/{slug}/report-jobs/{pk}", response=responses(200, ReportJobOut),
            summary="A report or package being built", url_name="read_report_job")
def read_report_job(request, slug: str, pk: int):
    return _job(_found(request, slug, pk))


def _binary(*media_types: str) -> dict:
    return {"responses": {200: {"description": "The file, as an attachment", "content": {
        media: {"schema": {"type": "string", "format": "binary"}} for media in media_types}}}}


@router.get("/organizations/{slug}/report-jobs/{pk}/file", response=responses(200, None),
            summary="The built report or package", url_name="report_file",
            openapi_extra=_binary("application/pdf", "text/html", "application/zip"))
def report_file(request, slug: str, pk: int):
    """404 until the job is done, and after a day, when the file is removed."""
    return job_file_response(request, _found(request, slug, pk))
