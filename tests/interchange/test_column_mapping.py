"""A file's columns shown before it is read (``inspect_poam_file``), and read as a person mapped them
(``ColumnMapping``) over what the header names say: people's own names, the FedRAMP template and eMASS."""

from datetime import date

import openpyxl
import pytest
from spreadsheets import write_csv, write_xlsx

from punchlist.core.records import ItemStatus, RecordKind, Severity
from punchlist.errors import InputError, InputErrors
from punchlist.interchange import FIELDS, ColumnMapping, inspect_poam_file, read_poam, read_poam_file
from punchlist.interchange.inspection import Inspection

FEDRAMP = "fedramp/FedRAMP-POAM-Template.xlsx"
EMASS = "emass/stig-manager_emass-poam-template.xlsx"

# A tracker of someone's own making: a title above the header, no name the readers know but "Type", whose
# values are not record types.
OWN = [["Acme's own tracker", "", "", "", "", ""],
       ["Ref", "Ctrl", "What is wrong", "Fix by", "Person", "Type"],
       ["A-1", "3.1.1", "Shared admin account", "2026-12-01", "Marcus Lee", "Technical"],
       ["", "", "", "", "", ""],
       ["A-2", "AC.L2-3.5.3", "No MFA on the VPN", "2027-01-15", "Marcus Lee", "Policy"]]
OWN_MAPPING = {"requirements": "Ctrl", "id": "ref", "weakness": "WHAT IS WRONG", "scheduled_completion": "Fix by",
               "primary_owner": "Person"}


@pytest.fixture
def own(tmp_path):
    return write_csv(tmp_path / "tracker.csv", OWN)


# --- inspection -------------------------------------------------------------------------------------------

def test_a_file_of_known_names_is_shown_as_it_will_be_read(tmp_path):
    path = write_xlsx(tmp_path / "poam.xlsx", [
        ["POA&M ID", "Control", "Weakness", "Scheduled Completion Date", "Comments"],
        ["V-1", "3.1.1", "Shared admin account", date(2026, 12, 1), "ask Marcus"],
        ["V-2", "3.5.3", "No MFA", date(2027, 1, 15), ""]])
    inspection = inspect_poam_file(path)
    assert (inspection.kind, inspection.sheets, inspection.sheet, inspection.header_row) == (
        "XLSX", ("POA&M",), "POA&M", 1)
    assert inspection.problem is None and inspection.rows == (2, 3)
    assert [(c.letter, c.header, c.fields, c.samples) for c in inspection.columns] == [
        ("A", "POA&M ID", ("id",), ("V-1", "V-2")),
        ("B", "Control", ("requirements",), ("3.1.1", "3.5.3")),
        ("C", "Weakness", ("weakness",), ("Shared admin account", "No MFA")),
        ("D", "Scheduled Completion Date", ("scheduled_completion",), ("2026-12-01", "2027-01-15")),
        ("E", "Comments", ("comments",), ("ask Marcus", ""))]
    assert inspection.fields == {"id": 0, "requirements": 1, "weakness": 2, "scheduled_completion": 3, "comments": 4}
    mapping = inspection.mapping()
    assert set(mapping.columns) == set(FIELDS) and mapping.columns["requirements"] == "Control"
    assert mapping.columns["title"] is None and mapping.header_row == 1
    assert read_poam(path, mapping).items == read_poam(path).items


def test_own_names_get_a_guessed_header_row_and_say_what_is_missing(own):
    inspection = inspect_poam_file(own)
    assert inspection.header_row == 2  # the row with the most text, under the title
    assert inspection.problem.column == "requirements"
    assert "no header row with a requirement column" in inspection.problem.message
    # "Ref" (reference) and "Fix by" (a due date) are read by their words; "Type" was known, but what it holds
    # is no record type.
    assert inspection.fields == {"id": 0, "scheduled_completion": 3}
    assert inspection.rows == (3, 5)  # the blank row 4 is no sample
    assert [c.header for c in inspection.columns] == OWN[1]
    with pytest.raises(InputError, match="no header row with a requirement column"):
        read_poam_file(own)


def test_the_mapping_a_person_gives_is_shown_and_then_read(own):
    mapping = ColumnMapping(OWN_MAPPING)
    inspection = inspect_poam_file(own, mapping)
    assert inspection.problem is None and inspection.header_row == 2
    assert inspection.fields == {"requirements": 1, "id": 0, "weakness": 2, "scheduled_completion": 3,
                                 "primary_owner": 4}
    poam = read_poam_file(own, mapping=mapping)
    assert [(i.id, i.requirements, i.weakness, i.scheduled_completion, i.primary_owner, i.row) for i in poam.items] == [
        ("A-1", ["3.1.1"], "Shared admin account", date(2026, 12, 1), "Marcus Lee", 3),
        ("A-2", ["AC.L2-3.5.3"], "No MFA on the VPN", date(2027, 1, 15), "Marcus Lee", 5)]
    assert poam.fields == frozenset(OWN_MAPPING)


def test_a_column_a_person_chose_is_read_as_chosen_and_its_bad_cells_named(own):
    """Detection drops "Type" (its values are no record types); chosen, its cells are errors by row and column."""
    mapping = ColumnMapping({**OWN_MAPPING, "kind": "Type"})
    with pytest.raises(InputErrors) as raised:
        read_poam_file(own, mapping=mapping)
    assert [(e.row, e.column) for e in raised.value.errors] == [(3, "Type"), (5, "Type")]
    assert "'Technical' is not a record type" in raised.value.errors[0].message


def test_columns_by_position_and_fields_left_out(tmp_path):
    path = write_csv(tmp_path / "poam.csv", [
        ["POA&M ID", "Control", "Weakness", "Status", "Notes"],
        ["V-1", "3.1.1", "Shared admin account", "Closed", "Operational plan"]])
    mapping = ColumnMapping.from_assignments(["status=", "kind=#5", "remediation=notes"])
    assert mapping.columns == {"status": None, "kind": 4, "remediation": "notes"}
    [item] = read_poam_file(path, mapping=mapping).items
    assert item.status is ItemStatus.OPEN  # the status column is not read
    assert item.kind is RecordKind.OPERATIONAL_PLAN and item.remediation == "Operational plan"


def test_a_column_given_to_one_field_feeds_no_other_by_its_name(tmp_path):
    path = write_csv(tmp_path / "poam.csv", [["Control", "Weakness", "Title"], ["3.1.1", "Shared account", "X"]])
    inspection = inspect_poam_file(path, ColumnMapping({"remediation": "Weakness"}))
    assert inspection.fields == {"requirements": 0, "remediation": 1, "title": 2}
    [item] = read_poam(path, ColumnMapping({"remediation": "Weakness"})).items
    assert (item.remediation, item.weakness, item.title) == ("Shared account", "X", "")


def test_confirming_the_shown_mapping_keeps_the_columns_read_where_the_first_is_blank(tmp_path):
    """The web preview sends every field's column; confirmed as shown, Raw Severity still fills in for a blank
    Severity, as detection reads it. A person who picks Raw Severity itself gets that column alone."""
    path = write_csv(tmp_path / "poam.csv", [["Control", "Severity", "Raw Severity"], ["3.1.1", "", "CAT II"],
                                            ["3.1.2", "High", "CAT III"]])
    detected = [item.severity for item in read_poam(path).items]
    shown = inspect_poam_file(path).mapping()
    assert shown.columns["severity"] == "Severity"
    confirmed = ColumnMapping({name: place for name, place in inspect_poam_file(path).fields.items()})
    for mapping in (shown, confirmed):
        assert [item.severity for item in read_poam(path, mapping).items] == detected == [
            Severity.MODERATE, Severity.HIGH]
    raw = ColumnMapping({"severity": "Raw Severity"})
    assert [item.severity for item in read_poam(path, raw).items] == [Severity.MODERATE, Severity.LOW]


def test_the_header_row_and_the_sheet_can_be_named(tmp_path):
    path = write_xlsx(tmp_path / "book.xlsx", [], sheets={
        "Notes": [["Control", "Read me"], ["3.1.1", "not a POA&M"]],
        "Plan": [["Prepared by IT"], ["Item", "Ctrl", "Problem"], ["P-1", "3.1.1", "Shared account"]]})
    assert read_poam(path).items[0].weakness == ""  # the first sheet with a "Control" header wins by itself
    mapping = ColumnMapping({"requirements": "Ctrl", "weakness": "Problem"}, sheet="plan", header_row=2)
    inspection = inspect_poam_file(path, mapping)
    assert (inspection.sheet, inspection.header_row, inspection.rows) == ("Plan", 2, (3,))
    [item] = read_poam(path, mapping).items
    assert (item.requirements, item.weakness, item.row) == (["3.1.1"], "Shared account", 3)
    # Without the sheet, the first sheet whose header row has the chosen headers is read.
    [item] = read_poam(path, ColumnMapping({"requirements": "Ctrl", "weakness": "Problem"})).items
    assert item.weakness == "Shared account"


@pytest.mark.parametrize("mapping, says, row, column", [
    (ColumnMapping({"requirements": "Control #"}), 'none of the first 20 rows has a column headed "Control #" '
                                                   "(requirements)", None, "Control #"),
    (ColumnMapping({"requirements": "Control #"}, header_row=2),
     'requirements: no column headed "Control #" in the header row (row 2); its headers are: "Ref", "Ctrl", '
     '"What is wrong"', 2, "Control #"),
    (ColumnMapping({"requirements": 9}, header_row=2), "requirements: the sheet has no column J (#10); its last is F",
     2, "requirements"),
    (ColumnMapping({"requirements": "Ctrl"}, header_row=21), "the header row must be among the first 20 rows", 21,
     None),
    (ColumnMapping({"requirements": "Ctrl"}, header_row=4), "row 4 is empty: it cannot be the header row", 4, None),
    (ColumnMapping({"id": "Ref"}, header_row=2), "no column of the header row (row 2) holds the requirement", 2,
     "requirements"),
])
def test_a_mapping_that_does_not_fit_the_file_says_where(own, mapping, says, row, column):
    with pytest.raises(InputError) as raised:
        read_poam_file(own, mapping=mapping)
    assert says in raised.value.message
    assert (raised.value.file, raised.value.row, raised.value.column) == (str(own), row, column)
    # The preview shows the file anyway, with the reason.
    inspection = inspect_poam_file(own, mapping)
    assert says in inspection.problem.message and inspection.columns


def test_an_unknown_sheet_is_named_with_the_files_sheets(tmp_path):
    path = write_xlsx(tmp_path / "book.xlsx", [], sheets={"A": [["Control"], ["3.1.1"]], "B": [["x"]]})
    with pytest.raises(InputError, match="no sheet named 'C'; the file's sheets are: 'A', 'B'"):
        read_poam(path, ColumnMapping(sheet="C"))


@pytest.mark.parametrize("given, says", [
    ({"colour": "Red"}, "'colour': no such field; the fields are: requirements, objectives"),
    ({"requirements": -1}, "requirements: a column is named by its header or its position, not -1"),
    ({"requirements": 1.5}, "not 1.5"),
])
def test_a_mapping_names_known_fields_and_real_columns(given, says):
    with pytest.raises(InputError, match=says):
        ColumnMapping(given)


@pytest.mark.parametrize("assignments, says", [
    (["requirements"], "'requirements': give FIELD=HEADER"),
    (["=Ctrl"], "give FIELD=HEADER"),
    (["requirements=#0"], "columns are counted from #1"),
])
def test_assignments_are_parsed_or_refused_in_words(assignments, says):
    with pytest.raises(InputError, match=says):
        ColumnMapping.from_assignments(assignments)


def test_a_mapping_over_another_keeps_what_it_does_not_name():
    profile = ColumnMapping({"requirements": "Ctrl", "id": "Ref"}, header_row=2, sheet="Plan")
    merged = profile.merged(ColumnMapping.from_assignments(["id=#3", "status="]))
    assert merged == ColumnMapping({"requirements": "Ctrl", "id": 2, "status": None}, header_row=2, sheet="Plan")
    assert merged.as_json() == {"columns": {"requirements": "Ctrl", "id": 2, "status": None}, "header_row": 2,
                                "sheet": "Plan"}


def test_a_repeated_or_blank_header_is_kept_by_position(tmp_path):
    path = write_csv(tmp_path / "poam.csv", [["Control", "Notes", "Notes", ""], ["3.1.1", "a", "b", "c"]])
    mapping = ColumnMapping({"remediation": 2, "resources": 3})
    inspection = inspect_poam_file(path, mapping)
    chosen = inspection.mapping().columns
    assert (chosen["requirements"], chosen["remediation"], chosen["resources"]) == ("Control", 2, 3)
    [item] = read_poam(path, inspection.mapping()).items
    assert (item.remediation, item.resources) == ("b", "c")


def test_oscal_json_has_no_columns_to_map(tmp_path):
    path = tmp_path / "poam.json"
    path.write_text('{"plan-of-action-and-milestones": {}}')
    assert inspect_poam_file(path) == Inspection(file=str(path), kind="JSON")
    with pytest.raises(InputError, match="names its fields itself: it has no columns to map"):
        read_poam_file(path, mapping=ColumnMapping({"requirements": "Control"}))


def test_a_file_that_cannot_be_read_at_all_is_refused_by_the_inspection_too(tmp_path):
    path = tmp_path / "poam.xlsx"
    path.write_bytes(b"%PDF-1.7\n...")
    with pytest.raises(InputError, match="it is a PDF document"):
        inspect_poam_file(path)
    path = tmp_path / "poam.json"
    write_csv(path, [["Control"], ["3.1.1"]])
    with pytest.raises(InputError, match="named .json but holds text"):
        inspect_poam_file(path)


# --- the official templates (shared fixtures) -------------------------------------------------------------

def test_the_fedramp_template_is_shown_with_its_header_row_and_closed_sheet(shared_fixture):
    path = shared_fixture(FEDRAMP)
    inspection = inspect_poam_file(path)
    assert (inspection.sheet, inspection.companion, inspection.header_row) == (
        "Open POA&M Items", "Closed POA&M Items", 5)
    assert inspection.rows == ()  # rows 6-8 are the template's descriptions, formats and example
    by_letter = {c.letter: c for c in inspection.columns}
    assert len(by_letter) == 31 and by_letter["B"].fields == ("requirements",)
    assert by_letter["S"].header == "Original Risk Rating" and by_letter["S"].fields == ("severity",)
    assert by_letter["Z"].header == "Comments" and by_letter["Z"].fields == ("comments",)
    mapping = inspection.mapping()
    assert mapping.columns["requirements"] == "Controls" and mapping.columns["id"] == "POAM ID"
    for given in (mapping, None):  # the template holds no item: read either way, it says so the same way
        with pytest.raises(InputError, match="no items: the sheet 'Open POA&M Items'"):
            read_poam(path, given)


def test_a_fedramp_column_mapped_by_a_person_is_read_from_both_sheets(shared_fixture, tmp_path):
    workbook = openpyxl.load_workbook(shared_fixture(FEDRAMP))
    for sheet, row, values in (("Open POA&M Items", 9, ("POAM-IA-001", "IA.L2-3.5.3", "No MFA", "Ask Priya")),
                               ("Closed POA&M Items", 6, ("POAM-AC-002", "AC.L2-3.1.1", "Shared admin", "Done"))):
        for letter, value in zip("ABCZ", values):
            workbook[sheet][f"{letter}{row}"] = value
    path = tmp_path / "fedramp.xlsx"
    workbook.save(path)
    poam = read_poam_file(path, mapping=ColumnMapping({"remediation": "Comments"}))
    assert [(i.id, i.remediation, i.status) for i in poam.items] == [
        ("POAM-IA-001", "Ask Priya", ItemStatus.OPEN), ("POAM-AC-002", "Done", ItemStatus.CLOSED)]


def test_the_emass_layout_is_shown_and_a_column_can_be_remapped(shared_fixture, tmp_path):
    inspection = inspect_poam_file(shared_fixture(EMASS))
    assert (inspection.sheet, inspection.header_row, inspection.rows) == ("POA&M", 1, ())  # row 2: ${...}
    fields = {c.header: c.fields for c in inspection.columns}
    assert fields["Controls / APs"] == ("requirements",) and fields["POA&M Item ID"] == ("id",)
    assert fields["Severity"] == ("severity",) and fields["Raw Severity"] == ("severity",)
    assert fields["Mitigations (in-house and in conjunction with the Navy CSSP)"] == ("interim_mitigation",)

    workbook = openpyxl.load_workbook(shared_fixture(EMASS))
    worksheet = workbook["POA&M"]
    for letter, value in {"A": "1", "B": "Passwords only on the VPN", "C": "3.5.3", "G": date(2026, 4, 5),
                          "L": "Ongoing", "N": "CAT II", "P": "Duo on the VPN"}.items():
        worksheet[f"{letter}3"] = value
    path = tmp_path / "emass.xlsx"
    workbook.save(path)
    inspection = inspect_poam_file(path, ColumnMapping({"remediation": "Mitigations"}))
    assert inspection.rows == (3,) and inspection.fields["remediation"] == 15
    [item] = read_poam_file(path, mapping=ColumnMapping({"remediation": "Mitigations"})).items
    assert (item.requirements, item.remediation, item.status) == (["3.5.3"], "Duo on the VPN", ItemStatus.IN_PROGRESS)
