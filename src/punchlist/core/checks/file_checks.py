"""Findings about the POA&M as a whole: how ownership and dates are spread, and columns the file lacks.

The per-item pass (``linter._check_item``) fills a ``FileTally``; ``file_findings`` reads it once at the end.
"""

from __future__ import annotations

from datetime import date

from . import messages
from .findings import LintFinding, new_finding
from .thresholds import (
    CONCENTRATION_MIN_ITEMS,
    CONCENTRATION_SHARE,
    MILESTONE_SPAN_DAYS,
    UNIFORM_MIN_ITEMS,
    UNIFORM_SHARE,
)


class FileTally:
    """Counts gathered during the pass over the items."""

    __slots__ = (
        "fields", "ids", "owners", "owner_names", "owned_open", "dates", "dated_open",
        "long_without_milestone_column", "closed_without_evidence_column",
    )

    def __init__(self, fields: frozenset[str]):
        self.fields = fields
        self.ids: dict[str, int | None] = {}  # item id -> row of the first item with it
        self.owners: dict[str, int] = {}  # named owner -> open items they are primary owner of
        self.owner_names: dict[str, str] = {}  # named owner -> the owner as first written
        self.owned_open = 0  # open items with any primary owner, named or not
        self.dates: dict[date, int] = {}  # scheduled completion -> open items due then
        self.dated_open = 0
        self.long_without_milestone_column = 0  # open items needing milestones in a file with no such column
        self.closed_without_evidence_column = 0  # closed items in a file with no evidence column


def file_findings(tally: FileTally) -> list[LintFinding]:
    found = []

    def add(check: str, message: str) -> None:
        found.append(new_finding(check, None, None, message))

    for attribute in messages.REQUIRED_FIELDS:
        if attribute not in tally.fields:
            add("missing-field", messages.missing_column(attribute))
    if tally.long_without_milestone_column:
        add(
            "missing-milestones",
            f"The file has no milestones column, and {tally.long_without_milestone_column} open item(s) are planned "
            f"over more than {MILESTONE_SPAN_DAYS} days. Such plans need interim milestones with dates (R-CONT-3, "
            "R-CONT-4). Good: a milestones column with dated steps for each item.",
        )
    if tally.closed_without_evidence_column:
        add(
            "closed-without-evidence",
            f"The file has no evidence column, and {tally.closed_without_evidence_column} item(s) are closed. "
            "Closure is verified by a separate reviewer (R-CONT-3) and the artefacts are kept six years (R-AFF-3). "
            "Good: an evidence column saying what shows each fix and where it lives.",
        )
    if tally.owned_open >= CONCENTRATION_MIN_ITEMS and tally.owners:
        owner, count = max(tally.owners.items(), key=lambda pair: pair[1])
        if count >= CONCENTRATION_SHARE * tally.owned_open:
            add(
                "owner-concentration",
                f"{messages.quote(tally.owner_names[owner], 40)} is primary owner of {count} of {tally.owned_open} "
                f"open items ({count / tally.owned_open:.0%}). When one person holds {CONCENTRATION_SHARE:.0%} or "
                f"more of {CONCENTRATION_MIN_ITEMS} or more open items, the dates are unlikely to hold and an "
                "assessor will ask who does the work (R-CONT-3: who is responsible for each step). Good: each item "
                "owned by the person who runs that system, with supporting owners for the steps.",
            )
    if tally.dated_open >= UNIFORM_MIN_ITEMS:
        day, count = max(tally.dates.items(), key=lambda pair: pair[1])
        if count >= UNIFORM_SHARE * tally.dated_open:
            add(
                "uniform-dates",
                f"{count} of {tally.dated_open} dated open items ({count / tally.dated_open:.0%}) are due on {day}. "
                "One date for (nearly) everything says the dates were not planned item by item (R-CONT-3: "
                "completion dates per item). Good: a date per item worked back from its milestones and effort; the "
                "closeout deadline (R-CLOSE-1) is a limit, not a plan.",
            )
    return found
