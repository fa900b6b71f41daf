"""Nothing of a file is lost: the Punchlist workbook and the filled FedRAMP template, each exported from a
register, imported into a new register and exported again, give the same fields: every status, the people
FedRAMP has no column for, completion and milestone done dates, the original id and every further detail
(assets, CVEs, vendor, risk, cost, decision needed, comments, touches CUI, blocked by)."""

from datetime import date, timedelta
from decimal import Decimal

import openpyxl
import pytest

from punchlist.core.records import ItemStatus, Milestone, Poam, PoamItem, RecordKind, Severity
from punchlist.interchange import read_poam
from punchlist.interchange.fedramp import fill_fedramp_template
from punchlist.interchange.workbook import write_workbook
from punchlist.register.exports import build_export
from punchlist.register.imports import import_poam
from punchlist.register.models import PoamItem as StoredItem

TODAY = date.today()
SOON, LATER, BEFORE = TODAY + timedelta(days=40), TODAY + timedelta(days=120), TODAY - timedelta(days=60)
FEDRAMP = "fedramp/FedRAMP-POAM-Template.xlsx"
ALL_FIELDS = [name for name in PoamItem.__slots__ if name != "row"]


def _items() -> list[PoamItem]:
    """One item in each of the six statuses, with every field a person or a file can give."""
    common = {"approval_authority": "Priya Lee", "evidence_custodian": "Olive Lee", "source": "Self-assessment"}
    return [
        PoamItem(id="V-1", requirements=["3.1.8"], objectives=["3.1.8[a]"], title="Shared admin account",
                 weakness="Three technicians sign in as admin on FS01.", severity=Severity.CRITICAL,
                 status=ItemStatus.IN_PROGRESS, remediation="Named admin accounts", responsible_unit="IT Operations",
                 primary_owner="Marcus Lee", supporting_owner="Olive Lee", resources="Two days",
                 start_date=BEFORE, scheduled_completion=SOON, last_updated=TODAY - timedelta(days=3),
                 milestones=[Milestone("Create named accounts", BEFORE + timedelta(days=20),
                                       BEFORE + timedelta(days=18)), Milestone("Disable the shared one", SOON)],
                 assets="FS01 (10.0.0.5:445/tcp)\nFS02", cves="CVE-2024-1234\nCVE-2025-0001",
                 source_identifier="Nessus 19506", interim_mitigation="Admin sign-ins alerted to the SOC",
                 comments="Asked Marcus on Monday.\nStill waiting.", likelihood="Moderate", impact="High",
                 residual_risk="Moderate", risk_adjustment="Pending", vendor_dependency=True,
                 vendor_product="Windows Server 2019", vendor_check_in=BEFORE + timedelta(days=10),
                 vendor_involvement="The MSP sets up the accounts\nand removes the old one",
                 budget_money=Decimal("12500.50"), budget_hours=Decimal("40.5"),
                 decision_needed="Whether to buy a PAM tool", touches_cui=True, **common),
        PoamItem(id="P002", requirements=["3.3.1"], title="Logs kept 30 days", weakness="Firewall keeps 30 days",
                 severity=Severity.MODERATE, status=ItemStatus.CLOSED, kind=RecordKind.OPERATIONAL_PLAN,
                 remediation="Forward logs to the SIEM", primary_owner="Olive Lee", start_date=BEFORE,
                 scheduled_completion=BEFORE + timedelta(days=35), completion_date=BEFORE + timedelta(days=31),
                 last_updated=BEFORE + timedelta(days=32),
                 milestones=[Milestone("Forwarding set up", BEFORE + timedelta(days=30), BEFORE + timedelta(days=29))],
                 evidence="SIEM retention screenshot", vendor_dependency=False, budget_hours=Decimal("6"),
                 approval_authority="Paul Lee", evidence_custodian="Marcus Lee"),
        PoamItem(id="P003", requirements=["3.4.8"], title="Unlisted software", weakness="Anything runs",
                 severity=Severity.LOW, status=ItemStatus.RISK_ACCEPTED, kind=RecordKind.OPERATIONAL_PLAN,
                 remediation="Allow-list on shop PCs", primary_owner="Marcus Lee", evidence="CAB-2291 memo",
                 last_updated=BEFORE, comments="Accepted by the CEO", **common),
        PoamItem(id="P004", requirements=["3.5.7"], title="No MFA on the VPN", weakness="Passwords only",
                 severity=Severity.HIGH, status=ItemStatus.READY_FOR_VERIFICATION, remediation="Duo on the VPN",
                 primary_owner="Olive Lee", supporting_owner="Marcus Lee", scheduled_completion=LATER,
                 evidence="Duo enrolment report", last_updated=TODAY - timedelta(days=1),
                 milestones=[Milestone("All users enrolled", LATER)], **common),
        PoamItem(id="P005", requirements=["3.13.11"], title="FIPS mode off", weakness="No FIPS mode",
                 status=ItemStatus.DRAFT, last_updated=TODAY - timedelta(days=2), impact="Low"),
        PoamItem(id="P006", requirements=["3.8.9"], title="Old drives", weakness="Drives in a closet",
                 severity=Severity.LOW, status=ItemStatus.OPEN, remediation="Shred them", primary_owner="Marcus Lee",
                 scheduled_completion=LATER, last_updated=TODAY - timedelta(days=5), touches_cui=False,
                 blocked_by=["V-1"], **common),  # waits on the first row, named by the file's id
    ]


def _by_id(items):
    return {item.id: item for item in items}


def _assert_same_fields(first: list[PoamItem], second: list[PoamItem], step: str):
    assert sorted(_by_id(first)) == sorted(_by_id(second)), step
    found = _by_id(second)
    for before in first:
        after = found[before.id]
        for name in ALL_FIELDS:
            assert getattr(after, name) == getattr(before, name), f"{step}: {before.id} {name}"


@pytest.fixture
def source_register(team):
    result = import_poam(team.coordinator, team.org, Poam(_items()), file="contractor.xlsx")
    assert len(result.created) == 6
    return team


def _register_items(team):
    return build_export(team.coordinator, team.org, kind="both", include_closed=True).poam.items


def test_the_register_keeps_every_field_of_the_file(source_register):
    items = _register_items(source_register)
    expected = {item.id: item for item in _items()}
    for item in items:
        original = expected[item.original_id]
        for name in ALL_FIELDS:
            if name not in ("id", "original_id", "blocked_by"):
                assert getattr(item, name) == getattr(original, name), (item.id, name)
    # The file's "V-1" is found by the id it had: the register names the item by its own identifier.
    by_original = {item.original_id: item for item in items}
    assert by_original["P006"].blocked_by == [by_original["V-1"].id] and by_original["V-1"].touches_cui is True
    stored = StoredItem.objects.get(organization=source_register.org, external_id="V-1")
    assert (stored.assets, stored.budget_money, stored.status_date) == (
        "FS01 (10.0.0.5:445/tcp)\nFS02", Decimal("12500.50"), TODAY - timedelta(days=3))


def _round_trip(source_register, rival, tmp_path, write):
    first_export = build_export(source_register.coordinator, source_register.org, kind="both", include_closed=True)
    first = write(first_export, tmp_path / "first.xlsx")
    first_read = read_poam(first)
    result = import_poam(rival.coordinator, rival.org, first_read, file="first.xlsx")
    assert len(result.created) == 6
    second_export = build_export(rival.coordinator, rival.org, kind="both", include_closed=True)
    _assert_same_fields(first_export.poam.items, second_export.poam.items, "register to register")
    second = write(second_export, tmp_path / "second.xlsx")
    _assert_same_fields(first_read.items, read_poam(second).items, "file to file")
    return first_read, first


def test_the_workbook_round_trip_is_lossless(source_register, rival, tmp_path):
    def write(export, path):
        return write_workbook(export.poam, export.context, path, evidence=export.evidence)

    first_read, _ = _round_trip(source_register, rival, tmp_path, write)
    assert {item.original_id for item in first_read.items} == {"V-1", "P002", "P003", "P004", "P005", "P006"}


def test_the_fedramp_round_trip_is_lossless(source_register, rival, tmp_path, shared_fixture):
    template = shared_fixture(FEDRAMP)

    def write(export, path):
        return fill_fedramp_template(export.poam, export.context, template, path, evidence=export.evidence)

    first_read, first = _round_trip(source_register, rival, tmp_path, write)
    statuses = {item.original_id: item.status for item in first_read.items}
    assert statuses == {"V-1": ItemStatus.IN_PROGRESS, "P002": ItemStatus.CLOSED, "P003": ItemStatus.RISK_ACCEPTED,
                        "P004": ItemStatus.READY_FOR_VERIFICATION, "P005": ItemStatus.DRAFT,
                        "P006": ItemStatus.OPEN}
    # The template's own columns hold what they name; column A the id the item came with.
    sheet = openpyxl.load_workbook(first)["Open POA&M Items"]
    row = next(r for r in range(8, 14) if sheet[f"A{r}"].value == "V-1")
    assert (sheet[f"G{row}"].value, sheet[f"AD{row}"].value, sheet[f"P{row}"].value, sheet[f"R{row}"].value,
            sheet[f"T{row}"].value, sheet[f"U{row}"].value, sheet[f"F{row}"].value) == (
        "FS01 (10.0.0.5:445/tcp)\nFS02", "CVE-2024-1234\nCVE-2025-0001", "Yes", "Windows Server 2019", "Moderate",
        "Pending", "Nessus 19506")
    assert sheet[f"Z{row}"].value.startswith("Asked Marcus on Monday.\nStill waiting.\n\n-- Punchlist --\n")
    v1 = _by_id(first_read.items)["POAM-AC-001"]
    assert (v1.supporting_owner, v1.approval_authority, v1.evidence_custodian, v1.responsible_unit) == (
        "Olive Lee", "Priya Lee", "Olive Lee", "IT Operations")
    assert v1.milestones[0].done_on == BEFORE + timedelta(days=18)
    assert v1.comments == "Asked Marcus on Monday.\nStill waiting."
    # A closed item goes to the closed sheet, its approver in the Comments block (the template has no column for
    # one), and comes back closed, approved by that person (separation of duties: not its owner).
    closed_sheet = openpyxl.load_workbook(first)["Closed POA&M Items"]
    row = next(r for r in range(6, 12) if closed_sheet[f"A{r}"].value == "P002")
    assert "-- Punchlist --" in closed_sheet[f"Z{row}"].value
    assert "\nApproval authority: Paul Lee" in closed_sheet[f"Z{row}"].value
    stored = StoredItem.objects.get(organization=rival.org, external_id="P002")
    assert (stored.status, stored.approval_authority, stored.primary_owner) == (
        "closed", rival.approver2, rival.owner2)


def test_the_csv_round_trip_is_lossless(source_register, rival, tmp_path):
    from punchlist.interchange.csv_export import write_csv

    def write(export, path):
        return write_csv(export.poam, export.context, path.with_suffix(".csv"))

    first_read, _ = _round_trip(source_register, rival, tmp_path, write)
    v1 = _by_id(first_read.items)["POAM-AC-001"]
    assert (v1.original_id, v1.budget_money, v1.vendor_dependency, v1.cves) == (
        "V-1", Decimal("12500.5"), True, "CVE-2024-1234\nCVE-2025-0001")


def test_evidence_details_survive_the_workbook_round_trip(source_register, rival, tmp_path):
    """A stored file's name, SHA-256 and size, a link, and words: the Evidence sheet lists the same after the
    round trip (who added it and when are the register's own record of its import, and differ)."""
    from punchlist.register import services

    item = StoredItem.objects.get(organization=source_register.org, external_id="V-1")
    services.add_evidence(source_register.owner, item, name="accounts.csv", content=b"user,admin\nmarcus,no\n",
                          description="AD export of the admin group")
    services.add_evidence(source_register.owner, item, name="Change ticket", reference="https://tickets.example/4711")

    def write(export, path):
        return write_workbook(export.poam, export.context, path, evidence=export.evidence)

    _round_trip(source_register, rival, tmp_path, write)

    def listed(path):
        sheet = openpyxl.load_workbook(path)["Evidence"]
        return sorted(tuple(cell.value for cell in row[:5]) for row in sheet.iter_rows(min_row=3))

    first, second = listed(tmp_path / "first.xlsx"), listed(tmp_path / "second.xlsx")
    assert first == second
    stored = StoredItem.objects.get(organization=source_register.org, external_id="V-1").evidence.get(
        name="accounts.csv")
    assert ("POAM-AC-001", "accounts.csv: AD export of the admin group", "accounts.csv", stored.sha256,
            stored.size) in second
    assert ("POAM-AC-001", "Change ticket", "https://tickets.example/4711", None, None) in second
