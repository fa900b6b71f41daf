"""Reading a contractor's own POA&M spreadsheet: header row, synonyms, values, errors."""

import gc
from datetime import date, datetime

import pytest
from spreadsheets import write_csv, write_ods, write_xlsx

from punchlist.core.records import ItemStatus, Milestone, RecordKind, Severity
from punchlist.errors import InputError, InputErrors
from punchlist.interchange import read_poam

HEADERS = ["POA&M ID", "Control", "Weakness", "Remediation Plan", "Point of Contact", "Scheduled Completion",
           "Status"]


def row(id="POAM-AC-001", control="3.1.1", weakness="Shared admin account on the file server",
        plan="Issue named admin accounts", owner="Marcus Lee, IT Operations Lead", due=date(2026, 6, 30),
        status="Open"):
    return [id, control, weakness, plan, owner, due, status]


def test_header_on_row_1(tmp_path):
    poam = read_poam(write_xlsx(tmp_path / "poam.xlsx", [HEADERS, row()]))
    [item] = poam.items
    assert item.id == "POAM-AC-001"
    assert item.requirements == ["3.1.1"]
    assert item.weakness == "Shared admin account on the file server"
    assert item.remediation == "Issue named admin accounts"
    assert item.primary_owner == "Marcus Lee, IT Operations Lead"
    assert item.scheduled_completion == date(2026, 6, 30)
    assert item.status is ItemStatus.OPEN
    assert item.row == 2


def test_header_on_row_7_below_a_title_block(tmp_path):
    rows = [["Acme Machining LLC - Plan of Action and Milestones"], ["System: CUI enclave"], [],
            ["Prepared by", "Dana Cruz"], ["Date", date(2026, 1, 5)], [], HEADERS, row(), row(id="POAM-AC-002")]
    poam = read_poam(write_xlsx(tmp_path / "poam.xlsx", rows))
    assert [item.id for item in poam.items] == ["POAM-AC-001", "POAM-AC-002"]
    assert [item.row for item in poam.items] == [8, 9]


def test_rows_are_counted_from_the_top_of_the_sheet_even_above_an_empty_area(tmp_path):
    # calamine leaves out the empty rows and columns above and left of the data; Excel's numbers do not.
    poam = read_poam(write_xlsx(tmp_path / "poam.xlsx", [[None, *HEADERS], [None, *row()]], start_row=4))
    assert poam.items[0].row == 5


def test_header_below_row_20_is_not_looked_for(tmp_path):
    rows = [[f"note {n}"] for n in range(20)] + [HEADERS, row()]
    with pytest.raises(InputError) as raised:
        read_poam(write_xlsx(tmp_path / "poam.xlsx", rows))
    assert raised.value.column == "requirement"


def test_header_synonyms_people_use(tmp_path):
    headers = ["Item ID", "NIST 800-171 Control", "Deficiency", "Corrective Action", "Responsible Person",
               "Due Date", "POA&M Status", "Risk Level", "Department", "Estimated Cost", "Date Identified",
               "Date Closed", "Planned Milestones", "Closure Evidence", "Status Date", "Identification Source",
               "Record Type", "Supporting Owner", "Approval Authority", "Evidence Custodian", "NOT MET Objectives",
               "Title"]
    values = ["7", "AC.L2-3.1.1", "No MFA", "Deploy Duo", "Dana Cruz", "2026-06-30", "In Progress", "Medium",
              "IT Operations", "$4,000", "2026-01-05", "", "2026-02-01: Pilot", "Duo report", "2026-02-02",
              "Self-assessment", "Operational Plan of Action", "Wei Zhang", "Jane Roe, CISO", "Aisha Okafor",
              "3.1.1[a]; 3.1.1[b]", "MFA gap"]
    poam = read_poam(write_xlsx(tmp_path / "poam.xlsx", [headers, values]))
    [item] = poam.items
    assert (item.id, item.requirements, item.weakness, item.remediation) == ("7", ["AC.L2-3.1.1"], "No MFA",
                                                                             "Deploy Duo")
    assert item.primary_owner == "Dana Cruz"
    assert item.scheduled_completion == date(2026, 6, 30)
    assert item.status is ItemStatus.IN_PROGRESS
    assert item.severity is Severity.MODERATE
    assert item.responsible_unit == "IT Operations"
    assert item.resources == "$4,000"
    assert item.start_date == date(2026, 1, 5)
    assert item.completion_date is None
    assert item.milestones == [Milestone("Pilot", date(2026, 2, 1))]
    assert item.evidence == "Duo report"
    assert item.last_updated == date(2026, 2, 2)
    assert item.source == "Self-assessment"
    assert item.kind is RecordKind.OPERATIONAL_PLAN
    assert (item.supporting_owner, item.approval_authority, item.evidence_custodian) == (
        "Wei Zhang", "Jane Roe, CISO", "Aisha Okafor")
    assert item.objectives == ["3.1.1[a]", "3.1.1[b]"]
    assert item.title == "MFA gap"


@pytest.mark.parametrize("header", ["Control", "Controls", "NIST 800-171 Control", "Requirement",
                                    "Security Requirement", "Practice", "CMMC Practice", "control", "CONTROL ",
                                    "Practice*", "Requirement (800-171)"])
def test_requirement_column_names(tmp_path, header):
    poam = read_poam(write_csv(tmp_path / "poam.csv", [[header, "Weakness"], ["3.5.3", "No MFA"]]))
    assert poam.items[0].requirements == ["3.5.3"]


@pytest.mark.parametrize("header", ["Point of Contact", "POC", "Owner", "Responsible Person", "Primary Owner",
                                    "Assigned To", "point-of-contact"])
def test_owner_column_names(tmp_path, header):
    poam = read_poam(write_csv(tmp_path / "poam.csv", [["Control", header], ["3.5.3", "Dana Cruz"]]))
    assert poam.items[0].primary_owner == "Dana Cruz"


def test_a_home_made_tracker_with_short_headers(tmp_path):
    """The names a small shop types into its own sheet: "Fix plan", "Who", "Target", "State"."""
    rows = [["Our POA&M tracker"], [], ["Ref", "Control", "Gap", "Fix plan", "Who", "Target", "State"],
            ["1", "3.1.5", "Shared admin account on CNC PCs", "Create named admin accounts", "Sam Patel",
             "2027-01-15", "Open"]]
    [item] = read_poam(write_csv(tmp_path / "tracker.csv", rows)).items
    assert (item.requirements, item.weakness, item.remediation, item.primary_owner) == (
        ["3.1.5"], "Shared admin account on CNC PCs", "Create named admin accounts", "Sam Patel")
    assert (item.scheduled_completion, item.status) == (date(2027, 1, 15), ItemStatus.OPEN)


def test_weakness_name_is_the_title_when_a_description_is_there_too(tmp_path):
    path = write_csv(tmp_path / "poam.csv", [["Controls", "Weakness Name", "Weakness Description"],
                                             ["3.1.1", "Shared admin", "One admin account shared by three"]])
    item = read_poam(path).items[0]
    assert (item.title, item.weakness) == ("Shared admin", "One admin account shared by three")


def test_a_lone_weakness_name_is_the_weakness(tmp_path):
    poam = read_poam(write_csv(tmp_path / "poam.csv", [["Controls", "Weakness Name"], ["3.1.1", "Shared admin"]]))
    assert poam.items[0].weakness == "Shared admin"
    assert "weakness" in poam.fields and "title" not in poam.fields


def test_fields_are_exactly_the_columns_the_file_has(tmp_path):
    poam = read_poam(write_xlsx(tmp_path / "poam.xlsx", [HEADERS + ["Comments"], row() + ["n/a"]]))
    assert poam.fields == {"id", "requirements", "weakness", "remediation", "primary_owner",
                           "scheduled_completion", "status", "comments"}
    assert poam.source == str(tmp_path / "poam.xlsx")


def test_date_forms(tmp_path):
    written = [datetime(2026, 3, 1, 0, 0), date(2026, 3, 1), "2026-03-01", "2026/03/01", "03/01/2026", "3/1/26",
               "March 1, 2026", "Mar 1 2026", "1-Mar-2026", "1 March 2026", 46082, "46082", "46082.0",
               "2026-03-01 00:00:00", "2026-03-01T09:30:00"]
    rows = [["Control", "Due Date"]] + [["3.1.1", value] for value in written]
    poam = read_poam(write_xlsx(tmp_path / "poam.xlsx", rows))
    assert [item.scheduled_completion for item in poam.items] == [date(2026, 3, 1)] * len(written)


def test_dates_in_csv_text(tmp_path):
    rows = [["Control", "Start Date", "Due Date"], ["3.1.1", "46082", "1-Mar-26"]]
    item = read_poam(write_csv(tmp_path / "poam.csv", rows)).items[0]
    assert (item.start_date, item.scheduled_completion) == (date(2026, 3, 1), date(2026, 3, 1))


def test_several_requirements_in_one_cell_stay_a_list_as_written(tmp_path):
    cells = ["3.1.1, 3.1.2", "3.1.1; AC.L2-3.1.2", "3.1.1\n3.1.2", "3.1.1 and 3.1.2", "3.1.1/3.1.2", "AC-2"]
    rows = [["Control"]] + [[cell] for cell in cells]
    poam = read_poam(write_xlsx(tmp_path / "poam.xlsx", rows))
    assert [item.requirements for item in poam.items] == [
        ["3.1.1", "3.1.2"], ["3.1.1", "AC.L2-3.1.2"], ["3.1.1", "3.1.2"], ["3.1.1", "3.1.2"], ["3.1.1", "3.1.2"],
        ["AC-2"],  # 800-53: kept as written, for the lint's unknown-requirement check
    ]


def test_whole_numbers_in_id_columns_lose_calamines_dot_zero(tmp_path):
    poam = read_poam(write_xlsx(tmp_path / "poam.xlsx", [["ID", "Control", "Owner"], [12345, "3.1.1", 7]]))
    assert (poam.items[0].id, poam.items[0].primary_owner) == ("12345", "7")


def test_statuses_severities_and_kinds(tmp_path):
    rows = [["Control", "Status", "Severity", "Type"],
            ["3.1.1", "Ongoing", "CAT I", "POA&M"],
            ["3.1.2", "Completed", "Very High", "Assessment POA&M"],
            ["3.1.3", "Risk Accepted", "low", "3.12.2"],
            ["3.1.4", "Pending Verification", "CAT III", "Operational"],
            ["3.1.5", "Closed - verified by Jane", "", ""]]
    items = read_poam(write_xlsx(tmp_path / "poam.xlsx", rows)).items
    assert [i.status for i in items] == [ItemStatus.IN_PROGRESS, ItemStatus.CLOSED, ItemStatus.RISK_ACCEPTED,
                                         ItemStatus.READY_FOR_VERIFICATION, ItemStatus.CLOSED]
    assert [i.severity for i in items] == [Severity.HIGH, Severity.CRITICAL, Severity.LOW, Severity.LOW, None]
    assert [i.kind for i in items] == [RecordKind.ASSESSMENT_POAM, RecordKind.ASSESSMENT_POAM,
                                       RecordKind.OPERATIONAL_PLAN, RecordKind.OPERATIONAL_PLAN,
                                       RecordKind.ASSESSMENT_POAM]


def test_a_generic_type_column_that_holds_no_record_kind_is_not_read_as_one(tmp_path):
    rows = [["Control", "Type"], ["3.1.1", "Technical"], ["3.1.2", "Policy"]]
    poam = read_poam(write_csv(tmp_path / "poam.csv", rows))
    assert "kind" not in poam.fields
    assert {item.kind for item in poam.items} == {RecordKind.ASSESSMENT_POAM}


def test_severity_falls_back_to_the_next_severity_column(tmp_path):
    rows = [["Control", "Severity", "Raw Severity"], ["3.1.1", "", "CAT II"], ["3.1.2", "High", "CAT III"]]
    items = read_poam(write_csv(tmp_path / "poam.csv", rows)).items
    assert [item.severity for item in items] == [Severity.MODERATE, Severity.HIGH]


def test_milestones_cell(tmp_path):
    cell = "2026-01-15 - Deploy Duo to all users\nTrain the help desk (due 02/01/2026)\n[x] Pilot with IT 2026-01-05"
    poam = read_poam(write_xlsx(tmp_path / "poam.xlsx", [["Control", "Milestones"], ["3.5.3", cell]]))
    assert poam.items[0].milestones == [
        Milestone("Deploy Duo to all users", date(2026, 1, 15)),
        Milestone("Train the help desk", date(2026, 2, 1)),
        Milestone("Pilot with IT", date(2026, 1, 5), date(2026, 1, 5)),
    ]


def test_items_never_share_milestone_objects(tmp_path):
    cell = "2026-01-15: Deploy Duo"
    items = read_poam(write_csv(tmp_path / "poam.csv", [["Control", "Milestones"], ["3.5.3", cell],
                                                       ["3.5.3", cell]])).items
    assert items[0].milestones == items[1].milestones
    assert items[0].milestones[0] is not items[1].milestones[0]


def test_a_row_holding_only_a_milestone_continues_the_item_above(tmp_path):
    # eMASS lists one milestone per row, with the milestone's own date columns.
    rows = [["POA&M Item ID", "Controls / APs", "Milestone Description", "Milestone Scheduled Completion Date"],
            ["1", "3.1.1", "Buy licences", date(2026, 2, 1)],
            [None, None, "Deploy", date(2026, 3, 1)],
            ["2", "3.1.2", "Write the procedure", None]]
    items = read_poam(write_xlsx(tmp_path / "poam.xlsx", rows)).items
    assert [item.id for item in items] == ["1", "2"]
    assert items[0].milestones == [Milestone("Buy licences", date(2026, 2, 1)), Milestone("Deploy", date(2026, 3, 1))]
    assert items[1].milestones == [Milestone("Write the procedure")]


def test_blank_rows_are_skipped_and_row_numbers_kept(tmp_path):
    rows = [HEADERS, row(id="A"), [None] * 7, ["", " ", "", "", "", "", ""], row(id="B"), [None] * 7]
    items = read_poam(write_xlsx(tmp_path / "poam.xlsx", rows)).items
    assert [(item.id, item.row) for item in items] == [("A", 2), ("B", 5)]


def test_an_item_without_a_requirement_is_still_read(tmp_path):
    # Whether a requirement is missing is the lint's finding (missing-field), not a reading error.
    items = read_poam(write_csv(tmp_path / "poam.csv", [["ID", "Control", "Weakness"], ["1", "", "No MFA"]])).items
    assert items[0].requirements == [] and items[0].weakness == "No MFA"


def test_unknown_status_names_file_row_and_column(tmp_path):
    path = write_xlsx(tmp_path / "poam.xlsx", [HEADERS, row(), row(status="Sort of done")])
    with pytest.raises(InputError) as raised:
        read_poam(path)
    error = raised.value
    assert (error.file, error.row, error.column) == (str(path), 3, "Status")
    assert "'Sort of done' is not a POA&M status" in str(error)
    assert "In Progress" in str(error) and "Risk Accepted" in str(error)


def test_every_bad_cell_is_reported_in_one_go(tmp_path):
    rows = [HEADERS + ["Severity"], row() + ["High"], row(due="next spring") + ["Huge"], row(status="Maybe") + [""],
            row(due="13/45/2026") + ["Low"]]
    path = write_xlsx(tmp_path / "poam.xlsx", rows)
    with pytest.raises(InputErrors) as raised:
        read_poam(path)
    found = [(e.row, e.column) for e in raised.value.errors]
    assert found == [(3, "Scheduled Completion"), (3, "Severity"), (4, "Status"), (5, "Scheduled Completion")]
    assert all(e.file == str(path) for e in raised.value.errors)
    assert "'next spring' is not a date" in str(raised.value)


def test_a_day_first_date_is_refused_with_its_iso_form(tmp_path):
    with pytest.raises(InputError) as raised:
        read_poam(write_csv(tmp_path / "poam.csv", [["Control", "Due Date"], ["3.1.1", "25/12/2026"]]))
    assert "2026-12-25" in str(raised.value)


def test_a_bad_milestone_date_names_the_milestone(tmp_path):
    with pytest.raises(InputError) as raised:
        read_poam(write_csv(tmp_path / "poam.csv", [["Control", "Milestones"], ["3.1.1", "Deploy by 02/30/2026"]]))
    assert raised.value.column == "Milestones" and "milestone 1" in str(raised.value)


def test_missing_requirement_column_names_the_file_and_the_names_it_accepts(tmp_path):
    path = write_xlsx(tmp_path / "poam.xlsx", [["ID", "Weakness", "Owner"], ["1", "No MFA", "Dana"]])
    with pytest.raises(InputError) as raised:
        read_poam(path)
    error = raised.value
    assert error.file == str(path) and error.column == "requirement"
    assert '"Control"' in error.message and '"NIST 800-171 Control"' in error.message


def test_the_first_sheet_with_a_header_row_is_read(tmp_path):
    path = write_xlsx(tmp_path / "poam.xlsx", [], sheets={"Instructions": [["Fill in the POA&M sheet"]],
                                                          "POA&M": [HEADERS, row()]})
    assert [item.id for item in read_poam(path).items] == ["POAM-AC-001"]


def test_open_and_closed_sheets_are_both_read_and_the_sheet_gives_the_status(tmp_path):
    headers = ["POAM ID", "Controls", "Weakness Name"]
    path = write_xlsx(tmp_path / "poam.xlsx", [], sheets={
        "Open POA&M Items": [headers, ["V-1", "3.1.1", "Open one"]],
        "Closed POA&M Items": [headers, ["V-2", "3.1.2", "Closed one"]],
    })
    poam = read_poam(path)
    assert [(i.id, i.status, i.row) for i in poam.items] == [("V-1", ItemStatus.OPEN, 2),
                                                             ("V-2", ItemStatus.CLOSED, 2)]
    assert "status" in poam.fields


def test_an_error_on_a_second_sheet_names_the_sheet(tmp_path):
    headers = ["POAM ID", "Controls", "Original Detection Date"]
    path = write_xlsx(tmp_path / "poam.xlsx", [], sheets={
        "Open POA&M Items": [headers, ["V-1", "3.1.1", "2026-01-01"]],
        "Closed POA&M Items": [headers, ["V-2", "3.1.2", "yesterday"]],
    })
    with pytest.raises(InputError) as raised:
        read_poam(path)
    assert raised.value.file == f"{path} [Closed POA&M Items]" and raised.value.row == 2


def test_csv_in_excels_european_and_windows_forms(tmp_path):
    path = write_csv(tmp_path / "poam.csv", [["Control", "Owner", "Weakness"], ["3.1.1", "Tomás García", "a; b"]],
                     delimiter=";", encoding="cp1252")
    item = read_poam(path).items[0]
    assert (item.requirements, item.primary_owner, item.weakness) == (["3.1.1"], "Tomás García", "a; b")


def test_ods_through_calamine(tmp_path):
    path = write_ods(tmp_path / "poam.ods", [["Control", "Due Date", "ID"], ["3.1.1", date(2026, 3, 1), 12345]])
    [item] = read_poam(path).items
    assert (item.requirements, item.scheduled_completion, item.id, item.row) == (
        ["3.1.1"], date(2026, 3, 1), "12345", 2)


def test_csv_with_a_byte_order_mark(tmp_path):
    path = tmp_path / "poam.csv"
    path.write_bytes("\ufeffControl,Weakness\r\n3.1.1,No MFA\r\n".encode("utf-8"))
    assert read_poam(path).items[0].weakness == "No MFA"


@pytest.mark.parametrize("name, content, says", [
    ("poam.xlsx", b"Control,Weakness\n3.1.1,No MFA\n", "not a spreadsheet"),
    ("poam.xlsx", b"", "empty"),
    ("poam.xls", b"PK\x03\x04 not really", "cannot read the file as XLS"),
    ("poam.xlsx", b"PK\x03\x04" + b"\x00" * 100, "cannot read the file as XLSX"),
    ("poam.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "password-protected"),
    ("poam.csv", b"PK\x03\x04 zipped", "workbook, not CSV"),
    ("poam.csv", b"\x00\x01\x02binary", "not text"),
    ("poam.csv", b"  \n\n", "empty"),
    ("poam.pdf", b"%PDF-1.7", "cannot read a .pdf file"),
])
def test_unreadable_files_get_a_clear_error_naming_the_file(tmp_path, name, content, says):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as raised:
        read_poam(path)
    assert raised.value.file == str(path)
    assert says in raised.value.message


def test_a_workbook_with_nothing_in_it(tmp_path):
    path = write_xlsx(tmp_path / "poam.xlsx", [], sheets={"Sheet1": [], "Sheet2": []})
    with pytest.raises(InputError) as raised:
        read_poam(path)
    assert (raised.value.file, raised.value.message) == (str(path), "the file holds no data")


def test_a_missing_file(tmp_path):
    with pytest.raises(InputError) as raised:
        read_poam(tmp_path / "nowhere.xlsx")
    assert raised.value.file == str(tmp_path / "nowhere.xlsx") and "cannot open" in raised.value.message


def test_reading_leaves_the_garbage_collector_as_it_found_it(tmp_path):
    path = write_csv(tmp_path / "poam.csv", [["Control"], ["3.1.1"]])
    assert gc.isenabled()
    read_poam(path)
    assert gc.isenabled()
    gc.disable()
    try:
        read_poam(path)
        assert not gc.isenabled()
    finally:
        gc.enable()


NAVY_EMASS = [  # formats.md: the current eMASS template's columns B-AG; rows 1-6 are its header block
    "POA&M Item ID", "Control Vulnerability Description", "Controls / APs", "Security Checks", "POA&M Status",
    "POA&M Scheduled Completion Date", "POA&M Requested Risk Accepted Expiration Date", "POA&M Completion Date",
    "Milestone ID", "Milestone Description", "Milestone Status", "Milestone Status Comments",
    "Milestone Scheduled Completion Date", "Milestone Completion Date", "Identification Source",
    "Identification Source Details", "Office/Org", "Resources Required", "Comments", "Raw Severity",
    "Devices Affected", "Mitigations (in-house and in conjunction with the Navy CSSP)", "Predisposing Conditions",
    "Severity", "Relevance of Threat", "Threat Description", "Likelihood", "Impact", "Impact Description",
    "Residual Risk Level", "Recommendations", "Resulting Residual Risk after Proposed Mitigations",
]


def test_the_navy_emass_layout(tmp_path):
    block = [["CUI"], ["Date Exported:", "2026-01-05"], ["Exported By:", "Dana Cruz"], ["System/Project Name:", "X"],
             ["POC Name:", "Dana Cruz"], ["Security Costs:", ""]]
    values = dict.fromkeys(NAVY_EMASS, "")
    values.update({"POA&M Item ID": 101, "Control Vulnerability Description": "Passwords only on the VPN",
                   "Controls / APs": "IA-2(1)", "POA&M Status": "Ongoing",
                   "POA&M Scheduled Completion Date": date(2026, 4, 5), "Milestone Description": "Buy licences",
                   "Milestone Scheduled Completion Date": date(2026, 2, 1), "Identification Source": "CCRI",
                   "Office/Org": "N6", "Resources Required": "$4,000", "Raw Severity": "II", "Severity": "Very Low"})
    rows = block + [[None] + NAVY_EMASS, [None] + list(values.values())]
    poam = read_poam(write_xlsx(tmp_path / "emass.xlsx", rows))
    [item] = poam.items
    assert (item.id, item.weakness, item.requirements, item.status, item.row) == (
        "101", "Passwords only on the VPN", ["IA-2(1)"], ItemStatus.IN_PROGRESS, 8)
    assert (item.scheduled_completion, item.source, item.responsible_unit, item.resources, item.severity) == (
        date(2026, 4, 5), "CCRI", "N6", "$4,000", Severity.LOW)
    assert item.milestones == [Milestone("Buy licences", date(2026, 2, 1))]
    assert poam.fields == {"id", "weakness", "requirements", "status", "scheduled_completion", "completion_date",
                           "milestones", "source", "responsible_unit", "resources", "severity",
                           # kept whole (interchange.details)
                           "source_identifier", "comments", "assets", "interim_mitigation", "likelihood", "impact",
                           "residual_risk"}
