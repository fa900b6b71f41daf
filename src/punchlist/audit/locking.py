"""Optimistic locking for every editable record: a save names the version its writer read, and is refused
when someone saved the record since, saying who and what changed.

A versioned model has a ``version`` field (1 when created). Every write locks the row (``locked``), bumps the
version (``bump``) and records the new version in its audit event's after-values; what changed since a
writer's version is then read back from the audit trail (``changes_since``), so the refusal can say it in
words without any second record of the past.
"""

from __future__ import annotations

from .models import AuditEvent


class StaleWrite(Exception):
    """Someone else saved the record since the writer read it.

    ``changes`` maps each field changed since ``expected_version`` to its current value; ``by`` names who
    changed it; ``subject`` says what the record is ("POAM-AC-001", "evidence “Firewall export”", ...).
    """

    def __init__(self, obj, expected_version: int, changes: dict, by: list[str], subject: str = ""):
        self.obj = obj
        self.subject = subject or str(obj)
        self.expected_version = expected_version
        self.current_version = getattr(obj, "version", 0)
        self.changes = changes
        self.by = by
        listed = "; ".join(f"{field} is now {value!r}" for field, value in changes.items()) or "its status"
        who = ", ".join(by) or "someone else"
        super().__init__(
            f"{self.subject} was changed by {who} since you opened it (your version {expected_version}, "
            f"now {self.current_version}): {listed}. Reload it and make your change again."
        )


def locked(queryset, obj, version: int | None, *, refuse, pk=None):
    """The record's row, locked for this transaction, if nobody saved it since the caller read ``version``
    (default: the version of the caller's instance). A row that is gone has version 0, so a writer who saw
    none (version 0) may create it and one who saw it is refused. ``refuse(fresh, expected)`` builds the
    exception the caller's layer raises."""
    expected = getattr(obj, "version", 0) if version is None else int(version)
    fresh = queryset.select_for_update().filter(pk=obj.pk if pk is None else pk).first()
    current = fresh.version if fresh is not None else 0
    if current != expected:
        raise refuse(fresh, expected)
    return fresh


def bump(fresh) -> int:
    """The next version of a record being saved, set on it."""
    fresh.version = (fresh.version or 0) + 1
    return fresh.version


def changes_since(model, pk, expected: int) -> tuple[dict, list[str]]:
    """What the audit trail says changed on a record after version ``expected``: the latest value of each
    field, and who changed them (in the order they did)."""
    changes: dict = {}
    by: list[str] = []
    events = AuditEvent.objects.filter(object_type=model._meta.label_lower, object_id=str(pk))
    for event in events.order_by("seq").only("after", "actor_name"):
        after = event.after or {}
        if isinstance(after.get("version"), int) and after["version"] > expected:
            changes.update({k: v for k, v in after.items() if k != "version"})
            name = event.actor_name or "the system"
            if name not in by:
                by.append(name)
    return changes, by
