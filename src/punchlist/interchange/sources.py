"""Opening a contractor's file: workbooks through python-calamine, CSV through the csv module.

A file is judged by its content as well as its name: a text file renamed ``.xlsx``, a password-protected
workbook or an empty file gets an InputError naming the file, never a traceback from a parser.
"""

from __future__ import annotations

import codecs
import csv
import os
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum

from punchlist.errors import InputError

from . import guards
from .columns import HEADER_SEARCH_ROWS

WORKBOOK_SUFFIXES = {".xlsx": "XLSX", ".xlsm": "XLSX", ".xlsb": "XLSB", ".xls": "XLS", ".ods": "ODS"}
TEXT_SUFFIXES = {".csv": None, ".tsv": "\t", ".txt": None}  # None: comma, semicolon or tab
_ZIP = b"PK\x03\x04"  # XLSX, XLSM, XLSB and ODS are zip archives
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # XLS, and also any password-protected XLSX
_MAGIC = {"XLSX": _ZIP, "XLSB": _ZIP, "ODS": _ZIP, "XLS": _OLE}
ACCEPTED = "XLSX, XLSM, XLSB, XLS, ODS or CSV"


class Sheet:
    """One sheet's cells as rows of values; ``first_row`` is the spreadsheet row number of ``rows()[0]``."""

    def __init__(self, name: str, label: str):
        self.name = name
        self.label = label  # how errors name the place: the file, and the sheet where a file has several
        self.first_row = 1

    def head(self) -> list[list]:
        """The rows among the sheet's first 20, where a header row is looked for."""
        raise NotImplementedError

    def rows(self) -> list[list]:
        return list(self.iter_rows())

    def iter_rows(self) -> Iterator[list]:
        """The rows one at a time, for an import that holds a batch of them, never the whole sheet."""
        raise NotImplementedError

    def top(self, count: int) -> list[list]:
        """The first ``count`` of ``rows()``, without making the rest (a preview of a large sheet)."""
        return list(islice(self.iter_rows(), max(count, 0)))

    def size_hint(self) -> int:
        """About how many rows the sheet has (for an import's progress); exact for a workbook."""
        return 0


class _WorkbookSheet(Sheet):
    def __init__(self, name: str, label: str, sheet):
        super().__init__(name, label)
        self._sheet = sheet
        start = sheet.start  # calamine leaves out the empty rows above the data; row numbers count them
        self.first_row = start[0] + 1 if start else 1

    def head(self) -> list[list]:
        count = HEADER_SEARCH_ROWS - (self.first_row - 1)
        return self._sheet.to_python(nrows=count) if count > 0 else []

    def rows(self) -> list[list]:
        return self._sheet.to_python()

    def iter_rows(self) -> Iterator[list]:
        return self._sheet.iter_rows()  # each row made as it is asked for (calamine keeps the cells)

    def top(self, count: int) -> list[list]:
        return self._sheet.to_python(nrows=count) if count > 0 else []

    def size_hint(self) -> int:
        return self._sheet.height


class _TextSheet(Sheet):
    """A CSV file's rows, read from the file as they are asked for: a preview reads its first rows only,
    and an import holds a batch at a time. Rows are made as wide as the widest of the first rows."""

    _WIDTH_ROWS = 64

    def __init__(self, name: str, label: str, file: Path, encoding: str, delimiter: str, lines: int):
        super().__init__(name, label)
        self._file, self._encoding, self._delimiter, self._lines = file, encoding, delimiter, lines
        self._width = max(map(len, self._read(self._WIDTH_ROWS)), default=0)

    def _read(self, count: int | None = None) -> Iterator[list]:
        with self._file.open(encoding=self._encoding, errors="replace", newline="") as stream:
            rows = csv.reader(stream, delimiter=self._delimiter)
            number = 0
            try:
                for row in rows if count is None else islice(rows, count):
                    number += 1
                    yield row
            except csv.Error as error:
                raise guards.csv_error(error, self.label, number + 1) from None

    def iter_rows(self) -> Iterator[list]:
        width = self._width
        for row in self._read():
            if len(row) < width:
                row.extend([""] * (width - len(row)))
            yield row

    def head(self) -> list[list]:
        return self.top(HEADER_SEARCH_ROWS)

    def size_hint(self) -> int:
        return self._lines


def _fail(label: str, message: str) -> InputError:
    return InputError(message, file=label)


class Book:
    """A file's sheets, by name, in the file's order; a CSV file is a book of one sheet."""

    def __init__(self, label: str, names: list[str], load):
        self.label = label
        self.names = names
        self._load = load

    def sheet(self, name: str) -> Sheet:
        return self._load(name)

    def sheets(self) -> Iterator[Sheet]:
        for name in self.names:
            yield self._load(name)

    def no_header_error(self, what: str, accepted: str) -> InputError:
        """The error for a file in which no sheet has a header row naming ``what``."""
        if not any(sheet.head() for sheet in self.sheets()):
            return InputError("the file holds no data", file=self.label)
        where = "any sheet" if len(self.names) > 1 else "the file"
        return InputError(
            f"no header row with a {what} column in the first 20 rows of {where}; looked for a column named "
            f"one of: {accepted}", file=self.label, column=what)


def open_book(path: str | os.PathLike) -> Book:
    """The file's sheets, each read only when asked for. InputError, naming the file, when it cannot be read."""
    label = os.fspath(path)
    file = Path(label)
    suffix = file.suffix.lower()
    if suffix not in WORKBOOK_SUFFIXES and suffix not in TEXT_SUFFIXES:
        raise _fail(label, f"cannot read a {suffix or 'suffix-less'} file; save it as {ACCEPTED}")
    try:
        with file.open("rb") as stream:
            start = stream.read(8)
    except OSError as error:
        raise _fail(label, f"cannot open the file: {error.strerror or error}") from None
    if not start:
        raise _fail(label, "the file is empty")
    guards.check_file(file, label=label)  # size, content, zip bombs, DTDs: before any parser
    if suffix in WORKBOOK_SUFFIXES:
        return _open_workbook(label, WORKBOOK_SUFFIXES[suffix], start)
    if start.startswith(_ZIP) or start.startswith(_OLE):
        raise _fail(label, f"this is a workbook, not {suffix[1:].upper()} text; give it its own suffix "
                           "(.xlsx, .xls or .ods)")
    return _open_text(label, file, TEXT_SUFFIXES[suffix])


def _open_workbook(label: str, kind: str, start: bytes) -> Book:
    if not start.startswith(_MAGIC[kind]):
        if kind != "XLS" and start.startswith(_OLE):
            why = "it is encrypted (password-protected) or an XLS file; remove the password or save it as XLSX"
        else:
            why = "its content is not a spreadsheet (a text or other file given a spreadsheet's name?)"
        raise _fail(label, f"cannot read the file as {kind}: {why}")
    try:
        workbook = CalamineWorkbook.from_path(label)
        names = [meta.name for meta in workbook.sheets_metadata if meta.typ == SheetTypeEnum.WorkSheet]
    except (CalamineError, OSError, ValueError) as error:
        raise _fail(label, f"cannot read the file as {kind}: {error}") from None
    if not names:
        raise _fail(label, "the workbook has no worksheets")
    several = len(names) > 1

    def load(name: str) -> Sheet:
        where = f"{label} [{name}]" if several else label
        try:
            sheet = workbook.get_sheet_by_name(name)
        except (CalamineError, ValueError) as error:
            raise _fail(where, f"cannot read the sheet: {error}") from None
        return _WorkbookSheet(name, where, sheet)

    return Book(label, names, load)


def _open_text(label: str, file: Path, delimiter: str | None) -> Book:
    with file.open("rb") as stream:
        start = stream.read(65536)
    if b"\x00" in start:
        raise _fail(label, f"the file is not text (it holds binary data); save it as {ACCEPTED}")
    encoding, lines, blank = _text_encoding(file)
    if blank:
        raise _fail(label, "the file is empty")
    sample = start.decode(encoding, errors="ignore")
    if delimiter is None:
        delimiter = _delimiter(sample)
    sheet = _TextSheet(file.name, label, file, encoding, delimiter, lines)
    return Book(label, [sheet.name], lambda name: sheet)


def _text_encoding(file: Path) -> tuple[str, int, bool]:
    """UTF-8 (with or without its BOM) if the whole file decodes as such, else cp1252 (what Excel on Windows
    writes for "CSV"); also its number of lines and whether it is all blank. One pass, a chunk at a time."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8, lines, blank = True, 0, True
    with file.open("rb") as stream:
        while chunk := stream.read(1024 * 1024):
            lines += chunk.count(b"\n")
            blank = blank and not chunk.strip(b" \t\r\n\x0b\x0c\xef\xbb\xbf")
            if utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    return ("utf-8-sig" if utf8 else "cp1252"), lines + 1, blank
def _delimiter(content: str) -> str:
    """Comma, semicolon (Excel in much of Europe) or tab: whichever the first lines use most."""
    sample = "\n".join(content[:65536].splitlines()[:HEADER_SEARCH_ROWS])
    return max((",", ";", "\t"), key=sample.count)
