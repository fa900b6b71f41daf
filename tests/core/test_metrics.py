"""The report figures over plain records: burndown, slips, the families grid, workload and what is due."""

from datetime import date, timedelta

import pytest

from punchlist.core import metrics
from punchlist.core.catalog import load_catalog
from punchlist.core.metrics import CellState, Change, MilestoneDates, Span
from punchlist.core.records import Determination, ItemStatus, Milestone, PoamItem, Severity
from punchlist.core.scoring import Level2, score

AS_OF = date(2026, 11, 23)  # a Monday


def item(n, *, status=ItemStatus.OPEN, severity=Severity.HIGH, due=None, owner="Marcus Lee", milestones=()):
    return PoamItem(id=f"POAM-AC-{n:03}", requirements=["3.1.1"], title=f"Item {n}", severity=severity,
                    status=status, scheduled_completion=due, primary_owner=owner, milestones=list(milestones))


# --- burndown ---------------------------------------------------------------------------------------------

def test_period_starts_weeks_begin_on_monday_and_months_on_the_first():
    weeks = metrics.period_starts(date(2026, 11, 26), "week", before=1, after=1)
    assert weeks == [date(2026, 11, 16), date(2026, 11, 23), date(2026, 11, 30)]
    months = metrics.period_starts(date(2026, 11, 26), "month", before=11, after=2)
    assert months[0] == date(2025, 12, 1) and months[11] == date(2026, 11, 1) and months[-1] == date(2027, 1, 1)
    with pytest.raises(ValueError):
        metrics.period_starts(AS_OF, "fortnight")


def test_burndown_counts_planned_and_actual_open_items_per_day():
    d = lambda n: AS_OF + timedelta(days=n)  # noqa: E731
    spans = [
        Span(opened=d(-30), planned_close=d(-10), closed=d(-5)),  # closed late
        Span(opened=d(-30), planned_close=d(10), closed=None),  # open, planned ahead
        Span(opened=d(-3), planned_close=None, closed=None),  # new, no date: planned to stay open
        Span(opened=None, planned_close=d(-20), closed=d(-20)),  # from before the chart, closed on time
    ]
    days = [d(-30), d(-20), d(-10), d(-5), d(0), d(10)]
    points = metrics.burndown(spans, days, as_of=AS_OF)
    assert [(p.planned, p.actual) for p in points] == [
        (3, 3),  # the first, second and fourth are open; the third is not yet opened
        (2, 2),  # the fourth closed on time
        (1, 2),  # the first was planned to close but has not
        (1, 1),  # now it has
        (2, 2),  # the third opened, with no date: the plan keeps it open
        (1, None),  # the second is planned to close by then; the future has no actual
    ]


def test_burndown_never_goes_negative_on_dates_out_of_order():
    spans = [Span(opened=AS_OF, planned_close=AS_OF - timedelta(days=9), closed=AS_OF - timedelta(days=9))]
    points = metrics.burndown(spans, [AS_OF - timedelta(days=10), AS_OF, AS_OF + timedelta(days=1)], AS_OF)
    assert [(p.planned, p.actual) for p in points] == [(0, 0), (0, 0), (0, None)]


def test_the_current_periods_actual_point_counts_what_is_open_today_on_any_weekday():
    """Weekly points start on Monday; on a Thursday the point of this week says what is open on Thursday (an
    item opened on Tuesday and one closed on Wednesday are counted as they stand today, as the register does)."""
    monday = date(2026, 11, 23)
    thursday = monday + timedelta(days=3)
    spans = [Span(opened=monday - timedelta(days=20), planned_close=None, closed=None),
             Span(opened=monday + timedelta(days=1), planned_close=None, closed=None),
             Span(opened=monday + timedelta(days=1), planned_close=None, closed=None),
             Span(opened=monday - timedelta(days=20), planned_close=None, closed=monday + timedelta(days=2))]
    days = metrics.period_starts(thursday, "week", before=1, after=1)
    points = metrics.burndown(spans, days, as_of=thursday)
    assert [(p.on, p.actual) for p in points] == [(monday - timedelta(weeks=1), 2), (monday, 3),
                                                   (monday + timedelta(weeks=1), None)]
    assert points[1].planned == 2  # the plan is still read at the period's start


# --- milestones -------------------------------------------------------------------------------------------

def test_slip_rate_counts_milestones_whose_due_date_moved():
    rate = metrics.slip_rate([
        MilestoneDates(due=date(2026, 3, 1), original_due=date(2026, 3, 1)),
        MilestoneDates(due=date(2026, 4, 1), original_due=date(2026, 3, 1)),  # 31 days later
        MilestoneDates(due=date(2026, 2, 20), original_due=date(2026, 3, 1)),  # moved earlier: changed all the same
        MilestoneDates(due=None, original_due=None),  # never dated: not in the rate
    ])
    assert (rate.planned, rate.slipped, rate.days_late) == (3, 2, 31)
    assert rate.rate == pytest.approx(2 / 3) and rate.percent == "67%"
    empty = metrics.slip_rate([])
    assert empty.rate is None and empty.percent == "n/a"


# --- the families grid ------------------------------------------------------------------------------------

def test_family_grid_has_the_14_families_and_every_requirement_once():
    catalog = load_catalog()
    grid = metrics.family_grid(not_met=["3.1.1", "3.1.2", "3.13.11"], not_applicable=["3.1.16"],
                               planned=["3.1.1", "3.5.3"])
    assert len(grid) == 14 and sum(row.total for row in grid) == len(catalog) == 110
    access = grid[0]
    assert (access.family, access.name) == ("AC", "Access Control")
    states = dict(access.cells)
    assert states["3.1.1"] is CellState.ON_POAM
    assert states["3.1.2"] is CellState.NOT_MET
    assert states["3.1.16"] is CellState.NOT_APPLICABLE
    assert (access.met, access.not_applicable, access.on_poam, access.not_met) == (access.total - 3, 1, 1, 1)
    sc = next(row for row in grid if row.family == "SC")
    assert sc.not_met == 1 and sc.on_poam == 0
    ia = next(row for row in grid if row.family == "IA")
    assert ia.met == ia.total  # planned but MET: an item does not make a requirement NOT MET


def test_family_grid_agrees_with_the_score():
    results = [r for r in score([]).not_met]  # nothing answered: everything NOT MET
    grid = metrics.family_grid([d.requirement.id for d in results], [], [])
    assert sum(row.not_met for row in grid) == 110


# --- open items -------------------------------------------------------------------------------------------

def test_open_by_severity_lists_every_severity_worst_first():
    items = [item(1, severity=Severity.CRITICAL), item(2, severity=Severity.LOW), item(3, severity=None),
             item(4, severity=Severity.LOW), item(5, severity=Severity.HIGH, status=ItemStatus.CLOSED)]
    assert metrics.open_by_severity(items) == [("critical", 1), ("high", 0), ("moderate", 0), ("low", 2),
                                               ("unrated", 1)]


def test_overdue_are_open_items_past_their_date_latest_first():
    items = [item(1, due=AS_OF - timedelta(days=3)), item(2, due=AS_OF - timedelta(days=40)),
             item(3, due=AS_OF), item(4, due=AS_OF - timedelta(days=9), status=ItemStatus.CLOSED),
             item(5, due=None)]
    assert [(i.id, days) for i, days in metrics.overdue(items, AS_OF)] == [("POAM-AC-002", 40), ("POAM-AC-001", 3)]


def test_workload_per_owner_most_loaded_first():
    items = [
        item(1, owner="Olive Lee", due=AS_OF - timedelta(days=1)),
        item(2, owner="Olive Lee", due=AS_OF + timedelta(days=14), status=ItemStatus.READY_FOR_VERIFICATION),
        item(3, owner="Olive Lee", due=AS_OF + timedelta(days=15)),
        item(4, owner="Marcus Lee", due=AS_OF + timedelta(days=2)),
        item(5, owner="Marcus Lee", status=ItemStatus.CLOSED),
        item(6, owner=""),
    ]
    loads = metrics.workload(items, AS_OF)
    assert [(x.owner, x.open, x.overdue, x.due_soon, x.awaiting_verification) for x in loads] == [
        ("Olive Lee", 3, 1, 1, 1), ("Marcus Lee", 1, 0, 1, 0), (metrics.NO_OWNER, 1, 0, 0, 0)]


def test_the_owners_due_column_adds_up_to_what_falls_due():
    """Completions and undone milestones are counted alike, per owner, as due_within lists them."""
    items = [item(1, owner="Olive Lee", due=AS_OF + timedelta(days=30),
                  milestones=[Milestone("Draft the GPO", AS_OF + timedelta(days=3)),
                              Milestone("Pilot", AS_OF + timedelta(days=5))]),
             item(2, owner="Marcus Lee", due=AS_OF + timedelta(days=4))]
    loads = {load.owner: load.due_soon for load in metrics.workload(items, AS_OF, 14)}
    assert loads == {"Olive Lee": 2, "Marcus Lee": 1}
    assert sum(loads.values()) == len(metrics.due_within(items, AS_OF, 14)) == 3


def test_due_within_lists_completions_and_undone_milestones_in_date_order():
    items = [
        item(1, due=AS_OF + timedelta(days=14), milestones=[
            Milestone("Draft the GPO", AS_OF + timedelta(days=2)),
            Milestone("Pilot", AS_OF + timedelta(days=1), done_on=AS_OF),  # done: not due
            Milestone("Roll out", AS_OF + timedelta(days=20)),  # beyond the horizon
        ]),
        item(2, due=AS_OF - timedelta(days=1)),  # overdue, not "due"
        item(3, due=AS_OF + timedelta(days=5), status=ItemStatus.CLOSED),
        item(4, due=AS_OF),
    ]
    entries = metrics.due_within(items, AS_OF, days=14)
    assert [(e.item, e.what, (e.on - AS_OF).days) for e in entries] == [
        ("POAM-AC-004", "scheduled completion", 0),
        ("POAM-AC-001", "Draft the GPO", 2),
        ("POAM-AC-001", "scheduled completion", 14),
    ]


# --- the score over time ----------------------------------------------------------------------------------

def test_score_timeline_replays_recorded_determinations_day_by_day():
    catalog = load_catalog()
    day1, day2 = date(2026, 1, 5), date(2026, 2, 9)
    changes = [Change(day1, r.id, Determination.MET) for r in catalog]
    changes += [Change(day2, "3.1.1", Determination.NOT_MET), Change(day2, "3.5.3", Determination.NOT_MET, True)]
    points = metrics.score_timeline(list(reversed(changes)))
    assert [(p.on, p.score, p.level2) for p in points] == [
        (day1, 110, Level2.FINAL), (day2, 110 - 5 - 3, Level2.NOT_ELIGIBLE)]
    assert metrics.score_on(points, date(2026, 1, 31)).score == 110
    assert metrics.score_on(points, date(2025, 12, 31)) is None


def test_score_timeline_with_the_ssp_not_met_has_no_score():
    catalog = load_catalog()
    day = date(2026, 1, 5)
    changes = [Change(day, r.id, Determination.NOT_MET if r.id == "3.12.4" else Determination.MET)
               for r in catalog]
    (point,) = metrics.score_timeline(changes)
    assert point.score is None and point.level2 is Level2.NO_SCORE


def test_count_status_lists_every_status():
    counts = metrics.count_status([item(1), item(2, status=ItemStatus.CLOSED)])
    assert counts[ItemStatus.OPEN] == 1 and counts[ItemStatus.CLOSED] == 1 and counts[ItemStatus.DRAFT] == 0
