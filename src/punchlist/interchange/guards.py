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
  the expanded XML before calamine holds it, in every part a reader takes cells from: sheets named in any
  case and at any path the workbook's relationships give, the shared strings, ODS's content; a cell's text
  is added up over its rich-text runs (<r>, <text:span>), and ODS's repeated spaces (<text:s text:c="N"/>)
  are counted. It checks every field read from XLS, XLSB and CSV after reading (an XLS string holds at most
  65,535 characters by its format); the lint's reading of a contractor's own file (``read_poam``) is spared
  that pass: it is bounded by the file limits.

Every refusal is an InputError naming the file (and the part, row and column where there is one).
"""

from __future__ import annotations

import csv
import os
import posixpath
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
    suffix = Path(path).suffix.lower()
    if kind == "TEXT" and suffix == ".csv" and _nessus_csv(path):
        return "NESSUS_CSV"
    if kind == "JSON" and (suffix == ".cklb" or _cklb(path)):
        return "CKLB"
    if kind in SCANNER_KINDS and suffix in (".xml", ".nessus", ".ckl"):
        return kind
    named = {".json": "JSON", ".xml": "XML", ".yaml": "YAML", ".yml": "YAML"}.get(suffix)
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
                 "XML": "an OSCAL POA&M XML document", "YAML": "an OSCAL POA&M YAML document",
                 "NESSUS": "a Nessus v2 XML report", "NESSUS_CSV": "a Nessus CSV export",
                 "OPENVAS": "an OpenVAS / Greenbone XML report", "CKL": "a STIG Viewer checklist (.ckl)",
                 "CKLB": "a STIG Viewer checklist (.cklb)"}
_SUFFIX = {"XLSX": ".xlsx", "XLSB": ".xlsb", "XLS": ".xls or .xlsx", "ODS": ".ods", "TEXT": ".csv",
           "JSON": ".json", "XML": ".xml", "YAML": ".yaml", "NESSUS": ".nessus", "OPENVAS": ".xml", "CKL": ".ckl",
           "CKLB": ".cklb"}


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
# What check_upload calls scanners' reports and STIG checklists (``interchange.scanners``).
SCANNER_KINDS = frozenset({"NESSUS", "NESSUS_CSV", "OPENVAS", "CKL", "CKLB"})
# The root element (lower case) of a scanner's XML, by what it is
_SCANNER_ROOTS = (("<nessusclientdata_v2", "NESSUS"), ("<checklist", "CKL"), ("<report", "OPENVAS"),
                  ("<get_reports_response", "OPENVAS"))
# What may stand before the root element: declarations, comments and a DOCTYPE (which the reader then refuses)
_XML_PROLOG = re.compile(r"^(?:<\?[^>]*\?>\s*|<!--.*?-->\s*|<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>\s*)*",
                         re.DOTALL | re.IGNORECASE)


def _scanner_xml(start: str) -> str | None:
    """The scanner format whose root element the XML document opens with, if any."""
    body = start[_XML_PROLOG.match(start).end():].lower()
    for root, kind in _SCANNER_ROOTS:
        if body.startswith(root) and body[len(root):len(root) + 1] in (">", " ", "\t", "\r", "\n", "/"):
            return kind
    return None


def _nessus_csv(path) -> bool:
    from .scanners.nessus_csv import looks_like_nessus_csv

    with open(path, "rb") as stream:
        head = stream.read(8192)
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return looks_like_nessus_csv(head[len(bom):].decode(encoding, errors="ignore"))
    return looks_like_nessus_csv(head.decode("latin-1"))


def _cklb(path) -> bool:
    """A STIG Viewer 3 checklist saved under another name than .cklb: its keys say so."""
    with open(path, "rb") as stream:
        head = stream.read(4096).decode("utf-8", errors="ignore")
    return '"stigs"' in head and ('"target_data"' in head or '"cklb_version"' in head)


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
    scanner = _scanner_xml(start) if lowered.startswith("<") else None
    if scanner is not None:
        return scanner  # a scanner's report or a STIG checklist (``check_upload`` takes them)
    if lowered.startswith("<"):
        what = ("an Excel 2003 XML spreadsheet" if "urn:schemas-microsoft-com:office:spreadsheet" in lowered
                else "an XML document")
        raise _Refused(f"it is {what}, not a spreadsheet this reads (nor an OSCAL POA&M, a Nessus or OpenVAS report "
                       f"or a STIG checklist); save it as {ACCEPTED}")
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
            for info, part_kind in _cell_parts(archive, members, kind):
                _expand(archive, info, limits, part_kind)
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


# Where cell text lives: XLSX's sheets and shared strings, ODS's content. Found by name (in any case: a
# reader opens "xl/worksheets/Sheet1.XML" as readily) and, for XLSX, through the workbook itself: a sheet may
# stand at any path its relationship names ("_cell_parts").
_CELL_PARTS = re.compile(r"xl/worksheets/[^/]+\.xml|xl/sharedStrings\.xml|content\.xml", re.IGNORECASE)
_EXPAND_CHUNK = 4 * MIB
# Bytes between two tags that no cell of 32,767 characters can take, even written as "&#x10FFFF;" each; and
# so the text one cell may hold, however many rich-text runs (<r>, <text:span>) it is cut into.
_RUN_WINDOW = 384 * KIB
_CELL_REFERENCE = re.compile(rb'<c\b[^>]*?\sr="([A-Z]{1,3})([0-9]{1,7})"')
# Where one cell's text ends, by the kind of part: a sheet's cell, a shared string, an ODS cell.
_CELL_END = {
    "sheet": re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?c\s*>"),
    "strings": re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?si\s*>"),
    "ods": re.compile(rb"</table:table-cell\s*>"),
}
_TAG = re.compile(rb"<[^>]*>?")
# <text:s text:c="N"/> is N spaces: ODS's one way to make a long cell of a few bytes.
_ODS_SPACES = re.compile(rb"""text:c\s*=\s*["']\s*(\d{3,})""")
_ODS_CELL_START = b"<table:table-cell"
_WORKBOOK_PART_BYTES = 16 * MIB  # xl/workbook.xml and its relationships, read whole to find the sheets
_SHEET_ELEMENT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sheet\b[^>]*>")
_RELATIONSHIP = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?Relationship\b[^>]*>")


def _attribute(element: bytes, name: bytes) -> str | None:
    """An attribute's value (any namespace prefix), or None."""
    found = re.search(rb"(?:^|\s)(?:[A-Za-z_][\w.-]*:)?" + name + rb"""\s*=\s*(?:"([^"]*)"|'([^']*)')""", element)
    if found is None:
        return None
    return (found.group(1) if found.group(1) is not None else found.group(2)).decode("utf-8", "replace")


def _small_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    if info.file_size > _WORKBOOK_PART_BYTES:
        raise _Refused(f"part {info.filename} declares {info.file_size:,} bytes; a workbook's index of its sheets "
                       f"is never larger than {_WORKBOOK_PART_BYTES:,}")
    try:
        return archive.read(info)
    except Exception as error:  # BadZipFile, zlib.error
        raise _Refused(f"the file is damaged: part {info.filename} cannot be read ({error})") from None


def _sheet_targets(archive: zipfile.ZipFile, by_name: dict[str, zipfile.ZipInfo]) -> set[str]:
    """The parts the workbook reads as sheets: each <sheet r:id> of xl/workbook.xml through the workbook's
    relationships, whatever the path or the relationship's type says; names in lower case."""
    workbook = by_name.get("xl/workbook.xml")
    rels = by_name.get("xl/_rels/workbook.xml.rels")
    if workbook is None or rels is None:
        return set()
    ids = {_attribute(element, b"id") for element in _SHEET_ELEMENT.findall(_small_part(archive, workbook))}
    targets = set()
    for element in _RELATIONSHIP.findall(_small_part(archive, rels)):
        target = _attribute(element, b"Target")
        kind = (_attribute(element, b"Type") or "").rsplit("/", 1)[-1]
        if not target or (_attribute(element, b"Id") not in ids
                          and kind not in ("worksheet", "sharedStrings", "chartsheet", "dialogsheet")):
            continue
        # As a reader resolves it: "/x" from the package's root, "xl/x" as it stands, anything else under xl/.
        for candidate in (target.lstrip("/"), target, posixpath.normpath(posixpath.join("xl", target))):
            targets.add(candidate.lower())
    return targets


def _cell_parts(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], kind: str) -> list[tuple]:
    """(part, kind of part) for every part a reader takes cell text from."""
    by_name = {info.filename.lower(): info for info in members}
    targets = _sheet_targets(archive, by_name) if kind == "XLSX" else set()
    parts = []
    for info in members:
        name = info.filename.lower()
        if kind == "ODS":
            if name == "content.xml":
                parts.append((info, "ods"))
        elif name.endswith("sharedstrings.xml") and (name == "xl/sharedstrings.xml" or name in targets):
            parts.append((info, "strings"))
        elif name in targets or _CELL_PARTS.fullmatch(name):
            parts.append((info, "sheet"))
    return parts


def _text_bytes(data: bytes) -> int:
    """Bytes of text (outside tags) in ``data``: what a reader would make cell text of."""
    return len(data) - sum(map(len, _TAG.findall(data)))


class _Cells:
    """The text of one cell, carried across a part's chunks: refused once it reaches ``_RUN_WINDOW`` bytes
    in all, however many runs it is cut into. Windows of half that size side by side are each searched for a
    cell's end; where every window holds one, no span between two ends is long enough to matter, so only a
    window without one is looked into (no Python step per cell)."""

    def __init__(self, info: zipfile.ZipInfo, kind: str):
        self.info, self.kind, self.end = info, kind, _CELL_END[kind]
        self.carried = 0  # text bytes since the last cell end, in the chunks before
        self.opening = b""  # where that cell starts, to name it

    def feed(self, chunk: bytes) -> None:
        half = _RUN_WINDOW // 2
        first = self.end.search(chunk)
        if first is None:
            self.carried += _text_bytes(chunk)
            self._check(self.opening, self.carried)
            return
        self._check(self.opening, self.carried + _text_bytes(chunk[:first.start()]))
        start = at = first.end()  # the span after the last cell end seen
        while at < len(chunk):
            if self.end.search(chunk, at, at + half) is not None:
                at += half
                continue
            ends = list(self.end.finditer(chunk, max(start, at - half), at))
            begin = ends[-1].end() if ends else max(start, at - half)
            following = self.end.search(chunk, at + half)
            stop = following.start() if following else len(chunk)
            text = _text_bytes(chunk[begin:stop])
            opening = chunk[max(0, begin - 4096):begin + 4096]
            self._check(opening, text)
            if following is None:
                self.carried, self.opening = text, opening
                return
            start = at = following.end()
        ends = list(self.end.finditer(chunk, max(start, len(chunk) - half)))
        begin = ends[-1].end() if ends else len(chunk)
        self.carried, self.opening = _text_bytes(chunk[begin:]), chunk[max(0, begin - 4096):begin + 4096]

    def _check(self, before: bytes, text: int) -> None:
        if text >= _RUN_WINDOW:
            _outsized(self.info, before, text, whole_cell=True)

    def feed_spaces(self, chunk: bytes) -> None:
        """ODS: the spaces <text:s text:c="N"/> elements add up to in one cell (a few bytes make millions)."""
        totals: dict[int, int] = {}
        for spaces in _ODS_SPACES.finditer(chunk):
            cell = chunk.rfind(_ODS_CELL_START, 0, spaces.start())
            totals[cell] = totals.get(cell, 0) + int(spaces.group(1))
            if totals[cell] > LIMITS.cell_chars:
                _outsized(self.info, b"", totals[cell], unit="spaces")


def _expand(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits, kind: str = "sheet") -> None:
    """Read one part through, holding at most a chunk: any text run (the bytes between two tags) of
    ``_RUN_WINDOW`` or more is refused, naming the cell where the part says which, and so is a cell whose
    runs add up to that much (``_Cells``). zipfile stops at the size the part declares and checks its CRC,
    so a part that would expand further is refused as damaged.

    Runs are found without a Python step per tag: within a chunk, windows of ``_RUN_WINDOW`` bytes side by
    side from the first "<" are each searched for a "<" (a run twice the window long holds a whole window);
    across chunks the run is carried exactly.
    """
    run = 0  # bytes since the last "<", carried from the chunk before
    tail = b""  # the end of the chunk before, where the cell of a run that starts there is named
    cells = _Cells(info, kind)
    overlap = b""  # the end of the chunk before, so that a <text:s text:c="N"/> cut in two is still read
    try:
        with archive.open(info) as part:
            while chunk := part.read(_EXPAND_CHUNK):
                cells.feed(chunk)
                if kind == "ods":
                    cells.feed_spaces(overlap + chunk)
                    overlap = chunk[-64:]
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


def _outsized(info: zipfile.ZipInfo, before: bytes, length: int, *, whole_cell: bool = False,
              unit: str = "bytes") -> None:
    references = _CELL_REFERENCE.findall(before)
    row = column = None
    name = info.filename.lower()
    where = f"part {info.filename}"
    if name.endswith("sharedstrings.xml"):
        where = f"the workbook's shared strings ({info.filename})"
    elif references and name != "content.xml":
        letters, number = references[-1]
        column, row = letters.decode(), int(number)
    what = "a cell's text"  # in one run or added up over its runs (whole_cell): the same to the reader
    if unit == "spaces":
        what = "a cell's repeated spaces (<text:s text:c>)"
    raise _Refused(f"{what} in {where} runs to {length:,} {unit} or more; a spreadsheet cell holds at most "
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


def csv_error(error: csv.Error, label: str, row: int) -> InputError:
    """A malformed CSV file or an outsized field, refused with the row where the csv module stopped."""
    message = str(error)
    if "field larger than field limit" in message:
        message = (f"a field holds more than {csv.field_size_limit():,} characters, more than a "
                   "spreadsheet cell can; this file was not made by a spreadsheet program")
    return InputError(f"cannot read the file as CSV: {message}", file=label, row=row)
