"""Checks and imports of uploaded files as background tasks (Django's tasks API, through the django-tasks
backport and its database backend): a file too large to read, check and write within a web request is done
by `punchlist worker` while its page shows how far it has come.

One code path for every file: the Import screen always makes an ``ImportJob`` and runs ``run_import_job``.
A small file (under ``PUNCHLIST_IMPORT_INLINE_BYTES``) runs on the immediate backend, inside the request, and
the page shows its outcome as it always did; a larger one is queued for the worker and the page polls.

Progress goes to the cache (shared by the web workers and the task's process), not to the database: the
import writes in one transaction, and a row written beside it would not be seen until it commits.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django_tasks import task

from punchlist.errors import InputError, rows_text
from punchlist.interchange import ColumnMapping, stream_poam_file
from punchlist.interchange.guards import Limits
from punchlist.interchange.poam import PoamStream
from punchlist.interchange.scanners import read_scan, scan_kind
from punchlist.register.errors import RegisterError
from punchlist.register.imports import check_poam, import_poam
from punchlist.register.imports.update import NOT_REOPENED
from punchlist.web import staging
from punchlist.web.models import ImportJob

ITEMS_LISTED = 100  # identifiers kept for the page, per kind
CHANGES_LISTED = 200  # items whose changes an import's preview and result list
PROBLEMS_KEPT = 500  # problems kept for the page; the rest are counted
PROGRESS_SECONDS = 24 * 3600


def upload_limits() -> Limits:
    """An upload's guards (every part with cells expanded and checked), at the web's own size limit."""
    return Limits(expand_parts=True, file_bytes=settings.PUNCHLIST_MAX_UPLOAD_BYTES)


def mapping_data(mapping: ColumnMapping | None, headers: dict) -> dict:
    """The mapping to read the file with (None for OSCAL JSON), and each field's header to name problems by."""
    if mapping is None:
        return {"mapping": None, "headers": headers}
    return {"mapping": {"columns": dict(mapping.columns), "header_row": mapping.header_row,
                        "sheet": mapping.sheet}, "headers": headers}


def mapping_of(data: dict) -> ColumnMapping | None:
    found = data.get("mapping")
    if found is None:
        return None
    return ColumnMapping(found["columns"], header_row=found["header_row"], sheet=found["sheet"])


def start(user, organization, upload, mapping: ColumnMapping | None, *, headers: dict, write: bool,
          create_people: bool, reopen=(), derive: dict | None = None, accept_derived: bool = False,
          include_informational: bool = False) -> ImportJob:
    """Make the job and run it: at once for a small file (the immediate backend), else by the worker.
    ``reopen``: the closed items the person chose to reopen as the file says; ``derive``: their requirements
    for SP 800-53 / Rev 3 ids (control -> requirement ids), ``accept_derived`` whether they confirmed them
    (kept with the mapping); ``include_informational``: a scanner's informational results made items too."""
    job = ImportJob.objects.create(organization=organization, user=user, token=upload.token, file_name=upload.name,
                                   write=write, create_people=create_people,
                                   mapping={**mapping_data(mapping, headers), "reopen": list(reopen),
                                            "derive": derive or {}, "accept_derived": accept_derived,
                                            "include_informational": include_informational})
    inline = upload.size <= settings.PUNCHLIST_IMPORT_INLINE_BYTES
    run_import_job.using(backend="inline" if inline else "default").enqueue(job.pk)
    job.refresh_from_db()
    return job


def progress_of(job: ImportJob) -> dict:
    """What the job's page says while it runs: the stage, and rows done of the total where known."""
    return cache.get(_key(job.pk)) or {"stage": ImportJob.State(job.state).label, "done": 0, "total": 0}


def _key(pk: int) -> str:
    return f"punchlist:import-job:{pk}"


def _say(pk: int, stage: str, done: int = 0, total: int = 0) -> None:
    cache.set(_key(pk), {"stage": stage, "done": done, "total": total}, PROGRESS_SECONDS)


@task()
def run_import_job(job_id: int) -> None:
    """Read the staged file, then check or import it (``register.imports``), keeping the outcome on the job."""
    job = ImportJob.objects.select_related("organization", "user").get(pk=job_id)
    if job.state == ImportJob.State.DONE:
        return
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.RUNNING)
    upload = staging.find(job.organization, job.user, job.token)
    if upload is None:
        _gone(job)
        return
    _say(job.pk, "Reading the file")
    from punchlist.web.views.imports import outcome  # the page's own words for problems

    verb = "Importing" if job.write else "Checking"

    def progress(done: int, about: int) -> None:
        _say(job.pk, f"{verb} the rows", done, about)

    stream, chosen, scan = None, {}, None
    try:
        with staging.local_file(upload) as path:
            if scan_kind(path, label=upload.name, limits=upload_limits()) is not None:
                # A scanner's report: its items as the scan history makes them (``scans.importing``).
                from punchlist.scans.importing import scan_poam

                report = read_scan(path, label=upload.name, limits=upload_limits(),
                                   include_informational=job.mapping.get("include_informational", False))
                stream = PoamStream.of(scan_poam(job.organization, report))
            else:
                report = None
                # Read a batch of rows at a time, each checked and written before the next is read (bounded memory).
                stream = stream_poam_file(path, limits=upload_limits(), mapping=mapping_of(job.mapping),
                                          keep=PROBLEMS_KEPT)
            chosen = {control: tuple(ids) for control, ids in job.mapping.get("derive", {}).items()}
            stream.derive_choices = chosen
            if job.write and not job.mapping.get("accept_derived"):
                stream.unconfirmed = ("Requirements were derived from the file's SP 800-53 (or Rev 3) ids: confirm "
                                      "them (or change them) below, then import.")
            _say(job.pk, f"{verb} the rows", 0, stream.total)
            reopen = job.mapping.get("reopen", [])
            if report is not None:
                from punchlist.scans.importing import import_scan

                result, scan = import_scan(job.user, job.organization, report, stream, path=path,
                                           file=upload.name, write=job.write, progress=progress, keep=PROBLEMS_KEPT)
            else:
                run = import_poam if job.write else check_poam
                result = run(job.user, job.organization, stream, file=upload.name, create_people=job.create_people,
                             progress=progress, keep=PROBLEMS_KEPT, reopen=reopen)
    except FileNotFoundError:  # discarded between the job's start and its run
        _gone(job)
        return
    except InputError as exc:
        _finish(job, {**outcome("problems", exc, job.mapping.get("headers"), written=False),
                      "derived": derived_shown(stream, chosen) if stream is not None else []})
        return
    except RegisterError as exc:
        _finish(job, outcome("problems", InputError(str(exc), file=upload.name), job.mapping.get("headers")))
        return
    total = stream.rows
    if job.write:
        staging.discard(upload)
    _finish(job, {"kind": "imported" if job.write else "ready", "rows": total, "result": {
        name: {"count": len(values), "listed": values[:ITEMS_LISTED]}
        for name, values in (("created", result.created), ("updated", result.updated),
                             ("unchanged", result.unchanged), ("people_added", result.people_added))},
        **changes_of(result), "kept": any(c.kept for changes in result.changes.values() for c in changes),
        "reopen": reopen, "not_reopened": NOT_REOPENED, "derived": derived_shown(stream, chosen),
        "notes": stream.notes, "scan": scan.as_json() if scan is not None else None,
        "operational": {"count": len(result.operational), "listed": result.operational[:ITEMS_LISTED]}})


def _gone(job: ImportJob) -> None:
    """The staged file was discarded (or went stale) before the job read it."""
    _finish(job, {"kind": "refused", "file": job.file_name, "problems": [
        {"row": None, "column": "", "sheet": "", "message": "the uploaded file is gone; upload it again"}],
        "total": 1, "hidden": 0, "sheets": False})


def derived_shown(stream, chosen: dict) -> list[dict]:
    """The file's 800-53 / Rev 3 ids with the requirements derived from them and those the person chose, as the
    preview shows them for confirmation."""
    return [{"control": d.control, "scheme": d.scheme, "derived": ", ".join(d.requirements),
             "value": ", ".join(chosen[d.control]) if d.control in chosen else ", ".join(d.requirements),
             "changed": d.control in chosen and tuple(chosen[d.control]) != tuple(d.requirements),
             "rows": rows_text(d.rows), "count": len(d.rows), "note": d.note, "needs": d.needs_requirement}
            for d in stream.derivations.values()]


def changes_of(result) -> dict:
    """What each item gets and keeps (``ImportResult.changes``), those with a kept field first, as many as a
    page shows, as plain values that the job keeps (labels and values as the page writes them)."""
    listed = sorted(result.changes.items(), key=lambda entry: not any(c.kept for c in entry[1]))
    return {"changes": [[identifier, [{"label": c.label, "old": _plain(c.old), "new": _plain(c.new), "kept": c.kept,
                                       "why": c.why} for c in changes]]
                        for identifier, changes in listed[:CHANGES_LISTED]],
            "more_changes": max(0, len(listed) - CHANGES_LISTED)}


def _plain(value) -> str:
    return "" if value is None else str(value)


def _finish(job: ImportJob, outcome: dict) -> None:
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.DONE, outcome=outcome,
                                               finished_at=timezone.now())
    cache.delete(_key(job.pk))
