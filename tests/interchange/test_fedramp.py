"""The official FedRAMP POA&M template (v2.1) filled in, read back; unknown layouts refused by name."""

import re
import zipfile
from datetime import date, datetime

import openpyxl
import pytest
from openpyxl.worksheet.datavalidation import DataValidation
from python_calamine import CalamineWorkbook
from export_samples import CONTEXT, sample_poam

from punchlist.core.records import Poam, PoamItem, Severity
from punchlist.errors import InputError
from punchlist.interchange.exports import MARKING_INTERNAL
from punchlist.interchange.fedramp import (CLOSED_SHEET, FEDRAMP_2_1_HEADERS, HEADER_BLOCK, OPEN_SHEET,
                                           detect_version, fill_fedramp_template)


@pytest.fixture(scope="module")
def template(shared_fixture):
    return shared_fixture("fedramp/FedRAMP-POAM-Template.xlsx")


@pytest.fixture(scope="module")
def original(template):
    return openpyxl.load_workbook(template)


@pytest.fixture(scope="module")
def filled(template, tmp_path_factory):
    output = tmp_path_factory.mktemp("fedramp") / "filled.xlsx"
    fill_fedramp_template(sample_poam(), CONTEXT, template, output)
    return output


@pytest.fixture(scope="module")
def book(filled):
    return openpyxl.load_workbook(filled)


def test_the_template_is_recognised_as_v2_1(template):
    assert detect_version(openpyxl.load_workbook(template, read_only=True)) == "2.1"


def test_sheets_header_block_and_marking_kept(book):
    assert book.sheetnames == [OPEN_SHEET, CLOSED_SHEET, "Configuration Findings", "Record of Changes"]
    sheet = book[OPEN_SHEET]
    assert [c.value for c in sheet[5]][:31] == list(FEDRAMP_2_1_HEADERS)
    assert sheet["A6"].value == "Unique identifier for each POAM Item"  # the description rows stay
    assert (sheet["A3"].value, sheet["B3"].value, sheet["D3"].value) == (
        "Ridgeline Machining LLC", "Ridgeline CUI enclave", datetime(2026, 11, 23))
    for name in (OPEN_SHEET, CLOSED_SHEET, "Configuration Findings"):
        assert book[name]["A4"].value.startswith(MARKING_INTERNAL)
    assert book["Record of Changes"]["D5"].value == 2.1


def test_open_items_from_row_8_replacing_the_example(book):
    sheet = book[OPEN_SHEET]
    ids = [sheet.cell(row, 1).value for row in range(8, 12)]
    assert ids == ["POAM-AC-001", None, "POAM-SC-005", None]
    assert sheet["C9"].value == "Draft: unsorted finding"  # the untitled-id item is still written
    assert "V-1Example" not in [c.value for c in sheet["A"]]
    row = {header: sheet.cell(8, number).value for number, header in enumerate(FEDRAMP_2_1_HEADERS, 1)}
    assert row["Controls"] == "AC.L2-3.1.5\n3.1.6"
    assert row["Point of Contact"] == "Marcus Lee, IT Operations Lead"
    assert row["Original Detection Date"] == datetime(2026, 9, 1)
    assert row["Scheduled Completion Date"] == datetime(2026, 12, 15)
    assert row["Original Risk Rating"] == "High"
    assert row["Planned Milestones"].split("\n\n")[0] == "(1) 2026-09-20: Inventory the laptops with local admin"
    assert row["Milestone Changes"] == "(1) Complete 2026-09-18 : Inventory the laptops with local admin"
    assert "Status: in progress" in row["Comments"] and "Approval authority: Dana Kim, CISO" in row["Comments"]
    assert row["Supporting Documents"] == "Evidence : Intune compliance report, weekly"


def test_closed_items_on_the_closed_sheet(book):
    sheet = book[CLOSED_SHEET]
    assert [sheet.cell(row, 1).value for row in range(8, 11)] == ["POAM-AU-002", "POAM-CM-003", None]
    assert sheet["O8"].value == datetime(2026, 7, 28)  # status date: when it was closed
    assert sheet["S9"].value == "High" and "Severity: critical" in sheet["Z9"].value


def test_column_l_keeps_the_template_formula_where_there_is_no_date(original, book):
    sheet = book[OPEN_SHEET]
    assert sheet["L9"].value == original[OPEN_SHEET]["L9"].value  # the item (row 9) has no date of its own
    assert sheet["L10"].value == datetime(2027, 1, 20)
    for row in (11, 1253, 1254, 4022):  # the rows below keep the template's own formulas
        assert sheet[f"L{row}"].value == original[OPEN_SHEET][f"L{row}"].value


def test_validations_and_conditional_formats_kept(original, book):
    for name in (OPEN_SHEET, CLOSED_SHEET):
        before = sorted((str(v.sqref), v.formula1) for v in original[name].data_validations.dataValidation)
        after = sorted((str(v.sqref), v.formula1) for v in book[name].data_validations.dataValidation)
        assert after == before
        assert [str(r.sqref) for r in book[name].conditional_formatting] == [
            str(r.sqref) for r in original[name].conditional_formatting]
    assert book[OPEN_SHEET].freeze_panes == original[OPEN_SHEET].freeze_panes


def test_no_user_text_becomes_a_formula(filled, book):
    cell = book[CLOSED_SHEET]["D9"]
    assert cell.value == "=HYPERLINK(\"http://evil.example\",\"click\")" and cell.data_type == "s"
    assert book[CLOSED_SHEET]["J9"].value == "+cmd|' /C calc'!A0"
    with zipfile.ZipFile(filled) as archive:
        closed_xml = archive.read("xl/worksheets/sheet2.xml")
    assert not re.search(rb"<f[ >]", closed_xml)
    calamine = CalamineWorkbook.from_path(str(filled)).get_sheet_by_name(CLOSED_SHEET).to_python()
    assert calamine[8][3] == "=HYPERLINK(\"http://evil.example\",\"click\")"


def _layout(tmp_path, headers=FEDRAMP_2_1_HEADERS, sheets=(OPEN_SHEET, CLOSED_SHEET), rows=12):
    """A small workbook with the template's layout (or a changed one): fast to fill."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name in sheets:
        sheet = book.create_sheet(name)
        for number, text in enumerate(HEADER_BLOCK, 1):
            sheet.cell(2, number, text)
        for number, text in enumerate(headers, 1):
            sheet.cell(5, number, text)
        sheet.cell(rows, 1, "last template row")
        for row in range(9, rows + 1):
            sheet.cell(row, 12, f'=IF(S{row}="Low",K{row}+180,"")')
        validation = DataValidation(type="list", formula1='"Low,Moderate,High"')
        validation.add(f"S1:S{rows}")
        sheet.add_data_validation(validation)
    path = tmp_path / "layout.xlsx"
    book.save(path)
    return path


def test_an_unknown_layout_is_refused_naming_sheet_row_and_column(tmp_path):
    headers = list(FEDRAMP_2_1_HEADERS)
    headers[5] = "Plugin ID"
    with pytest.raises(InputError) as caught:
        fill_fedramp_template(sample_poam(), CONTEXT, _layout(tmp_path, headers), tmp_path / "out.xlsx")
    assert (caught.value.row, caught.value.column) == (5, "F")
    assert "'Plugin ID'" in str(caught.value) and "'Weakness Source Identifier'" in str(caught.value)
    assert not (tmp_path / "out.xlsx").exists()


def test_an_added_column_or_a_missing_sheet_is_refused(tmp_path):
    with pytest.raises(InputError, match="a column 'Priority' after the 31"):
        fill_fedramp_template(sample_poam(), CONTEXT, _layout(tmp_path, FEDRAMP_2_1_HEADERS + ("Priority",)),
                              tmp_path / "out.xlsx")
    with pytest.raises(InputError, match="no sheet 'Closed POA&M Items'"):
        fill_fedramp_template(sample_poam(), CONTEXT, _layout(tmp_path, sheets=(OPEN_SHEET,)),
                              tmp_path / "out.xlsx")


def test_a_file_that_is_not_a_workbook_is_refused(tmp_path):
    fake = tmp_path / "template.xlsx"
    fake.write_text("not a workbook")
    with pytest.raises(InputError, match="not a readable XLSX workbook"):
        fill_fedramp_template(sample_poam(), CONTEXT, fake, tmp_path / "out.xlsx")
    with pytest.raises(InputError, match="new file"):
        fill_fedramp_template(sample_poam(), CONTEXT, fake, fake)


def test_drop_downs_reach_items_past_the_template_rows(tmp_path):
    items = [PoamItem(id=f"POAM-AC-{n:03}", title="t", severity=Severity.LOW, start_date=date(2026, 1, 1))
             for n in range(1, 11)]
    output = fill_fedramp_template(Poam(items=items), CONTEXT, _layout(tmp_path, rows=12), tmp_path / "o.xlsx")
    sheet = openpyxl.load_workbook(output)[OPEN_SHEET]
    assert sheet["A17"].value == "POAM-AC-010"
    # Items without a date of their own get the template's formula, on the template's rows and past them.
    assert sheet["L8"].value == '=IF(S8="Low",K8+180,"")'
    assert sheet["L12"].value == '=IF(S12="Low",K12+180,"")'
    assert sheet["L17"].value == '=IF(S17="Low",K17+180,"")'
    assert [str(v.sqref) for v in sheet.data_validations.dataValidation] == ["S1:S17"]
