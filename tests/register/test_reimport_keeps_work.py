"""A re-import never undoes work: the demo's own spreadsheet, imported again after the register moved on, leaves
a just-closed item closed, a rescheduled milestone and its reason as they were, and the slip rate unchanged;
the preview lists, item by item, what changes (old -> new) and what the register keeps, and why."""

from datetime import timedelta

import pytest

from punchlist.audit.chain import verify_chain
from punchlist.audit.models import AuditEvent
from punchlist.core import metrics
from punchlist.core.records import ItemStatus, Milestone as MilestoneRecord, Poam, PoamItem as Record
from punchlist.interchange import read_poam_file
from punchlist.register import services
from punchlist.testing import run_register_command
from punchlist.register.imports import check_poam, import_poam
from punchlist.register.imports.update import CONFLICT, NOT_REOPENED
from punchlist.register.models import Milestone, PoamItem, Status
from punchlist.web import demo

CSV = demo.EXAMPLES / demo.POAM_FILE
ROLL_OUT = "Roll out to all 38 endpoints"  # rescheduled in the demo's story, before the file was written
RESCAN = "Clean re-scan"  # rescheduled after it: the file still has the first date


def slip_rate(organization) -> metrics.SlipRate:
    rows = Milestone.objects.filter(item__organization=organization).values_list("due", "original_due", "done_on")
    return metrics.slip_rate(metrics.MilestoneDates(*row) for row in rows)


def _state(organization):
    """Everything a person did that a re-import could undo."""
    items = {i.identifier: (i.status, i.scheduled_completion, i.completion_date, i.version)
             for i in PoamItem.objects.for_organization(organization)}
    milestones = sorted(Milestone.objects.filter(item__organization=organization)
                        .values_list("item__identifier", "description", "due", "original_due", "done_on"))
    return items, milestones


@pytest.fixture
def worked_demo(db):
    """The demo, and then one more day's work: POAM-AT-001 (in progress in the spreadsheet) done, verified and
    closed by its approval authority."""
    org = demo.seed().organization
    item = PoamItem.objects.get(organization=org, identifier="POAM-AT-001")
    owner = item.primary_owner
    for milestone in item.milestones.filter(done_on__isnull=True):
        services.complete_milestone(owner, milestone)
    services.add_evidence(owner, item, name="lms-completion.csv", reference="LMS completion report: 45 of 45")
    services.request_closure(owner, item, note="Everyone has completed the module")
    services.approve_closure(item.approval_authority, item, note="Checked the LMS report",
                             record_met=True)  # the last open item of 3.2.3: recorded MET in the same step
    rescan = Milestone.objects.get(item__organization=org, item__identifier="OPA-RA-001", description=RESCAN)
    services.slip_milestone(rescan.item.primary_owner, rescan, rescan.due + timedelta(days=7),
                            reason="The scanner licence renews on the 15th")
    return org


def _file_status(identifier):
    return next(record.status for record in read_poam_file(str(CSV)).items if record.id == identifier)


def test_the_demo_spreadsheet_again_undoes_nothing(worked_demo):
    org = worked_demo
    priya = PoamItem.objects.get(organization=org, identifier="POAM-IR-001").created_by
    assert _file_status("POAM-AT-001") is not ItemStatus.CLOSED  # the file still shows it open
    rescan = Milestone.objects.get(item__organization=org, item__identifier="OPA-RA-001", description=RESCAN)
    file_due = next(m.due for r in read_poam_file(str(CSV)).items for m in r.milestones if m.description == RESCAN)
    assert rescan.due == file_due + timedelta(days=7) and rescan.original_due == file_due
    slip_reasons = dict(AuditEvent.objects.filter(object_type="register.milestone", action="slip_milestone")
                        .values_list("object_id", "reason"))
    before, rate = _state(org), slip_rate(org)

    result = import_poam(priya, org, read_poam_file(str(CSV)), file=demo.POAM_FILE)

    pe = PoamItem.objects.get(organization=org, identifier="POAM-AT-001")
    assert pe.status == Status.CLOSED
    rescan.refresh_from_db()
    assert (rescan.due, rescan.original_due) == (file_due + timedelta(days=7), file_due)
    assert dict(AuditEvent.objects.filter(object_type="register.milestone", action="slip_milestone")
                .values_list("object_id", "reason")) == slip_reasons
    assert slip_reasons[str(rescan.pk)] == "The scanner licence renews on the 15th"
    after = _state(org)
    assert after[1] == before[1]
    assert {k: v[:3] for k, v in after[0].items()} == {k: v[:3] for k, v in before[0].items()}
    assert slip_rate(org) == rate
    kept = result.kept
    assert [(c.field, c.old, c.new, c.why) for c in kept["POAM-AT-001"]] == [
        ("status", "Closed", Status(_status_value("POAM-AT-001")).label, NOT_REOPENED)]
    assert [(c.field, c.old, c.new) for c in kept["OPA-RA-001"]] == [
        (f"milestone {RESCAN!r} due", (file_due + timedelta(days=7)).isoformat(), file_due.isoformat())]
    assert verify_chain(org).intact


def _status_value(identifier):
    from punchlist.register.imports.poam import STATUSES

    return STATUSES[_file_status(identifier).value]


def test_a_field_a_person_changed_since_the_import_stays_and_the_preview_says_so(team):
    record = Record(id="V-7", requirements=["3.1.8"], title="No lockout", weakness="Accounts never lock",
                    remediation="Set the lockout GPO", primary_owner="Marcus Lee", approval_authority="Priya Lee",
                    scheduled_completion=team_due(), milestones=[MilestoneRecord("GPO drafted", team_due())])
    import_poam(team.coordinator, team.org, Poam([record]), file="first.xlsx")
    item = PoamItem.objects.get(organization=team.org, external_id="V-7")
    services.update_item(team.owner, item, remediation="Set the lockout GPO: 5 attempts, 15 minutes")
    drafted = item.milestones.get()
    services.slip_milestone(team.owner, drafted, team_due() + timedelta(days=14), reason="GPO change freeze")

    again = Record(id="V-7", requirements=["3.1.8"], title="No lockout", weakness="Accounts never lock at all",
                   remediation="Set the lockout GPO", primary_owner="Marcus Lee", approval_authority="Priya Lee",
                   scheduled_completion=team_due(), milestones=[MilestoneRecord("GPO drafted", team_due())])
    preview = check_poam(team.coordinator, team.org, Poam([again]), file="second.xlsx")
    changes = {c.field: c for c in preview.changes[item.identifier]}
    assert (changes["weakness"].old, changes["weakness"].new, changes["weakness"].kept) == (
        "Accounts never lock", "Accounts never lock at all", False)
    assert (changes["remediation"].old, changes["remediation"].new, changes["remediation"].kept,
            changes["remediation"].why) == ("Set the lockout GPO: 5 attempts, 15 minutes", "Set the lockout GPO",
                                            True, CONFLICT)
    assert changes["milestone 'GPO drafted' due"].kept

    import_poam(team.coordinator, team.org, Poam([again]), file="second.xlsx")
    item.refresh_from_db()
    drafted.refresh_from_db()
    assert item.weakness == "Accounts never lock at all"
    assert item.remediation == "Set the lockout GPO: 5 attempts, 15 minutes"
    assert drafted.due == team_due() + timedelta(days=14)
    # A third import still keeps the person's value: the import that kept it did not make it the file's.
    third = check_poam(team.coordinator, team.org, Poam([again]), file="third.xlsx")
    assert [c.field for c in third.kept[item.identifier]] == ["remediation", "milestone 'GPO drafted' due"]


def team_due():
    from datetime import date

    return date.today() + timedelta(days=60)


def test_a_closed_item_is_reopened_only_when_chosen(team):
    record = Record(id="V-9", requirements=["3.1.8"], title="No lockout", weakness="Accounts never lock",
                    remediation="Set the lockout GPO", primary_owner="Marcus Lee", approval_authority="Priya Lee",
                    evidence_custodian="Marcus Lee", scheduled_completion=team_due(), status=ItemStatus.CLOSED,
                    evidence="GPO report", completion_date=team_due() - timedelta(days=61))
    import_poam(team.coordinator, team.org, Poam([record]), file="first.xlsx")
    item = PoamItem.objects.get(organization=team.org, external_id="V-9")
    reopened = Record(**{**{name: getattr(record, name) for name in Record.__slots__}, "status": ItemStatus.OPEN,
                         "completion_date": None})
    result = import_poam(team.coordinator, team.org, Poam([reopened]), file="second.xlsx")
    item.refresh_from_db()
    assert item.status == Status.CLOSED and result.kept[item.identifier][0].why == NOT_REOPENED
    result = import_poam(team.coordinator, team.org, Poam([reopened]), file="third.xlsx", reopen=["V-9"])
    item.refresh_from_db()
    assert item.status == Status.OPEN and not result.kept
    assert [(c.field, c.old, c.new) for c in result.changes[item.identifier]] == [("status", "Closed", "Open")]


def test_the_cli_keeps_a_closed_item_closed_unless_told_and_lists_the_changes(worked_demo, capsys, tmp_path,
                                                                               monkeypatch):
    org = worked_demo
    args = ["import", str(CSV), "--org", org.slug, "--user", "priya"]
    assert run_register_command(*args, "--check") == 0
    out = capsys.readouterr().out
    assert "POAM-AT-001:\n  Status: kept Closed (the file says In progress): " in out and NOT_REOPENED in out
    assert run_register_command(*args) == 0
    assert PoamItem.objects.get(organization=org, identifier="POAM-AT-001").status == Status.CLOSED
    assert run_register_command(*args, "--reopen", "POAM-AT-001") == 0
    out = capsys.readouterr().out
    pe = PoamItem.objects.get(organization=org, identifier="POAM-AT-001")
    assert pe.status == Status.IN_PROGRESS and "POAM-AT-001:\n  Status: Closed -> In progress" in out
