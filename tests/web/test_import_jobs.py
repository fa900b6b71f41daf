"""A check or import too large for a web request is left to `punchlist worker` (django-tasks' database
backend): the request returns at once with the job's page, which polls for progress (htmx) and then shows the
outcome in the same words as a small file's; a small file is still checked within its request."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from django.urls import reverse

from punchlist.pytest_plugin import punchlist_command
from punchlist.register.models import PoamItem
from punchlist.testing.fixtures import database_url
from punchlist.testing.storage import StoredFiles
from punchlist.web.import_jobs import run_import_job
from punchlist.web.models import ImportJob

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_import_screen import corrected, csv_upload, preview, text, tracker_rows  # noqa: E402

HTMX = {"HTTP_HX_REQUEST": "true"}


def _checked_later(client, team, settings, rows):
    settings.PUNCHLIST_IMPORT_INLINE_BYTES = 0  # every file is "large" here
    url, page = preview(client, team, csv_upload(rows))
    data = corrected(page, requirements=1, id=0, weakness=2, scheduled_completion=3, primary_owner=4, kind=5)
    return client.post(url, {**data, "action": "check"})


def test_a_large_check_returns_at_once_and_its_page_polls_until_the_worker_is_done(team, login_as, settings):
    client = login_as(team.coordinator)
    response = _checked_later(client, team, settings, tracker_rows(3))
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("web:import_job", args=[team.org.slug, job.pk])
    assert job.state == ImportJob.State.QUEUED and job.outcome is None  # nothing ran in the request

    page = client.get(response["Location"])
    assert page.status_code == 200
    body = page.content.decode()
    assert f'hx-get="{response["Location"]}"' in body and 'hx-trigger="every 2s"' in body
    assert "Waiting for the worker" in text(page)
    fragment = client.get(response["Location"], **HTMX)
    assert "<html" not in fragment.content.decode() and "Waiting for the worker" in text(fragment)

    # The queued task, run here on the immediate backend (a real worker process: the last test below).
    run_import_job.using(backend="inline").enqueue(job.pk)
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE
    done = client.get(response["Location"], **HTMX)
    words = text(done)
    assert 'hx-trigger' not in done.content.decode()  # the polling stops
    # The same words as a small file's check (test_import_screen): each problem by row and column.
    assert "1 problem to fix" in words and "Nothing was written" in words  # one problem, said once with its rows
    assert re.search(r"\b3-\d+ Type \(record type\) 'Technical' is not a record type", words), words
    assert not PoamItem.objects.filter(organization=team.org).exists()


def test_a_job_is_seen_by_those_who_may_import_in_its_organization_only(team, rival, login_as, settings):
    client = login_as(team.coordinator)
    response = _checked_later(client, team, settings, tracker_rows(1))
    assert login_as(team.owner).get(response["Location"]).status_code == 403
    assert login_as(rival.admin).get(response["Location"]).status_code == 404


def test_a_small_file_is_still_checked_within_its_request(team, login_as):
    client = login_as(team.coordinator)
    url, page = preview(client, team, csv_upload(tracker_rows(2)))
    data = corrected(page, requirements=1, id=0, weakness=2, scheduled_completion=3, primary_owner=4)
    ready = client.post(url, {**data, "action": "check"})
    assert ready.status_code == 200 and "Every row passes" in text(ready)
    assert ImportJob.objects.get().state == ImportJob.State.DONE  # the same task, run on the immediate backend


def test_a_real_worker_process_imports_a_large_file(live_db, vault_backend, team, login_as, settings):
    """`punchlist worker` in its own process, on the test database (SQLite's file or PostgreSQL's), reading the
    upload the web request staged (in the folder, or in the bucket)."""
    client = login_as(team.coordinator)
    settings.PUNCHLIST_IMPORT_INLINE_BYTES = 0
    rows = tracker_rows(2000)
    url, page = preview(client, team, csv_upload(rows))
    data = corrected(page, requirements=1, id=0, weakness=2, scheduled_completion=3, primary_owner=4)
    response = client.post(url, {**data, "action": "import"})
    assert response.status_code == 302
    assert not PoamItem.objects.filter(organization=team.org).exists()

    env = _worker_env(settings, vault_backend)
    data_dir = Path(settings.PUNCHLIST_IMPORT_DIR).parent / "worker-data"
    data_dir.mkdir(exist_ok=True)
    done = subprocess.run(punchlist_command("worker", "--batch", "--no-schedule", "--data-dir", str(data_dir)),
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]

    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.DONE, (job.outcome, done.stderr[-2000:])
    assert job.outcome["kind"] == "imported", job.outcome
    assert PoamItem.objects.filter(organization=team.org).count() == 2000
    result = client.get(response["Location"])
    assert "2000 items added, 0 updated, 0 unchanged" in text(result)
    assert StoredFiles("imports").files() == []  # the worker removed the imported upload


# The worker in its own process, reporting its own peak memory (ru_maxrss, KiB on Linux) as it exits.
# It runs the command line that punchlist_command gives (on the test's clock), whatever its module.
PEAK_WRAPPER = """
import atexit, resource, runpy, sys
atexit.register(lambda: print(f"PEAK_KIB={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}", file=sys.stderr))
module, sys.argv = sys.argv[1], [sys.argv[1], *sys.argv[2:]]
runpy.run_module(module, run_name="__main__")
"""


def _worker_env(settings, files=None) -> dict:
    address = database_url()
    where = files.environ(settings) if files is not None else {
        "PUNCHLIST_IMPORT_DIR": settings.PUNCHLIST_IMPORT_DIR,
        "PUNCHLIST_EVIDENCE_DIR": settings.PUNCHLIST_EVIDENCE_DIR}
    return {**os.environ, "PUNCHLIST_DATABASE_URL": address, "PUNCHLIST_SECRET_KEY": "x" * 60, **where}


def _import_by_worker(client, team, settings, count: int) -> tuple[ImportJob, int]:
    """Upload ``count`` rows, ask for their import and let a real worker run it; the job and the worker's
    peak memory in MiB."""
    settings.PUNCHLIST_IMPORT_INLINE_BYTES = 0
    url, page = preview(client, team, csv_upload(tracker_rows(count)))
    data = corrected(page, requirements=1, id=0, weakness=2, scheduled_completion=3, primary_owner=4)
    response = client.post(url, {**data, "action": "import"})
    assert response.status_code == 302
    data_dir = Path(settings.PUNCHLIST_IMPORT_DIR).parent / "worker-data"
    data_dir.mkdir(exist_ok=True)
    python, _, module, *argv = punchlist_command("worker", "--batch", "--no-schedule", "--data-dir", str(data_dir))
    done = subprocess.run([python, "-c", PEAK_WRAPPER, module, *argv],
                          env=_worker_env(settings), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    peak = int(done.stderr.rsplit("PEAK_KIB=", 1)[1].split()[0]) // 1024
    job = ImportJob.objects.latest("pk")
    assert job.state == ImportJob.State.DONE, (job.outcome, done.stderr[-2000:])
    return job, peak


def test_the_workers_memory_is_bounded_by_a_batch_not_by_the_file(live_db, team, login_as, settings):
    """200,000 rows cost the worker about what 2,000 do: the rows are read, checked and written a batch at a
    time (all in one transaction), never held all at once. Holding them all took ~1.3 KiB a row."""
    client = login_as(team.coordinator)
    small, small_peak = _import_by_worker(client, team, settings, 2_000)
    assert small.outcome["kind"] == "imported", small.outcome
    large, large_peak = _import_by_worker(client, team, settings, 200_000)
    assert large.outcome["kind"] == "imported", large.outcome
    assert PoamItem.objects.filter(organization=team.org).count() == 200_000  # the first 2,000 updated
    print(f"worker peak: {small_peak} MiB for 2,000 rows, {large_peak} MiB for 200,000")
    assert large_peak - small_peak < 120, (small_peak, large_peak)


def test_a_large_files_problems_are_counted_past_those_kept(team, login_as, settings):
    """The worker keeps the first problems for the page and counts the rest, rather than holding them all."""
    client = login_as(team.coordinator)
    response = _checked_later(client, team, settings, tracker_rows(1200))
    job = ImportJob.objects.get()
    run_import_job.using(backend="inline").enqueue(job.pk)
    job.refresh_from_db()
    assert job.outcome["kind"] == "problems"
    # One problem, said once with its rows: the first 500 rows kept, the other 700 counted.
    [problem] = job.outcome["problems"]
    assert job.outcome["total"] == 1 and len(problem["rows"]) == 500 and job.outcome["more_rows"] == 700
    words = text(client.get(response["Location"]))
    assert "1 problem to fix" in words and "700 more rows with problems" in words
    assert "Type (record type) 'Technical' is not a record type" in words
