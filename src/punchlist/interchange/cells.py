"""User text into spreadsheet cells without it ever becoming a formula (CSV/formula injection).

CSV: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with a single
quote, as OWASP recommends; ``unescape_csv_text`` undoes it exactly, so a reader gets back what was written.
XLSX: text is always written as a string cell (openpyxl would otherwise turn ``=...`` into a formula and
``#N/A`` into an error), with Excel's quote prefix so that editing the cell keeps it text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES

from punchlist.core.records import Milestone

CSV_TRIGGERS = frozenset("=+-@\t\r")
XLSX_MAX_TEXT = 32767  # Excel's limit on the characters of one cell
TRUNCATION_NOTE = " [... cut at Excel's 32,767-character cell limit]"
# XML 1.0 forbids these control characters; openpyxl refuses them, Excel would call the file corrupt.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_ERROR_CODES = frozenset(ERROR_CODES)


def _needs_csv_escape(text: str) -> bool:
    first = text[:1]
    if first in CSV_TRIGGERS:
        return True
    # A leading quote before a trigger is escaped too, so that unescaping is exact.
    return first == "'" and text.lstrip("'")[:1] in CSV_TRIGGERS


def escape_csv_text(text: str) -> str:
    """``=1+1`` becomes ``'=1+1``: a spreadsheet shows the text and runs nothing."""
    if text and _needs_csv_escape(text):
        return "'" + text
    return text


def unescape_csv_text(text: str) -> str:
    """The inverse of ``escape_csv_text``: for readers of Punchlist's own CSV files."""
    if text.startswith("'") and len(text) > 1 and _needs_csv_escape(text[1:]):
        return text[1:]
    return text


def clean_xlsx_text(text: str) -> str:
    """Text an XLSX cell can hold: illegal control characters shown as U+FFFD, cut at Excel's limit."""
    if _ILLEGAL.search(text):
        text = _ILLEGAL.sub("\ufffd", text)
    if len(text) > XLSX_MAX_TEXT:
        text = text[: XLSX_MAX_TEXT - len(TRUNCATION_NOTE)] + TRUNCATION_NOTE
    return text


def is_formula_like(text: str) -> bool:
    """Text that a spreadsheet program could take for a formula or an error value if typed in."""
    return text[:1] in CSV_TRIGGERS or text in _ERROR_CODES


def string_cell(worksheet, text: str) -> WriteOnlyCell:
    """A write-only cell that is a string whatever its text: never a formula, never an error value."""
    cell = WriteOnlyCell(worksheet, text)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def xlsx_row(worksheet, values: Iterable) -> list:
    """Values ready for ``append``: text cleaned, and formula-like text pinned as string cells."""
    row = []
    for value in values:
        if value.__class__ is str:
            if _ILLEGAL.search(value) or len(value) > XLSX_MAX_TEXT:
                value = clean_xlsx_text(value)
            if value[:1] in CSV_TRIGGERS or value in _ERROR_CODES:
                value = string_cell(worksheet, value)
        row.append(value)
    return row


def csv_row(values: Iterable) -> list[str]:
    """Values as CSV text: dates in ISO form, None empty, user text escaped."""
    row = []
    for value in values:
        if value is None:
            row.append("")
        elif value.__class__ is str:
            row.append(escape_csv_text(value))
        elif hasattr(value, "isoformat"):
            row.append(value.isoformat())
        else:
            row.append(escape_csv_text(str(value)))
    return row


def milestone_lines(milestones: Iterable[Milestone]) -> str:
    """Milestones in the FedRAMP "(##) yyyy-mm-dd: description" form, one per line, done dates noted."""
    lines = []
    for number, milestone in enumerate(milestones, 1):
        due = f" {milestone.due.isoformat()}:" if milestone.due else ""
        done = f" (done {milestone.done_on.isoformat()})" if milestone.done_on else ""
        lines.append(f"({number}){due} {milestone.description}{done}")
    return "\n".join(lines)
