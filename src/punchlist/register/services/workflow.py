"""The status workflow: draft -> open -> in progress -> ready for verification -> closed, and reopen.

Closing needs evidence and the approval authority's approval, by someone who did none of the work
(``separation``); a move back needs a reason; an assessment POA&M item is never risk accepted (R-FIND-5, R-CLOSE-1: it must be closed out).
"""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from punchlist.orgs.permissions import PermissionDenied, require

from ..errors import WorkflowError
from ..models import Kind, PoamItem, Status
from . import closure
from ._common import today, writing
from .items import RANK, _locked, _save, snapshot
from .separation import check_approver

# Forward moves that need nothing but the owner's say-so; the others have their own service.
PLAIN_FORWARD = {
    Status.DRAFT: {Status.OPEN, Status.IN_PROGRESS},
    Status.OPEN: {Status.IN_PROGRESS},
}
# Moves back (each needs a reason), other than reopening a closed item and rejecting a closure.
PLAIN_BACK = {
    Status.IN_PROGRESS: {Status.OPEN},
}


def _reason_required(reason: str, what: str) -> str:
    if not (reason or "").strip():
        raise WorkflowError(f"{what} needs a reason")
    return reason.strip()


def change_status(actor, item: PoamItem, status: str, *, reason: str = "", version: int | None = None,
                  **kwargs) -> PoamItem:
    """Move an item to ``status``, dispatching to the service that owns that move."""
    status = Status(status)
    current = Status(item.status)
    if status == current:
        raise WorkflowError(f"{item.identifier} is already {status.label.lower()}")
    if status == Status.READY_FOR_VERIFICATION:
        return request_closure(actor, item, note=reason, version=version)
    if status == Status.CLOSED:
        return approve_closure(actor, item, note=reason, version=version, **kwargs)
    if status == Status.RISK_ACCEPTED:
        return accept_risk(actor, item, reason=reason, version=version)
    if current in (Status.CLOSED, Status.RISK_ACCEPTED):
        return reopen_item(actor, item, reason=reason, status=status, version=version)
    if current == Status.READY_FOR_VERIFICATION:
        return reject_closure(actor, item, reason=reason, status=status, version=version)
    with writing(item.organization) as head:
        fresh = _locked(actor, item, version)
        require(actor, "register.change_item", fresh)
        current = Status(fresh.status)
        if status in PLAIN_FORWARD.get(current, ()):
            pass
        elif status in PLAIN_BACK.get(current, ()):
            reason = _reason_required(reason, f"moving {fresh.identifier} back from {current.label.lower()} "
                                              f"to {status.label.lower()}")
        else:
            raise WorkflowError(f"{fresh.identifier} cannot move from {current.label.lower()} to "
                                f"{status.label.lower()}")
        before = snapshot(fresh)
        fresh.status = status
        return _save(actor, item, fresh, before, action="change_status", head=head, reason=reason)


def request_closure(actor, item: PoamItem, *, note: str = "", version: int | None = None) -> PoamItem:
    """The owner says the work is done and shows it: ready for verification by the approval authority."""
    with writing(item.organization) as head:
        fresh = _locked(actor, item, version)
        require(actor, "register.change_item", fresh)
        if fresh.status not in (Status.OPEN, Status.IN_PROGRESS):
            raise WorkflowError(f"{fresh.identifier} is {fresh.get_status_display().lower()}; only an open or "
                                "in-progress item can be put forward for verification")
        _check_closable(fresh)
        before = snapshot(fresh)
        fresh.status = Status.READY_FOR_VERIFICATION
        return _save(actor, item, fresh, before, action="request_closure", head=head, reason=note)


def _check_closable(item: PoamItem) -> None:
    if not item.evidence.exists():
        raise WorkflowError(f"{item.identifier} has no evidence; add at least one piece of evidence that the "
                            "remediation is in place before it can be closed")
    open_milestones = [m.description for m in item.milestones.filter(done_on__isnull=True, dropped_on__isnull=True)]
    if open_milestones:
        raise WorkflowError(
            f"{item.identifier} has {len(open_milestones)} open milestone(s): "
            + "; ".join(f"“{d}”" for d in open_milestones[:5]) + ("; ..." if len(open_milestones) > 5 else "")
            + ". Mark each done, or drop it with a reason, before the item can close")
    if item.approval_authority_id is None:
        raise WorkflowError(f"{item.identifier} has no approval authority to verify its closure; a coordinator "
                            "assigns one first")


def approve_closure(actor, item: PoamItem, *, note: str = "", completion_date: date | None = None,
                    version: int | None = None, record_met: bool = False) -> PoamItem:
    """The approval authority verifies the evidence and closes the item (R-CONT-3: verified by a separate
    reviewer, who neither owns the item, nor requested the closure, nor added its evidence). Where it is the
    last open item of a NOT MET requirement, the closure is refused unless ``record_met``: then the requirement
    is recorded MET in the same transaction (``closure``), so that a closure never lowers the score (R-SCORE-4)."""
    with writing(item.organization) as head:
        fresh = _locked(actor, item, version)
        check_approver(fresh, actor)  # the approval authority, who did none of the work (3.1.4)
        require(actor, "register.approve_closure", fresh)
        if fresh.status != Status.READY_FOR_VERIFICATION:
            raise WorkflowError(f"{fresh.identifier} is {fresh.get_status_display().lower()}; only an item ready "
                                "for verification can be closed")
        _check_closable(fresh)
        completion = completion_date or today()
        if completion > today():
            raise WorkflowError("the completion date of a closure cannot be in the future")
        moves = closure.moves_with(fresh)
        if moves and not record_met:
            raise closure.refusal(fresh, moves)
        before = snapshot(fresh)
        fresh.status = Status.CLOSED
        fresh.completion_date = completion
        fresh.verified_by = actor
        fresh.verified_at = timezone.now()
        _save(actor, item, fresh, before, action="approve_closure", head=head, reason=note)
        if moves:
            closure.record_met(actor, fresh, moves, head)
        return item


def reject_closure(actor, item: PoamItem, *, reason: str, status: str = Status.IN_PROGRESS,
                   version: int | None = None) -> PoamItem:
    """Send an item back from verification, saying what is missing."""
    status = Status(status)
    with writing(item.organization) as head:
        fresh = _locked(actor, item, version)
        if fresh.status != Status.READY_FOR_VERIFICATION:
            raise WorkflowError(f"{fresh.identifier} is not waiting for verification")
        if not (actor.pk in (fresh.primary_owner_id, fresh.supporting_owner_id)
                and status == Status.IN_PROGRESS):  # owners may withdraw their own request
            require(actor, "register.reject_closure", fresh)
        else:
            require(actor, "register.change_item", fresh)
        if status not in (Status.OPEN, Status.IN_PROGRESS):
            raise WorkflowError("an item sent back from verification returns to open or in progress")
        reason = _reason_required(reason, f"sending {fresh.identifier} back from verification")
        before = snapshot(fresh)
        fresh.status = status
        return _save(actor, item, fresh, before, action="reject_closure", head=head, reason=reason)


def reopen_item(actor, item: PoamItem, *, reason: str, status: str = Status.IN_PROGRESS,
                version: int | None = None) -> PoamItem:
    """A closed (or risk-accepted) item is found not fixed after all: back to work, with the reason."""
    status = Status(status)
    with writing(item.organization) as head:
        fresh = _locked(actor, item, version)
        require(actor, "register.reopen_item", fresh)
        if fresh.status not in (Status.CLOSED, Status.RISK_ACCEPTED):
            raise WorkflowError(f"{fresh.identifier} is not closed; only a closed item can be reopened")
        if status not in (Status.OPEN, Status.IN_PROGRESS):
            raise WorkflowError("a reopened item returns to open or in progress")
        reason = _reason_required(reason, f"reopening {fresh.identifier}")
        before = snapshot(fresh)
        fresh.status = status
        fresh.completion_date = None
        fresh.verified_by = None
        fresh.verified_at = None
        return _save(actor, item, fresh, before, action="reopen_item", head=head, reason=reason)


def accept_risk(actor, item: PoamItem, *, reason: str, version: int | None = None) -> PoamItem:
    """Accept the risk of an operational plan of action item instead of fixing it.

    Never an assessment POA&M item: a NOT MET requirement on the POA&M stays NOT MET until implemented
    (R-FIND-5) and must be closed out within 180 days (R-CLOSE-1).
    """
    with writing(item.organization) as head:
        fresh = _locked(actor, item, version)
        if fresh.kind == Kind.ASSESSMENT_POAM:
            raise WorkflowError(
                f"{fresh.identifier} is an assessment POA&M item and cannot be risk accepted: the requirement "
                "stays NOT MET until it is implemented (R-FIND-5) and must be closed out within 180 days of the "
                "Conditional status date (R-CLOSE-1)"
            )
        if actor.pk is not None and actor.pk == fresh.primary_owner_id:
            raise PermissionDenied(f"{actor.username} is the primary owner of {fresh.identifier} and may not "
                                   "accept its risk")
        require(actor, "register.accept_risk", fresh)
        if not fresh.status or Status(fresh.status) in (Status.CLOSED, Status.RISK_ACCEPTED):
            raise WorkflowError(f"{fresh.identifier} is already {fresh.get_status_display().lower()}")
        reason = _reason_required(reason, f"accepting the risk of {fresh.identifier}")
        before = snapshot(fresh)
        fresh.status = Status.RISK_ACCEPTED
        fresh.verified_by = actor
        fresh.verified_at = timezone.now()
        return _save(actor, item, fresh, before, action="accept_risk", head=head, reason=reason)


__all__ = ["change_status", "request_closure", "approve_closure", "reject_closure", "reopen_item", "accept_risk",
           "RANK"]
