"""Reports (PDF or HTML) and the assessor package as background tasks: a person asks for one on the Reports
screen (or through the API), a ``ReportJob`` is queued on the task queue (django-tasks' database backend), and
`punchlist worker`, on any machine, builds the file and keeps it in STORAGES["reports"] (a local folder, or the
bucket's reports/ prefix) until it is downloaded. Drawing a PDF or zipping a vault's evidence takes longer than
a web request should, and several workers share the queue: each job is claimed by one of them only
(django-tasks-db takes a row with SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL).

The file is kept under ``<organization pk>/<job pk>/<kept at, Unix seconds>/<the download's name>`` and goes
after a day, like a staged import (``web.staging``): each new request of the organization clears its stale
files, and the download of a stale job finds nothing. Progress goes to the cache, as an import's does.
"""

from __future__ import annotations

import os
import socket
import tempfile
import time

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django_tasks import task

from punchlist.orgs.permissions import require
from punchlist.storage import REPORTS
from punchlist.web.models import ReportJob
from punchlist.web.staging import KEEP_SECONDS

PACKAGE = "package"
FORMATS = {"pdf": "application/pdf", "html": "text/html; charset=utf-8", "zip": "application/zip"}
PROGRESS_SECONDS = 24 * 3600


def kinds() -> tuple[str, ...]:
    from punchlist.reports.render import DOCUMENTS

    return (*DOCUMENTS, PACKAGE)


def start(user, organization, kind: str, fmt: str, *, evidence_files: bool = True) -> ReportJob:
    """Queue the building of a report (``fmt`` pdf or html) or of the package (``kind`` "package", zip) for the
    worker; the job to poll. Only a member who may read the register may ask."""
    require(user, "register.view_item", organization)
    if kind not in kinds() or (fmt == "zip") != (kind == PACKAGE) or fmt not in FORMATS:
        raise ValueError(f"no such report: {kind}.{fmt}")
    prune(organization)
    options = {"evidence_files": evidence_files} if kind == PACKAGE else {}
    job = ReportJob.objects.create(organization=organization, user=user, kind=kind, format=fmt, options=options)
    build_report.enqueue(job.pk)
    return job


def progress_of(job: ReportJob) -> str:
    """What the job's page says while it runs."""
    return cache.get(_key(job.pk)) or ReportJob.State(job.state).label


def _key(pk: int) -> str:
    return f"punchlist:report-job:{pk}"


def _say(pk: int, stage: str) -> None:
    cache.set(_key(pk), stage, PROGRESS_SECONDS)


def ready(job: ReportJob) -> bool:
    """Done, and its file still kept (a day at most)."""
    return (job.state == ReportJob.State.DONE and bool(job.stored)
            and time.time() - job.finished_at.timestamp() <= KEEP_SECONDS)


def reader(job: ReportJob):
    """The built file, streamed from the folder or the bucket; FileNotFoundError once it has gone."""
    if not ready(job):
        raise FileNotFoundError(job.stored or f"report job {job.pk}")
    return REPORTS.reader(job.stored)


def builder() -> str:
    """Which process built a file (the machine and the process id), kept with the job for the operator."""
    return f"{socket.gethostname()}:{os.getpid()}"


@task()
def build_report(job_id: int) -> dict:
    """Build the job's file as its person would see it now, store it, and note it on the job. A job already
    taken (by another worker, or done) is left alone: the update that marks it running is the claim. The
    task's return value (kept by the queue) says which process built it, or that it found it taken."""
    claimed = ReportJob.objects.filter(pk=job_id, state=ReportJob.State.QUEUED).update(state=ReportJob.State.RUNNING)
    if not claimed:
        return {"job": job_id, "built_by": None, "already_taken": True}
    job = ReportJob.objects.select_related("organization", "user").get(pk=job_id)
    handle, path = tempfile.mkstemp(dir=REPORTS.spool_dir(), prefix="report-")
    os.close(handle)
    try:
        file_name = _build(job, path)
        stored = f"{job.organization.pk}/{job.pk}/{int(time.time())}/{file_name}"
        _say(job.pk, "Keeping the file for download")
        size = os.path.getsize(path)
        REPORTS.put(stored, path)
    except Exception as exc:  # noqa: BLE001 - the page says it failed rather than waiting for ever
        why = (f"{job.user.get_username()} may no longer read this organization's register"
               if isinstance(exc, PermissionDenied) else f"{type(exc).__name__}: {exc}")
        ReportJob.objects.filter(pk=job.pk).update(state=ReportJob.State.FAILED, finished_at=timezone.now(),
                                                    outcome={"error": why})
        cache.delete(_key(job.pk))
        raise
    finally:
        if os.path.exists(path):
            os.unlink(path)
    ReportJob.objects.filter(pk=job.pk).update(state=ReportJob.State.DONE, stored=stored, file_name=file_name,
                                                outcome={"bytes": size, "built_by": builder()},
                                                finished_at=timezone.now())
    cache.delete(_key(job.pk))
    return {"job": job.pk, "built_by": builder(), "already_taken": False}


def _build(job: ReportJob, path: str) -> str:
    """Write the file to ``path``; the name it is downloaded under."""
    from punchlist.reports import data, render as documents

    _say(job.pk, "Reading the register")
    snap = data.Snapshot(job.organization)
    require(job.user, "register.view_item", job.organization)  # still a member when the worker gets to it
    if job.kind == PACKAGE:
        from punchlist.reports.package import package_name, write_package

        write_package(job.user, job.organization, path, generated_at=snap.generated_at,
                      evidence_files=job.options.get("evidence_files", True),
                      progress=lambda text: _say(job.pk, text[:1].upper() + text[1:]))
        return package_name(job.organization, snap.as_of)
    _say(job.pk, f"Drawing the {job.format.upper()}")
    if job.format == "pdf":
        body = documents.render_pdf(job.kind, snap)
    else:
        body = documents.render_html(job.kind, snap).encode("utf-8")
    with open(path, "wb") as out:
        out.write(body)
    return documents.filename(job.kind, snap, job.format)


def prune(organization) -> None:
    """Remove the organization's built files older than a day (the download of their jobs finds nothing)."""
    root = str(organization.pk)
    try:
        folders = REPORTS.listdir(root)[0]
    except FileNotFoundError:
        return
    now = time.time()
    for job_folder in folders:
        folder = f"{root}/{job_folder}"
        names = REPORTS.names(folder)
        kept = [name[len(folder) + 1:].partition("/")[0] for name in names]
        if not names or not all(when.isdigit() and now - int(when) <= KEEP_SECONDS for when in kept):
            REPORTS.remove_all(folder)
