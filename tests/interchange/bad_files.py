"""Hostile spreadsheets, made in a test's tmp_path: zip bombs, entity-expansion attacks, outsized cells.

The archives are written byte by byte (``write_zip``) so that a test controls what the central directory
declares, which ``zipfile`` would always write truthfully. A gigabyte bomb costs a few megabytes and a few
milliseconds to make: one compressed block of repeated rows, flushed so that it stands alone, is repeated.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

SHEET_START = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
SHEET_END = b"</sheetData></worksheet>"
SHEET_MEMBER = "xl/worksheets/sheet1.xml"


@dataclass
class Member:
    name: str
    data: bytes  # what is stored: raw deflate data for method 8
    method: int = zipfile.ZIP_DEFLATED
    crc: int = 0
    size: int = 0  # the uncompressed size the archive declares


def deflated(name: str, content: bytes) -> Member:
    """An honest member."""
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return Member(name, packer.compress(content) + packer.flush(), crc=zlib.crc32(content), size=len(content))


def _standalone(content: bytes, finish: bool = False) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(content) + packer.flush(zlib.Z_FINISH if finish else zlib.Z_FULL_FLUSH)


def bomb_member(name: str, head: bytes, unit: bytes, repeats: int, tail: bytes, *, declared: int | None = None,
                block: int = 1 << 20) -> Member:
    """``head + unit * repeats + tail``, deflated without ever holding it: ``block // len(unit)`` units are
    compressed once (a full flush makes the result stand alone) and that is repeated. ``declared`` is the
    uncompressed size the archive claims (the true one by default, with a true CRC then)."""
    per_block = max(1, block // len(unit))
    whole, rest = divmod(repeats, per_block)
    chunk = _standalone(unit * per_block)
    data = b"".join([_standalone(head), chunk * whole, _standalone(unit * rest), _standalone(tail, True)])
    size = len(head) + len(unit) * repeats + len(tail)
    crc = 0
    if declared is None:
        crc = zlib.crc32(head)
        piece = unit * per_block
        for _ in range(whole):
            crc = zlib.crc32(piece, crc)
        crc = zlib.crc32(tail, zlib.crc32(unit * rest, crc))
        declared = size
    return Member(name, data, crc=crc, size=declared)


def write_zip(path: Path, members: list[Member]) -> Path:
    """A zip archive exactly as described: local headers, data, central directory (no zip64)."""
    body, directory = bytearray(), bytearray()
    for member in members:
        name = member.name.encode()
        offset = len(body)
        fields = (20, 0, member.method, 0, 0x21, member.crc, len(member.data), member.size, len(name), 0)
        body += struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields) + name + member.data
        directory += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, *fields, 0, 0, 0, 0, offset) + name
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(directory), len(body), 0)
    path.write_bytes(bytes(body) + bytes(directory) + end)
    return path


def xlsx_members(sheet: Member | None = None, **replace: Member) -> list[Member]:
    """The parts of a one-sheet XLSX workbook; ``sheet`` (and any part in ``replace``) in place of the usual."""
    parts = {
        "[Content_Types].xml": (
            b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            b'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            b'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
            b'"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
            b'main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
            b'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'),
        "_rels/.rels": (
            b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            b'2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            b'2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            b'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
            b'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
            b'relationships"><sheets><sheet name="POA&amp;M" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            b'2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            b'2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'),
    }
    members = [replace.get(name) or deflated(name, content) for name, content in parts.items()]
    members.append(sheet or deflated(SHEET_MEMBER, sheet_xml([["POAM ID", "Requirement", "Weakness"],
                                                               ["POAM-AC-001", "3.1.1", "Shared account"]])))
    return members


def _cell(reference: str, value: str) -> bytes:
    text = value.replace("&", "&amp;").replace("<", "&lt;").encode()
    return b'<c r="' + reference.encode() + b'" t="inlineStr"><is><t>' + text + b"</t></is></c>"


def sheet_xml(rows: list[list[str]]) -> bytes:
    """A sheet's XML with ``rows`` from A1 on, every cell named by its reference as Excel writes them."""
    body = b"".join(b'<row r="%d">' % number
                    + b"".join(_cell(f"{chr(65 + place)}{number}", v) for place, v in enumerate(row)) + b"</row>"
                    for number, row in enumerate(rows, 1))
    return SHEET_START + body + SHEET_END


BILLION_LAUGHS = (b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
                  + b"".join(b' <!ENTITY lol%d "%s">\n' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10)
                             for n in range(1, 10))
                  + b"]>\n")
