"""The CSV export: UTF-8 with BOM, the marking line, the workbook's item columns, no formula from user text."""

import csv
import dataclasses
import io

import openpyxl
from hypothesis import given
from hypothesis import strategies as st
from export_samples import CONTEXT, sample_poam

from punchlist.interchange.cells import escape_csv_text, unescape_csv_text
from punchlist.interchange.csv_export import csv_bytes, write_csv
from punchlist.interchange.exports import ITEM_HEADERS, MARKING_ASSESSMENT, MARKING_INTERNAL
from punchlist.interchange.workbook import write_workbook


def rows_of(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_bom_marking_line_and_the_workbook_columns(tmp_path):
    path = write_csv(sample_poam(), CONTEXT, tmp_path / "poam.csv")
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf" + MARKING_INTERNAL.encode())
    rows = rows_of(data)
    assert rows[0] == [CONTEXT.banner]
    assert rows[1] == list(ITEM_HEADERS)
    book = openpyxl.load_workbook(write_workbook(sample_poam(), CONTEXT, tmp_path / "poam.xlsx"))
    assert [c.value for c in book["Open items"][2]] == rows[1]
    assert len(rows) == 2 + len(sample_poam().items)
    assert data == csv_bytes(sample_poam(), CONTEXT)


def test_values_dates_and_accents():
    rows = rows_of(csv_bytes(sample_poam(), CONTEXT))
    first = dict(zip(rows[1], rows[2]))
    assert first["Requirements"] == "AC.L2-3.1.5, 3.1.6"
    assert first["Scheduled Completion Date"] == "2026-12-15"
    assert first["Completion Date"] == ""
    assert first["Status"] == "in progress"
    last = dict(zip(rows[1], rows[6]))
    assert last["Primary Owner"] == "José Álvarez"
    assert last["Weakness Name"] == "  Ünïcödé tïtle —\nwith a second line"  # as written


def test_formula_like_text_is_escaped_and_comes_back_exactly():
    rows = rows_of(csv_bytes(sample_poam(), CONTEXT))
    risky = dict(zip(rows[1], rows[4]))
    assert risky["Weakness Description"] == "'=HYPERLINK(\"http://evil.example\",\"click\")"
    assert risky["Remediation Plan"] == "'+cmd|' /C calc'!A0"
    assert risky["Primary Owner"] == "'@Ops team lead"
    assert risky["Supporting Owner"] == "'-Nobody"
    assert risky["Evidence Custodian"] == "'\tTabbed Person"
    assert risky["Resources Required"] == "'\rCarriage"
    assert risky["Approval Authority"] == "#N/A"  # not a formula in a CSV cell
    assert unescape_csv_text(risky["Remediation Plan"]) == "+cmd|' /C calc'!A0"


def test_the_assessment_marking():
    rows = rows_of(csv_bytes(sample_poam(), dataclasses.replace(CONTEXT, for_assessment=True)))
    assert rows[0][0].startswith(MARKING_ASSESSMENT)


@given(st.text())
def test_escaping_is_exact_and_leaves_nothing_a_spreadsheet_would_run(text):
    escaped = escape_csv_text(text)
    assert unescape_csv_text(escaped) == text
    assert escaped[:1] not in set("=+-@\t\r")
