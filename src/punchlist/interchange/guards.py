"""What a file must pass before any parser sees it, so that a hostile or mislabelled file costs little.

- size: a file (an upload) larger than ``Limits.file_bytes`` is refused unread;
- content: the first bytes say what a file is (a PNG, a PDF, a Word document, CSV text...); a file whose
  content is not what its name says is refused, naming both, before a parser's own error could confuse;
- zip bombs: an XLSX or ODS is a zip archive. Its central directory is read first (never the parts): too
  many parts, parts that would expand past ``Limits.uncompressed_bytes`` in all, or compress better than any
  spreadsheet does (``Limits.ratio``) are refused, and so is a part that declares fewer bytes than deflate
  could make of what it holds. One that expands past a plausible declared size is stopped at that size:
  calamine's zip reader refuses the first byte over it (tests/interchange/test_bad_files.py shows it), and
  an import's ``expand_parts`` checks every part's CRC;
- XML entity expansion: parts of a spreadsheet never have a DTD, and entities ("billion laughs") can only
  be declared in one. The prolog of every XML part (the few bytes before its first element, the only place
  a DTD may stand) is decompressed and read; a part with a DTD is refused. openpyxl (the FedRAMP template)
  also parses through defusedxml;
- cells: Excel cannot hold more than 32,767 characters in a cell; a longer one (a "50 MB cell") is refused
  naming its row and column. An import (``UPLOAD_LIMITS``: ``read_poam_file``, the web upload) finds it in
  the expanded XML before calamine holds it, and checks every field read from XLS, XLSB and CSV; the lint's
  reading of a contractor's own file (``read_poam``) is spared that pass: it is bounded by the file limits.

Every refusal is an InputError naming the file (and the part, row and column where there is one).
"""

from __future__ import annotations

import csv
import io
import os
import re
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

from punchlist.core.records import Poam
from punchlist.errors import InputError

KIB, MIB = 1024, 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what one file may cost; the defaults fit a 400,000-row POA&M."""

    file_bytes: int = 100 * MIB
    members: int = 10_000  # parts of a zip archive; a large workbook has a few hundred
    uncompressed_bytes: int = 512 * MIB  # all parts together, expanded
    ratio: int = 200  # expanded / compressed for one part; spreadsheets' XML compresses 5 to 30 times
    ratio_floor: int = 4 * MIB  # parts smaller than this may compress as well as they like
    cell_chars: int = 32_767  # Excel's limit on one cell
    prolog_bytes: int = 64 * KIB  # where an XML part's first element must start
    # Expand the parts that hold cell text, a chunk at a time, before calamine does: an outsized cell is
    # then refused without ever being held (calamine holds about ten times a cell's size while reading it).
    # Costs a few per cent of a bare read: on for uploads and imports, off for the lint's own files.
    expand_parts: bool = False


LIMITS = Limits()
UPLOAD_LIMITS = Limits(expand_parts=True)

WORKBOOK_KINDS = {".xlsx": "XLSX", ".xlsm": "XLSX", ".xlsb": "XLSB", ".xls": "XLS", ".ods": "ODS"}
TEXT_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")  # an archive, or an empty one
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MAGIC = (  # (prefix, what it is) for the files people attach by mistake
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"{\\rtf", "an RTF document"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
)
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


class _Refused(Exception):
    """Raised inside the checks; ``check_file`` turns it into an InputError naming the file."""

    def __init__(self, message: str, *, row: int | None = None, column: str | None = None):
        super().__init__(message)
        self.row, self.column = row, column


def check_file(path: str | os.PathLike, *, label: str | None = None, limits: Limits = LIMITS) -> str:
    """Refuse (InputError) a file that must not reach a parser; else return what it is by content.

    The answer is one of ``WORKBOOK_KINDS``' values, ``"TEXT"`` or ``"JSON"``. A file whose suffix names
    another kind than its content is refused here; a suffix-less or unknown one is judged by content alone.
    """
    label = label or os.fspath(path)
    file = Path(path)
    suffix = file.suffix.lower()
    named = WORKBOOK_KINDS.get(suffix) or (suffix[1:].upper() if suffix in TEXT_SUFFIXES else None)
    try:
        try:
            size = file.stat().st_size
        except OSError as error:
            raise InputError(f"cannot open the file: {error.strerror or error}", file=label) from None
        check_size(size, label=label, limits=limits)
        if size == 0:
            raise InputError("the file is empty", file=label)
        with file.open("rb") as stream:
            head = stream.read(4096)
        try:
            found = _what(file, head, suffix, limits)
            _match_suffix(suffix, found)
        except _Refused as refusal:
            message = str(refusal)
            if named and not message.startswith(("cannot", "this is")):
                message = f"cannot read the file as {named}: {message}"
            raise InputError(message, file=label, row=refusal.row, column=refusal.column) from None
        return found
    except OSError as error:
        raise InputError(f"cannot read the file: {error.strerror or error}", file=label) from None


def check_upload(path: str | os.PathLike, *, label: str | None = None, limits: Limits = LIMITS) -> str:
    """``check_file`` for a file brought to be imported, which may also be OSCAL JSON: a file named .json
    that holds something else is refused too, rather than read as whatever it is."""
    label = label or os.fspath(path)
    kind = check_file(path, label=label, limits=limits)
    named = {".json": "JSON", ".xml": "XML", ".yaml": "YAML", ".yml": "YAML"}.get(Path(path).suffix.lower())
    if named and kind != named:
        raise InputError(f"the file is named {Path(path).suffix.lower()} but holds {describe(kind)}, not OSCAL "
                         f"{named}; give it its own suffix", file=label)
    return kind


def check_size(size: int, *, label: str, limits: Limits = LIMITS) -> None:
    """An upload too large to read is refused before a byte of it is parsed (the web import's first check)."""
    if size > limits.file_bytes:
        raise InputError(f"the file is {size:,} bytes, more than the {limits.file_bytes:,} "
                         f"({limits.file_bytes / MIB:g} MiB) a file may have", file=label)


ACCEPTED = "XLSX, XLSM, XLSB, XLS, ODS or CSV"
_DESCRIPTIONS = {"XLSX": "an XLSX workbook", "XLSB": "an XLSB workbook", "XLS": "an XLS workbook",
                 "ODS": "an ODS spreadsheet", "TEXT": "text (CSV?)", "JSON": "a JSON document",
                 "XML": "an OSCAL POA&M XML document", "YAML": "an OSCAL POA&M YAML document"}
_SUFFIX = {"XLSX": ".xlsx", "XLSB": ".xlsb", "XLS": ".xls or .xlsx", "ODS": ".ods", "TEXT": ".csv",
           "JSON": ".json", "XML": ".xml", "YAML": ".yaml"}


def describe(kind: str) -> str:
    """What ``check_file``'s answer is, in words: "an XLSX workbook"."""
    return _DESCRIPTIONS.get(kind, kind)


def _what(file: Path, head: bytes, suffix: str, limits: Limits) -> str:
    if head.startswith(_ZIP):
        if suffix in TEXT_SUFFIXES:
            try:
                kind = _zip_kind(file, limits)
            except _Refused:  # damaged, or worse: it is not text either way
                kind = None
            if kind is None:
                raise _Refused(f"this is a workbook, not {suffix[1:].upper()} text (a zip archive, damaged or not a "
                               "spreadsheet); give it its own suffix (.xlsx, .xls or .ods)")
            return kind
        return _zip_kind(file, limits)
    if head.startswith(_OLE):
        return "XLS"
    for magic, description in _MAGIC:
        if head.startswith(magic):
            raise _Refused(f"it is {description}, not a spreadsheet; give a file saved as {ACCEPTED}")
    return _text_kind(head)


_OSCAL_YAML = re.compile(r"^(?:---\s*\n(?:#[^\n]*\n|\s*\n)*)?plan-of-action-and-milestones\s*:", re.MULTILINE)
# What check_file calls the OSCAL POA&M serialisations NIST publishes.
OSCAL_KINDS = frozenset({"JSON", "XML", "YAML"})


def _text_kind(head: bytes) -> str:
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            start = head[len(bom):].decode(encoding, errors="ignore").lstrip()
            break
    else:
        if b"\x00" in head:
            raise _Refused(f"the file is not text (it holds binary data), nor a spreadsheet; give a file saved "
                           f"as {ACCEPTED}")
        start = head.decode("latin-1").lstrip()
    if start[:1] in ("{", "["):
        return "JSON"
    lowered = start[:512].lower()
    if lowered.startswith(("<!doctype html", "<html")) or "<html" in lowered:
        raise _Refused("it is an HTML page (some systems save one as \".xls\"), not a spreadsheet; open it in "
                       f"a spreadsheet program and save it as {ACCEPTED}")
    if lowered.startswith("<") and ("<plan-of-action-and-milestones" in start or "http://csrc.nist.gov/ns/oscal"
                                    in start):
        return "XML"  # an OSCAL POA&M in NIST's XML
    if _OSCAL_YAML.search(start[:4096]):
        return "YAML"  # an OSCAL POA&M in NIST's YAML
    if lowered.startswith("<"):
        what = ("an Excel 2003 XML spreadsheet" if "urn:schemas-microsoft-com:office:spreadsheet" in lowered
                else "an XML document")
        raise _Refused(f"it is {what}, not a spreadsheet this reads; save it as {ACCEPTED}")
    return "TEXT"


def _match_suffix(suffix: str, found: str) -> None:
    expected = WORKBOOK_KINDS.get(suffix)
    if expected is not None:
        if found == expected:
            return
        if found == "XLS":
            raise _Refused(f"cannot read the file as {expected}: it is an OLE2 file, so encrypted "
                           "(password-protected) or an old XLS workbook; remove the password or save it as XLSX")
        if found in ("TEXT", "JSON", "XML", "YAML"):
            raise _Refused(f"its content is {_DESCRIPTIONS[found]}, not a spreadsheet; if it is CSV, name it "
                           ".csv")
        raise _Refused(f"it is {_DESCRIPTIONS[found]}; give it its own suffix ({_SUFFIX[found]})")
    if suffix in TEXT_SUFFIXES and found != "TEXT":
        if found in OSCAL_KINDS:
            raise _Refused(f"this is {_DESCRIPTIONS[found]}, not {suffix[1:].upper()} text; an OSCAL POA&M is "
                           f"read from a {_SUFFIX[found]} file")
        raise _Refused(f"this is {_DESCRIPTIONS[found]}, not {suffix[1:].upper()} text; give it its own suffix "
                       f"({_SUFFIX[found]})")


# -- zip archives -------------------------------------------------------------------------------------

_EOCD = b"PK\x05\x06"
_EOCD64_LOCATOR = b"PK\x06\x07"
_STORED, _DEFLATED = zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED


def _directory_size(file: Path) -> tuple[int, int]:
    """The number of parts and the central directory's size, from the end record: read before zipfile
    reads the directory itself, which costs memory per part."""
    with file.open("rb") as stream:
        stream.seek(0, os.SEEK_END)
        size = stream.tell()
        tail_size = min(size, 65535 + 22)
        stream.seek(size - tail_size)
        tail = stream.read(tail_size)
        at = tail.rfind(_EOCD)
        if at < 0 or len(tail) - at < 22:
            raise _Refused("the file is damaged: it starts as a zip archive (XLSX and ODS are) but has no end "
                           "record; save it again from the spreadsheet program")
        entries, directory = struct.unpack("<HI", tail[at + 10:at + 16])
        if entries == 0xFFFF or directory == 0xFFFFFFFF:  # zip64: the counts are in the zip64 end record
            locator = at - 20
            if locator < 0 or tail[locator:locator + 4] != _EOCD64_LOCATOR:
                raise _Refused("the file is damaged: a zip64 archive without its zip64 end record")
            (offset,) = struct.unpack("<Q", tail[locator + 8:locator + 16])
            stream.seek(offset)
            record = stream.read(56)
            if len(record) < 56 or record[:4] != b"PK\x06\x06":
                raise _Refused("the file is damaged: its zip64 end record is missing")
            entries, directory = struct.unpack("<QQ", record[32:48])
    return entries, directory


def _zip_kind(file: Path, limits: Limits) -> str:
    entries, directory = _directory_size(file)
    if entries > limits.members or directory > limits.members * 1024:
        raise _Refused(f"the archive holds {entries:,} parts, more than the {limits.members:,} a spreadsheet "
                       "may have: refused as a possible zip bomb")
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, ValueError, NotImplementedError) as error:
        raise _Refused(f"the file is damaged: not a readable zip archive ({error})") from None
    with archive:
        members = archive.infolist()
        _check_sizes(members, limits)
        kind = _package_kind(archive, members)
        for info in members:
            _check_prolog(archive, info, limits)
        if limits.expand_parts:
            for info in members:
                if _CELL_PARTS.fullmatch(info.filename):
                    _expand(archive, info, limits)
    return kind


def _check_sizes(members: list[zipfile.ZipInfo], limits: Limits) -> None:
    total = 0
    for info in members:
        if info.flag_bits & 0x1:
            raise _Refused(f"part {info.filename} is encrypted; a spreadsheet's parts never are")
        if info.compress_type not in (_STORED, _DEFLATED):
            raise _Refused(f"part {info.filename} is compressed with method {info.compress_type}, which "
                           "spreadsheet programs do not use")
        total += info.file_size
        if info.compress_size > info.file_size + info.file_size // 1000 + 1024:
            # Deflate never makes data more than a few bytes per 64 KiB larger: this size is a lie.
            raise _Refused(f"part {info.filename} declares {info.file_size:,} bytes expanded but holds "
                           f"{info.compress_size:,} compressed: its sizes are false (damaged, or a zip bomb "
                           "hiding its size)")
        if info.file_size > limits.ratio_floor and info.file_size > limits.ratio * max(info.compress_size, 1):
            ratio = info.file_size / max(info.compress_size, 1)
            raise _Refused(f"part {info.filename} would expand {ratio:,.0f} times, to {info.file_size:,} bytes; "
                           f"a spreadsheet's parts compress at most {limits.ratio} times: refused as a possible "
                           "zip bomb")
    if total > limits.uncompressed_bytes:
        raise _Refused(f"its parts would expand to {total:,} bytes, more than the {limits.uncompressed_bytes:,} "
                       f"({limits.uncompressed_bytes / MIB:g} MiB) allowed: refused as a possible zip bomb")


def _package_kind(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo]) -> str:
    names = {info.filename for info in members}
    if "mimetype" in names:
        mimetype = archive.read("mimetype")[:100].decode("ascii", errors="replace").strip()
        if mimetype == "application/vnd.oasis.opendocument.spreadsheet":
            return "ODS"
        kind = {"text": "an ODT text document", "presentation": "an ODP presentation"}.get(
            mimetype.rsplit(".", 1)[-1], f"an OpenDocument file ({mimetype})")
        raise _Refused(f"it is {kind}, not a spreadsheet")
    if "[Content_Types].xml" in names:
        if "xl/workbook.xml" in names:
            return "XLSX"
        if "xl/workbook.bin" in names:
            return "XLSB"
        if any(name.startswith("word/") for name in names):
            raise _Refused("it is a Word document (DOCX), not a spreadsheet")
        if any(name.startswith("ppt/") for name in names):
            raise _Refused("it is a PowerPoint presentation (PPTX), not a spreadsheet")
        raise _Refused("it is an Office package without a workbook in it")
    raise _Refused(f"it is a zip archive, not a spreadsheet; give the file saved as {ACCEPTED}")


def _check_prolog(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> None:
    """Refuse an XML part with a DTD. Only the prolog is read: a DTD may stand nowhere else."""
    if info.is_dir() or info.file_size == 0:
        return
    try:
        with archive.open(info) as part:
            data = part.read(1024)
            while True:
                state = _prolog_state(data)
                if state == "dtd":
                    raise _Refused(f"part {info.filename} declares a DTD (<!DOCTYPE ...>); a spreadsheet's XML "
                                   "never does, and its entities can expand to gigabytes (the \"billion "
                                   "laughs\" attack): refused")
                if state != "more":
                    return
                if len(data) >= limits.prolog_bytes:
                    raise _Refused(f"part {info.filename} has no XML element in its first {limits.prolog_bytes:,} "
                                   "bytes: refused as malformed")
                more = part.read(16 * 1024)
                if not more:
                    return
                data += more
    except _Refused:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, RuntimeError) as error:
        raise _Refused(f"the file is damaged: part {info.filename} cannot be read ({error})") from None
    except Exception as error:  # zlib.error and the like, from a corrupt deflate stream
        raise _Refused(f"the file is damaged: part {info.filename} cannot be read ({error})") from None


def _prolog_state(data: bytes) -> str:
    """"dtd", "element" (the prolog ended without one), "other" (not XML) or "more" (read further)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = data[len(bom):].decode(encoding, errors="ignore")
            break
    else:
        text = data.decode("latin-1")  # the markup is ASCII whatever the encoding
    position, end = 0, len(text)
    while True:
        while position < end and text[position] in " \t\r\n":
            position += 1
        if position >= end:
            return "more"
        if text[position] != "<":
            return "other" if position == 0 else "element"
        if position == end - 1:
            return "more"  # "<" at the end of what was read: "<?", "<!" or an element
        if text.startswith("<?", position):
            close = text.find("?>", position + 2)
            if close < 0:
                return "more"
            position = close + 2
        elif text.startswith("<!--", position):
            close = text.find("-->", position + 4)
            if close < 0:
                return "more"
            position = close + 3
        elif text.startswith("<!", position):
            if end - position < 4 and "<!--".startswith(text[position:]):
                return "more"  # perhaps a comment, cut where the read stopped
            return "dtd"
        else:
            return "element"


# Where cell text lives: XLSX's sheets and shared strings, ODS's content.
_CELL_PARTS = re.compile(r"xl/worksheets/[^/]+\.xml|xl/sharedStrings\.xml|content\.xml")
_EXPAND_CHUNK = 4 * MIB
# Bytes between two tags that no cell of 32,767 characters can take, even written as "&#x10FFFF;" each.
_RUN_WINDOW = 384 * KIB
_CELL_REFERENCE = re.compile(rb'<c\b[^>]*?\sr="([A-Z]{1,3})([0-9]{1,7})"')


def _expand(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> None:
    """Read one part through, holding at most a chunk: any text run (the bytes between two tags) of
    ``_RUN_WINDOW`` or more is refused, naming the cell where the part says which. zipfile stops at the size
    the part declares and checks its CRC, so a part that would expand further is refused as damaged.

    Runs are found without a Python step per tag: within a chunk, windows of ``_RUN_WINDOW`` bytes side by
    side from the first "<" are each searched for a "<" (a run twice the window long holds a whole window);
    across chunks the run is carried exactly.
    """
    run = 0  # bytes since the last "<", carried from the chunk before
    tail = b""  # the end of the chunk before, where the cell of a run that starts there is named
    try:
        with archive.open(info) as part:
            while chunk := part.read(_EXPAND_CHUNK):
                first = chunk.find(b"<")
                if first < 0:
                    run += len(chunk)
                    if run >= _RUN_WINDOW:
                        _outsized(info, tail, run)
                    continue
                if run + first >= _RUN_WINDOW:
                    _outsized(info, tail, run + first)
                last = chunk.rfind(b"<")
                for start in range(first, last - _RUN_WINDOW + 1, _RUN_WINDOW):
                    end = start + _RUN_WINDOW
                    if chunk.find(b"<", start + 1, end) < 0:
                        opening = chunk.rfind(b"<", 0, start + 1)
                        _outsized(info, chunk[max(0, opening - 4096):opening + 1], _RUN_WINDOW)
                run = len(chunk) - 1 - last
                tail = chunk[max(0, last - 4096):]
                if run >= _RUN_WINDOW:
                    _outsized(info, tail, run)
            if run >= _RUN_WINDOW:
                _outsized(info, tail, run)
    except _Refused:
        raise
    except Exception as error:  # BadZipFile (a false size or CRC), zlib.error, EOFError
        raise _Refused(f"the file is damaged: part {info.filename} cannot be read ({error})") from None


def _outsized(info: zipfile.ZipInfo, before: bytes, length: int) -> None:
    references = _CELL_REFERENCE.findall(before)
    row = column = None
    where = f"part {info.filename}"
    if references and info.filename.startswith("xl/worksheets/"):
        letters, number = references[-1]
        column, row = letters.decode(), int(number)
    elif info.filename == "xl/sharedStrings.xml":
        where = "the workbook's shared strings (xl/sharedStrings.xml)"
    raise _Refused(f"a cell's text in {where} runs to {length:,} bytes or more; a spreadsheet cell holds at most "
                   "32,767 characters, so this one was not made by a spreadsheet program", row=row, column=column)


# -- cells ------------------------------------------------------------------------------------------------

_TEXT_FIELDS = ("id", "title", "weakness", "remediation", "responsible_unit", "primary_owner", "supporting_owner",
                "approval_authority", "evidence_custodian", "resources", "source", "evidence")


def check_items(poam: Poam, label: str, limits: Limits = LIMITS) -> None:
    """Refuse a POA&M read from a file if a field holds more text than a spreadsheet cell can, naming its
    row and field. For the formats whose cells cannot be checked before they are read (XLS, XLSB, CSV up to
    the csv module's own limit); an import's XLSX and ODS are checked before, by ``expand_parts``.
    A pass over every field of every item, so it is for imports, not for the lint's reading of a file."""
    limit = limits.cell_chars
    for item in poam.items:
        for name in _TEXT_FIELDS:
            value = getattr(item, name)
            if value is not None and len(value) > limit:
                raise InputError(f"the cell holds {len(value):,} characters; a spreadsheet cell holds at most "
                                 f"{limit:,} (Excel's limit), so this one was not made by a spreadsheet program",
                                 file=label, row=item.row, column=name)
        for number, milestone in enumerate(item.milestones, 1):
            if len(milestone.description) > limit:
                raise InputError(f"milestone {number} holds {len(milestone.description):,} characters; a "
                                 f"spreadsheet cell holds at most {limit:,}", file=label, row=item.row,
                                 column="milestones")


def csv_rows(content: str, label: str, delimiter: str) -> list[list[str]]:
    """The rows of CSV text; a malformed file or an outsized field is refused with its row number."""
    rows: list[list[str]] = []
    try:
        rows.extend(csv.reader(io.StringIO(content, newline=""), delimiter=delimiter))
    except csv.Error as error:  # extend keeps the rows read before it: the next one is the bad one
        message = str(error)
        if "field larger than field limit" in message:
            message = (f"a field holds more than {csv.field_size_limit():,} characters, more than a "
                       "spreadsheet cell can; this file was not made by a spreadsheet program")
        raise InputError(f"cannot read the file as CSV: {message}", file=label, row=len(rows) + 1) from None
    return rows

