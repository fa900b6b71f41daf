"""The figures the reports draw: burndown, milestone slips, the families grid, workload, what is due.

Pure functions over core records and plain dates (no Django), so that the web views, the PDF reports and the
tests compute them the same way. Each runs in O(n log n) or better: an organization of 10,000 items is drawn
in a blink.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import Enum

from .catalog import Catalog, load_catalog
from .checks.thresholds import STALE_DAYS
from .records import Determination, ItemStatus, PoamItem, RequirementResult, Severity
from .scoring import Level2, score

# --- burndown ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Span:
    """One item's life as the burndown sees it: when it joined the plan, when it was planned to close and
    when it closed (None: not yet)."""

    opened: date | None  # None: from before anything the chart shows
    planned_close: date | None  # None: no date planned, so planned to stay open
    closed: date | None


@dataclass(frozen=True, slots=True)
class BurndownPoint:
    on: date
    planned: int  # items the plan has still open on that day
    actual: int | None  # items open on that day; None for days after ``as_of``


def period_starts(as_of: date, period: str = "week", before: int = 12, after: int = 12) -> list[date]:
    """The first day of ``before`` periods back, the current one and ``after`` ahead (weeks start on Monday)."""
    if period == "week":
        current = as_of - timedelta(days=as_of.weekday())
        return [current + timedelta(weeks=n) for n in range(-before, after + 1)]
    if period == "month":
        starts = []
        for n in range(-before, after + 1):
            month = as_of.month - 1 + n
            starts.append(date(as_of.year + month // 12, month % 12 + 1, 1))
        return starts
    raise ValueError(f"period {period!r}: use 'week' or 'month'")


def burndown(spans: Iterable[Span], days: list[date], as_of: date) -> list[BurndownPoint]:
    """Open items per day in ``days``: as planned (by scheduled completion) and as they were (by completion).

    An item counts from the day it opened; one closed or planned to close before it opened (a data slip)
    counts as closing on the day it opened, so no count goes negative. The actual line ends at ``as_of``: the
    point of the period under way (the last day on or before ``as_of``) counts the items open on ``as_of``,
    so that it says what the register says today, whatever the day of the week or month.
    """
    opened, planned, closed = [], [], []
    for span in spans:
        start = span.opened or date.min
        opened.append(start)
        if span.planned_close is not None:
            planned.append(max(span.planned_close, start))
        if span.closed is not None:
            closed.append(max(span.closed, start))
    opened.sort()
    planned.sort()
    closed.sort()
    current = max((day for day in days if day <= as_of), default=None)
    points = []
    for day in days:
        present = bisect_right(opened, day)
        # "Open on day d" means not yet closed by the end of day d - 1: an item closed on d is gone on d.
        planned_open = present - bisect_right(planned, day)
        if day == current:
            actual = bisect_right(opened, as_of) - bisect_right(closed, as_of)
        else:
            actual = present - bisect_right(closed, day) if day <= as_of else None
        points.append(BurndownPoint(day, planned_open, actual))
    return points


# --- milestones -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MilestoneDates:
    due: date | None
    original_due: date | None  # as first planned
    done_on: date | None = None


@dataclass(frozen=True, slots=True)
class SlipRate:
    planned: int  # milestones that had a due date when they were planned
    slipped: int  # of those, the ones whose due date has moved (due != original_due)
    days_late: int  # the days the slipped ones moved later, added up

    @property
    def rate(self) -> float | None:
        return self.slipped / self.planned if self.planned else None

    @property
    def percent(self) -> str:
        return "n/a" if self.rate is None else f"{self.rate:.0%}"


def slip_rate(milestones: Iterable[MilestoneDates]) -> SlipRate:
    planned = slipped = days = 0
    for milestone in milestones:
        if milestone.original_due is None:
            continue
        planned += 1
        if milestone.due != milestone.original_due:
            slipped += 1
            if milestone.due is not None and milestone.due > milestone.original_due:
                days += (milestone.due - milestone.original_due).days
    return SlipRate(planned, slipped, days)


# --- the families grid ------------------------------------------------------------------------------------


class CellState(Enum):
    MET = "met"
    NOT_APPLICABLE = "not applicable"
    ON_POAM = "not met, on the POA&M"
    NOT_MET = "not met, no open item"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class FamilyRow:
    family: str  # "AC"
    name: str  # "Access Control"
    cells: tuple[tuple[str, CellState], ...]  # (requirement id, state) in catalog order

    def count(self, state: CellState) -> int:
        return sum(1 for _, s in self.cells if s is state)

    @property
    def met(self) -> int:
        return self.count(CellState.MET)

    @property
    def not_applicable(self) -> int:
        return self.count(CellState.NOT_APPLICABLE)

    @property
    def on_poam(self) -> int:
        return self.count(CellState.ON_POAM)

    @property
    def not_met(self) -> int:
        return self.count(CellState.NOT_MET)

    @property
    def total(self) -> int:
        return len(self.cells)


def family_grid(not_met: Iterable[str], not_applicable: Iterable[str], planned: Iterable[str],
                catalog: Catalog | None = None) -> list[FamilyRow]:
    """The 14 families, each requirement met, not applicable, or not met with or without an open item.

    ``not_met`` is the scoring's list (so unanswered requirements and R-SCORE-4's 3.12.2 count as they do in
    the score); ``planned`` the requirements an open item addresses.
    """
    catalog = catalog or load_catalog()
    not_met, not_applicable, planned = set(not_met), set(not_applicable), set(planned)
    rows: dict[str, list[tuple[str, CellState]]] = {family: [] for family in catalog.families}
    names = {}
    for requirement in catalog:
        names[requirement.family] = requirement.family_name
        if requirement.id in not_met:
            state = CellState.ON_POAM if requirement.id in planned else CellState.NOT_MET
        elif requirement.id in not_applicable:
            state = CellState.NOT_APPLICABLE
        else:
            state = CellState.MET
        rows[requirement.family].append((requirement.id, state))
    return [FamilyRow(family, names[family], tuple(cells)) for family, cells in rows.items()]


# --- open items -------------------------------------------------------------------------------------------

SEVERITY_ORDER = (Severity.CRITICAL, Severity.HIGH, Severity.MODERATE, Severity.LOW)
UNRATED = "unrated"
# ItemStatus.is_open by identity: a property call per item is dear at 10,000 items and several figures.
_CLOSED, _RISK_ACCEPTED = ItemStatus.CLOSED, ItemStatus.RISK_ACCEPTED


def open_items(items: Iterable[PoamItem]) -> list[PoamItem]:
    return [item for item in items if item.status is not _CLOSED and item.status is not _RISK_ACCEPTED]


def open_by_severity(items: Iterable[PoamItem]) -> list[tuple[str, int]]:
    """Open items per severity, worst first, then those with none; every severity listed, even at 0."""
    counts = Counter(item.severity for item in open_items(items))
    rows = [(severity.value, counts.get(severity, 0)) for severity in SEVERITY_ORDER]
    rows.append((UNRATED, counts.get(None, 0)))
    return rows


def is_overdue(scheduled_completion: date | None, as_of: date) -> bool:
    """An open item is overdue from the day after its scheduled completion (the register, the reports, the
    lint's overdue check and the portfolio all count it so)."""
    return scheduled_completion is not None and scheduled_completion < as_of


def stale_before(as_of: date) -> date:
    """An open item last updated before this day is stale: untouched for more than STALE_DAYS (the lint's
    stale-item check and the portfolio count it so)."""
    return as_of - timedelta(days=STALE_DAYS)


def overdue(items: Iterable[PoamItem], as_of: date) -> list[tuple[PoamItem, int]]:
    """Open items past their scheduled completion, with the days they are late, latest first."""
    late = [(item, (as_of - item.scheduled_completion).days) for item in open_items(items)
            if is_overdue(item.scheduled_completion, as_of)]
    late.sort(key=lambda pair: (-pair[1], pair[0].id or ""))
    return late


@dataclass(frozen=True, slots=True)
class OwnerLoad:
    owner: str
    open: int
    overdue: int
    due_soon: int  # completions and milestones falling due within the horizon (``due_within``'s entries)
    awaiting_verification: int


NO_OWNER = "(no primary owner)"


def workload(items: Iterable[PoamItem], as_of: date, horizon: int = 14) -> list[OwnerLoad]:
    """Open items per primary owner, most loaded first.

    What falls due is counted as ``due_within`` lists it (completions and milestones), so that the owners'
    column adds up to the "due in the next N days" figure beside it.
    """
    items = list(open_items(items))
    tallies: dict[str, list[int]] = {}
    for item in items:
        tally = tallies.setdefault(item.primary_owner or NO_OWNER, [0, 0, 0, 0])
        tally[0] += 1
        due = item.scheduled_completion
        if due is not None and due < as_of:
            tally[1] += 1
        if item.status is ItemStatus.READY_FOR_VERIFICATION:
            tally[3] += 1
    for entry in due_within(items, as_of, horizon):
        tallies[entry.owner][2] += 1
    loads = [OwnerLoad(owner, *tally) for owner, tally in tallies.items()]
    loads.sort(key=lambda load: (-load.open, -load.overdue, -load.due_soon, load.owner.casefold()))
    return loads


@dataclass(frozen=True, slots=True)
class DueEntry:
    on: date
    item: str  # the item's id
    title: str
    owner: str
    what: str  # "completion" or the milestone's description
    is_milestone: bool


def due_within(items: Iterable[PoamItem], as_of: date, days: int = 14) -> list[DueEntry]:
    """Scheduled completions and undone milestones of open items falling due from ``as_of`` to ``days`` later."""
    end = as_of + timedelta(days=days)
    entries = []
    for item in open_items(items):
        owner = item.primary_owner or NO_OWNER
        if item.scheduled_completion is not None and as_of <= item.scheduled_completion <= end:
            entries.append(DueEntry(item.scheduled_completion, item.id or "", item.title, owner,
                                    "scheduled completion", False))
        for milestone in item.milestones:
            if milestone.done_on is None and milestone.due is not None and as_of <= milestone.due <= end:
                entries.append(DueEntry(milestone.due, item.id or "", item.title, owner, milestone.description,
                                        True))
    entries.sort(key=lambda entry: (entry.on, entry.item, entry.is_milestone))
    return entries


# --- the score over time ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Change:
    """A determination recorded on a day (from the audit trail)."""

    on: date
    requirement: str
    determination: Determination
    partial: bool = False


@dataclass(frozen=True, slots=True)
class ScorePoint:
    on: date
    score: int | None  # None: no score (R-SCORE-3)
    level2: Level2
    label: str = ""


def score_timeline(changes: Iterable[Change], catalog: Catalog | None = None) -> list[ScorePoint]:
    """The score at the end of each day on which determinations were recorded, replaying them in order.

    Only what was recorded is known of the past: R-SCORE-4 (items as plans of action) is not applied, since
    the items of past days are not part of the record.
    """
    catalog = catalog or load_catalog()
    state: dict[str, RequirementResult] = {}
    points: list[ScorePoint] = []
    ordered = sorted(changes, key=lambda change: change.on)
    for index, change in enumerate(ordered):
        state[change.requirement] = RequirementResult(change.requirement, change.determination,
                                                      partial=change.partial)
        if index + 1 < len(ordered) and ordered[index + 1].on == change.on:
            continue
        report = score(state.values(), catalog)
        points.append(ScorePoint(change.on, report.score, report.level2))
    return points


def score_on(points: list[ScorePoint], day: date) -> ScorePoint | None:
    """The last point on or before ``day``."""
    found = None
    for point in points:
        if point.on <= day:
            found = point
    return found


def count_status(items: Iterable[PoamItem]) -> Mapping[ItemStatus, int]:
    counts = Counter(item.status for item in items)
    return {status: counts.get(status, 0) for status in ItemStatus}


@dataclass(frozen=True, slots=True)
class Budget:
    """What the fixes cost, in money and in people's hours: the open items' and every item's, and how many items
    carry a budget at all (a total over three budgeted items of forty says little)."""

    open_money: Decimal
    open_hours: Decimal
    all_money: Decimal
    all_hours: Decimal
    open_budgeted: int
    open_items: int

    @staticmethod
    def shown(value: Decimal) -> str:
        """12500 as "12,500", 12.5 as "12.5"."""
        whole = value == value.to_integral_value()
        return f"{value:,.0f}" if whole else f"{value:,.2f}".rstrip("0")


def budget(items: Iterable[PoamItem]) -> Budget:
    zero = Decimal(0)
    open_money = open_hours = all_money = all_hours = zero
    budgeted = count = 0
    for item in items:
        money, hours = item.budget_money or zero, item.budget_hours or zero
        all_money += money
        all_hours += hours
        if item.status.is_open:
            count += 1
            open_money += money
            open_hours += hours
            if item.budget_money is not None or item.budget_hours is not None:
                budgeted += 1
    return Budget(open_money, open_hours, all_money, all_hours, budgeted, count)
