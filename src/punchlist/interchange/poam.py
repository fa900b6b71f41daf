"""Reading a POA&M spreadsheet into a ``Poam``: the FedRAMP template, eMASS exports, people's own sheets.

Only mapping happens here; whether an item is any good is the lint's business (``punchlist.core``).
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from dataclasses import fields
from functools import cached_property
from itertools import islice
from operator import itemgetter

from punchlist.core.records import ItemStatus, Milestone, Poam, PoamItem
from punchlist.errors import InputError, InputErrors

from .columns import _SAMPLE_ROWS, POAM, Layout, find_layout, settle_columns
from . import derive
from .details import DETAIL_PARSERS
from .evidence_sheet import SHEET as EVIDENCE_SHEET
from .evidence_sheet import attach_evidence
from .mapping import ColumnMapping
from .milestones import milestone_states, parse_milestones
from .notes import restore
from .report import sheet_columns
from .report import shown_name as _shown_name
from .sources import Book, Sheet, open_book
from .values import (
    CellError,
    _date_from_value,
    identifier,
    item_status,
    key,
    parse_date,
    record_kind,
    requirement_list,
    severity,
    text,
)

PARSERS = {
    "id": identifier,
    "requirements": requirement_list,
    "objectives": requirement_list,
    "title": text,
    "weakness": text,
    "severity": severity,
    "remediation": text,
    "responsible_unit": text,
    "primary_owner": text,
    "supporting_owner": text,
    "approval_authority": text,
    "evidence_custodian": text,
    "resources": text,
    "source": text,
    "start_date": parse_date,
    "scheduled_completion": parse_date,
    "completion_date": parse_date,
    "last_updated": parse_date,
    "milestones": parse_milestones,
    "milestone_due": parse_date,
    "milestone_done": parse_date,
    "milestone_status": milestone_states,
    "status": item_status,
    "kind": record_kind,
    "evidence": text,
    **DETAIL_PARSERS,
}
# Columns that describe one milestone of the item above them (eMASS lists one milestone per row).
_MILESTONE_COLUMNS = ("milestones", "milestone_due", "milestone_done", "milestone_status")
# How many rows under the header a template's guidance may take (FedRAMP: descriptions, formats, example).
_GUIDANCE_ROWS = 5


def _fits(parse):
    def test(cell) -> bool:
        try:
            return parse(cell) is not None
        except CellError:
            return False

    return test


# What a column must hold to be read as its field where several columns read as one (the content breaks
# the tie: a "Date" column of dates before one of words), or where its name is a generic one (WEAK_NAMES).
_COLUMN_CHECKS = {
    "requirements": lambda cell: any(ch.isdigit() for ch in text(cell)),
    "severity": _fits(severity),
    "kind": _fits(record_kind),
    "status": _fits(item_status),
    "start_date": _fits(parse_date),
    "scheduled_completion": _fits(parse_date),
    "completion_date": _fits(parse_date),
    "last_updated": _fits(parse_date),
    "id": lambda cell: len(text(cell)) <= 100,
}


BATCH = 2000  # rows mapped at a time; an import checks and writes as many before reading on


def read_poam(path: str | os.PathLike, mapping: ColumnMapping | None = None) -> Poam:
    """The POA&M in a spreadsheet; InputError(s) naming file, row and column for whatever cannot be read.

    In a workbook the first sheet with a recognised header row is read. Where it is an "open" sheet beside a
    "closed" one (FedRAMP's "Open POA&M Items" and "Closed POA&M Items"), both are read and the closed
    sheet's items are closed: the template has no status column, the sheet is the status. ``mapping`` (a
    person's correction, a saved profile) says where the fields it names are, over what the header names say;
    its columns are read as chosen.
    """
    stream = stream_poam(path, mapping, whole=True)
    items = [item for batch in stream.batches() for item in batch]
    stream.raise_errors()
    return Poam(items=items, fields=stream.fields, source=stream.source, columns=stream.columns, notes=stream.notes,
                needs_requirement=stream.needs_requirement)


class PoamStream:
    """A POA&M read a batch of rows at a time (``batches``), so that an import of a million rows holds one
    batch, not the file: its fields and source are known before the first row is read; the cells that
    cannot be read are collected in ``errors`` as the rows go by (at most ``keep`` of them; ``more``
    counts the rest). ``of(poam)`` gives the same for a POA&M already read (OSCAL JSON)."""

    def __init__(self, fields: frozenset[str], source: str, parts=(), *, total: int = 0, whole: bool = False,
                 keep: int | None = None, items: list[PoamItem] | None = None):
        self.fields, self.source, self.total = fields, source, total
        self.errors: list[InputError] = []
        self.more = 0  # errors found past ``keep``
        self.rows = 0  # rows read so far
        self._parts, self._whole, self._keep, self._items = parts, whole, keep, items
        self.check = None  # a test of each batch as it is read (the guards' outsized fields), raising InputError
        # A pass over all the items at once, returning the fields it found (our own exports' Comments block and
        # Evidence sheet); where set, the file is read whole at the first batch.
        self.whole_file = None
        self._loaded: dict[str, list[list]] = {}  # a sheet's rows, read whole once when ``whole`` (by sheet name)
        self.columns: list[dict] = []  # per sheet: the column each field is read from, and those left unread
        self.notes: list[str] = []  # what a person should know about how the file was read (``Poam.notes``)
        self.on_empty = None  # the error to raise when the file yields no item at all (saying where items may be)
        # SP 800-53 / Rev 3 ids read as Rev 2 requirements a batch at a time (``interchange.derive``): None leaves
        # them as written; else the person's choices per control (the derived requirements where none is given).
        self.derive_choices: dict | None = None
        self.derivations: dict = {}  # control -> derive.Derivation, as met
        self.needs_requirement: dict[int, str] = {}  # item position -> the control with no Rev 2 counterpart
        self.unconfirmed: str | None = None  # raised (as an InputError) at the first derivation, if set

    @classmethod
    def of(cls, poam: Poam) -> PoamStream:
        stream = cls(poam.fields, poam.source, total=len(poam.items), items=poam.items)
        stream.needs_requirement, stream.columns, stream.notes = poam.needs_requirement, poam.columns, poam.notes
        return stream

    def batches(self, size: int = BATCH) -> Iterator[list[PoamItem]]:
        produced = 0
        for batch in self._batches(size):
            if self.check is not None:
                self.check(batch)
            if self.derive_choices is not None:
                derive.note_derivations(batch, self.derivations, produced)
                if self.derivations and self.unconfirmed:
                    raise InputError(self.unconfirmed, file=self.source)
                derive.apply_items(batch, self.derive_choices, self.needs_requirement, produced)
            produced += len(batch)
            yield batch
        if not produced and not self.errors and self.on_empty is not None:
            raise self.on_empty()

    def _batches(self, size: int) -> Iterator[list[PoamItem]]:
        if self.whole_file is not None and self._items is None:
            items = [item for sheet, layout, status in self._parts
                     for batch in self._sheet_batches(sheet, layout, status, size) for item in batch]
            self.fields = self.fields | frozenset(self.whole_file(items))
            self._items = items
        if self._items is not None:
            for start in range(0, len(self._items), size):
                self.rows = min(start + size, len(self._items))
                yield self._items[start:start + size]
            return
        for sheet, layout, default_status in self._parts:
            yield from self._sheet_batches(sheet, layout, default_status, size)

    def raise_errors(self) -> None:
        if self.errors:
            raise self.errors[0] if len(self.errors) == 1 and not self.more else errors_of(self.errors, self.more)

    def _sheet_batches(self, sheet: Sheet, layout: Layout, default_status: ItemStatus, size: int):
        if self._whole:
            loaded = self._loaded.pop(sheet.name, None)
            if loaded is None:
                with _collector_paused():  # the sheet's cells as Python values: a list per row, none in a cycle
                    loaded = sheet.rows()
            rows = iter(loaded)
            del loaded
        else:
            rows = iter(sheet.iter_rows())
        columns = _item_columns(layout)
        items: list[PoamItem] = []
        reader = _SheetReader(sheet, layout, columns, default_status, items, self.errors)
        number = sheet.first_row + layout.header_index + 1
        for _ in islice(rows, layout.header_index + 1):
            pass
        guidance = True
        while chunk := list(islice(rows, _GUIDANCE_ROWS if guidance else size)):
            with _collector_paused():
                reader.read_chunk(chunk, number, guidance)
            guidance = False
            number += len(chunk)
            self.rows += len(chunk)
            if self._keep is not None and len(self.errors) > self._keep:
                self.more += len(self.errors) - self._keep
                del self.errors[self._keep:]
            # A row holding only a milestone continues the item above it: the last item waits for the next rows.
            ready = len(items) - 1 if reader.milestone_places else len(items)
            if ready > 0:
                batch = items[:ready]
                del items[:ready]
                yield batch
        if items:
            yield items[:]
            items.clear()


def errors_of(errors: list[InputError], more: int = 0) -> InputErrors:
    """Every problem found, and how many more there were past those kept."""
    return InputErrors(errors, more)


def stream_poam(path: str | os.PathLike, mapping: ColumnMapping | None = None, *, whole: bool = False,
                keep: int | None = None) -> PoamStream:
    """The POA&M in a spreadsheet, as ``read_poam`` reads it, a batch at a time (``PoamStream``): the sheet and
    columns are found now, the rows read as the batches are asked for. ``whole`` reads each sheet's cells at
    once (faster, for a file read entirely anyway)."""
    book = open_book(path)
    found = _first_recognised(book) if mapping is None else mapping.locate(book)
    from .outcomes import is_poam_layout, not_a_poam, nothing_read

    if found is None:
        raise not_a_poam(book) or book.no_header_error("requirement", POAM.accepted("requirements"))
    sheet, layout = found
    if not is_poam_layout(layout):
        assessment = not_a_poam(book, sheet)
        if assessment is not None:
            raise assessment
    parts = [(sheet, layout, ItemStatus.OPEN)]
    closed = _closed_companion(book, sheet.name, mapping)
    if closed is not None:
        parts.append((closed[0], closed[1], ItemStatus.CLOSED))
    checks = _COLUMN_CHECKS if mapping is None else mapping.checks(_COLUMN_CHECKS)
    # The first rows of each sheet, read once: the columns' first values say what ambiguous columns hold, and
    # the report of which column each field is read from is made from them too.
    loaded: dict[str, list[list]] = {}
    if whole:  # read whole anyway: once, here, and the sample is its first rows (not a second copy of them)
        with _collector_paused():
            loaded = {part.name: part.rows() for part, _, _ in parts}
    samples = [loaded[part.name][:part_layout.header_index + 1 + _SAMPLE_ROWS] if whole
               else part.top(part_layout.header_index + 1 + _SAMPLE_ROWS) for part, part_layout, _ in parts]
    for (part, part_layout, _), top in zip(parts, samples):
        settle_columns(part_layout, top, checks)
    present = {_FIELD.get(name, name) for _, part_layout, _ in parts for name in _item_columns(part_layout)}
    if closed is not None:
        present.add("status")  # given by the sheet each item is on
    total = sum(part.size_hint() for part, _, _ in parts)
    stream = PoamStream(frozenset(present), book.label, parts, total=total, whole=whole, keep=keep)
    stream._loaded = loaded
    stream.columns = [_sheet_report(part, part_layout, top) for (part, part_layout, _), top in zip(parts, samples)]
    del samples
    stream.on_empty = lambda: nothing_read(book, [part for part, _, _ in parts], layout)
    if "comments" in present or EVIDENCE_SHEET in book.names:
        # Our own exports carry what a FedRAMP template has no column for in each item's Comments, and the
        # evidence files' names, hashes and sizes on an Evidence sheet: both are read over the whole file, so
        # such a file is read whole when its rows are first asked for.
        def whole_file(items: list[PoamItem]) -> set[str]:
            found = restore(items) if "comments" in present else set()
            if attach_evidence(book, items):
                found |= {"evidence", "evidence_details"}
            return found

        stream.whole_file = whole_file
    return stream


def _sheet_report(sheet: Sheet, layout: Layout, top: list[list]) -> dict:
    """Which column each field is read from, and the columns left unread (from the header and the first
    rows ``top``, as the preview shows them)."""
    shown = Layout(layout.header_index, layout.headers, _item_columns(layout))
    return sheet_columns(_shown_name(sheet), sheet.first_row + layout.header_index, top[layout.header_index],
                         shown, top[layout.header_index + 1:])


def _item_columns(layout: Layout) -> dict[str, list[int]]:
    columns = dict(layout.columns)
    if "title" in columns and "weakness" not in columns:
        columns["weakness"] = columns.pop("title")  # the only words about the weakness are its name
    return columns


def _first_recognised(book: Book) -> tuple[Sheet, Layout] | None:
    """The first sheet whose requirement column has a known name; else the first where its words say so."""
    for by_words in (False, True):
        for sheet in book.sheets():
            layout = find_layout(sheet.head(), POAM, passes=(by_words,))
            if layout is not None:
                return sheet, layout
    return None


def _closed_companion(book: Book, name: str, mapping: ColumnMapping | None = None) -> tuple[Sheet, Layout] | None:
    """The "Closed ..." sheet that goes with an "Open ..." one, if the workbook has it with a header row."""
    open_key = key(name)
    if not open_key.startswith("open"):
        return None
    for other in book.names:
        if key(other) == "closed" + open_key[4:]:
            sheet = book.sheet(other)
            layout = find_layout(sheet.head(), POAM) if mapping is None else mapping.layout(sheet)
            return (sheet, layout) if layout is not None else None
    return None


class _SheetReader:
    """One sheet's rows mapped to items, a chunk at a time: the quick way where a chunk's rows allow it, else
    row by row."""

    def __init__(self, sheet: Sheet, layout: Layout, columns: dict[str, list[int]], default_status: ItemStatus,
                 items: list[PoamItem], errors: list[InputError]):
        self.sheet, self.layout, self.columns = sheet, layout, columns
        self.rows: list[list] = []
        self.first_row = 0  # the spreadsheet row number of ``rows[0]``
        self.items, self.errors = items, errors
        self.default_status = default_status
        self.map_text_row = _row_mapper(columns, default_status, optimistic=True)
        mapped = [place for places in columns.values() for place in places]
        self.width = max(mapped) + 1  # a short row (CSV) is made this wide
        self.pick = itemgetter(*mapped) if len(mapped) > 1 else (lambda row, _place=mapped[0]: (row[_place],))
        self.key_place = mapped[0]  # a row is blank only if this cell is: the others are looked at only then
        # eMASS lists one milestone per row, its dates in columns of their own; a row holding nothing but a
        # milestone continues the item above it.
        self.due_at = columns.get("milestone_due", [None])[0]
        self.done_at = columns.get("milestone_done", [None])[0]
        self.status_at = columns.get("milestone_status", [None])[0]
        self.per_milestone = self.due_at is not None or self.done_at is not None or self.status_at is not None
        self.milestone_places = [p for name in _MILESTONE_COLUMNS for p in columns.get(name, ())]
        self.other_places = [p for p in mapped if p not in self.milestone_places]
        self.identity_places = columns.get("id", [])[:1] + columns.get("requirements", [])[:1]
        self.previous: PoamItem | None = None

    @cached_property
    def map_row(self):
        """The ordinary mapper, made (compiled) only for a sheet with a number or a date in a text column."""
        return _row_mapper(self.columns, self.default_status)

    def read_chunk(self, rows: list[list], first_row: int, guidance: bool = False) -> None:
        """Map ``rows`` (the first of them spreadsheet row ``first_row``) onto ``items``, bad cells to ``errors``."""
        if min(map(len, rows)) < self.width:
            for row in rows:
                if len(row) < self.width:
                    row.extend([""] * (self.width - len(row)))
        self.rows, self.first_row = rows, first_row
        end = self.end_of_data(0)
        if guidance:
            self.read_carefully(range(0, end), skip_guidance=True)
        elif not self.read_quickly(0, end):
            self.read_carefully(range(0, end))
        self.rows = []

    def end_of_data(self, start: int) -> int:
        """The index after the last row with anything in a mapped column: sheets often end in blank rows."""
        rows, pick, key_place = self.rows, self.pick, self.key_place
        end = len(rows)
        while end > start and rows[end - 1][key_place] == "" and not any(pick(rows[end - 1])):
            end -= 1
        return end

    def read_quickly(self, start: int, end: int) -> bool:
        """Map rows ``start:end`` in one comprehension, if every one of them names an id or a requirement.

        Such rows are neither blank nor a milestone continuing the item above, and with no bad cell there
        is nothing to do per row but map it. False (and nothing done) where that does not hold.
        """
        rows, first_row = self.rows, self.first_row
        if self.per_milestone or not self.identity_places or start >= end:
            return False
        # Both passes run in C (map, islice, "in"), not a Python loop per row.
        places = self.identity_places
        if len(places) == 1:
            if "" in map(itemgetter(places[0]), islice(rows, start, end)):
                return False
        elif ("", "") in map(itemgetter(*places), islice(rows, start, end)):
            return False
        for optimistic in (True, False):
            map_row = self.map_text_row if optimistic else self.map_row
            try:
                mapped = list(map(map_row, islice(rows, start, end), range(first_row + start, first_row + end)))
            except AttributeError:  # a number or a date in a text column: 12345.0 -> "12345"
                continue
            except CellError:
                return False  # row by row, to name every bad cell
            self.items.extend(mapped)
            self.previous = mapped[-1]
            return True
        return False

    def read_carefully(self, indices: range, skip_guidance: bool = False) -> None:
        rows, pick, key_place = self.rows, self.pick, self.key_place
        first_row = self.first_row
        for index in indices:
            row = rows[index]
            if row[key_place] == "" and not any(pick(row)):
                continue  # a blank row
            if skip_guidance and _is_guidance(row, self.columns):
                continue
            try:
                try:
                    item = self.map_text_row(row, first_row + index)
                except AttributeError:  # a number or a date in a text column: 12345.0 -> "12345"
                    item = self.map_row(row, first_row + index)
                if self.per_milestone:
                    _attach_milestone_dates(item, row, self.due_at, self.done_at, self.status_at)
            except CellError as failure:
                before = len(self.errors)
                _collect_errors(self.sheet, self.layout, row, first_row + index, self.columns, self.errors)
                if len(self.errors) == before:  # no cell is wrong alone: the milestones and their statuses differ
                    self.errors.append(InputError(str(failure), file=self.sheet.label, row=first_row + index,
                                                  column=self.layout.header(self.status_at)))
                self.previous = None
                continue
            previous = self.previous
            if (self.milestone_places and previous is not None and item.id is None and not item.requirements
                    and not any(row[p] for p in self.other_places)):
                previous.milestones.extend(item.milestones)
                continue
            self.items.append(item)
            self.previous = item


_FIELD = {"milestone_due": "milestones", "milestone_done": "milestones", "milestone_status": "milestones"}


@contextmanager
def _collector_paused():
    """Run calamine's reading or the mapping with the cyclic garbage collector off; leave what they made as old.

    Neither makes reference cycles, so the collector would only walk the sheet's rows and the new items again
    and again while they are made (on 100,000 rows, as long as the mapping itself; a twentieth of calamine's
    own reading), and once more when it is turned back on. ``gc.freeze()`` then ``gc.unfreeze()`` moves every
    tracked object into the oldest generation without walking them. That is skipped where the program froze
    objects itself (a server that freezes before forking), since unfreezing would undo that.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        if was_enabled:
            gc.enable()


def _row_mapper(columns: dict[str, list[int]], default_status: ItemStatus, optimistic: bool = False):
    """A function ``map_row(row, number) -> PoamItem`` made for this sheet's columns.

    It is generated so that a row costs as few calls as can be, with no loop or dictionary in between: the
    mapping must stay well under a third of calamine's bare read. The item is made empty and
    its fields set one by one, which is the record ``PoamItem(...)`` makes (every field is set; PoamItem has
    no ``__post_init__``) without the call into its ``__init__``. Only field names and column numbers enter
    the generated source, never text from the file. An ``optimistic`` mapper takes every text cell to be
    text and raises AttributeError where one is a number or a date; the caller then maps that row with the
    ordinary mapper.
    """
    namespace = {"PoamItem": PoamItem, "default_status": default_status, "new": object.__new__}
    assignments = []
    for item_field in fields(PoamItem):
        name = item_field.name
        places = columns.get(name)
        if name == "row":
            expression = "number"
        elif places:
            expression = _parse_expression(name, _first_filled(places), namespace, optimistic)
            if name == "status":
                expression += " or default_status"  # blank: the sheet's status (FedRAMP's open or closed)
            elif name == "kind":
                namespace["default_kind"] = item_field.default
                expression += " or default_kind"  # blank: an assessment POA&M, the record's default
        elif name == "status":
            expression = "default_status"
        elif item_field.default_factory is list:
            expression = "[]"
        else:
            namespace[f"default_{name}"] = item_field.default
            expression = f"default_{name}"
        assignments.append(f"    item.{name} = {expression}")
    source = "def map_row(row, number):\n    item = new(PoamItem)\n" + "\n".join(assignments) + "\n    return item\n"
    exec(compile(source, "<punchlist.interchange row mapper>", "exec"), namespace)
    return namespace["map_row"]


def _parse_expression(name: str, cell: str, namespace: dict, optimistic: bool) -> str:
    """The source that parses ``cell`` for field ``name``, with the common case inline and no call.

    Text already stripped, a date cell that is a date, a status or date seen on an earlier row: these
    are most cells of a large file, and a function call for each costs more than the rest of the mapping.
    """
    parse = PARSERS[name]
    namespace[f"parse_{name}"] = parse
    value = f"v_{name}"
    if optimistic and parse is text:
        return f"{cell}.strip()"
    if optimistic and parse is identifier:
        return f"({cell}.strip() or None)"
    if parse is text:
        return f"({value}.strip() if type({value} := {cell}) is str else parse_{name}({value}))"
    if parse is identifier:
        return f"(({value}.strip() or None) if type({value} := {cell}) is str else parse_{name}({value}))"
    if parse is parse_milestones:
        return f'(parse_{name}({value}) if ({value} := {cell}) != "" else [])'
    if parse is parse_date:
        namespace["date"] = date
        namespace[f"seen_{name}"] = _date_from_value.seen
        return (f"({value} if type({value} := {cell}) is date else seen_{name}[{value}] "
                f"if {value} in seen_{name} else parse_{name}({value}))")
    seen = getattr(parse, "seen", None)
    if seen is None:
        return f"parse_{name}({cell})"
    namespace[f"seen_{name}"] = seen
    found = f"list(seen_{name}[{value}])" if parse is requirement_list else f"seen_{name}[{value}]"
    return f"({found} if ({value} := {cell}) in seen_{name} else parse_{name}({value}))"


def _first_filled(places: list[int]) -> str:
    """The source of an expression for the first non-blank of several columns: Severity, else Raw Severity."""
    expression = f"row[{places[-1]}]"
    for place in reversed(places[:-1]):
        expression = f'(row[{place}] if row[{place}] != "" else {expression})'
    return expression


def _attach_milestone_dates(item: PoamItem, row: list, due_at: int | None, done_at: int | None,
                            status_at: int | None = None) -> None:
    """eMASS's per-milestone columns: the row's milestone gets the dates beside its description, and its status
    ("Completed") says it was reached: on its completion date, else on the date the milestone cell gives it
    (eMASS's "Milestone with Completion Dates")."""
    due = parse_date(row[due_at]) if due_at is not None else None
    done_on = parse_date(row[done_at]) if done_at is not None else None
    states = milestone_states(row[status_at]) if status_at is not None else ()
    if due is not None or done_on is not None:
        if not item.milestones:
            item.milestones.append(Milestone(""))
        last = item.milestones[-1]
        last.due = last.due or due
        last.done_on = last.done_on or done_on
    if not states:
        return
    milestones = item.milestones
    if len(states) == 1:
        states = states * len(milestones)  # one status for the row's milestones
    if len(states) != len(milestones):
        raise CellError(f"{len(states)} milestone statuses for {len(milestones)} milestone(s): give one status a "
                        "line, one line a milestone")
    for milestone, reached in zip(milestones, states):
        if not reached:
            if milestone.done_on is not None and done_on is None:
                raise CellError(f"the milestone {milestone.description!r} is said done on "
                                f"{milestone.done_on.isoformat()}, but its status says it is not")
            continue
        milestone.done_on = milestone.done_on or milestone.due
        if milestone.done_on is None:
            raise CellError(f"the milestone {milestone.description!r} is completed, but no date says when: give "
                            "its completion date")


def _collect_errors(sheet: Sheet, layout: Layout, row: list, number: int, columns: dict[str, list[int]],
                    errors: list[InputError]) -> None:
    """Every bad cell of a row that failed, each named by the column its value came from."""
    for name, places in columns.items():
        place = next((p for p in places if row[p] != ""), places[0])
        try:
            PARSERS[name](row[place])
        except CellError as error:
            errors.append(InputError(str(error), file=sheet.label, row=number, column=layout.header(place)))


# Cells of the templates' own guidance rows, compared by key: FedRAMP's field descriptions (row 6) and
# formats (row 7). Its example row (row 8) has the id "V-1Example"; eMASS templates hold "${...}" placeholders.
_GUIDANCE_TEXT = frozenset(key(t) for t in (
    "Unique identifier for each POAM Item", "Unique Identifier", "Applicable 800-53 Control(s)",
    "Control Number", "Date", "Text", "Identifier",
))


def _is_guidance(row, columns: dict[str, list[int]]) -> bool:
    """A template's description, format, example or placeholder row, which is not an item.

    Importing the FedRAMP template's rows 6-7 as data is a mistake another tool made (formats.md, pitfalls).
    """
    for cell in row:
        if type(cell) is str and cell.lstrip().startswith("${"):
            return True
    for name in ("id", "requirements"):
        for place in columns.get(name, ()):
            cell = row[place]
            if type(cell) is str and cell:
                cell_key = key(cell)
                if cell_key in _GUIDANCE_TEXT or (name == "id" and "example" in cell_key):
                    return True
    return False
