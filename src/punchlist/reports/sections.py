"""The figures of each view and report, as one object per view: the leadership, security and operations views,
the monthly management review pack and the Level 2 readiness report. Built from a ``data.Snapshot``; rendered by
the templates of ``reports/sections/``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from punchlist.core import metrics, records
from punchlist.core.metrics import ScorePoint
from punchlist.core.scoring import CONDITIONAL_THRESHOLD, Deduction, describe
from punchlist.web.words import day

from .data import (DUE_DAYS, LIST_LIMIT, MONTH, Headline, LintGroup, Listing, ReviewRecord, Snapshot, blocking,
                   burndown, due_soon, family_grid, headline, ineligible_items, lint_groups, listing, score_history, slip,
                   slipped_milestones)


@dataclass(slots=True)
class Leadership:
    headline: Headline
    history: dict[str, list[ScorePoint]]
    blocking: list[Deduction]
    path: object | None  # scoring.Path
    severity: list[tuple[str, int]]
    overdue: Listing  # of (item, days late)
    burndown: list[metrics.BurndownPoint]
    slip: metrics.SlipRate
    budget: metrics.Budget
    threshold: int = CONDITIONAL_THRESHOLD


@dataclass(slots=True)
class Security:
    headline: Headline
    families: list[metrics.FamilyRow]
    lint: list[LintGroup]
    findings: int
    ineligible: Listing  # of LintFinding
    blocking: list[Deduction]


@dataclass(slots=True)
class Operations:
    headline: Headline
    workload: list[metrics.OwnerLoad]
    due: Listing  # of DueEntry
    awaiting_verification: Listing  # of PoamItem
    budget: metrics.Budget
    horizon: int = DUE_DAYS


def leadership(snap: Snapshot, limit: int = LIST_LIMIT, period: str = "week") -> Leadership:
    report = snap.score_report
    return Leadership(
        headline=headline(snap), history=score_history(snap), blocking=blocking(snap),
        path=report.path if report else None, severity=metrics.open_by_severity(snap.open_items),
        overdue=listing(snap.overdue, limit), burndown=burndown(snap, period),
        slip=slip(snap), budget=metrics.budget(snap.items),
    )


def security(snap: Snapshot, limit: int = LIST_LIMIT) -> Security:
    return Security(headline=headline(snap), families=family_grid(snap), lint=lint_groups(snap),
                    findings=len(snap.lint_findings), ineligible=listing(ineligible_items(snap), limit),
                    blocking=blocking(snap))


def operations(snap: Snapshot, limit: int = LIST_LIMIT) -> Operations:
    waiting = sorted((i for i in snap.items if i.status is records.ItemStatus.READY_FOR_VERIFICATION),
                     key=lambda i: i.id or "")
    return Operations(headline=headline(snap), workload=metrics.workload(snap.open_items, snap.as_of, DUE_DAYS),
                      due=listing(due_soon(snap), limit),
                      awaiting_verification=listing(waiting, limit), budget=metrics.budget(snap.items))


@dataclass(slots=True)
class Review:
    """The monthly management review pack: where we stand, what changed this month, what needs deciding."""

    leadership: Leadership
    operations: Operations
    period_start: date
    period_end: date
    new: Listing  # items that joined the register in the period
    closed: Listing  # items completed in the period
    slipped: Listing  # (identifier, MilestoneDates) of open items
    decisions: list[str] = field(default_factory=list)
    last_review: ReviewRecord | None = None  # what the previous review decided, to follow up


def review(snap: Snapshot, limit: int = LIST_LIMIT) -> Review:
    end = snap.as_of
    start = end - timedelta(days=MONTH)
    new = sorted((i for i in snap.items
                  if (f := snap.facts.get(i.id)) is not None and f.created_on and start < f.created_on <= end),
                 key=lambda i: i.id or "")
    closed = sorted((i for i in snap.items if not i.status.is_open and i.completion_date
                     and start < i.completion_date <= end), key=lambda i: i.id or "")
    lead = leadership(snap, limit)
    ops = operations(snap, limit)
    return Review(lead, ops, start, end, listing(new, limit), listing(closed, limit),
                  listing(slipped_milestones(snap), limit), decisions=_decisions(lead, ops),
                  last_review=snap.last_review)


def _decisions(lead: Leadership, ops: Operations) -> list[str]:
    """What the meeting has to decide, in words, from the figures."""
    head = lead.headline
    points = []
    if lead.blocking:
        points.append(f"Fund and schedule the {len(lead.blocking)} requirement(s) that no POA&M may hold: "
                      + ", ".join(d.requirement.cmmc_id for d in lead.blocking[:8])
                      + (" ..." if len(lead.blocking) > 8 else ""))
    if head.countdown is not None:
        clock = head.countdown.clock
        if clock.expired:
            points.append(f"The closeout deadline {day(clock.deadline)} has passed: the Conditional status "
                          "has expired (R-CLOSE-1)")
        elif head.countdown.past_deadline:
            points.append(f"Bring forward {len(head.countdown.past_deadline)} item(s) scheduled after the closeout "
                          f"deadline {day(clock.deadline)}")
    if head.overdue:
        points.append(f"Re-plan or resource the {head.overdue} overdue item(s)")
    if lead.slip.slipped:
        points.append(f"Ask why {lead.slip.slipped} of {lead.slip.planned} milestones slipped ({lead.slip.percent})")
    if ops.awaiting_verification.total:
        points.append(f"Verify and approve the {ops.awaiting_verification.total} item(s) ready for verification")
    if ops.workload and head.open and ops.workload[0].open * 2 > head.open and len(ops.workload) > 1:
        points.append(f"Spread the load: {ops.workload[0].owner} owns {ops.workload[0].open} of {head.open} open "
                      "items")
    return points


@dataclass(slots=True)
class Readiness:
    """Where the organization stands for its Level 2 assessment, requirement by requirement."""

    security: Security
    leadership: Leadership
    deductions: list[str]  # every NOT MET requirement in words (scoring.describe)
    closed_without_evidence: int
    statuses: list[tuple[str, int]]  # items per status, every status listed


def readiness(snap: Snapshot, limit: int = LIST_LIMIT) -> Readiness:
    report = snap.score_report
    sec = security(snap, limit)
    counts = metrics.count_status(snap.items)
    return Readiness(
        security=sec, leadership=leadership(snap, limit),
        deductions=[describe(d) for d in report.not_met] if report else [],
        closed_without_evidence=next((g.count for g in sec.lint if g.check == "closed-without-evidence"), 0),
        statuses=[(status.value, count) for status, count in counts.items()],
    )

