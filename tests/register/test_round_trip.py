"""A spreadsheet into the register, out as OSCAL (valid against NIST's schemas 1.1.3 and
1.2.1), back into core records, into a second organization's register, out as the Punchlist workbook and
read back: every field of every item survives, milestones and the four people included.

The one field that does not travel is ``last_updated``: it is the register's own record of when an item
last changed, and an import is a change (it reads as the day of the import at the end).
"""

from datetime import date, timedelta

import openpyxl
import pytest

from punchlist.audit.models import AuditEvent
from punchlist.core.records import ItemStatus, Milestone, PoamItem, RecordKind, Severity
from punchlist.errors import InputError
from punchlist.interchange import read_poam, read_poam_file
from punchlist.interchange.exports import MARKING_INTERNAL
from punchlist.interchange.oscal import poam_to_oscal, write_oscal
from punchlist.interchange.oscal_import import read_oscal_poam
from punchlist.interchange.oscal_schema import SCHEMA_VERSIONS, validate_oscal
from punchlist.interchange.workbook import write_workbook
from punchlist.register.exports import build_export
from punchlist.register.imports import import_poam
from punchlist.register.models import PoamItem as StoredItem

TODAY = date.today()
SOON, LATER = TODAY + timedelta(days=40), TODAY + timedelta(days=120)
BEFORE = TODAY - timedelta(days=60)

# A contractor's own sheet: their column names, every field, the awkward values included.
HEADERS = ["POA&M ID", "Control", "NOT MET Objectives", "Weakness Name", "Weakness Description", "Severity",
           "Status", "Record Type", "Corrective Action Plan", "Milestones", "Office/Org", "Point of Contact",
           "Secondary Owner", "Approver", "Evidence Custodian", "Resources Required", "Weakness Source",
           "Start Date", "Scheduled Completion Date", "Completion Date", "Evidence"]


def _items() -> list[PoamItem]:
    return [
        PoamItem(id="POAM-AC-001", requirements=["3.1.3", "3.1.4"], objectives=["3.1.3[a]", "3.1.4[b]"],
                 title="Shared administrator account on the file server",
                 weakness="Three technicians sign in as 'admin' on FS01.\n\nFound in the self-assessment walkthrough.",
                 severity=Severity.HIGH, status=ItemStatus.IN_PROGRESS, kind=RecordKind.ASSESSMENT_POAM,
                 remediation="Named admin accounts; quarterly access review with the record kept",
                 milestones=[Milestone("Create named admin accounts", BEFORE + timedelta(days=20),
                                       BEFORE + timedelta(days=18)),
                             Milestone("Disable the shared account", SOON)],
                 responsible_unit="IT Operations", primary_owner="Marcus Lee", supporting_owner="Olive Lee",
                 approval_authority="Priya Lee", evidence_custodian="Olive Lee",
                 resources="Two days of the Windows administrator", source="Self-assessment 2026",
                 start_date=BEFORE, scheduled_completion=SOON, evidence="Account list export from AD"),
        PoamItem(id="OPA-AU-001", requirements=["3.3.1"], title="Firewall logs kept 30 days only",
                 weakness="The firewall keeps its logs for 30 days; the policy says 90.", severity=Severity.MODERATE,
                 status=ItemStatus.CLOSED, kind=RecordKind.OPERATIONAL_PLAN,
                 remediation="Forward the firewall logs to the SIEM with 90-day retention",
                 milestones=[Milestone("SIEM forwarding configured", BEFORE + timedelta(days=30),
                                       BEFORE + timedelta(days=29))],
                 primary_owner="Olive Lee", approval_authority="Paul Lee", evidence_custodian="Marcus Lee",
                 start_date=BEFORE, scheduled_completion=BEFORE + timedelta(days=35),
                 completion_date=BEFORE + timedelta(days=31), evidence="SIEM retention setting screenshot"),
        PoamItem(id="OPA-CM-001", requirements=["3.4.8"], title="Unlisted software allowed on shop PCs",
                 weakness="=HYPERLINK(\"http://evil.example\",\"click\") was typed into the asset sheet",
                 severity=Severity.CRITICAL, status=ItemStatus.RISK_ACCEPTED, kind=RecordKind.OPERATIONAL_PLAN,
                 remediation="+cmd|' /C calc'!A0 is text here, not a formula", primary_owner="Marcus Lee",
                 approval_authority="Priya Lee", responsible_unit="@Shop floor", resources="-1 FTE",
                 evidence="CAB-2291 risk acceptance memo"),
        PoamItem(id="POAM-IA-001", requirements=["3.5.7"], objectives=["3.5.7[c]"], title="Ünïcödé: MFA for VPN",
                 weakness="VPN logins use passwords only — no second factor.", severity=Severity.HIGH,
                 status=ItemStatus.READY_FOR_VERIFICATION, kind=RecordKind.ASSESSMENT_POAM,
                 remediation="Enforce Duo on the VPN concentrator", primary_owner="Olive Lee",
                 supporting_owner="Marcus Lee", approval_authority="Paul Lee", evidence_custodian="Olive Lee",
                 milestones=[Milestone("Duo proxy installed"), Milestone("All users enrolled", LATER)],
                 start_date=TODAY, scheduled_completion=LATER, evidence="Duo enrollment report, 2026-11"),
        PoamItem(id="POAM-SC-001", requirements=["3.13.11"], title="FIPS mode off on the VPN",
                 weakness="The VPN concentrator runs without FIPS mode.", status=ItemStatus.DRAFT,
                 kind=RecordKind.ASSESSMENT_POAM),
        PoamItem(id="POAM-MP-001", requirements=["3.8.9"], title="Old drives not sanitized",
                 weakness="Retired drives sit in a closet", severity=Severity.LOW, status=ItemStatus.OPEN,
                 remediation="Shred with a certificate of destruction", primary_owner="Marcus Lee",
                 resources="$400 for the shredding service\nhalf a day to collect the drives",
                 scheduled_completion=LATER),
    ]


def _cells(item: PoamItem) -> list:
    def lines(milestones):
        return "\n".join(f"({n})" + (f" {m.due.isoformat()}:" if m.due else "") + f" {m.description}"
                         + (f" (done {m.done_on.isoformat()})" if m.done_on else "")
                         for n, m in enumerate(milestones, 1))

    return [item.id, ", ".join(item.requirements), ", ".join(item.objectives), item.title, item.weakness,
            item.severity.value.title() if item.severity else None, item.status.value.title(), item.kind.value,
            item.remediation, lines(item.milestones), item.responsible_unit, item.primary_owner,
            item.supporting_owner, item.approval_authority, item.evidence_custodian, item.resources, item.source,
            item.start_date, item.scheduled_completion, item.completion_date, item.evidence]


def _spreadsheet(path, items):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "POA&M"
    sheet.append(HEADERS)
    for item in items:
        row = [value if value != "" else None for value in _cells(item)]
        sheet.append(row)
        for cell in sheet[sheet.max_row]:  # text that looks like a formula stays text, as a person typed it
            if isinstance(cell.value, str) and cell.value[:1] in "=+-@":
                cell.data_type = "s"
    workbook.save(path)
    return path


# An export's list of the pieces of evidence (``evidence_details``) is checked piece by piece, as the register
# exports them, in test_oscal_round_trip_keeps_the_evidence_files_details; here, the evidence text is.
COMPARED = [name for name in PoamItem.__slots__ if name not in ("row", "last_updated", "evidence_details")]


def _by_id(items):
    return {item.id: item for item in items}


def assert_same(expected: list[PoamItem], actual: list[PoamItem], step: str):
    assert sorted(_by_id(actual)) == sorted(_by_id(expected)), step
    found = _by_id(actual)
    for before in expected:
        after = found[before.id]
        for name in COMPARED:
            assert getattr(after, name) == getattr(before, name), f"{step}: {before.id} {name}"


@pytest.fixture
def schema_dir(shared_fixture):
    return shared_fixture("oscal/schema")


def test_spreadsheet_register_oscal_register_workbook_keeps_every_field(team, rival, tmp_path, schema_dir):
    expected = _items()
    files = tmp_path / "files"
    files.mkdir()

    # 1. The contractor's spreadsheet, read as any import reads it.
    source = read_poam_file(_spreadsheet(files / "our-poam.xlsx", expected))
    assert_same(expected, source.items, "spreadsheet")

    # 2. Into the register of the first organization.
    result = import_poam(team.coordinator, team.org, source, file="our-poam.xlsx")
    assert sorted(result.created) == sorted(item.id for item in expected)

    # 3. Out as OSCAL, valid against both schemas whichever version it declares.
    first = build_export(team.coordinator, team.org, kind="both", include_closed=True)
    assert first.context.marking == MARKING_INTERNAL
    assert_same(expected, first.poam.items, "register")
    for version in SCHEMA_VERSIONS:
        document = poam_to_oscal(first.poam, first.context, oscal_version=version, evidence=first.evidence)
        for schema in SCHEMA_VERSIONS:
            assert validate_oscal(document, schema, schema_dir=schema_dir) is None, (version, schema)
    path = write_oscal(first.poam, first.context, files / "poam.json", oscal_version="1.2.1",
                       evidence=first.evidence)

    # 4. Back to core records, then into the register of a second organization.
    oscal_poam = read_oscal_poam(path, schema_dir=schema_dir)
    assert_same(expected, oscal_poam.items, "OSCAL")
    for item in oscal_poam.items:  # each item's one piece of evidence, as a piece, with who added it
        assert [(d.name, d.added_by) for d in item.evidence_details] == (
            [(item.evidence, "Cora Lee")] if item.evidence else [])
    assert read_poam_file(path, schema_dir=schema_dir).items == oscal_poam.items
    result = import_poam(rival.coordinator, rival.org, oscal_poam, file="poam.json")
    assert sorted(result.created) == sorted(item.id for item in expected)
    stored = StoredItem.objects.get(organization=rival.org, identifier="POAM-AC-001")
    assert (stored.primary_owner, stored.supporting_owner, stored.approval_authority) == (
        rival.owner, rival.owner2, rival.approver)

    # 5. Out as the Punchlist workbook, read back.
    second = build_export(rival.coordinator, rival.org, kind="both", include_closed=True)
    workbook = write_workbook(second.poam, second.context, files / "poam.xlsx", evidence=second.evidence)
    final = read_poam(workbook)
    assert_same(expected, final.items, "workbook")
    assert final.fields >= frozenset(COMPARED)
    for item in final.items:  # the register's own "last updated": the day of the import
        assert abs((item.last_updated - TODAY).days) <= 1


def test_a_refused_file_writes_nothing(team, tmp_path):
    """Every row is read and checked before the register is touched: one bad cell, and nothing is written."""
    items = _items()
    path = _spreadsheet(tmp_path / "bad.xlsx", items)
    book = openpyxl.load_workbook(path)
    book.active["S4"] = "next spring"  # text in the Scheduled Completion Date column of OPA-CM-001
    book.save(path)
    before = (StoredItem.objects.count(), AuditEvent.objects.count())
    with pytest.raises(InputError) as raised:
        import_poam(team.coordinator, team.org, read_poam_file(path), file="bad.xlsx")
    assert (raised.value.file, raised.value.row, raised.value.column) == (str(path), 4, "Scheduled Completion Date")
    assert (StoredItem.objects.count(), AuditEvent.objects.count()) == before


def _oscal_round_trip(team, rival, tmp_path, schema_dir, suffix):
    from punchlist.interchange.oscal_xml import write_oscal_xml
    from punchlist.register import services

    expected = _items()
    import_poam(team.coordinator, team.org, read_poam_file(_spreadsheet(tmp_path / "our-poam.xlsx", expected)),
                file="our-poam.xlsx")
    stored = StoredItem.objects.get(organization=team.org, identifier="POAM-AC-001")
    services.add_evidence(team.coordinator, stored, name="ad-accounts.csv", content=b"user,admin\nmarcus,yes\n",
                          description="Account list after the change")
    services.add_evidence(team.owner, stored, name="Change ticket", reference="https://tickets.example/4711",
                          description="Approved change:\n  two accounts removed", custodian=team.owner2,
                          collected_on=BEFORE, review_by=LATER, requirements=["3.1.1"])
    first = build_export(team.coordinator, team.org, kind="both", include_closed=True)
    writer = write_oscal_xml if suffix == ".xml" else write_oscal
    path = writer(first.poam, first.context, tmp_path / f"poam{suffix}", evidence=first.evidence)
    if suffix == ".yaml":  # NIST's third serialisation: the same model, written as YAML
        import json

        import yaml

        path.write_text(yaml.safe_dump(json.loads(path.read_text(encoding="utf-8")), allow_unicode=True),
                        encoding="utf-8")
    result = import_poam(rival.coordinator, rival.org, read_poam_file(path, schema_dir=schema_dir),
                         file=path.name)
    assert sorted(result.created) == sorted(item.id for item in expected)
    return first, build_export(rival.coordinator, rival.org, kind="both", include_closed=True)


@pytest.mark.parametrize("suffix", [".json", ".xml", ".yaml"])
def test_oscal_from_a_register_into_a_new_register_and_out_again_keeps_every_field(team, rival, tmp_path,
                                                                                  schema_dir, suffix):
    first, second = _oscal_round_trip(team, rival, tmp_path, schema_dir, suffix)
    assert_same(first.poam.items, second.poam.items, f"OSCAL {suffix} round trip")  # evidence text included


@pytest.mark.parametrize("suffix", [".json", ".xml", ".yaml"])
def test_oscal_round_trip_keeps_the_evidence_files_details(team, rival, tmp_path, schema_dir, suffix):
    """Each piece of evidence comes back as a piece of its own, with all the register keeps of it: the stored
    file's name, SHA-256 and size, a link, the words, who added it and when, its custodian, when it was
    collected and is to be reviewed, the file's type and the requirements it shows met."""
    first, second = _oscal_round_trip(team, rival, tmp_path, schema_dir, suffix)
    pieces = first.evidence["POAM-AC-001"]
    assert [(e.filename, e.href) for e in pieces] == [
        (None, None), ("ad-accounts.csv", None), (None, "https://tickets.example/4711")]
    ticket = pieces[2]
    assert (ticket.custodian, ticket.collected_on, ticket.review_by, ticket.requirements, ticket.added_by) == (
        "Olive Lee", BEFORE, LATER, ("3.1.1",), "Marcus Lee")
    assert pieces[1].sha256 and pieces[1].size and pieces[1].file_type
    assert second.evidence == first.evidence
    for export in (first, second):  # the pieces, not one text
        assert len(export.evidence["POAM-AC-001"]) == 3


def test_a_register_s_own_oscal_export_imported_again_adds_no_evidence(team, rival, tmp_path, schema_dir):
    """Each piece is known by its name: the same pieces, listed again, are nothing new."""
    from punchlist.register.models import Evidence

    _, second = _oscal_round_trip(team, rival, tmp_path, schema_dir, ".json")
    before = Evidence.objects.filter(item__organization=rival.org).count()
    path = write_oscal(second.poam, second.context, tmp_path / "again.json", evidence=second.evidence)
    result = import_poam(rival.coordinator, rival.org, read_poam_file(path, schema_dir=schema_dir), file=path.name)
    assert (result.created, result.updated) == ([], [])
    assert Evidence.objects.filter(item__organization=rival.org).count() == before == 6
