"""The official templates read as templates: the FedRAMP POA&M v2.1 and the eMASS layout (shared fixtures).

A known pitfall: another tool imported the FedRAMP template's rows 6-7 (field descriptions and formats) as
data (formats.md). Here they, the example row 8 and eMASS's "${...}" placeholders are never items.
"""

from datetime import date

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from punchlist.core.records import ItemStatus, Milestone, Severity
from punchlist.errors import InputError
from punchlist.interchange import read_poam
from punchlist.interchange.columns import POAM, find_layout
from punchlist.interchange.values import key

FEDRAMP = "fedramp/FedRAMP-POAM-Template.xlsx"
EMASS = "emass/stig-manager_emass-poam-template.xlsx"

# The FedRAMP v2.1 headers that carry a PoamItem field, by column (formats.md).
FEDRAMP_FIELDS = {
    "A": "id", "B": "requirements", "C": "title", "D": "weakness", "E": "source", "H": "primary_owner",
    "I": "resources", "J": "remediation", "K": "start_date", "L": "scheduled_completion", "M": "milestones",
    "O": "last_updated", "S": "severity", "Y": "evidence",
    # Kept whole too (interchange.details): nothing of the template is dropped that an item can hold.
    "F": "source_identifier", "G": "assets", "P": "vendor_dependency", "Q": "vendor_check_in",
    "R": "vendor_product", "T": "residual_risk", "U": "risk_adjustment", "Z": "comments", "AD": "cves",
}


def _column(letter: str) -> int:
    return openpyxl.utils.column_index_from_string(letter) - 1


@pytest.fixture(scope="module")
def fedramp_head(shared_fixture):
    sheet = CalamineWorkbook.from_path(shared_fixture(FEDRAMP)).get_sheet_by_name("Open POA&M Items")
    return sheet.to_python(nrows=20)


def test_fedramp_header_row_5_and_its_columns_are_found(fedramp_head):
    layout = find_layout(fedramp_head, POAM)
    assert layout.header_index == 4  # row 5
    mapped = {column: name for name, columns in layout.columns.items() for column in columns}
    assert mapped == {_column(letter): name for letter, name in FEDRAMP_FIELDS.items()}


def test_every_one_of_the_31_fedramp_headers_is_known(fedramp_head):
    headers = [cell for cell in fedramp_head[4] if cell]
    assert len(headers) == 31
    assert [h for h in headers if key(h) not in POAM.known] == []


def test_the_fedramp_template_itself_holds_no_items(shared_fixture):
    # Rows 6-7 (descriptions, formats) and row 8 (V-1Example) are the template's: reading it brings in
    # nothing, and that is said, not passed off as an empty POA&M.
    with pytest.raises(InputError, match=r"no items: the sheet 'Open POA&M Items' has no row with a requirement "
                                         r"under its header row \(row 5\); row\(s\) 6-8 hold only the template's"):
        read_poam(shared_fixture(FEDRAMP))


REAL_ROW = {
    "A": "POAM-IA-001", "B": "IA.L2-3.5.3", "C": "No MFA for remote access",
    "D": "VPN logins use passwords only", "E": "Self-assessment", "H": "Marcus Lee, IT Operations Lead",
    "I": "Duo licences, $4,000", "J": "Deploy Duo MFA on the VPN for all users",
    "K": date(2026, 1, 5), "L": date(2026, 4, 5),
    "M": "(1) 2026-02-01: Pilot with IT staff\n\n(2) 2026-03-15: Roll out to all\nremote users",
    "O": date(2026, 1, 20), "S": "Moderate", "Y": "Evidence of Remediation : duo-enrolment.pdf",
}
CLOSED_ROW = {"A": "POAM-AC-002", "B": "AC.L2-3.1.1", "C": "Shared admin account", "K": date(2025, 11, 3)}


@pytest.fixture(scope="module")
def filled_fedramp(shared_fixture, tmp_path_factory):
    """A copy of the template with a real item under the example row (row 9) and one closed item (row 6).

    One copy serves the tests below: openpyxl takes seconds to load and save the 4,022-row template.
    """
    workbook = openpyxl.load_workbook(shared_fixture(FEDRAMP))
    for sheet, row, values in (("Open POA&M Items", 9, REAL_ROW), ("Closed POA&M Items", 6, CLOSED_ROW)):
        for letter, value in values.items():
            workbook[sheet][f"{letter}{row}"] = value
    path = tmp_path_factory.mktemp("fedramp") / "fedramp.xlsx"
    workbook.save(path)
    return read_poam(path)


def test_a_real_row_under_the_example_is_read(filled_fedramp):
    item = filled_fedramp.items[0]
    assert item.row == 9
    assert (item.id, item.requirements, item.title, item.weakness) == (
        "POAM-IA-001", ["IA.L2-3.5.3"], "No MFA for remote access", "VPN logins use passwords only")
    assert (item.source, item.primary_owner, item.resources, item.remediation) == (
        "Self-assessment", "Marcus Lee, IT Operations Lead", "Duo licences, $4,000",
        "Deploy Duo MFA on the VPN for all users")
    assert (item.start_date, item.scheduled_completion, item.last_updated) == (
        date(2026, 1, 5), date(2026, 4, 5), date(2026, 1, 20))
    assert item.milestones == [Milestone("Pilot with IT staff", date(2026, 2, 1)),
                               Milestone("Roll out to all remote users", date(2026, 3, 15))]
    assert item.severity is Severity.MODERATE
    assert item.evidence == "Evidence of Remediation : duo-enrolment.pdf"
    assert item.status is ItemStatus.OPEN


def test_only_the_real_rows_are_items_and_the_closed_sheet_closes_them(filled_fedramp):
    assert [(item.id, item.row, item.status) for item in filled_fedramp.items] == [
        ("POAM-IA-001", 9, ItemStatus.OPEN), ("POAM-AC-002", 6, ItemStatus.CLOSED)]


def test_the_emass_template_is_recognised_and_its_placeholders_skipped(shared_fixture):
    # Row 2 holds "${table:vuln.desc}" placeholders, not an item: nothing is read, and that is said.
    with pytest.raises(InputError, match=r"no items: the file has no row .* row\(s\) 2 hold only the template's"):
        read_poam(shared_fixture(EMASS))
    layout = find_layout(CalamineWorkbook.from_path(shared_fixture(EMASS)).get_sheet_by_name("POA&M").to_python(),
                         POAM)
    assert {"id", "requirements", "weakness", "responsible_unit", "resources", "scheduled_completion",
            "milestones", "source", "status", "severity", "source_identifier", "comments", "assets",
            "interim_mitigation", "likelihood", "impact", "residual_risk"} == set(layout.columns)


def test_an_emass_row_is_read(shared_fixture, tmp_path):
    workbook = openpyxl.load_workbook(shared_fixture(EMASS))
    worksheet = workbook["POA&M"]
    values = {"A": "1", "B": "Passwords only on the VPN", "C": "IA-2(1), 3.5.3", "D": "IT Operations",
              "F": "Duo licences", "G": date(2026, 4, 5), "I": "Pilot - 2026-02-01\nRoll out - 2026-03-15",
              "K": "Self-assessment", "L": "Ongoing", "N": "CAT II", "R": ""}
    for letter, value in values.items():
        worksheet[f"{letter}3"] = value
    path = tmp_path / "emass.xlsx"
    workbook.save(path)
    [item] = read_poam(path).items
    assert (item.id, item.requirements, item.weakness, item.responsible_unit) == (
        "1", ["IA-2(1)", "3.5.3"], "Passwords only on the VPN", "IT Operations")
    assert (item.status, item.severity, item.row) == (ItemStatus.IN_PROGRESS, Severity.MODERATE, 3)
    assert item.milestones == [Milestone("Pilot", date(2026, 2, 1)), Milestone("Roll out", date(2026, 3, 15))]


def test_a_missing_shared_fixture_skips_with_its_path_but_fails_under_ci(shared_fixture, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no/such/template.xlsx is absent"):
        shared_fixture("no/such/template.xlsx")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true requires it"):
        shared_fixture("no/such/template.xlsx")
