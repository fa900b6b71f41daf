"""The schedule `punchlist worker` keeps without cron: each job's run is queued once per slot, however many
workers look at the schedule at the same moment, and a real worker process sends the reminders by itself."""

from __future__ import annotations

import subprocess
import threading

from django.db import connections
from django_tasks_db.models import DBTaskResult

from punchlist.pytest_plugin import punchlist_command
from punchlist.rhythm import schedule
from punchlist.rhythm.models import ScheduledRun, SentReminder
from punchlist.testing import make_item, make_team
from punchlist.testing.fixtures import database_url

REMINDERS = "punchlist.rhythm.tasks.send_reminders_task"
REHASH = "punchlist.rhythm.tasks.rehash_evidence_task"


def queued() -> list[str]:
    return sorted(DBTaskResult.objects.values_list("task_path", flat=True))


def test_each_slot_is_queued_once_and_the_next_slot_again(db, clock):
    clock.move_to("2026-11-23T12:10Z")
    assert schedule.tick() == ["reminders", "evidence-rehash"]
    assert schedule.tick() == [] and queued() == [REHASH, REMINDERS]
    clock.move_to("2026-11-23T12:59Z")
    assert schedule.tick() == []  # the same hour
    clock.move_to("2026-11-23T13:00Z")
    assert schedule.tick() == ["reminders"]  # a new hour; the same day
    clock.move_to("2026-11-24T00:00Z")
    assert schedule.tick() == ["reminders", "evidence-rehash"]
    assert sorted(ScheduledRun.objects.values_list("name", "slot")) == [
        ("evidence-rehash", "2026-11-23T00:00"), ("evidence-rehash", "2026-11-24T00:00"),
        ("reminders", "2026-11-23T12:00"), ("reminders", "2026-11-23T13:00"), ("reminders", "2026-11-24T00:00")]
    assert len(queued()) == 5


def test_a_period_of_zero_turns_a_job_off(db, settings):
    settings.PUNCHLIST_REMIND_EVERY_MINUTES = 0
    assert schedule.tick() == ["evidence-rehash"]
    settings.PUNCHLIST_REHASH_EVERY_HOURS = 0
    assert schedule.jobs() == []


def test_workers_looking_at_once_queue_each_run_once(live_db):
    results, errors = [], []
    barrier = threading.Barrier(4)

    def look():
        try:
            barrier.wait(timeout=30)
            results.append(schedule.tick())
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=look) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sorted(name for names in results for name in names) == ["evidence-rehash", "reminders"]
    assert queued() == [REHASH, REMINDERS] and ScheduledRun.objects.count() == 2


def test_a_worker_sends_the_reminders_without_cron_and_a_second_one_sends_nothing_more(live_db, smtp, settings,
                                                                                        tmp_path):
    team = make_team("Acme Machining", "acme")
    for user in team.users.values():
        user.email = f"{user.username}@acme.test"
        user.save(update_fields=["email"])
    make_item(team, title="Lock accounts", scheduled_in_days=2)
    env = {"PATH": "/usr/bin:/bin", "PUNCHLIST_DATABASE_URL": database_url(), "PUNCHLIST_SECRET_KEY": "w" * 60,
           "PUNCHLIST_EMAIL_HOST": "127.0.0.1", "PUNCHLIST_EMAIL_PORT": str(settings.EMAIL_PORT),
           "PUNCHLIST_FROM_EMAIL": "punchlist@acme.test", "PUNCHLIST_EVIDENCE_DIR": str(tmp_path / "evidence")}
    for worker in ("one", "two"):
        done = subprocess.run(punchlist_command("worker", "--batch", "--data-dir", str(tmp_path / worker)),
                              env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
    assert sorted(recipients[0] for recipients, _ in smtp.messages) == [
        "acme-coordinator@acme.test", "acme-owner@acme.test"]
    assert SentReminder.objects.count() == 2 and ScheduledRun.objects.count() == 2
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    assert DBTaskResult.objects.get(task_path=REMINDERS).return_value["mails"] == 2


def test_the_scheduled_rehash_names_an_altered_file_in_the_security_log(team, item, vault_backend, caplog):
    from punchlist.register.services.evidence import add_evidence
    from punchlist.rhythm.tasks import rehash_evidence_task

    piece = add_evidence(team.owner, item, name="gpo.txt", content=b"GPO: lockout after 5 failures\n")
    assert rehash_evidence_task.call() == {"problems": []}
    vault_backend.alter(piece.file.name, b"GPO: lockout after 50 failures\n")
    caplog.set_level("ERROR", logger="punchlist.security")
    (problem,) = rehash_evidence_task.call()["problems"]
    assert "evidence “gpo.txt”" in problem and "is altered" in problem
    assert any(record.getMessage() == f"evidence re-hash: {problem}" for record in caplog.records)
