"""Several `punchlist worker` processes on one PostgreSQL queue: each report job is taken by one worker only
(django-tasks-db claims a task's row with SELECT ... FOR UPDATE SKIP LOCKED) and built exactly once."""

from __future__ import annotations

import os
import subprocess

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from punchlist.pytest_plugin import punchlist_command
from punchlist.testing import make_team
from punchlist.testing.fixtures import database_url
from punchlist.testing.storage import StoredFiles
from punchlist.web import report_jobs
from punchlist.web.models import ReportJob

BUILD = "punchlist.web.report_jobs.build_report"


@pytest.fixture
def postgresql(live_db):
    """The other database's test, as TRUNCATE's is: `make test` runs tests/web again on PostgreSQL, where it runs
    (and where, under CI=true, a missing PostgreSQL already fails the run)."""
    if connection.vendor != "postgresql":
        pytest.skip("two workers taking the same queue is PostgreSQL's (SKIP LOCKED): it runs in the suite's "
                    "PostgreSQL pass (PUNCHLIST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/NAME)")


def test_two_workers_build_each_report_job_exactly_once(postgresql, settings, tmp_path):
    team = make_team("Acme Machining", "acme")
    jobs = [report_jobs.start(team.viewer, team.org, kind, "html")
            for kind in ("leadership", "review", "readiness") * 4]
    jobs += [report_jobs.start(team.viewer, team.org, "package", "zip", evidence_files=False) for _ in range(2)]
    env = {**os.environ, "PUNCHLIST_DATABASE_URL": database_url(), "PUNCHLIST_SECRET_KEY": "w" * 60,
           **StoredFiles("evidence").environ(settings)}
    workers = []
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        workers.append(subprocess.Popen(
            punchlist_command("worker", "--batch", "--no-schedule", "--data-dir", str(tmp_path / name)),
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    for worker in workers:
        _, errors = worker.communicate(timeout=600)
        assert worker.returncode == 0, errors[-3000:]

    tasks = list(DBTaskResult.objects.filter(task_path=BUILD))
    assert len(tasks) == len(jobs)
    assert {task.status for task in tasks} == {"SUCCESSFUL"}
    assert all(len(task.worker_ids) == 1 for task in tasks)  # each claimed once, by one worker
    returned = sorted(task.return_value["job"] for task in tasks)
    assert returned == sorted(job.pk for job in jobs)
    assert not any(task.return_value["already_taken"] for task in tasks)
    built = ReportJob.objects.filter(pk__in=[job.pk for job in jobs])
    assert {job.state for job in built} == {ReportJob.State.DONE}
    by_task = {task.return_value["job"]: task.return_value["built_by"] for task in tasks}
    assert {job.pk: job.outcome["built_by"] for job in built} == by_task  # the process that claimed it built it
    print("jobs per worker process:", {who: list(by_task.values()).count(who) for who in set(by_task.values())})
    assert sorted(StoredFiles("reports").files()) == sorted(job.stored for job in built)  # one file per job
