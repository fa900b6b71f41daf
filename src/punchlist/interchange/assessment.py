"""Reading a self-assessment spreadsheet: a status per requirement, or per assessment objective.

Rows per objective ("3.1.1[a]", "3.1.1[b]") are combined into the requirement's determination the way an
assessor combines them (R-FIND-1, R-FIND-2): NOT MET if any objective is NOT MET, N/A only if all are N/A,
MET otherwise.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from punchlist.core.catalog import Requirement, load_catalog
from punchlist.core.records import Determination, RequirementResult
from punchlist.errors import InputError, InputErrors

from .columns import ASSESSMENT, Layout, find_layout, settle_columns
from .report import sheet_columns, shown_name as _shown_name
from .sources import Book, Sheet, open_book
from .values import CellError, determination, key, partial_flag, plan_flag, requirement_list, text

_EDGES = " :;,.-\u2013\u2014"
# Columns only a POA&M has: two of them make a sheet a POA&M, not a self-assessment.
_POAM_ONLY = ("remediation", "milestones", "scheduled_completion", "primary_owner", "completion_date")


@dataclass(slots=True)
class _Answer:
    """One row's say about one requirement."""

    determination: Determination | None  # None: the row leaves it unanswered
    partial: bool
    has_plan: bool | None
    implementation: str
    row: int


def read_assessment(path: str | os.PathLike, columns: list[dict] | None = None) -> list[RequirementResult]:
    """One result per requirement the file answers, in catalog order; InputError(s) naming file, row, column.

    A requirement the file does not mention, or mentions with no status at all, is left out: the scoring
    counts it NOT MET and says that it was unanswered. Status words are in ``values.DETERMINATION_WORDS``.
    ``columns``, where given, gets which column each field was read from and the columns left unread.
    """
    book = open_book(path)
    sheet, layout = _find_sheet(book)
    rows = sheet.rows()
    settle_columns(layout, rows, {"requirement": lambda cell: any(ch.isdigit() for ch in text(cell))})
    if columns is not None:
        columns.append(sheet_columns(_shown_name(sheet), sheet.first_row + layout.header_index, rows[layout.header_index],
                                     layout, rows[layout.header_index + 1:]))
    answers, errors = _answers(sheet, layout, rows)
    results = []
    for requirement, given in answers.items():
        result = _combine(requirement, given, sheet, layout, errors)
        if result is not None:
            results.append((requirement.order, result))
    if errors:
        errors.sort(key=lambda e: e.row or 0)
        raise errors[0] if len(errors) == 1 else InputErrors(errors)
    return [result for _, result in sorted(results, key=lambda pair: pair[0])]


def _find_sheet(book: Book) -> tuple[Sheet, Layout]:
    """The first sheet with requirement and status columns; else say which column is missing."""
    from .columns import POAM
    
    for sheet in book.sheets():  # a POA&M given where a self-assessment is expected: say so, once
        head = sheet.head()
        poam_layout = find_layout(head, POAM)
        if poam_layout is None:
            continue
        own = {key(h) for names in ASSESSMENT.columns.values() for h in names}
        telling = [poam_layout.header(places[0]) for name, places in poam_layout.columns.items()
                   if name in _POAM_ONLY and key(poam_layout.header(places[0])) not in own]
        if len(telling) >= 2:
            raise InputError(
                f"this is a POA&M (its header row, row {sheet.first_row + poam_layout.header_index}, has "
                f"{', '.join(repr(h) for h in telling[:3])}), not a self-assessment: check it with `punchlist "
                "lint`, or import it with `punchlist import` (without --assessment)", file=sheet.label)
    without_status = None
    for by_words in (False, True):  # requirement columns of known names first, in every sheet
        for sheet in book.sheets():
            layout = find_layout(sheet.head(), ASSESSMENT, passes=(by_words,))
            if layout is None:
                continue
            if "status" in layout.columns:
                return sheet, layout
            without_status = without_status or (sheet, layout)
    if without_status is None:
        raise book.no_header_error("requirement", ASSESSMENT.accepted("requirement"))
    sheet, layout = without_status
    raise InputError(
        f"no status column beside the requirement column (header row {sheet.first_row + layout.header_index}); "
        f"looked for a column named one of: {ASSESSMENT.accepted('status')}",
        file=sheet.label, column="status")


def _answers(sheet: Sheet, layout: Layout, rows: list[list]):
    catalog = load_catalog()
    columns = layout.columns
    requirement_at = columns["requirement"][0]
    status_at = columns["status"][0]
    partial_at = columns.get("partial", [None])[0]
    plan_at = columns.get("has_plan", [None])[0]
    implementation_at = columns.get("implementation", [None])[0]
    resolved: dict[str, list[Requirement] | None] = {}
    answers: dict[Requirement, list[_Answer]] = {}
    errors: list[InputError] = []
    for index in range(layout.header_index + 1, len(rows)):
        row = rows[index]
        number = sheet.first_row + index
        written = text(row[requirement_at])
        status_cell = row[status_at]
        if not written and status_cell == "":
            continue  # a blank row, or one that only carries notes
        requirements = resolved.get(written, False)
        if requirements is False:
            requirements = resolved[written] = _resolve(catalog, written)
        if not requirements:
            if status_cell == "" or not written:
                if status_cell != "":
                    errors.append(InputError("this row has a status but no requirement id", file=sheet.label,
                                             row=number, column=layout.header(requirement_at)))
                continue  # a family heading or a note: no requirement and no status
            errors.append(InputError(
                f"{written!r} is not a NIST SP 800-171 Rev 2 requirement; write its id as 3.1.1 or AC.L2-3.1.1 "
                f"(an objective as 3.1.1[a])", file=sheet.label, row=number, column=layout.header(requirement_at)))
            continue
        try:
            found = determination(status_cell)
        except CellError as error:
            errors.append(InputError(str(error), file=sheet.label, row=number, column=layout.header(status_at)))
            continue
        answer = _Answer(
            determination=found,
            partial=partial_flag(row[partial_at]) if partial_at is not None else False,
            has_plan=plan_flag(row[plan_at]) if plan_at is not None else None,
            implementation=text(row[implementation_at]) if implementation_at is not None else "",
            row=number,
        )
        for requirement in requirements:
            answers.setdefault(requirement, []).append(answer)
    return answers, errors


def _resolve(catalog, written: str) -> list[Requirement] | None:
    """The requirements a cell names: "3.1.1", "AC.L2-3.1.1[a]", "3.1.1, 3.1.2", "3.1.1 Limit system access"."""
    if not written:
        return None
    requirement = catalog.find(written)
    if requirement is not None:
        return [requirement]
    parts = [catalog.find(part) for part in requirement_list(written)]
    if parts and all(parts):
        return list(dict.fromkeys(parts))
    leading = catalog.find(written.split(None, 1)[0].strip(_EDGES))  # an id followed by its title
    return [leading] if leading is not None else None


def _combine(requirement: Requirement, given: list[_Answer], sheet: Sheet, layout: Layout,
             errors: list[InputError]) -> RequirementResult | None:
    """One requirement's rows as one determination (R-FIND-1: one unsatisfied objective makes it NOT MET)."""
    answered = [a for a in given if a.determination is not None]
    if not answered:
        return None  # unanswered: the scoring counts it NOT MET and says so
    if len(answered) < len(given):
        status = layout.header(layout.columns["status"][0])
        for blank in given:
            if blank.determination is None:
                errors.append(InputError(
                    f"no status for {requirement.id} here, while row {answered[0].row} gives it one; "
                    f"say MET, NOT MET or N/A for every row of a requirement", file=sheet.label, row=blank.row,
                    column=status))
        return None
    found = {a.determination for a in answered}
    if Determination.NOT_MET in found:
        outcome = Determination.NOT_MET
    elif found == {Determination.NOT_APPLICABLE}:
        outcome = Determination.NOT_APPLICABLE  # R-FIND-2: N/A only if every row is N/A
    else:
        outcome = Determination.MET
    deciding = [a for a in answered if a.determination is outcome]
    plans = {a.has_plan for a in deciding}
    # R-SCORE-4: a NOT MET requirement has a plan only if every NOT MET part of it has one.
    has_plan = False if False in plans else True if True in plans else None
    statements = dict.fromkeys(a.implementation for a in given if a.implementation)
    return RequirementResult(
        requirement=requirement.id,
        determination=outcome,
        partial=any(a.partial for a in deciding),
        has_plan=has_plan,
        implementation="\n".join(statements),
        row=given[0].row,
    )
