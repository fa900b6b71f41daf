"""Hostile and mislabelled files: each is refused with an error naming the file (and
the row and column where there is one), in bounded memory, and nothing is written.

The heavy cases run in a child process that reports its own peak memory (the kernel's high-water mark of
its resident memory, and tracemalloc for Python's share) under a hard address-space cap (resource.setrlimit):
a guard that let a bomb through would make the child fail on the cap, never the machine. The files are made
here, in tmp_path (bad_files.py).
"""

import json
import random
import subprocess
import sys
import zipfile
from base64 import b64encode
from datetime import date

import openpyxl
import pytest
from bad_files import (BILLION_LAUGHS, SHEET_END, SHEET_MEMBER, SHEET_START, bomb_member, deflated, sheet_xml,
                       write_zip, xlsx_members)
from export_samples import CONTEXT, sample_poam
from spreadsheets import write_csv, write_ods, write_xlsx

from punchlist.errors import InputError, InputErrors
from punchlist.interchange import read_poam, read_poam_file
from punchlist.interchange.fedramp import fill_fedramp_template
from punchlist.interchange.guards import LIMITS, MIB, Limits, check_file, check_size

GIB = 1024 * MIB
ROW_UNIT = b'<row><c t="inlineStr"><is><t>bomb</t></is></c></row>'
HEADER = ["POAM ID", "Control", "Weakness", "Scheduled Completion", "Status", "Severity"]

# The child: read the file, report the error and the peaks. RLIMIT_AS caps the address space.
CHILD = r"""
import json, resource, sys, tracemalloc
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[2]), int(sys.argv[2])))
from punchlist.errors import InputError
from punchlist import interchange
read = getattr(interchange, sys.argv[3])
tracemalloc.start()
report = {"error": None}
try:
    read(sys.argv[1])
except InputError as error:
    report.update(error=error.message, file=error.file, row=error.row, column=error.column, text=str(error))
report["python_peak"] = tracemalloc.get_traced_memory()[1]
try:  # this process's own peak: ru_maxrss would carry the parent's from before the fork
    with open("/proc/self/status") as status:
        report["rss_peak"] = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))
except OSError:
    report["rss_peak"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps(report))
"""
ADDRESS_CAP = 2 * GIB


def read_in_child(path, reader: str = "read_poam") -> dict:
    """``reader`` is read_poam (the lint's own files) or read_poam_file (imports and uploads)."""
    done = subprocess.run([sys.executable, "-c", CHILD, str(path), str(ADDRESS_CAP), reader],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def refused(path) -> InputError:
    with pytest.raises(InputError) as raised:
        read_poam(path)
    assert raised.value.file == str(path)
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # nothing written beside it
    return raised.value


# -- zip bombs --------------------------------------------------------------------------------------------

def test_a_zip_bomb_is_refused_from_its_directory_before_any_part_is_expanded(tmp_path):
    """3 GiB of rows in a 9 MB file; the directory says so truthfully."""
    repeats = (3 * GIB) // len(ROW_UNIT)
    path = write_zip(tmp_path / "bomb.xlsx",
                     xlsx_members(bomb_member(SHEET_MEMBER, SHEET_START, ROW_UNIT, repeats, SHEET_END)))
    assert path.stat().st_size < 20 * MIB
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo(SHEET_MEMBER).file_size > 3 * 10**9
    report = read_in_child(path)
    assert report["file"] == str(path)
    assert "refused as a possible zip bomb" in report["error"]
    assert "would expand" in report["error"]
    assert report["rss_peak"] < 150 * MIB, report
    assert report["python_peak"] < 20 * MIB, report


def test_a_zip_bomb_within_the_total_is_refused_by_its_ratio(tmp_path):
    repeats = (300 * MIB) // len(ROW_UNIT)
    path = write_zip(tmp_path / "dense.xlsx",
                     xlsx_members(bomb_member(SHEET_MEMBER, SHEET_START, ROW_UNIT, repeats, SHEET_END)))
    error = refused(path)
    assert f"part {SHEET_MEMBER} would expand" in error.message
    assert f"at most {LIMITS.ratio} times" in error.message


def test_a_zip_bomb_that_claims_to_be_small_is_refused_from_its_directory(tmp_path):
    """The directory claims 2,000 bytes for a part that holds 3 MB compressed: deflate cannot do that."""
    path = write_zip(tmp_path / "liar.xlsx", xlsx_members(
        bomb_member(SHEET_MEMBER, SHEET_START, ROW_UNIT, GIB // len(ROW_UNIT), SHEET_END, declared=2000)))
    error = refused(path)
    assert "declares 2,000 bytes expanded but holds" in error.message and "its sizes are false" in error.message


@pytest.mark.parametrize("reader, says", [
    ("read_poam", "larger than its declared uncompressed size"),  # calamine's zip reader stops at the size
    ("read_poam_file", "the file is damaged: part xl/worksheets/sheet1.xml cannot be read (Bad CRC-32"),
])
def test_a_zip_bomb_that_lies_plausibly_is_stopped_at_the_size_it_declares(tmp_path, reader, says):
    """The directory claims twice the compressed size, the part expands to 1 GiB: whoever expands it stops
    at the declared size, so memory stays flat. (This is why the guard need not expand every part itself.)"""
    member = bomb_member(SHEET_MEMBER, SHEET_START, ROW_UNIT, GIB // len(ROW_UNIT), SHEET_END)
    member.size, member.crc = 2 * len(member.data), 0
    path = write_zip(tmp_path / "liar.xlsx", xlsx_members(member))
    report = read_in_child(path, reader)
    assert report["file"] == str(path)
    assert says in report["error"]
    assert report["rss_peak"] < 150 * MIB, report


def test_many_parts_are_refused_before_the_directory_is_read(tmp_path):
    members = xlsx_members() + [deflated(f"xl/media/image{n}.png", b"") for n in range(LIMITS.members)]
    path = write_zip(tmp_path / "parts.xlsx", members)
    error = refused(path)
    assert f"holds {LIMITS.members + 5:,} parts" in error.message and "zip bomb" in error.message


def test_the_total_expanded_size_is_bounded(tmp_path):
    text = sheet_xml([HEADER, ["POAM-AC-001", "3.1.1", "Shared account", "2026-12-01", "Open", "High"]])
    path = write_zip(tmp_path / "total.xlsx", xlsx_members(deflated(SHEET_MEMBER, text)))
    with pytest.raises(InputError, match="parts would expand to .* more than the 1,000 .* allowed"):
        check_file(path, limits=Limits(uncompressed_bytes=1000))
    assert read_poam(path).items[0].id == "POAM-AC-001"  # within the default limits it reads


# -- XML entity expansion ---------------------------------------------------------------------------------

LAUGHING_SHEET = BILLION_LAUGHS + SHEET_START.split(b"\n", 1)[1] + b"<row>" + b'<c t="inlineStr"><is><t>&lol9;' \
    b"</t></is></c></row>" + SHEET_END


@pytest.mark.parametrize("part", [SHEET_MEMBER, "xl/workbook.xml", "[Content_Types].xml"])
def test_billion_laughs_in_any_part_of_an_xlsx_is_refused(tmp_path, part):
    members = xlsx_members()
    for number, member in enumerate(members):
        if member.name == part:
            body = LAUGHING_SHEET if part == SHEET_MEMBER else BILLION_LAUGHS + _without_declaration(members, part)
            members[number] = deflated(part, body)
    path = write_zip(tmp_path / "laughs.xlsx", members)
    error = refused(path)
    assert f"part {part} declares a DTD" in error.message and "billion laughs" in error.message


def _without_declaration(members, part) -> bytes:
    import zlib

    member = next(m for m in members if m.name == part)
    return zlib.decompress(member.data, -15).split(b"?>", 1)[1]


def test_billion_laughs_in_an_ods_is_refused(tmp_path):
    good = write_ods(tmp_path / "good.ods", [HEADER])
    with zipfile.ZipFile(good) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts["content.xml"] = BILLION_LAUGHS + parts["content.xml"].split(b"?>", 1)[1]
    path = write_zip(tmp_path / "laughs.ods", [deflated(name, content) for name, content in parts.items()])
    good.unlink()
    assert "declares a DTD" in refused(path).message


def test_a_dtd_after_a_long_comment_is_still_found(tmp_path):
    padded = b'<?xml version="1.0"?>\n<!--' + b"x" * 5000 + b"-->\n" + BILLION_LAUGHS.split(b"\n", 1)[1] \
        + b"<workbook/>"
    path = write_zip(tmp_path / "padded.xlsx", xlsx_members(**{"xl/workbook.xml": deflated("xl/workbook.xml",
                                                                                            padded)}))
    assert "declares a DTD" in refused(path).message


def test_billion_laughs_runs_in_bounded_memory(tmp_path):
    path = write_zip(tmp_path / "laughs.xlsx", xlsx_members(deflated(SHEET_MEMBER, LAUGHING_SHEET)))
    report = read_in_child(path)
    assert "declares a DTD" in report["error"]
    assert report["rss_peak"] < 150 * MIB and report["python_peak"] < 20 * MIB, report


def test_the_fedramp_template_is_guarded_too(tmp_path, shared_fixture):
    template = shared_fixture("fedramp/FedRAMP-POAM-Template.xlsx")
    with zipfile.ZipFile(template) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    parts["xl/workbook.xml"] = BILLION_LAUGHS + parts["xl/workbook.xml"].split(b"?>", 1)[1]
    bad = write_zip(tmp_path / "template.xlsx", [deflated(name, content) for name, content in parts.items()])
    with pytest.raises(InputError) as raised:
        fill_fedramp_template(sample_poam(), CONTEXT, bad, tmp_path / "filled.xlsx")
    assert raised.value.file == str(bad) and "declares a DTD" in raised.value.message
    bomb = write_zip(tmp_path / "bomb.xlsx", xlsx_members(bomb_member(
        SHEET_MEMBER, SHEET_START, ROW_UNIT, GIB // len(ROW_UNIT), SHEET_END)))
    with pytest.raises(InputError, match="zip bomb"):
        fill_fedramp_template(sample_poam(), CONTEXT, bomb, tmp_path / "filled.xlsx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bomb.xlsx", "template.xlsx"]


# -- outsized cells -------------------------------------------------------------------------------------

def _fifty_megabytes() -> str:
    return b64encode(random.Random(5).randbytes(50 * MIB * 3 // 4)).decode()  # incompressible: no ratio alarm


def test_a_50_mb_cell_in_an_xlsx_names_its_row_and_column(tmp_path):
    rows = [HEADER, ["POAM-AC-001", "3.1.1", "Shared account", "2026-12-01", "Open", "High"],
            ["POAM-AC-002", "3.1.2", _fifty_megabytes(), "2026-12-01", "Open", "High"]]
    path = write_zip(tmp_path / "huge-cell.xlsx", xlsx_members(deflated(SHEET_MEMBER, sheet_xml(rows))))
    # An import expands the sheet a chunk at a time and stops at the cell, never holding it.
    report = read_in_child(path, "read_poam_file")
    assert (report["file"], report["row"], report["column"]) == (str(path), 3, "C")
    assert "a cell's text in part xl/worksheets/sheet1.xml runs to" in report["error"]
    assert "a spreadsheet cell holds at most 32,767 characters" in report["error"]
    assert report["rss_peak"] < 150 * MIB and report["python_peak"] < 30 * MIB, report
    # The lint's reading of a contractor's own file is spared that pass (guards.py says why): it holds the
    # cell, and the file limits bound what that costs.
    report = read_in_child(path, "read_poam")
    assert report["error"] is None
    assert report["rss_peak"] < 1024 * MIB, report


@pytest.mark.parametrize("name", ["huge-cell.csv", "long-cell.csv"])
def test_an_outsized_csv_field_is_refused_on_import(tmp_path, name):
    """Over the csv module's limit (131,072) the reading stops there; under it, the import's check of every
    field does (32,767, as for any spreadsheet cell)."""
    text = _fifty_megabytes() if name == "huge-cell.csv" else "z" * 40_000
    path = tmp_path / name
    with path.open("w") as stream:
        stream.write(",".join(HEADER) + "\nPOAM-AC-001,3.1.1,Shared account,2026-12-01,Open,High\n")
        stream.write(f"POAM-AC-002,3.1.2,{text},2026-12-01,Open,High\n")
    report = read_in_child(path, "read_poam_file")
    assert (report["file"], report["row"]) == (str(path), 3)
    if name == "huge-cell.csv":
        assert "a field holds more than 131,072 characters" in report["error"]
        assert report["rss_peak"] < 600 * MIB, report
    else:
        assert report["column"] == "weakness"
        assert "the cell holds 40,000 characters; a spreadsheet cell holds at most 32,767" in report["error"]


def test_an_outsized_shared_string_is_refused_on_import(tmp_path):
    text = b"<sst><si><t>" + _fifty_megabytes()[: 2 * MIB].encode() + b"</t></si></sst>"
    members = xlsx_members() + [deflated("xl/sharedStrings.xml", b'<?xml version="1.0"?>' + text)]
    path = write_zip(tmp_path / "strings.xlsx", members)
    with pytest.raises(InputError) as raised:
        read_poam_file(path)
    assert raised.value.file == str(path) and raised.value.row is None
    assert "a cell's text in the workbook's shared strings (xl/sharedStrings.xml) runs to" in raised.value.message


def test_a_cell_at_excels_limit_is_read(tmp_path):
    longest = "x" * LIMITS.cell_chars
    path = write_xlsx(tmp_path / "long.xlsx", [HEADER, ["POAM-AC-001", "3.1.1", longest, None, "Open", "High"]])
    assert read_poam(path).items[0].weakness == longest
    assert read_poam_file(path).items[0].weakness == longest


def test_an_outsized_cell_is_named_by_the_sheets_own_reference(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for column, value in enumerate(HEADER, start=3):
        sheet.cell(4, column, value)
    sheet.cell(5, 3, "POAM-AC-001")
    sheet.cell(5, 4, "3.1.1")
    workbook.save(tmp_path / "offset.xlsx")
    # openpyxl refuses to write more than Excel's limit itself: put the long text in by hand.
    with zipfile.ZipFile(tmp_path / "offset.xlsx") as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    (tmp_path / "offset.xlsx").unlink()
    long_cell = b'<c r="E5" t="inlineStr"><is><t>' + b"y" * 1_000_000 + b"</t></is></c>"
    parts[SHEET_MEMBER] = parts[SHEET_MEMBER].replace(b"</row></sheetData>", long_cell + b"</row></sheetData>")
    path = write_zip(tmp_path / "offset.xlsx", [deflated(name, content) for name, content in parts.items()])
    with pytest.raises(InputError) as raised:
        read_poam_file(path)
    assert (raised.value.file, raised.value.row, raised.value.column) == (str(path), 5, "E")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["offset.xlsx"]


# -- files that are not what their names say ------------------------------------------------------------

def _png() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(40)


def _docx(path):
    members = [deflated("[Content_Types].xml", b"<Types/>"), deflated("word/document.xml", b"<w:document/>")]
    return write_zip(path, members)


@pytest.mark.parametrize("name, make, says", [
    ("poam.xlsx", lambda p: p.write_bytes(_png()), "cannot read the file as XLSX: it is a PNG image"),
    ("poam.xlsx", lambda p: p.write_bytes(b"%PDF-1.7\n..."), "it is a PDF document"),
    ("poam.xlsx", lambda p: write_csv(p, [HEADER]), "its content is text (CSV?), not a spreadsheet; if it is CSV"),
    ("poam.xlsx", lambda p: write_ods(p, [HEADER]), "it is an ODS spreadsheet; give it its own suffix (.ods)"),
    ("poam.xlsx", _docx, "it is a Word document (DOCX)"),
    ("poam.ods", lambda p: write_xlsx(p, [HEADER]), "it is an XLSX workbook; give it its own suffix (.xlsx)"),
    ("poam.xls", lambda p: p.write_bytes(b"<html><body><table><tr><td>POAM ID</td></tr></table></body></html>"),
     "it is an HTML page"),
    ("poam.csv", lambda p: write_xlsx(p, [HEADER]), "this is an XLSX workbook, not CSV text; give it its own suffix"),
    ("poam.csv", lambda p: p.write_bytes(_png()), "cannot read the file as CSV: it is a PNG image"),
    ("poam.csv", lambda p: p.write_text('{"plan-of-action-and-milestones": {}}'), "this is a JSON document"),
    ("poam.xlsx", lambda p: p.write_bytes(b""), "the file is empty"),
    ("poam.csv", lambda p: p.write_bytes(b""), "the file is empty"),
])
def test_a_file_that_is_not_what_its_name_says(tmp_path, name, make, says):
    path = tmp_path / name
    make(path)
    error = refused(path)
    assert says in error.message


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path):
    path = tmp_path / "big.csv"
    with path.open("wb") as stream:  # sparse: 101 MiB of nothing on disk
        stream.truncate(LIMITS.file_bytes + MIB)
    error = refused(path)
    assert f"more than the {LIMITS.file_bytes:,} (100 MiB) a file may have" in error.message
    with pytest.raises(InputError, match="upload.xlsx: the file is 26,214,401 bytes, more than the 26,214,400"):
        check_size(25 * MIB + 1, label="upload.xlsx", limits=Limits(file_bytes=25 * MIB))


def test_a_damaged_archive_is_named_as_such(tmp_path):
    path = tmp_path / "cut.xlsx"
    whole = write_xlsx(tmp_path / "whole.xlsx", [HEADER]).read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    (tmp_path / "whole.xlsx").unlink()
    assert "the file is damaged" in refused(path).message


def test_check_file_says_what_a_good_file_is(tmp_path):
    assert check_file(write_xlsx(tmp_path / "a.xlsx", [HEADER])) == "XLSX"
    assert check_file(write_ods(tmp_path / "a.ods", [HEADER])) == "ODS"
    assert check_file(write_csv(tmp_path / "a.csv", [HEADER])) == "TEXT"
    (tmp_path / "a.json").write_text('\ufeff  {"plan-of-action-and-milestones": {}}', encoding="utf-8")
    assert check_file(tmp_path / "a.json") == "JSON"


# -- a wrong type in a column ---------------------------------------------------------------------------

def test_a_wrong_type_in_a_column_names_the_row_and_the_column(tmp_path):
    rows = [HEADER,
            ["POAM-AC-001", "3.1.1", "Shared account", "next spring", "Open", "High"],  # text in a date column
            ["POAM-AC-002", "3.1.2", "No lockout", date(2026, 12, 1), date(2026, 11, 1), "High"],  # date: status
            ["POAM-AC-003", "3.1.3", "Flow control", date(2026, 12, 1), "Open", 42],  # number: severity
            ["POAM-AC-004", "3.1.4", "Separation", date(2026, 12, 1), "Open", "High"]]
    path = write_xlsx(tmp_path / "types.xlsx", rows)
    with pytest.raises(InputErrors) as raised:
        read_poam(path)
    found = [(e.file, e.row, e.column) for e in raised.value.errors]
    assert found == [(str(path), 2, "Scheduled Completion"), (str(path), 3, "Status"), (str(path), 4, "Severity")]
    text = str(raised.value)
    assert "'next spring'" in text and "2026-11-01" in text and "42" in text


def test_a_wrong_type_in_a_csv_column_too(tmp_path):
    path = write_csv(tmp_path / "types.csv", [HEADER, ["POAM-AC-001", "3.1.1", "Shared account", "2026-13-45",
                                                       "Open", "High"]])
    with pytest.raises(InputError) as raised:
        read_poam(path)
    assert (raised.value.file, raised.value.row, raised.value.column) == (str(path), 2, "Scheduled Completion")


def test_the_child_process_measures_what_it_claims(tmp_path):
    """The memory figures above are real: a file that is read in full shows its cost in the child."""
    noise = random.Random(7)
    rows = [HEADER] + [[f"POAM-AC-{n:03d}", "3.1.1", noise.randbytes(1000).hex(), "2026-12-01", "Open", "High"]
                       for n in range(1, 20001)]
    path = write_zip(tmp_path / "big.xlsx", xlsx_members(deflated(SHEET_MEMBER, sheet_xml(rows))))
    report = read_in_child(path)
    assert report["error"] is None
    assert report["python_peak"] > 40 * MIB  # 20,000 weaknesses of 2,000 characters, held as items
    assert report["rss_peak"] > report["python_peak"]
