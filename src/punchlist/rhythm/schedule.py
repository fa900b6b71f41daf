"""A schedule without cron: `punchlist worker` looks at it every minute and queues what is due on the task
queue the imports use (django-tasks' database backend), where any worker takes it.

Every worker on every machine keeps the same schedule. Each run has a slot (the hour for the reminders, the
day for the evidence re-hash) and is claimed by inserting ``ScheduledRun(name, slot)``, unique, in the same
transaction as the task it queues: the first worker to reach a slot queues it, the others find the slot taken,
and a worker that dies between the two leaves neither. The tasks themselves are safe to run again (a reminder
is sent once, a re-hash only reads), so a slot lost to a crash costs one period's delay, never a double mail.

PUNCHLIST_REMIND_EVERY_MINUTES (default 60; 0: never, leave it to `punchlist remind` from cron) and
PUNCHLIST_REHASH_EVERY_HOURS (default 24; 0: never) set the periods.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, close_old_connections, transaction
from django.utils import timezone

log = logging.getLogger(__name__)
LOOK_EVERY_SECONDS = 60


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    task_path: str  # "module.attribute" of the django-tasks task

    def slot(self, moment: datetime) -> str:
        """The period ``moment`` falls in, named by its start (UTC, to the minute)."""
        seconds = int(self.every.total_seconds())
        epoch = int(moment.timestamp())
        start = datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC)
        return start.strftime("%Y-%m-%dT%H:%M")

    def task(self):
        from importlib import import_module

        module, _, attribute = self.task_path.rpartition(".")
        return getattr(import_module(module), attribute)


def jobs() -> list[Job]:
    found = []
    if settings.PUNCHLIST_REMIND_EVERY_MINUTES:
        found.append(Job("reminders", timedelta(minutes=settings.PUNCHLIST_REMIND_EVERY_MINUTES),
                         "punchlist.rhythm.tasks.send_reminders_task"))
    if settings.PUNCHLIST_REHASH_EVERY_HOURS:
        found.append(Job("evidence-rehash", timedelta(hours=settings.PUNCHLIST_REHASH_EVERY_HOURS),
                         "punchlist.rhythm.tasks.rehash_evidence_task"))
    return found


def tick(now: datetime | None = None) -> list[str]:
    """Queue each job whose current slot no worker has claimed yet; the names of those this call queued."""
    from .models import ScheduledRun

    now = now or timezone.now()
    queued = []
    for job in jobs():
        slot = job.slot(now)
        if ScheduledRun.objects.filter(name=job.name, slot=slot).exists():
            continue
        try:
            with transaction.atomic():
                ScheduledRun.objects.create(name=job.name, slot=slot, queued_at=now)
                job.task().using(backend="default").enqueue()
        except IntegrityError:  # another worker claimed it first
            continue
        queued.append(job.name)
        log.info("scheduled %s for %s", job.name, slot)
    return queued


def keep(stop: threading.Event) -> None:
    """Look at the schedule now and every minute until ``stop`` is set (the worker's thread)."""
    while not stop.is_set():
        try:
            tick()
        except Exception:  # noqa: BLE001 - a database hiccup must not end the worker; the next look retries
            log.exception("the schedule could not be looked at; trying again in a minute")
        finally:
            close_old_connections()
        stop.wait(LOOK_EVERY_SECONDS)


def start() -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=keep, args=(stop,), name="punchlist-schedule", daemon=True)
    thread.start()
    return thread, stop
