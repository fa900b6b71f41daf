"""The rhythm's background tasks, queued by the schedule every `punchlist worker` keeps
(``punchlist.rhythm.schedule``) and run by whichever worker takes them first: the reminders, and the re-hash
of every evidence file that `punchlist verify` and the quarterly validation also do."""

from __future__ import annotations

import logging

from django_tasks import task

log = logging.getLogger("punchlist.security")


@task()
def send_reminders_task() -> dict:
    """``punchlist remind``, without cron: each reminder goes out once, however many workers run this."""
    from .services.reminders import send_reminders

    result = send_reminders()
    for failure in result.failed:
        log.error("reminder not sent: %s", failure)
    return {"mails": len(result.sent), "reminders": result.reminders, "already_sent": result.already_sent,
            "failed": len(result.failed), "no_email": result.no_email}


@task()
def rehash_evidence_task() -> dict:
    """Re-hash every stored evidence file (in the folder or the bucket); each missing or altered one goes to
    the security log, as `punchlist verify` would name it."""
    from punchlist.register.services.evidence import verify_evidence

    problems = verify_evidence()
    for problem in problems:
        log.error("evidence re-hash: %s", problem)
    return {"problems": [str(problem) for problem in problems]}
