"""A column mapping given by a person: which column holds which field, over what the header names say.

Detection (``columns.find_layout``) goes by the names a header row uses. A ``ColumnMapping`` says instead, for
the fields it names, which column to read (by its header, compared as ``values.key`` compares names, or by its
position) or that the field is not read at all; it may also say which sheet and which row hold the headers.
Fields it does not name are found by their names as before, so ``--map status="Current State"`` changes one
field and leaves the rest to detection. The web import's corrected preview, the mapping profiles saved per
organization and ``punchlist import --map`` all come down to one of these.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from punchlist.errors import InputError

from .columns import _PARENTHESIS, HEADER_SEARCH_ROWS, POAM, POAM_COLUMNS, Layout, find_layout, layout_of_row
from .details import DETAIL_LABELS
from .sources import Book, Sheet
from .values import key

FIELDS = tuple(POAM_COLUMNS)
FIELD_LABELS = {
    "requirements": "Requirement(s)",
    "objectives": "NOT MET objectives",
    "id": "Item id",
    "title": "Title",
    "weakness": "Weakness",
    "remediation": "Remediation plan",
    "primary_owner": "Primary owner",
    "supporting_owner": "Supporting owner",
    "approval_authority": "Approval authority",
    "evidence_custodian": "Evidence custodian",
    "responsible_unit": "Responsible unit",
    "resources": "Resources",
    "source": "Source of the finding",
    "start_date": "Start date",
    "scheduled_completion": "Scheduled completion",
    "completion_date": "Completion date",
    "last_updated": "Last updated",
    "milestones": "Milestones",
    "milestone_due": "Milestone due date",
    "milestone_done": "Milestone completion date",
    "milestone_status": "Milestone status",
    "status": "Status",
    "severity": "Severity",
    "kind": "Record type",
    "evidence": "Evidence",
    **DETAIL_LABELS,
}
REQUIRED = "requirements"  # without it no row is an item

Target = str | int | None  # a header as written, a column's position (0 = the first), or None: not read


def column_letter(index: int) -> str:
    """0 -> "A", 25 -> "Z", 26 -> "AA": how a spreadsheet names a column."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def cell_header(cell) -> str:
    """A header cell as a person reads it: text with its runs of white space made one space."""
    if cell is None or cell == "":
        return ""
    return " ".join(str(cell).split())


def _header_keys(cell) -> tuple[str, ...]:
    """The keys a header cell answers to: the whole of it, and it without a parenthesised note."""
    text = cell_header(cell)
    if not text:
        return ()
    whole, bare = key(text), key(_PARENTHESIS.sub("", text))
    return (whole, bare) if bare and bare != whole else (whole,)


@dataclass(frozen=True)
class ColumnMapping:
    """Which column each named field is read from (None: not read), and optionally the sheet and header row.

    ``header_row`` is the spreadsheet's row number (1 = the first row); it must be among the first 20 rows,
    where header rows are looked for. A header compares by ``values.key``: "POA&M ID" names "POAM Id" too.
    """

    columns: Mapping[str, Target] = field(default_factory=dict)
    header_row: int | None = None
    sheet: str | None = None

    def __post_init__(self):
        columns = dict(self.columns)
        unknown = [name for name in columns if name not in POAM_COLUMNS]
        if unknown:
            raise InputError(f"{', '.join(map(repr, unknown))}: no such field; the fields are: {', '.join(FIELDS)}",
                             column=unknown[0])
        for name, target in columns.items():
            if isinstance(target, str):
                target = columns[name] = " ".join(target.split()) or None
            if not (target is None or isinstance(target, str) or (type(target) is int and target >= 0)):
                raise InputError(f"{name}: a column is named by its header or its position, not {target!r}",
                                 column=name)
        # In the fields' order, whatever order they came in (PostgreSQL's jsonb keeps none): the first column
        # that does not fit a file is then always the same one.
        object.__setattr__(self, "columns", {name: columns[name] for name in FIELDS if name in columns})
        if self.header_row is not None and (type(self.header_row) is not int or self.header_row < 1):
            raise InputError(f"the header row is a row number from 1, not {self.header_row!r}")
        if self.sheet is not None and not str(self.sheet).strip():
            object.__setattr__(self, "sheet", None)

    @classmethod
    def from_assignments(cls, assignments: Iterable[str], *, header_row: int | None = None,
                         sheet: str | None = None) -> ColumnMapping:
        """``["status=Current State", "kind=", "severity=#7"]``: a header, nothing (the field is not read), or
        "#" and a column's number counted from 1 (as ``punchlist import --map`` takes them)."""
        columns: dict[str, Target] = {}
        for assignment in assignments:
            name, equals, target = assignment.partition("=")
            name = name.strip()
            if not equals or not name:
                raise InputError(f"{assignment!r}: give FIELD=HEADER (or FIELD= to leave the field out, or "
                                 f"FIELD=#N for the Nth column); the fields are: {', '.join(FIELDS)}")
            target = target.strip()
            if target.startswith("#") and target[1:].isdigit():
                number = int(target[1:])
                if number < 1:
                    raise InputError(f"{assignment!r}: columns are counted from #1", column=name)
                columns[name] = number - 1
            else:
                columns[name] = target or None
        return cls(columns, header_row=header_row, sheet=sheet)

    def merged(self, other: ColumnMapping) -> ColumnMapping:
        """This mapping with ``other``'s choices on top (a saved profile, then ``--map`` options)."""
        return ColumnMapping({**self.columns, **other.columns},
                             header_row=other.header_row if other.header_row is not None else self.header_row,
                             sheet=other.sheet if other.sheet is not None else self.sheet)

    def as_json(self) -> dict:
        return {"columns": dict(self.columns), "header_row": self.header_row, "sheet": self.sheet}

    def checks(self, checks: dict) -> dict:
        """The column checks of ``columns.settle_columns`` for the fields this mapping does not name: a column
        a person chose is read as chosen, never dropped for what its values look like."""
        return {name: test for name, test in checks.items() if name not in self.columns}

    # --- finding the columns in a file -----------------------------------------------------------------

    def locate(self, book: Book, *, strict: bool = True) -> tuple[Sheet, Layout]:
        """The sheet to read and its layout: the named sheet, else the first whose header row fits.

        InputError, naming the file, when no sheet fits (the first sheet's reason is given). ``strict=False``
        (a preview) guesses a header row where none is recognised and allows no requirement column.
        """
        if self.sheet is not None:
            name = self._sheet_name(book)
            sheet = book.sheet(name)
            return sheet, self.layout(sheet, strict=strict)
        first_error = None
        for sheet in book.sheets():
            try:
                return sheet, self.layout(sheet, strict=strict)
            except InputError as error:
                first_error = first_error or error
        if not any(sheet.head() for sheet in book.sheets()):
            raise InputError("the file holds no data", file=book.label)
        raise first_error

    def _sheet_name(self, book: Book) -> str:
        if self.sheet in book.names:
            return self.sheet
        wanted = key(self.sheet)
        for name in book.names:
            if key(name) == wanted:
                return name
        raise InputError(f"no sheet named {self.sheet!r}; the file's sheets are: "
                         f"{', '.join(repr(name) for name in book.names)}", file=book.label)

    def layout(self, sheet: Sheet, *, strict: bool = True) -> Layout:
        """The sheet's header row and columns: detection, with this mapping's choices over it."""
        head = sheet.head()
        index = self._header_index(sheet, head, strict)
        row = head[index]
        layout = layout_of_row(index, row, POAM)
        number = sheet.first_row + index
        chosen: dict[str, list[int]] = {}
        for name, target in self.columns.items():
            detected = layout.columns.pop(name, [])
            if target is not None:
                column = self._column(name, target, row, sheet.label, number)
                # A choice that agrees with detection keeps detection's further columns, read where the
                # first is blank (eMASS's Raw Severity behind Severity): the web preview sends every field's
                # column, and confirming what it showed must read the file as it showed it.
                chosen[name] = [column] + (detected[1:] if detected[:1] == [column] else [])
        taken = {column for columns in chosen.values() for column in columns}
        for name in list(layout.columns):  # a column a person gave to one field feeds no other by its name
            kept = [column for column in layout.columns[name] if column not in taken]
            if kept:
                layout.columns[name] = kept
            else:
                del layout.columns[name]
        for name, columns in chosen.items():
            layout.columns[name] = columns
            for column in columns:
                layout.headers[column] = cell_header(row[column]) or f"column {column_letter(column)}"
        if strict and REQUIRED not in layout.columns:
            raise InputError(
                f"no column of the header row (row {number}) holds the requirement; map one of its columns to "
                f"it, or name it one of: {POAM.accepted(REQUIRED)}", file=sheet.label, row=number,
                column=REQUIRED)
        return layout

    def _header_index(self, sheet: Sheet, head: list[list], strict: bool) -> int:
        if self.header_row is not None:
            index = self.header_row - sheet.first_row
            if self.header_row > HEADER_SEARCH_ROWS:
                raise InputError(f"the header row must be among the first {HEADER_SEARCH_ROWS} rows, not row "
                                 f"{self.header_row}", file=sheet.label, row=self.header_row)
            if index < 0 or index >= len(head) or not any(cell_header(cell) for cell in head[index]):
                raise InputError(f"row {self.header_row} is empty: it cannot be the header row", file=sheet.label,
                                 row=self.header_row)
            return index
        detected = find_layout(head, POAM)
        named = {key(target) for target in self.columns.values() if isinstance(target, str)}
        if named:
            scores = [sum(1 for cell in row if named.intersection(_header_keys(cell))) for row in head]
            best = max(scores, default=0)
            if best and not (detected and scores[detected.header_index] == best):
                return scores.index(best)  # the first row naming the most of the chosen headers
        if detected is not None:
            return detected.header_index
        if named and strict:
            wanted = ", ".join(f'"{target}" ({name})' for name, target in self.columns.items()
                               if isinstance(target, str))
            raise InputError(f"none of the first {HEADER_SEARCH_ROWS} rows has a column headed {wanted}, nor a "
                             "requirement column the readers know; check the headers, or say which row holds them",
                             file=sheet.label, column=next(t for t in self.columns.values() if isinstance(t, str)))
        if strict or not head:
            raise InputError(
                f"no header row with a requirement column in the first {HEADER_SEARCH_ROWS} rows; looked for a "
                f"column named one of: {POAM.accepted(REQUIRED)}; or say which row holds the headers",
                file=sheet.label, column=REQUIRED)
        filled = [sum(1 for cell in row if type(cell) is str and cell.strip()) for row in head]
        return filled.index(max(filled))  # a preview's guess: the row with the most text

    @staticmethod
    def _column(name: str, target: str | int, row: list, label: str, number: int) -> int:
        if isinstance(target, int):
            if target >= len(row):
                raise InputError(f"{name}: the sheet has no column {column_letter(target)} (#{target + 1}); its "
                                 f"last is {column_letter(len(row) - 1)}", file=label, row=number, column=name)
            return target
        wanted = key(target)
        for column, cell in enumerate(row):
            if wanted in _header_keys(cell):
                return column
        headers = [cell_header(cell) for cell in row if cell_header(cell)]
        shown = ", ".join(f'"{header}"' for header in headers[:40]) + (", ..." if len(headers) > 40 else "")
        raise InputError(f'{name}: no column headed "{target}" in the header row (row {number}); its headers '
                         f"are: {shown or 'none'}", file=label, row=number, column=target)
