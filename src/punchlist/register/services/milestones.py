"""Milestones: what will be done by when (R-CONT-3, R-CONT-4). A milestone moved later is a slip and keeps
its reason; its first due date stays as ``original_due`` so slips can be counted."""

from __future__ import annotations

from datetime import date

from punchlist.audit import chain, locking
from punchlist.orgs.permissions import require

from ..errors import ConflictError, InvalidChange, WorkflowError
from ..models import Milestone, PoamItem
from ._common import one_line, today, writing
from .items import check_closeout


def _snapshot(milestone: Milestone) -> dict:
    return chain.jsonable({"description": milestone.description, "due": milestone.due,
                           "original_due": milestone.original_due, "done_on": milestone.done_on,
                           "dropped_on": milestone.dropped_on, "drop_reason": milestone.drop_reason,
                           "version": milestone.version})


def _record(actor, milestone: Milestone, action: str, head, before=None, reason: str = "") -> None:
    after = _snapshot(milestone)
    if before is not None:
        changed = [k for k in after if after[k] != before.get(k)]
        before, after = {k: before[k] for k in changed}, {k: after[k] for k in changed}
    chain.record(organization=milestone.item.organization, actor=actor, action=action, obj=milestone,
                 subject=milestone.item.identifier, before=before, after=after, reason=reason, head=head)


def _add_milestone(actor, item: PoamItem, description: str, due: date | None, position: int, head) -> Milestone:
    description = one_line(description)
    if not description:
        raise InvalidChange("a milestone says what will be done")
    check_closeout(item, due, "the milestone due date")
    milestone = Milestone.objects.create(item=item, description=description, due=due, original_due=due,
                                         position=position)
    _record(actor, milestone, "add_milestone", head)
    return milestone


def add_milestone(actor, item: PoamItem, description: str, due: date | None = None) -> Milestone:
    with writing(item.organization) as head:
        require(actor, "register.change_item", item)
        position = item.milestones.count()
        return _add_milestone(actor, item, description, due, position, head)


def _locked(actor, milestone: Milestone, version: int | None) -> Milestone:
    """The milestone's row, locked, if nobody changed it since the caller read ``version`` (default: the
    instance's own); a member is told what changed, anyone else learns nothing."""
    require(actor, "register.view_item", milestone.item)
    return locking.locked(Milestone.objects.select_related("item__organization"), milestone, version,
                          refuse=_conflict)


def _conflict(fresh: Milestone | None, expected: int) -> ConflictError:
    changes, by = locking.changes_since(Milestone, fresh.pk, expected)
    return ConflictError(fresh, expected, changes, by,
                         subject=f"the milestone “{fresh.description}” of {fresh.item.identifier}")


def complete_milestone(actor, milestone: Milestone, done_on: date | None = None, *,
                       version: int | None = None) -> Milestone:
    with writing(milestone.item.organization) as head:
        fresh = _locked(actor, milestone, version)
        require(actor, "register.change_item", fresh.item)
        done_on = done_on or today()
        if done_on > today():
            raise WorkflowError("a milestone cannot be done on a date in the future")
        if fresh.done_on is not None:
            raise WorkflowError(f"the milestone was already done on {fresh.done_on.isoformat()}")
        if fresh.dropped_on is not None:
            raise WorkflowError(f"the milestone was dropped on {fresh.dropped_on.isoformat()}")
        before = _snapshot(fresh)
        fresh.done_on = done_on
        locking.bump(fresh)
        fresh.save(update_fields=["done_on", "version"])
        _record(actor, fresh, "complete_milestone", head, before)
        milestone.done_on, milestone.version = fresh.done_on, fresh.version
        return milestone


def reopen_milestone(actor, milestone: Milestone, *, reason: str = "", version: int | None = None) -> Milestone:
    """Untick a milestone ticked by mistake: it is not done after all. The tick and the untick both stay in
    the audit trail; an item that is closed or waiting for verification keeps its milestones as they are."""
    from ..models import Status

    with writing(milestone.item.organization) as head:
        fresh = _locked(actor, milestone, version)
        item = fresh.item
        require(actor, "register.change_item", item)
        if fresh.done_on is None:
            raise WorkflowError(f"the milestone {fresh.description!r} is not marked done")
        if item.status in (Status.CLOSED, Status.RISK_ACCEPTED, Status.READY_FOR_VERIFICATION):
            raise WorkflowError(f"{item.identifier} is {item.get_status_display().lower()}: its milestones stay as "
                                "they were when its closure was put forward; reopen the item first")
        before = _snapshot(fresh)
        fresh.done_on = None
        locking.bump(fresh)
        fresh.save(update_fields=["done_on", "version"])
        _record(actor, fresh, "reopen_milestone", head, before, one_line(reason or ""))
        milestone.done_on, milestone.version = None, fresh.version
        return milestone


def slip_milestone(actor, milestone: Milestone, new_due: date, *, reason: str = "",
                   version: int | None = None) -> Milestone:
    """Move a milestone's due date. Later needs a reason (a slip); earlier is simply better news. Refused
    if someone changed the milestone since the caller read ``version``."""
    with writing(milestone.item.organization) as head:
        fresh = _locked(actor, milestone, version)
        item = fresh.item
        require(actor, "register.change_item", item)
        if fresh.done_on is not None or fresh.dropped_on is not None:
            raise WorkflowError("a milestone that is done or dropped keeps its dates")
        if new_due is None:
            raise InvalidChange("a rescheduled milestone needs a new due date")
        later = fresh.due is not None and new_due > fresh.due
        if later and not (reason or "").strip():
            raise WorkflowError(f"moving the milestone {fresh.description!r} of {item.identifier} from "
                                f"{fresh.due.isoformat()} to {new_due.isoformat()} is a slip and needs a reason")
        check_closeout(item, new_due, "the milestone due date")
        before = _snapshot(fresh)
        fresh.due = new_due
        if fresh.original_due is None:
            fresh.original_due = new_due
        locking.bump(fresh)
        fresh.save(update_fields=["due", "original_due", "version"])
        _record(actor, fresh, "slip_milestone" if later else "reschedule_milestone", head, before, reason)
        milestone.due, milestone.original_due, milestone.version = fresh.due, fresh.original_due, fresh.version
        return milestone


def drop_milestone(actor, milestone: Milestone, *, reason: str, version: int | None = None) -> Milestone:
    """Take a milestone out of the plan, saying why: it no longer blocks the item's closure, and it stays on
    the item (and in its history) as dropped. Refused if someone changed the milestone since the caller read
    ``version``."""
    with writing(milestone.item.organization) as head:
        fresh = _locked(actor, milestone, version)
        require(actor, "register.change_item", fresh.item)
        if fresh.done_on is not None:
            raise WorkflowError(f"the milestone was done on {fresh.done_on.isoformat()}; a done milestone is not "
                                "dropped")
        if fresh.dropped_on is not None:
            raise WorkflowError(f"the milestone was already dropped on {fresh.dropped_on.isoformat()}")
        reason = (reason or "").strip()
        if not reason:
            raise WorkflowError(f"dropping the milestone {fresh.description!r} needs a reason")
        before = _snapshot(fresh)
        fresh.dropped_on, fresh.drop_reason = today(), reason
        locking.bump(fresh)
        fresh.save(update_fields=["dropped_on", "drop_reason", "version"])
        _record(actor, fresh, "drop_milestone", head, before, reason)
        milestone.dropped_on, milestone.drop_reason, milestone.version = (fresh.dropped_on, fresh.drop_reason,
                                                                          fresh.version)
        return milestone
