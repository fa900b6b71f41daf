"""Importing a POA&M into the register: all rows or none, every problem listed with its row and column."""

import os
import re
import signal
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection

from punchlist.audit import chain
from punchlist.audit.chain import verify_chain
from punchlist.audit.models import AuditEvent
from punchlist.core import records
from punchlist.errors import InputErrors
from punchlist.register.imports import import_poam
from punchlist.register.models import Evidence, Milestone, PoamItem, Status
from punchlist.register.services import PermissionDenied
from punchlist.testing import make_item, make_team

SOON = date.today() + timedelta(days=45)


def _record(row, **fields):
    values = dict(requirements=["AC.L2-3.1.8"], title=f"Row {row}", weakness="Shared admin account",
                  remediation="Named admin accounts; quarterly access review with the record kept",
                  primary_owner="Marcus Lee, IT Operations Lead", approval_authority="Priya Lee",
                  scheduled_completion=SOON, row=row)
    values.update(fields)
    return records.PoamItem(**values)


def test_rows_become_items_with_people_milestones_and_evidence(team):
    poam = records.Poam([
        _record(2, milestones=[records.Milestone("Create named accounts", SOON - timedelta(days=20))],
                objectives=["3.1.8[a]"], severity=records.Severity.HIGH),
        _record(3, requirements=["3.5.7"], title="MFA", id="V-17", status=records.ItemStatus.CLOSED,
                evidence="Duo enrollment report, SharePoint/Security/Evidence", completion_date=date.today()),
        _record(4, kind=records.RecordKind.OPERATIONAL_PLAN, status=records.ItemStatus.RISK_ACCEPTED,
                evidence="CAB-2291"),
    ])
    result = import_poam(team.coordinator, team.org, poam, file="poam.xlsx")
    assert result.created == ["POAM-AC-001", "POAM-IA-001", "OPA-AC-001"]
    first, mfa, plan = (PoamItem.objects.get(organization=team.org, identifier=i) for i in result.created)
    assert first.primary_owner == team.owner and first.approval_authority == team.approver
    assert first.objectives == ["3.1.8[a]"] and first.severity == "high"
    assert first.original_scheduled_completion == SOON
    assert list(Milestone.objects.filter(item=first).values_list("description", "original_due")) == [
        ("Create named accounts", SOON - timedelta(days=20))]
    assert (mfa.status, mfa.external_id, mfa.completion_date) == (Status.CLOSED, "V-17", date.today())
    assert Evidence.objects.get(item=mfa).reference == "Duo enrollment report, SharePoint/Security/Evidence"
    assert plan.status == Status.RISK_ACCEPTED
    events = AuditEvent.objects.filter(organization=team.org, action="import_item")
    assert [e.subject for e in events] == result.created
    assert {e.reason for e in events} == {"imported from poam.xlsx"}
    assert verify_chain(team.org).intact
    assert make_item(team).identifier == "POAM-AC-002"  # the sequence continues after the import (OPA-AC-001 is its own)


def test_an_import_event_records_the_item_as_written(team):
    """The after-state of each import_item event is the whole item as stored: people by primary key, dates as
    ISO text, milestones and evidence as given; text with quotes, backslashes, line breaks and non-ASCII
    characters hashes and verifies like any other."""
    odd = 'Shared "admin" account \\ on C:\\Plant\nsecond line\t\u00fcber \u2014 \U0001F512 \x07'
    poam = records.Poam([
        _record(2, id="V-1", title=odd, weakness=odd, objectives=["3.1.8[a]"], severity=records.Severity.HIGH,
                responsible_unit="IT", resources="4 hours", source="Self-assessment",
                start_date=SOON - timedelta(days=30), supporting_owner="Olive Lee",
                evidence_custodian="Paul Lee", status=records.ItemStatus.CLOSED, completion_date=date.today(),
                evidence="Ticket \"4711\"", assets="FS01\nFS02", budget_money=Decimal("1200.5"),
                vendor_dependency=True,
                milestones=[records.Milestone("First", SOON - timedelta(days=20), SOON - timedelta(days=21)),
                            records.Milestone("  "), records.Milestone("Second", None)]),
        _record(3, requirements=["3.5.7", "AC.L2-3.1.8"]),
    ])
    result = import_poam(team.coordinator, team.org, poam, file="poam.xlsx")
    first, second = (PoamItem.objects.get(organization=team.org, identifier=i) for i in result.created)
    events = list(AuditEvent.objects.filter(organization=team.org, action="import_item").order_by("seq"))
    assert [(e.object_id, e.subject) for e in events] == [(str(first.pk), first.identifier),
                                                           (str(second.pk), second.identifier)]
    assert events[0].after == {
        "identifier": first.identifier, "external_id": "V-1",
        "details": {"assets": "FS01\nFS02", "budget_money": "1200.5", "vendor_dependency": True},
        "kind": "assessment_poam", "status": "closed",
        "objectives": ["3.1.8[a]"], "title": odd.splitlines()[0], "weakness": odd, "severity": "high",
        "remediation": "Named admin accounts; quarterly access review with the record kept",
        "responsible_unit": "IT", "resources": "4 hours", "source": "Self-assessment",
        "start_date": (SOON - timedelta(days=30)).isoformat(), "scheduled_completion": SOON.isoformat(),
        "completion_date": date.today().isoformat(), "version": 1, "primary_owner": team.owner.pk,
        "supporting_owner": team.owner2.pk, "approval_authority": team.approver.pk,
        "evidence_custodian": team.approver2.pk, "requirements": ["3.1.8"],
        "milestones": [["First", (SOON - timedelta(days=20)).isoformat(), (SOON - timedelta(days=21)).isoformat()],
                       ["Second", None, None]],
        "evidence": 'Ticket "4711"',
    }
    assert (first.supporting_owner, first.evidence_custodian) == (team.owner2, team.approver2)
    assert first.title == odd.splitlines()[0]
    assert list(first.milestones.values_list("description", "position")) == [("First", 0), ("Second", 1)]
    assert events[1].after["requirements"] == ["3.5.7", "3.1.8"] and events[1].after["completion_date"] is None
    assert list(second.requirement_links.values_list("requirement", "position")) == [("3.5.7", 0), ("3.1.8", 1)]
    assert all(event.hash == chain.compute_hash(event) for event in events)
    assert verify_chain(team.org).intact


def test_an_imported_milestone_with_a_line_break_comes_back_from_the_workbook_as_it_is_stored(team, tmp_path):
    """An OSCAL task title, or a file read by another tool, may break a milestone over lines; stored as one line,
    it reads back from Punchlist's own workbook unchanged."""
    from punchlist.interchange import read_poam
    from punchlist.interchange.workbook import write_workbook
    from punchlist.register.exports import build_export

    broken = records.Milestone("Pilot on\r\nthe enclave", SOON - timedelta(days=5))
    poam = records.Poam([_record(2, milestones=[broken])])
    [identifier] = import_poam(team.coordinator, team.org, poam, file="tasks.json").created
    item = PoamItem.objects.get(organization=team.org, identifier=identifier)
    assert list(item.milestones.values_list("description", flat=True)) == ["Pilot on the enclave"]
    export = build_export(team.coordinator, team.org)
    out = tmp_path / "back.xlsx"
    write_workbook(export.poam, export.context, out, evidence=export.evidence)
    [back] = read_poam(out).items
    assert back.milestones == [records.Milestone("Pilot on the enclave", SOON - timedelta(days=5))]


def test_every_problem_is_listed_and_nothing_is_written(team):
    items_before, events_before = PoamItem.objects.count(), AuditEvent.objects.count()
    poam = records.Poam([
        _record(2),
        _record(3, requirements=["3.1.99"]),
        _record(4, primary_owner="Nobody Known"),
        _record(5, status=records.ItemStatus.RISK_ACCEPTED),
        _record(6, status=records.ItemStatus.CLOSED),
        _record(7, approval_authority="Olive Lee"),  # a member, but an owner, not an approver
        _record(8, primary_owner="Priya Lee"),  # approving her own item
    ])
    with pytest.raises(InputErrors) as refused:
        import_poam(team.coordinator, team.org, poam, file="poam.xlsx")
    found = [(e.row, e.column) for e in refused.value.errors]
    assert found == [(3, "requirement"), (4, "primary_owner"), (5, "status"), (6, "evidence"),
                     (7, "approval_authority"), (8, "approval_authority")]
    text = str(refused.value)
    assert "poam.xlsx, row 3, column 'requirement': '3.1.99' is not a NIST SP 800-171 Rev 2 requirement" in text
    assert "R-FIND-5" in text
    assert (PoamItem.objects.count(), AuditEvent.objects.count()) == (items_before, events_before)


def test_closeout_limit_applies_to_imported_dates(team):
    from punchlist.register import services

    services.create_assessment(team.coordinator, team.org, assessed_on=date.today(),
                               conditional_status_date=date.today(), is_the_assessment_poam=True)
    late = date.today() + timedelta(days=181)
    with pytest.raises(InputErrors, match="R-CLOSE-1"):
        import_poam(team.coordinator, team.org, records.Poam([_record(2, scheduled_completion=late)]))
    plan = _record(2, scheduled_completion=late, kind=records.RecordKind.OPERATIONAL_PLAN)
    assert import_poam(team.coordinator, team.org, records.Poam([plan])).created == ["OPA-AC-001"]


def test_unknown_people_can_be_added_without_sign_in(team):
    poam = records.Poam([_record(2, primary_owner="Dana Whitfield (Facilities)", approval_authority="Sam Ortiz")])
    result = import_poam(team.coordinator, team.org, poam, create_people=True)
    assert sorted(result.people_added) == ["dana-whitfield", "sam-ortiz"]
    item = PoamItem.objects.get(identifier=result.created[0], organization=team.org)
    assert item.primary_owner.get_full_name() == "Dana Whitfield"
    assert not item.primary_owner.is_active and not item.primary_owner.has_usable_password()
    assert item.approval_authority.memberships.get().role == "approver"


def test_our_own_identifiers_are_kept(team):
    poam = records.Poam([_record(2, id="POAM-AC-007"), _record(3, id="POAM-IA-001")])  # the second: wrong family
    result = import_poam(team.coordinator, team.org, poam)
    assert result.created == ["POAM-AC-007", "POAM-AC-001"]
    assert make_item(team).identifier == "POAM-AC-008"


def test_people_must_be_able_to_do_the_job_they_are_named_for(team):
    poam = records.Poam([_record(2, primary_owner="Vic Lee"),  # a viewer
                         _record(3, evidence_custodian="Vic Lee")])
    with pytest.raises(InputErrors) as refused:
        import_poam(team.coordinator, team.org, poam)
    assert [(e.row, e.column) for e in refused.value.errors] == [(2, "primary_owner"), (3, "evidence_custodian")]
    assert "role Viewer" in str(refused.value)


def test_an_id_used_twice_in_one_file_is_refused(team):
    with pytest.raises(InputErrors, match="the id 'V-1' is also on row 2"):
        import_poam(team.coordinator, team.org, records.Poam([_record(2, id="V-1"), _record(3, id="V-1")]))
    assert not PoamItem.objects.filter(organization=team.org).exists()


def test_only_managers_import(team):
    with pytest.raises(PermissionDenied):
        import_poam(team.owner, team.org, records.Poam([_record(2)]))


def _big_csv(path, rows):
    lines = ["POA&M ID,Control,Weakness,Remediation,Point of Contact,Resources Required,Scheduled Completion,"
             "Milestones,Status"]
    due = (date.today() + timedelta(days=90)).isoformat()
    lines += [f"SRC-{n},3.1.8,Lockout missing on host {n},Set the lockout GPO on host {n} and keep its report,"
              f"Marcus Lee,2 hours,{due},(1) {due}: GPO applied,Open" for n in range(rows)]
    path.write_text("\n".join(lines) + "\n")
    return path


def _database_url():
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = settings["USER"] or ""
    host = settings["HOST"] or "127.0.0.1"
    port = f":{settings['PORT']}" if settings["PORT"] else ""
    return f"postgresql://{user}@{host}{port}/{settings['NAME']}"


def _everything():
    """Every row of every table the register, its people and its audit trail live in."""
    return {model._meta.label: list(model.objects.order_by("pk").values_list())
            for label in ("auth", "orgs", "audit", "register") for model in apps.get_app_config(label).get_models()}


WRITTEN = re.compile(r"^written ([\d,]+) of 20,000 rows")


def test_import_killed_part_way_leaves_the_database_as_it_was(live_db, tmp_path):
    team = make_team("Acme Machining", "acme")
    make_item(team)
    before = _everything()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "punchlist.settings", "PUNCHLIST_DATA_DIR": str(tmp_path),
           "PUNCHLIST_DATABASE_URL": _database_url()}
    big = _big_csv(tmp_path / "big.csv", 20_000)
    # The command a user runs; --progress prints a line after each batch is written (not yet committed).
    child = subprocess.Popen([sys.executable, "-m", "punchlist", "import", str(big), "--org", team.org.slug,
                              "--user", team.coordinator.username, "--progress"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    for line in child.stderr:
        lines.append(line.strip())
        written = WRITTEN.match(line)
        if written and int(written[1].replace(",", "")) >= 5000:  # a quarter or more written, nothing committed
            child.send_signal(signal.SIGKILL)
            break
    child.wait(timeout=120)
    out = child.stdout.read()
    assert child.returncode == -signal.SIGKILL, (lines, out, child.stderr.read())
    assert any(line.startswith("checking 20,000 rows") for line in lines), lines
    assert not any(line.startswith("committed") for line in lines) and "imported" not in out

    assert _everything() == before
    assert verify_chain(team.org).intact
    assert make_item(team).identifier == "POAM-AC-002"  # nothing locked, no number used up
    # The same command, left to finish, writes all 20,000 items.
    done = subprocess.run([sys.executable, "-m", "punchlist", "import", str(big), "--org", team.org.slug,
                           "--user", team.coordinator.username], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert "20000 item(s) imported" in done.stdout
    assert PoamItem.objects.filter(organization=team.org).count() == 20_002
    assert verify_chain(team.org).intact


def test_a_row_for_a_requirement_no_poam_may_hold_comes_in_as_operational_work_and_says_so(team):
    poam = records.Poam([
        _record(2, requirements=["3.10.4"], id="POAM-PE-004", title="Visitor log"),  # named in 170.21(a)(2)(iii)
        _record(3, requirements=["SI.L2-3.14.1"], title="Patching"),  # 5 points
        _record(4, requirements=["3.1.8"], title="Lockout"),  # 1 point: an assessment POA&M item
        _record(5, requirements=["3.5.3"], kind=records.RecordKind.OPERATIONAL_PLAN, title="MFA"),  # as it says
        _record(6, requirements=["3.13.11"], title="FIPS mode"),  # eligible in its partial case: taken at its word
    ])
    result = import_poam(team.coordinator, team.org, poam, file="poam.xlsx")
    # Our own id of the file is kept only where it says the item's kind: an operational item is never POAM-.
    assert result.created == ["OPA-PE-001", "OPA-SI-001", "POAM-AC-001", "OPA-IA-001", "POAM-SC-001"]
    kinds = dict(PoamItem.objects.filter(organization=team.org).values_list("identifier", "kind"))
    assert [kinds[i] for i in result.created] == ["operational_plan", "operational_plan", "assessment_poam",
                                                  "operational_plan", "assessment_poam"]
    assert PoamItem.objects.get(organization=team.org, identifier="OPA-PE-001").external_id == "POAM-PE-004"
    assert result.operational == [
        "Row 2 (POAM-PE-004): 3.10.4 may never be on a POA&M (3.10.4: R-POAM-4: named in 32 CFR 170.21(a)(2)(iii) "
        "as never allowed on a POA&M). It comes in as an operational plan of action item (OPA- numbering), "
        "remediation to finish before the assessment, not as an assessment POA&M item.",
        "Row 3: 3.14.1 may never be on a POA&M (3.14.1: R-POAM-3: its point value (5) is greater than 1). It comes "
        "in as an operational plan of action item (OPA- numbering), remediation to finish before the assessment, "
        "not as an assessment POA&M item."]
    assert str(result).startswith("5 item(s) imported; 2 of them as operational plan of action items")


def test_3_13_11_without_encryption_in_the_official_assessment_comes_in_as_operational_work(team):
    from punchlist.register import services

    assessment = services.create_assessment(team.coordinator, team.org, assessed_on=date.today())
    services.set_requirement_status(team.coordinator, assessment, "3.13.11", "not_met")  # no encryption at all
    services.mark_official_poam(team.coordinator, assessment)
    result = import_poam(team.coordinator, team.org, records.Poam([_record(2, requirements=["3.13.11"])]))
    assert result.created == ["OPA-SC-001"]
    assert "R-POAM-3: 3.13.11 may be on a POA&M only where encryption is employed" in result.operational[0]
    # Recorded in its partial case (encryption employed, not FIPS-validated), it is an assessment POA&M item.
    services.set_requirement_status(team.coordinator, assessment, "3.13.11", "not_met", partial=True)
    again = import_poam(team.coordinator, team.org, records.Poam([_record(2, requirements=["3.13.11"], id="V-9")]))
    assert (again.created, again.operational) == (["POAM-SC-001"], [])
