"""Chart geometry for the SVG templates (``reports/charts/*.html``): scales, points and labels computed here,
drawn there. No JavaScript and no chart library: the same SVG shows in the browser, in the HTML download and in
the PDF (WeasyPrint draws inline SVG).

Every chart carries a title and a description in words (its text alternative, SVG <title>/<desc>) and the rows
of the table of its numbers, which the templates put next to it.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from datetime import date

from punchlist.core.metrics import BurndownPoint, CellState, FamilyRow, OwnerLoad, ScorePoint
from punchlist.core.scoring import CONDITIONAL_THRESHOLD, MIN_SCORE
from punchlist.web.words import day

_ids = itertools.count(1)

SEVERITY_COLORS = {"critical": "#7a0f0a", "high": "#b3261e", "moderate": "#b86e00", "low": "#0b5cad",
                   "unrated": "#6b7682"}
CELL_STYLE = {
    # state: (fill, text colour, the letter in the cell, so the grid reads without colour)
    CellState.MET: ("#1e6b34", "#ffffff", "M"),
    CellState.NOT_APPLICABLE: ("#c9d1d9", "#1b1f24", "–"),
    CellState.ON_POAM: ("#f2c14e", "#1b1f24", "P"),
    CellState.NOT_MET: ("#b3261e", "#ffffff", "N"),
}


def _id(prefix: str) -> str:
    return f"{prefix}-{next(_ids)}"


def _nice_step(span: float, ticks: int = 5) -> int:
    raw = max(span / ticks, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return int(factor * magnitude)
    return int(10 * magnitude)


@dataclass(slots=True)
class Tick:
    at: float  # x or y in the SVG
    label: str
    anchor: str = "middle"  # the first and last date labels are anchored inwards, so they are not cut off


@dataclass(slots=True)
class Series:
    name: str
    color: str
    dashed: bool
    points: list[tuple[float, float]]
    marks: list[tuple[float, float, str]] = field(default_factory=list)  # x, y, the value as text

    @property
    def path(self) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in self.points)


@dataclass(slots=True)
class LineChart:
    id: str
    title: str
    desc: str
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    series: list[Series]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    headers: list[str]
    rows: list[list[str]]
    guide: tuple[float, str] | None = None  # a horizontal line (y, label): the Conditional threshold
    today: float | None = None  # a vertical line at today's x
    empty: str = ""  # what to say instead of a chart when there is nothing to draw


@dataclass(slots=True)
class Bar:
    label: str
    value: int
    y: float
    width: float
    color: str


@dataclass(slots=True)
class BarChart:
    id: str
    title: str
    desc: str
    width: int
    height: int
    label_width: int
    bar_height: int
    bars: list[Bar]
    headers: list[str]
    rows: list[list[str]]
    empty: str = ""


@dataclass(slots=True)
class GridCell:
    x: float
    y: float
    requirement: str
    state: str
    fill: str
    ink: str
    letter: str
    cx: float  # the middle, for the letter


@dataclass(slots=True)
class GridChart:
    id: str
    title: str
    desc: str
    width: int
    height: int
    cell: int
    label_width: int
    rows: list[tuple[float, str, str]]  # y, family code, family name
    cells: list[GridCell]
    legend: list[tuple[float, str, str, str, str]]  # x, fill, ink, letter, label
    legend_y: float
    headers: list[str]
    table: list[list[str]]
    empty: str = ""


# --- line: the score over time ----------------------------------------------------------------------------------

def _x_scale(days: list[date], left: float, right: float):
    first, last = min(days), max(days)
    span = max((last - first).days, 1)
    if first == last:
        return lambda on: (left + right) / 2
    return lambda on: left + (right - left) * (on - first).days / span


def score_chart(history: dict[str, list[ScorePoint]], as_of: date) -> LineChart:
    width, height, left, right, top, bottom = 640, 260, 48, 620, 16, 220
    every = [p for p in history["all"] if p.score is not None]
    rows = [[day(p.on), "no score" if p.score is None else str(p.score), p.level2.value,
             p.label or "recorded change"] for p in history["all"]]
    headers = ["Date", "SPRS score", "Level 2", "Source"]
    chart_id = _id("score")
    if not every:
        return LineChart(chart_id, "SPRS score over time", "No score has been recorded yet.", width, height,
                         left, right, top, bottom, [], [], [], headers, rows,
                         empty="No score recorded yet: record a self-assessment to start the line.")
    low = min(min(p.score for p in every), 60)
    low = max(MIN_SCORE, int(math.floor(low / 10.0) * 10))
    high = 110
    step = _nice_step(high - low)
    y = lambda value: bottom - (bottom - top) * (value - low) / (high - low)  # noqa: E731
    days = [p.on for p in every] + [as_of]
    x = _x_scale(days, left, right)
    series = []
    for key, name, color, dashed in (("assessments", "Per assessment", "#0b5cad", False),
                                     ("recorded", "Recorded changes (latest assessment)", "#6b7682", True)):
        points = [p for p in history[key] if p.score is not None]
        if points:
            series.append(Series(name, color, dashed, [(x(p.on), y(p.score)) for p in points],
                                 [(x(p.on), y(p.score), str(p.score)) for p in points]))
    y_ticks = [Tick(y(v), str(v)) for v in range(high, low - 1, -step)]
    if y_ticks[-1].label != str(low):
        y_ticks.append(Tick(y(low), str(low)))
    x_ticks = _date_ticks(min(days), max(days), x)
    first, last = every[0], every[-1]
    desc = (f"SPRS score from {first.score} on {day(first.on)} to {last.score} on {day(last.on)}, "
            f"{len(every)} point(s); the Conditional Level 2 threshold is {CONDITIONAL_THRESHOLD}.")
    return LineChart(chart_id, "SPRS score over time", desc, width, height, left, right, top, bottom, series,
                     x_ticks, y_ticks, headers, rows,
                     guide=(y(CONDITIONAL_THRESHOLD), f"{CONDITIONAL_THRESHOLD}: Conditional"),
                     today=x(as_of))


def _date_ticks(first: date, last: date, x, count: int = 5) -> list[Tick]:
    if first == last:
        return [Tick(x(first), day(first))]
    span = (last - first).days
    days = sorted({first.toordinal() + round(span * n / (count - 1)) for n in range(count)})
    ticks = [Tick(x(date.fromordinal(d)), day(date.fromordinal(d))) for d in days]
    ticks[0].anchor, ticks[-1].anchor = "start", "end"
    return ticks


# --- line: the burndown -----------------------------------------------------------------------------------------

def burndown_chart(points: list[BurndownPoint], as_of: date, period: str = "week") -> LineChart:
    width, height, left, right, top, bottom = 640, 260, 48, 620, 16, 220
    headers = [f"{period.title()} starting", "Planned open", "Actually open"]
    rows = [[day(p.on), str(p.planned), "" if p.actual is None else str(p.actual)] for p in points]
    chart_id = _id("burndown")
    high = max([p.planned for p in points] + [p.actual or 0 for p in points] + [1])
    step = _nice_step(high)
    high = int(math.ceil(high / step) * step)
    y = lambda value: bottom - (bottom - top) * value / high  # noqa: E731
    x = _x_scale([p.on for p in points] + [as_of], left, right)
    planned = Series("Planned (by scheduled completion)", "#0b5cad", True,
                     [(x(p.on), y(p.planned)) for p in points])
    actual = Series("Actual (by completion date)", "#b3261e", False,
                    [(x(p.on), y(p.actual)) for p in points if p.actual is not None],
                    [(x(p.on), y(p.actual), str(p.actual)) for p in points if p.actual is not None][-1:])
    y_ticks = [Tick(y(v), str(v)) for v in range(high, -1, -step)]
    x_ticks = _date_ticks(points[0].on, points[-1].on, x)
    now = [p for p in points if p.actual is not None]
    current = now[-1] if now else None
    desc = (f"Open items per {period} from {day(points[0].on)} to {day(points[-1].on)}: "
            + (f"{current.actual} open in the {period} of {day(current.on)} against {current.planned} "
               "planned; " if current else "")
            + f"the plan reaches {points[-1].planned} by {day(points[-1].on)}.")
    return LineChart(chart_id, "Burndown of open items: planned against actual", desc, width, height, left, right,
                     top, bottom, [planned, actual], x_ticks, y_ticks, headers, rows, today=x(as_of))


# --- bars -------------------------------------------------------------------------------------------------------

def bar_chart(title: str, rows: list[tuple[str, int]], *, colors: dict[str, str] | None = None,
              headers: tuple[str, str] = ("", "Open items"), unit: str = "open items",
              table: list[list[str]] | None = None, table_headers: list[str] | None = None) -> BarChart:
    label_width, bar_height, gap, width = 170, 18, 8, 640
    high = max([value for _, value in rows] + [1])
    span = width - label_width - 60
    bars = [Bar(label, value, 8 + n * (bar_height + gap), span * value / high,
                (colors or {}).get(label, "#0b5cad")) for n, (label, value) in enumerate(rows)]
    height = 16 + len(rows) * (bar_height + gap)
    desc = "; ".join(f"{label}: {value}" for label, value in rows) + f" ({unit})." if rows else f"No {unit}."
    return BarChart(_id("bars"), title, desc, width, height, label_width, bar_height, bars,
                    table_headers or list(headers), table or [[label, str(value)] for label, value in rows],
                    empty="" if rows else f"No {unit}.")


def severity_chart(rows: list[tuple[str, int]]) -> BarChart:
    total = sum(value for _, value in rows)
    chart = bar_chart("Open items by severity", rows, colors=SEVERITY_COLORS, headers=("Severity", "Open items"))
    chart.desc = f"{total} open item(s): " + chart.desc
    if not total:
        chart.empty = "No open items."
    return chart


def owner_chart(loads: list[OwnerLoad], limit: int = 12) -> BarChart:
    shown = loads[:limit]
    rows = [(load.owner, load.open) for load in shown]
    rest = loads[limit:]
    if rest:
        rows.append((f"{len(rest)} others", sum(load.open for load in rest)))
    table = [[load.owner, str(load.open), str(load.overdue), str(load.due_soon), str(load.awaiting_verification)]
             for load in loads]
    return bar_chart("Open items by owner", rows, unit="open items",
                     table=table, table_headers=["Owner", "Open", "Overdue", "Due in 14 days",
                                                 "Ready for verification"])


# --- the families grid ------------------------------------------------------------------------------------------

def family_chart(rows: list[FamilyRow]) -> GridChart:
    cell, label_width = 22, 44
    chart_id = _id("families")
    headers = ["Family", "Name", "Met", "N/A", "Not met, on the POA&M", "Not met, no open item", "Requirements"]
    if not rows:
        return GridChart(chart_id, "The 14 families", "No assessment recorded yet.", 640, 40, cell, label_width,
                         [], [], [], 0, headers, [], empty="No assessment recorded yet.")
    widest = max(row.total for row in rows)
    grid_rows, cells, table = [], [], []
    for n, row in enumerate(rows):
        y = 4 + n * (cell + 3)
        grid_rows.append((y, row.family, row.name))
        for m, (requirement, state) in enumerate(row.cells):
            fill, ink, letter = CELL_STYLE[state]
            left = label_width + m * (cell + 3)
            cells.append(GridCell(left, y, requirement, state.value, fill, ink, letter, left + cell / 2))
        table.append([row.family, row.name, str(row.met), str(row.not_applicable), str(row.on_poam),
                      str(row.not_met), str(row.total)])
    legend_y = 4 + len(rows) * (cell + 3) + 10
    legend, x = [], label_width
    for state in (CellState.MET, CellState.NOT_APPLICABLE, CellState.ON_POAM, CellState.NOT_MET):
        fill, ink, letter = CELL_STYLE[state]
        legend.append((x, fill, ink, letter, state.value))
        x += 40 + 6.2 * len(state.value)
    width = max(label_width + widest * (cell + 3) + 8, int(x))
    totals = {label: sum(getattr(row, attr) for row in rows) for label, attr in (
        ("met", "met"), ("N/A", "not_applicable"), ("on the POA&M", "on_poam"), ("not met without an item", "not_met"))}
    desc = ("The 110 requirements by family: " + ", ".join(f"{value} {label}" for label, value in totals.items())
            + ". " + "; ".join(f"{row.family} {row.met + row.not_applicable}/{row.total} met or N/A"
                               for row in rows) + ".")
    return GridChart(chart_id, "The 14 families: met, not met, on the POA&M", desc, width, legend_y + 22, cell,
                     label_width, grid_rows, cells, legend, legend_y, headers, table)
