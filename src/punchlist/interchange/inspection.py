"""What a POA&M file looks like before it is read: its sheets, the header row found, each column's header and
the field it feeds, and a few rows, so that a person can see the mapping and correct it before anything is
written (the web import's preview).

An inspection reads the file's first rows only (the header search and a sample for telling what ambiguous
columns hold), after the same guards as an import.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, time

from punchlist.errors import InputError

from . import guards
from .columns import _SAMPLE_ROWS, settle_columns
from .mapping import FIELDS, ColumnMapping, cell_header, column_letter
from .poam import _COLUMN_CHECKS, _is_guidance
from .sources import open_book
from .values import key

SAMPLE_ROWS = 5
_CELL_SHOWN = 120  # characters of a cell shown in a preview


@dataclass(frozen=True)
class Column:
    index: int  # 0 for the first column
    letter: str  # "A"
    header: str  # as written in the header row, "" where the cell is empty
    fields: tuple[str, ...]  # the fields read from it (usually one, or none)
    samples: tuple[str, ...]  # its cells in the sample rows, as text


@dataclass(frozen=True)
class Inspection:
    """A file as the import would read it with a given mapping (or none)."""

    file: str
    kind: str  # what the guards found: "XLSX", "XLS", "ODS", "XLSB", "TEXT" or "JSON"
    sheets: tuple[str, ...] = ()
    sheet: str | None = None  # the sheet read
    companion: str | None = None  # FedRAMP's "Closed POA&M Items" beside the "Open" sheet, read with it
    header_row: int | None = None  # its spreadsheet row number
    columns: tuple[Column, ...] = ()
    fields: dict[str, int] | None = None  # field -> the column it is read from (the first, where several)
    rows: tuple[int, ...] = ()  # the spreadsheet row numbers of the sample rows
    # Why the file cannot be read with the mapping asked for (no requirement column, a header not in the
    # file...): the preview then shows what it could find instead.
    problem: InputError | None = None

    @property
    def has_columns(self) -> bool:
        return self.kind not in guards.OSCAL_KINDS and self.kind not in guards.SCANNER_KINDS

    @property
    def is_scan(self) -> bool:
        """A scanner's report or a STIG checklist (``interchange.scanners``)."""
        return self.kind in guards.SCANNER_KINDS

    def column(self, index: int) -> Column | None:
        return next((column for column in self.columns if column.index == index), None)

    def mapping(self) -> ColumnMapping:
        """Every field's column as shown, by header where the header names one column, else by position."""
        counts: dict[str, int] = {}
        for column in self.columns:
            if column.header:
                counts[key(column.header)] = counts.get(key(column.header), 0) + 1
        chosen: dict[str, str | int | None] = {}
        for name in FIELDS:
            index = (self.fields or {}).get(name)
            column = self.column(index) if index is not None else None
            if column is None:
                chosen[name] = None
            elif column.header and key(column.header) and counts[key(column.header)] == 1:
                chosen[name] = column.header
            else:
                chosen[name] = column.index
        return ColumnMapping(chosen, header_row=self.header_row, sheet=self.sheet)


def inspect_poam_file(path: str | os.PathLike, mapping: ColumnMapping | None = None, *,
                      limits: guards.Limits = guards.UPLOAD_LIMITS, sample_rows: int = SAMPLE_ROWS,
                      label: str | None = None) -> Inspection:
    """The file's layout as ``read_poam_file(path, mapping=mapping)`` would read it.

    Where that mapping cannot be read (a header the file does not have, no requirement column), the
    inspection says why in ``problem`` and shows the layout found without the failing choices, or a guessed
    header row: a preview is there to be corrected. InputError for a file that cannot be read at all.
    """
    label = label or os.fspath(path)
    kind = guards.check_upload(path, label=label, limits=limits)
    if kind in guards.OSCAL_KINDS or kind in guards.SCANNER_KINDS:
        return Inspection(file=label, kind=kind)
    book = open_book(path)
    wanted = mapping or ColumnMapping()
    fallbacks = [wanted, ColumnMapping(header_row=wanted.header_row, sheet=wanted.sheet),
                 ColumnMapping(sheet=wanted.sheet), ColumnMapping()]
    problem = None
    found = None
    for strict in (True, False):
        for candidate in fallbacks:
            try:
                sheet, layout = candidate.locate(book, strict=strict)
            except InputError as error:
                problem = problem or error
                continue
            found = candidate, sheet, layout
            break
        if found:
            break
    if found is None:
        raise problem
    used, sheet, layout = found
    if used is wanted and strict:
        problem = None
    rows = sheet.top(layout.header_index + 1 + _SAMPLE_ROWS)
    settle_columns(layout, rows, used.checks(_COLUMN_CHECKS))
    header = rows[layout.header_index]
    numbers, samples = [], []
    for index in range(layout.header_index + 1, len(rows)):
        row = rows[index]
        if not any(cell_header(cell) for cell in row) or _is_guidance(row, layout.columns):
            continue
        numbers.append(sheet.first_row + index)
        samples.append(row)
        if len(samples) >= sample_rows:
            break
    fed: dict[int, list[str]] = {}
    for name, places in layout.columns.items():
        for place in places:
            fed.setdefault(place, []).append(name)
    columns = []
    for index, cell in enumerate(header):
        shown = tuple(_shown(row[index]) if index < len(row) else "" for row in samples)
        if cell_header(cell) or any(shown) or index in fed:
            columns.append(Column(index, column_letter(index), cell_header(cell),
                                  tuple(sorted(fed.get(index, ()), key=FIELDS.index)), shown))
    companion = _companion_name(book, sheet.name)
    return Inspection(file=label, kind=kind, sheets=tuple(book.names), sheet=sheet.name, companion=companion,
                      header_row=sheet.first_row + layout.header_index, columns=tuple(columns),
                      fields={name: places[0] for name, places in layout.columns.items()}, rows=tuple(numbers),
                      problem=problem)


def _companion_name(book, name: str) -> str | None:
    open_key = key(name)
    if not open_key.startswith("open"):
        return None
    return next((other for other in book.names if key(other) == "closed" + open_key[4:]), None)


def _shown(cell) -> str:
    """A cell as a preview shows it: dates as ISO dates, whole numbers without ".0", long text cut."""
    if cell is None or cell == "":
        return ""
    if isinstance(cell, datetime):
        text = cell.date().isoformat() if cell.time() == time() else cell.isoformat(sep=" ")
    elif isinstance(cell, date):
        text = cell.isoformat()
    elif isinstance(cell, float) and cell.is_integer():
        text = str(int(cell))
    elif isinstance(cell, bool):
        text = "TRUE" if cell else "FALSE"
    else:
        text = " ".join(str(cell).split())
    return text if len(text) <= _CELL_SHOWN else text[:_CELL_SHOWN - 1] + "…"
