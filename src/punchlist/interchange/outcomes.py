"""Honest outcomes of reading a POA&M: a file that yields no item says where items might be, and a
self-assessment given where a POA&M is expected is named as one."""

from __future__ import annotations

from punchlist.errors import InputError

from .columns import POAM, Layout, find_layout
from .poam import _fits, _is_guidance
from .sources import Book, Sheet
from .values import item_status

# --- a file that holds no items, or is no POA&M ---------------------------------------------------------

# Fields only a POA&M has: a sheet with two of them is a POA&M, whatever else it has.
_POAM_ONLY = ("remediation", "milestones", "scheduled_completion", "primary_owner", "weakness", "id")


def is_poam_layout(layout: Layout | None) -> bool:
    return layout is not None and sum(1 for name in _POAM_ONLY if name in layout.columns) >= 2


def not_a_poam(book: Book, only: Sheet | None = None) -> InputError | None:
    """The error for a self-assessment given where a POA&M is expected, or None where it is not one: a
    requirement column and a status column whose values are MET / NOT MET / N/A (or their synonyms)."""
    from .columns import ASSESSMENT
    from .values import determination

    for sheet in [only] if only is not None else book.sheets():
        layout = find_layout(sheet.head(), ASSESSMENT)
        if layout is None or "status" not in layout.columns:
            continue
        place = layout.columns["status"][0]
        values = [row[place] for row in sheet.top(layout.header_index + 51)[layout.header_index + 1:]
                  if place < len(row) and row[place] not in ("", None)]
        if values and all(_fits(determination)(value) for value in values) and not all(
                _fits(item_status)(value) for value in values):
            status = layout.header(layout.columns["status"][0])
            return InputError(
                f"this is a self-assessment (a requirement column and a MET / NOT MET column, {status!r}, in "
                f"row {sheet.first_row + layout.header_index}), not a POA&M: score it with `punchlist score`, or "
                "import it with `punchlist import --assessment`", file=sheet.label)
    return None


def nothing_read(book: Book, read: list[Sheet], layout: Layout) -> InputError:
    """The error for a file that yields no item, saying where items might be: another sheet, another header
    row, or nothing but a template's guidance and placeholder rows."""
    hints = []
    sheet = read[0]
    rows = sheet.rows()
    below = rows[layout.header_index + 1:]
    filled = [sheet.first_row + layout.header_index + 1 + i for i, row in enumerate(below)
              if any(cell not in ("", None) for cell in row)]
    if filled:
        guidance = [n for n, row in zip(range(sheet.first_row + layout.header_index + 1, 10**9), below)
                    if any(cell not in ("", None) for cell in row) and _is_guidance(row, layout.columns)]
        if guidance:
            hints.append(f"row(s) {_rows(guidance)} hold only the template's guidance, example or placeholders "
                         "(not items)")
        others = [n for n in filled if n not in guidance]
        if others:
            hints.append(f"row(s) {_rows(others)} have text only in columns that are not read: is the header row "
                         "another one? Say which row holds the headers (--header-row N)")
    names = {part.name for part in read}
    for name in book.names:
        if name in names:
            continue
        other = book.sheet(name)
        found = find_layout(other.head(), POAM)
        if found is None:
            continue
        count = sum(1 for row in other.rows()[found.header_index + 1:]
                    if any(row[p] not in ("", None) for p in found.columns.get("requirements", []))
                    and not _is_guidance(row, found.columns))
        if count:
            hints.append(f"the sheet {name!r} has {count} row(s) with a requirement under its header row (row "
                         f"{other.first_row + found.header_index}): read that sheet (--sheet \"{name}\")")
    where = f"the sheet {sheet.name!r}" if sheet.label.endswith("]") else "the file"
    message = f"no items: {where} has no row with a requirement under its header row (row " \
              f"{sheet.first_row + layout.header_index})"
    if hints:
        message += "; " + "; ".join(hints)
    return InputError(message, file=book.label)


def _rows(numbers: list[int]) -> str:
    from punchlist.errors import rows_text

    return rows_text(numbers)
