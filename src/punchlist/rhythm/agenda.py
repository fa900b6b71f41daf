"""The monthly management review's agenda, generated from the register: what is overdue, what slipped,
what is blocked, what is new and what closed since the last review, how the score moved since last month,
and how many days the closeout clock has left.

The agenda is plain JSON-able data (dates as ISO text), so the agenda shown live and the agenda kept with a
review's record render the same way. It costs a fixed number of queries whatever the number of items.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import F, OuterRef, Subquery

from punchlist.core.closeout import closeout
from punchlist.register.mapping import score_assessment
from punchlist.register.models import Assessment, Kind, Milestone, PoamItem, Status

from .models import ManagementReview, ScoreSnapshot, WeeklyUpdate
from .periods import month_of, week_of
from .queries import WEEKLY_STATUSES, unupdated_items

FIRST_REVIEW_DAYS = 30  # with no earlier review, "new" and "closed" look back this far
OWNER = ("primary_owner__first_name", "primary_owner__last_name", "primary_owner__username")


def _owner(first, last, username) -> str:
    return f"{first} {last}".strip() or username or ""


def _items(rows, *extra) -> list[dict]:
    return [{"identifier": r["identifier"], "title": r["title"],
             "owner": _owner(r[OWNER[0]], r[OWNER[1]], r[OWNER[2]]),
             **{name: (r[name].isoformat() if isinstance(r[name], date) else r[name]) for name in extra}}
            for r in rows]


def latest_assessment(organization) -> Assessment | None:
    return Assessment.objects.for_organization(organization).first()


def score_now(organization) -> tuple[Assessment | None, int | None, str]:
    """The latest assessment's SPRS score and Level 2 verdict, R-SCORE-4 applied from the register."""
    assessment = latest_assessment(organization)
    if assessment is None:
        return None, None, ""
    report = score_assessment(assessment)
    return assessment, report.score, str(report.level2)


def closeout_assessment(organization) -> Assessment | None:
    """The assessment whose Conditional status runs the closeout clock: the one marked as the assessment
    POA&M, else the latest with a Conditional status date."""
    assessments = Assessment.objects.for_organization(organization).exclude(conditional_status_date=None)
    return assessments.filter(is_the_assessment_poam=True).first() or assessments.first()


def closeout_status(organization, as_of: date) -> dict | None:
    assessment = closeout_assessment(organization)
    if assessment is None:
        return None
    clock = closeout(assessment.conditional_status_date, as_of)
    items = PoamItem.objects.for_organization(organization).filter(kind=Kind.ASSESSMENT_POAM,
                                                                    status__in=WEEKLY_STATUSES)
    if not assessment.is_the_assessment_poam:
        items = items.filter(assessment=assessment)
    return {"assessment": str(assessment), "conditional_date": clock.conditional_date.isoformat(),
            "deadline": clock.deadline.isoformat(), "days_left": clock.days_left, "warning": clock.warning,
            "expired": clock.expired, "open_items": items.count()}


def build_agenda(organization, as_of: date) -> dict:
    previous = (ManagementReview.objects.for_organization(organization).filter(held_on__lt=as_of)
                .order_by("-held_on").first())
    since = previous.held_on if previous is not None else as_of - timedelta(days=FIRST_REVIEW_DAYS)
    items = PoamItem.objects.for_organization(organization)
    working = items.filter(status__in=WEEKLY_STATUSES)
    fields = ("identifier", "title", *OWNER)

    overdue = _items(working.filter(scheduled_completion__lt=as_of).order_by("scheduled_completion", "identifier")
                     .values(*fields, "scheduled_completion"), "scheduled_completion")
    milestones = Milestone.objects.for_organization(organization).filter(item__status__in=WEEKLY_STATUSES,
                                                                         done_on=None)
    milestone_fields = ("item__identifier", "description", "due", "original_due")

    def milestone_rows(queryset):
        return [{"identifier": m["item__identifier"], "description": m["description"],
                 "due": m["due"].isoformat() if m["due"] else None,
                 "original_due": m["original_due"].isoformat() if m["original_due"] else None}
                for m in queryset.values(*milestone_fields)]

    overdue_milestones = milestone_rows(milestones.filter(due__lt=as_of).order_by("due", "item__identifier"))
    slipped_milestones = milestone_rows(milestones.filter(due__gt=F("original_due"))
                                        .order_by("item__identifier", "position", "pk"))
    slipped_items = _items(working.filter(scheduled_completion__gt=F("original_scheduled_completion"))
                           .order_by("identifier").values(*fields, "scheduled_completion",
                                                          "original_scheduled_completion"),
                           "scheduled_completion", "original_scheduled_completion")
    latest = WeeklyUpdate.objects.filter(item=OuterRef("pk")).order_by("-week_of")
    blocked = _items(working.annotate(blocker=Subquery(latest.values("blocker")[:1]),
                                      blocker_week=Subquery(latest.values("week_of")[:1]))
                     .exclude(blocker__isnull=True).exclude(blocker="").order_by("identifier")
                     .values(*fields, "blocker", "blocker_week"), "blocker", "blocker_week")
    new = _items(items.filter(created_at__date__gt=since).order_by("identifier").values(*fields, "status"),
                 "status")
    closed = _items(items.filter(status=Status.CLOSED, completion_date__gt=since).order_by("identifier")
                    .values(*fields, "completion_date"), "completion_date")

    assessment, score, verdict = score_now(organization)
    month = month_of(as_of)
    snapshots = ScoreSnapshot.objects.for_organization(organization)
    before = snapshots.filter(month__lt=month).order_by("-month").first()
    change = (score - before.score if score is not None and before is not None and before.score is not None
              else None)
    return {
        "as_of": as_of.isoformat(),
        "month": month.isoformat(),
        "since": since.isoformat(),
        "previous_review": previous.held_on.isoformat() if previous is not None else None,
        "overdue_items": overdue,
        "overdue_milestones": overdue_milestones,
        "slipped_milestones": slipped_milestones,
        "slipped_items": slipped_items,
        "blocked_items": blocked,
        "new_items": new,
        "closed_items": closed,
        "not_updated_this_week": unupdated_items(organization, week_of(as_of)).count(),
        "score": {"assessment": str(assessment) if assessment else None, "current": score, "verdict": verdict,
                  "previous": before.score if before is not None else None,
                  "previous_month": before.month.isoformat() if before is not None else None,
                  "change": change,
                  # whether this month's score is kept already, so next month's agenda can compare with it
                  "kept": snapshots.filter(month=month).exists()},
        "closeout": closeout_status(organization, as_of),
    }


__all__ = ["build_agenda", "closeout_assessment", "closeout_status", "latest_assessment", "score_now"]
