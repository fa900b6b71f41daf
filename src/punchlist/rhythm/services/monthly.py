"""The monthly management review: a score snapshot per month, and the record of a review (the agenda as
generated, who attended and what was decided), kept in the register."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from punchlist.audit import chain
from punchlist.orgs.models import Membership
from punchlist.orgs.permissions import require
from punchlist.register.errors import InvalidChange, WorkflowError
from punchlist.register.services._common import today, writing

from ..models import ManagementReview, ScoreSnapshot
from ..periods import month_of


def take_snapshot(organization, *, actor=None, month: date | None = None) -> ScoreSnapshot:
    """The month's score snapshot, taken once: the first call of a month stores the latest assessment's
    score, later calls return it. ``actor`` None is the system (``punchlist remind`` from cron)."""
    from ..agenda import score_now

    month = month_of(month or today())
    if actor is not None:
        require(actor, "rhythm.record_review", organization)
    with writing(organization) as head:
        snapshot = ScoreSnapshot.objects.for_organization(organization).filter(month=month).first()
        if snapshot is not None:
            return snapshot
        assessment, score, verdict = score_now(organization)
        snapshot = ScoreSnapshot.objects.create(organization=organization, month=month, assessment=assessment,
                                                score=score, verdict=verdict)
        chain.record(organization=organization, actor=actor, action="take_score_snapshot", obj=snapshot,
                     head=head, after={"month": month, "assessment": str(assessment) if assessment else None,
                                       "score": score, "verdict": verdict})
        return snapshot


def record_review(actor, organization, *, held_on: date, decisions: str, attendees=(),
                  other_attendees: str = "") -> ManagementReview:
    """Record the month's management review with the agenda generated from the register as it stands."""
    from ..agenda import build_agenda

    require(actor, "rhythm.record_review", organization)
    decisions, other_attendees = (decisions or "").strip(), (other_attendees or "").strip()
    if held_on is None:
        raise InvalidChange("say when the review was held")
    if held_on > today():
        raise InvalidChange(f"the review cannot have been held on {held_on.isoformat()}, a date in the future")
    if not decisions:
        raise InvalidChange("record what the review decided (even \"no change\")")
    attendees = list(attendees)
    members = set(Membership.objects.filter(organization=organization, user__in=attendees)
                  .values_list("user_id", flat=True))
    strangers = [user.username for user in attendees if user.pk not in members]
    if strangers:
        raise InvalidChange(f"{', '.join(strangers)} {'is' if len(strangers) == 1 else 'are'} not a member of "
                            f"{organization.name}; name people without an account under other attendees")
    if not attendees and not other_attendees:
        raise InvalidChange("record who attended the review")
    month = month_of(held_on)
    with transaction.atomic():
        snapshot = take_snapshot(organization, actor=actor, month=month)
        with writing(organization) as head:
            earlier = (ManagementReview.objects.for_organization(organization).filter(month=month)
                       .select_related("recorded_by").first())
            if earlier is not None:
                raise WorkflowError(f"the management review of {month:%B %Y} was already recorded by "
                                    f"{earlier.recorded_by.username} on {earlier.recorded_at:%Y-%m-%d}")
            agenda = build_agenda(organization, today())
            review = ManagementReview.objects.create(
                organization=organization, month=month, held_on=held_on, other_attendees=other_attendees,
                decisions=decisions, agenda=agenda, score=agenda["score"]["current"],
                previous_score=agenda["score"]["previous"], recorded_by=actor)
            review.attendees.set(attendees)
            chain.record(organization=organization, actor=actor, action="record_management_review", obj=review,
                         head=head, after={"month": month, "held_on": held_on,
                                           "attendees": sorted(user.username for user in attendees),
                                           "other_attendees": other_attendees, "decisions": decisions,
                                           "score": review.score, "previous_score": review.previous_score,
                                           "snapshot": snapshot.pk})
    return review
