"""The 50 MB cell is refused before a parser reads it whatever the layout that carries it: a cell cut into
rich-text runs (inline, or in the shared strings), a sheet part named in upper case, a sheet at a path of the
workbook's own choosing, an ODS cell cut into spans or made of one repeated space. Each is read in a child
process that reports its peak memory (test_bad_files.read_in_child): refused, and cheaply."""

from __future__ import annotations

import random
import zipfile
from base64 import b64encode

from bad_files import SHEET_END, SHEET_START, deflated, write_zip, xlsx_members
from test_bad_files import HEADER, read_in_child

from punchlist.interchange.guards import MIB

RUN = 100_000  # characters per run: each far under the window a single run is judged by
RUNS = 500  # 50 MB in all


def _text(size: int, seed: int = 5) -> bytes:
    return b64encode(random.Random(seed).randbytes(size * 3 // 4))  # incompressible: no ratio alarm


def _runs(open_run: bytes, close_run: bytes) -> bytes:
    piece = _text(RUN)
    return b"".join(open_run + piece[:-8] + b"%08d" % n + close_run for n in range(RUNS))


def _rows(third: bytes) -> bytes:
    """A header row and one item whose third cell (C2) is ``third`` (a whole <c> element)."""
    header = b"".join(b'<c r="%s1" t="inlineStr"><is><t>%s</t></is></c>' % (bytes([65 + i]), h.encode())
                      for i, h in enumerate(HEADER))
    return (b'<row r="1">' + header + b'</row><row r="2"><c r="A2" t="inlineStr"><is><t>POAM-AC-001</t></is></c>'
            b'<c r="B2" t="inlineStr"><is><t>3.1.1</t></is></c>' + third + b"</row>")


def _refused_cheaply(path, *, row=None, column=None) -> dict:
    report = read_in_child(path, "read_poam_file")
    assert report["error"] is not None, report
    # Refused by the guard, before the parser (the check after reading says "the cell holds N characters").
    assert "a spreadsheet cell holds at most 32,767 characters" in report["error"], report
    assert "the cell holds" not in report["error"], report
    assert report["file"] == str(path)
    if row is not None:
        assert (report["row"], report["column"]) == (row, column)
    assert report["rss_peak"] < 150 * MIB and report["python_peak"] < 30 * MIB, report
    return report


def test_an_inline_cell_cut_into_rich_text_runs_is_refused(tmp_path):
    cell = b'<c r="C2" t="inlineStr"><is>' + _runs(b"<r><rPr><b/></rPr><t>", b"</t></r>") + b"</is></c>"
    path = write_zip(tmp_path / "runs.xlsx", xlsx_members(deflated("xl/worksheets/sheet1.xml",
                                                                   SHEET_START + _rows(cell) + SHEET_END)))
    _refused_cheaply(path, row=2, column="C")


def test_a_shared_string_cut_into_rich_text_runs_is_refused(tmp_path):
    strings = (b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
               b"<si>" + _runs(b"<r><t>", b"</t></r>") + b"</si></sst>")
    sheet = SHEET_START + _rows(b'<c r="C2" t="s"><v>0</v></c>') + SHEET_END
    members = xlsx_members(deflated("xl/worksheets/sheet1.xml", sheet)) + [deflated("xl/sharedStrings.xml", strings)]
    report = _refused_cheaply(write_zip(tmp_path / "strings.xlsx", members))
    assert "shared strings" in report["error"]


def _workbook_with_sheet_at(tmp_path, name: str, target: str, part: str):
    cell = b'<c r="C2" t="inlineStr"><is><t>' + _text(50 * MIB) + b"</t></is></c>"
    rels = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            b'2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            b'2006/relationships/worksheet" Target="' + target.encode() + b'"/></Relationships>')
    members = [m for m in xlsx_members() if m.name != "xl/worksheets/sheet1.xml"]
    members = [deflated(m.name, rels) if m.name == "xl/_rels/workbook.xml.rels" else m for m in members]
    members.append(deflated(part, SHEET_START + _rows(cell) + SHEET_END))
    return write_zip(tmp_path / name, members)


def test_an_upper_case_sheet_part_is_checked(tmp_path):
    path = _workbook_with_sheet_at(tmp_path, "upper.xlsx", "worksheets/Sheet1.XML", "xl/worksheets/Sheet1.XML")
    report = _refused_cheaply(path, row=2, column="C")
    assert "xl/worksheets/Sheet1.XML" in report["error"]


def test_a_sheet_at_a_path_of_the_workbooks_choosing_is_checked(tmp_path):
    path = _workbook_with_sheet_at(tmp_path, "elsewhere.xlsx", "/data/first.xml", "data/first.xml")
    report = _refused_cheaply(path, row=2, column="C")
    assert "data/first.xml" in report["error"]


def _ods(path, cell: bytes):
    content = (b'<?xml version="1.0" encoding="UTF-8"?>'
               b'<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               b'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               b'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
               b'<office:body><office:spreadsheet><table:table table:name="POA&amp;M"><table:table-row>'
               + b"".join(b"<table:table-cell office:value-type=\"string\"><text:p>%s</text:p></table:table-cell>"
                          % h.encode() for h in HEADER)
               + b"</table:table-row><table:table-row>"
               b'<table:table-cell office:value-type="string"><text:p>POAM-AC-001</text:p></table:table-cell>'
               b'<table:table-cell office:value-type="string"><text:p>3.1.1</text:p></table:table-cell>'
               + cell + b"</table:table-row></table:table></office:spreadsheet></office:body>"
               b"</office:document-content>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)
        archive.writestr("META-INF/manifest.xml", MANIFEST)
    return path


MANIFEST = ('<?xml version="1.0" encoding="UTF-8"?>'
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
            'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
            'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            "</manifest:manifest>")


def test_an_ods_cell_cut_into_spans_is_refused(tmp_path):
    cell = (b'<table:table-cell office:value-type="string"><text:p>'
            + _runs(b"<text:span>", b"</text:span>") + b"</text:p></table:table-cell>")
    _refused_cheaply(_ods(tmp_path / "spans.ods", cell))


def test_an_ods_cell_of_one_repeated_space_is_refused(tmp_path):
    """<text:s text:c="N"/> stands for N spaces: a few bytes that a reader expands to a 50 MB cell."""
    cell = (b'<table:table-cell office:value-type="string"><text:p>a<text:s text:c="52428800"/>b</text:p>'
            b"</table:table-cell>")
    _refused_cheaply(_ods(tmp_path / "spaces.ods", cell))
