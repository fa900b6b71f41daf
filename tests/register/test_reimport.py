"""Importing the same file again: the items it created are updated (matched by id) through the services and the
audit trail of any edit, with the reason "updated by import of FILE"; unchanged items write nothing."""

from dataclasses import replace
from datetime import date, timedelta

import pytest

from punchlist.audit.chain import verify_chain
from punchlist.audit.models import AuditEvent
from punchlist.core import records
from punchlist.errors import InputErrors
from punchlist.register import services
from punchlist.register.imports import import_poam
from punchlist.register.models import Evidence, Milestone, PoamItem, Status
from punchlist.testing import make_item

TODAY = date.today()
DUE = TODAY + timedelta(days=60)
FILE = "poam.xlsx"


def _record(row, **fields):
    values = dict(id=f"V-{row}", requirements=["AC.L2-3.1.8"], title=f"Shared admin account {row}",
                  weakness="One admin account is shared by the IT team",
                  remediation="Named admin accounts; quarterly access review with the record kept",
                  primary_owner="Marcus Lee, IT Operations Lead", approval_authority="Priya Lee",
                  start_date=TODAY, scheduled_completion=DUE, row=row,
                  milestones=[records.Milestone("Create named accounts", TODAY + timedelta(days=20)),
                              records.Milestone("Disable the shared account", TODAY + timedelta(days=40))])
    values.update(fields)
    return records.PoamItem(**values)


def _milestones_done(record):
    """The record with each of its milestones done: an item closes only when they are (or are dropped)."""
    return replace(record, milestones=[replace(m, done_on=TODAY) for m in record.milestones])


def _events(team):
    return AuditEvent.objects.filter(organization=team.org).count()


@pytest.fixture
def imported(team):
    poam = records.Poam([_record(2), _record(3, requirements=["3.5.7"], title="MFA for VPN")])
    result = import_poam(team.coordinator, team.org, poam, file=FILE)
    assert result.created == ["POAM-AC-001", "POAM-IA-001"]
    return poam


def _item(team, identifier):
    return PoamItem.objects.get(organization=team.org, identifier=identifier)


def test_the_same_file_again_changes_nothing_and_writes_no_event(team, imported):
    events = _events(team)
    result = import_poam(team.coordinator, team.org, imported, file=FILE)
    assert (result.created, result.updated, result.unchanged) == ([], [], ["POAM-AC-001", "POAM-IA-001"])
    assert str(result) == "0 item(s) imported, 0 updated, 2 unchanged"
    assert PoamItem.objects.filter(organization=team.org).count() == 2
    assert Milestone.objects.filter(item__organization=team.org).count() == 4
    assert _events(team) == events


def test_changes_go_through_the_services_with_the_import_as_reason(team, imported):
    first, second = imported.items
    later = DUE + timedelta(days=30)
    changed = replace(first, scheduled_completion=later, remediation="Named admin accounts through Entra PIM",
                      supporting_owner="Olive Lee", status=records.ItemStatus.IN_PROGRESS,
                      evidence="Entra PIM role report, SharePoint/Security/Evidence",
                      milestones=[records.Milestone("Create named accounts", TODAY - timedelta(days=1),
                                                    TODAY - timedelta(days=1)),  # done, and earlier than planned
                                  records.Milestone("Disable the shared account", TODAY + timedelta(days=55)),
                                  records.Milestone("Quarterly access review", TODAY + timedelta(days=58))])
    events = _events(team)
    result = import_poam(team.coordinator, team.org, records.Poam([changed, second]), file=FILE)
    assert (result.created, result.updated, result.unchanged) == ([], ["POAM-AC-001"], ["POAM-IA-001"])

    item = _item(team, "POAM-AC-001")
    assert item.scheduled_completion == later and item.original_scheduled_completion == DUE  # the slip shows
    assert item.remediation == "Named admin accounts through Entra PIM"
    assert item.supporting_owner == team.owner2 and item.status == Status.IN_PROGRESS and item.version == 3
    milestones = {m.description: m for m in item.milestones.all()}
    assert milestones["Create named accounts"].done_on == TODAY - timedelta(days=1)
    slipped = milestones["Disable the shared account"]
    assert (slipped.due, slipped.original_due) == (TODAY + timedelta(days=55), TODAY + timedelta(days=40))
    assert milestones["Quarterly access review"].due == TODAY + timedelta(days=58)
    assert Evidence.objects.get(item=item).reference == "Entra PIM role report, SharePoint/Security/Evidence"

    new = AuditEvent.objects.filter(organization=team.org).order_by("seq")[events:]
    by_action = {}
    for event in new:
        assert event.subject == "POAM-AC-001" and event.actor_name == "acme-coordinator"
        by_action.setdefault(event.action, []).append(event)
    assert sorted(by_action) == ["add_evidence", "add_milestone", "change_status", "complete_milestone",
                                 "reschedule_milestone", "slip_milestone", "update_item"]
    update = by_action["update_item"][0]
    assert update.reason == "updated by import of poam.xlsx"
    assert update.before["scheduled_completion"] == DUE.isoformat()
    assert update.after["scheduled_completion"] == later.isoformat()
    assert update.after["supporting_owner"] == team.owner2.pk
    assert by_action["slip_milestone"][0].reason == "updated by import of poam.xlsx"
    assert by_action["change_status"][0].reason == "updated by import of poam.xlsx"
    assert verify_chain(team.org).intact

    events = _events(team)
    again = import_poam(team.coordinator, team.org, records.Poam([changed, second]), file=FILE)
    assert again.unchanged == ["POAM-AC-001", "POAM-IA-001"] and _events(team) == events


def test_new_rows_are_added_beside_the_updated_ones(team, imported):
    first, second = imported.items
    poam = records.Poam([replace(first, title="Named admin accounts"), second, _record(4, requirements=["3.1.7"])])
    result = import_poam(team.coordinator, team.org, poam, file=FILE)
    assert (result.created, result.updated, result.unchanged) == (["POAM-AC-002"], ["POAM-AC-001"],
                                                                  ["POAM-IA-001"])
    assert _item(team, "POAM-AC-001").title == "Named admin accounts"
    assert _item(team, "POAM-AC-002").external_id == "V-4"
    assert verify_chain(team.org).intact


def test_rows_carrying_our_identifiers_update_those_items(team):
    made = make_item(team, title="Lock accounts")  # POAM-AC-001, made in the app
    poam = records.Poam([_record(2, id="POAM-AC-001", title="Lock accounts after five failed logons",
                                 requirements=["3.1.8"])])
    result = import_poam(team.coordinator, team.org, poam, file="export.xlsx")
    assert (result.created, result.updated) == ([], ["POAM-AC-001"])
    made.refresh_from_db()
    assert made.title == "Lock accounts after five failed logons"
    assert made.milestones.count() == 2


def test_only_the_columns_the_file_has_are_compared(team, imported):
    services.update_item(team.coordinator, _item(team, "POAM-AC-001"), supporting_owner=team.owner2,
                         resources="2 days of the Windows administrator")
    narrow = records.Poam(imported.items, fields=frozenset({"id", "requirements", "title", "weakness",
                                                             "remediation", "primary_owner",
                                                             "approval_authority", "scheduled_completion"}))
    events = _events(team)
    result = import_poam(team.coordinator, team.org, narrow, file=FILE)
    assert result.updated == [] and _events(team) == events
    item = _item(team, "POAM-AC-001")
    assert item.supporting_owner == team.owner2 and item.resources == "2 days of the Windows administrator"


def test_refusals_of_the_services_are_listed_with_the_others_and_nothing_is_written(team, imported):
    first, second = imported.items
    services.create_assessment(team.coordinator, team.org, assessed_on=TODAY, conditional_status_date=TODAY,
                               is_the_assessment_poam=True)
    poam = records.Poam([
        replace(_milestones_done(first), status=records.ItemStatus.CLOSED,
                evidence="Entra PIM role report"),  # needs its authority
        replace(second, scheduled_completion=TODAY + timedelta(days=200)),  # past the 180-day closeout
        _record(4, requirements=["3.1.99"]),  # a bad new row
        replace(first, id="V-9", title="edited", row=5),  # a good new row: written only if every row is
    ])
    before = (list(PoamItem.objects.filter(organization=team.org).values()), _events(team))
    with pytest.raises(InputErrors) as refused:
        import_poam(team.coordinator, team.org, poam, file=FILE)
    found = [(e.row, e.column) for e in refused.value.errors]
    assert found == [(2, "status"), (3, "scheduled_completion"), (4, "requirement")]
    text = str(refused.value)
    assert "poam.xlsx, row 2, column 'status': POAM-AC-001: ready for verification to closed" in text
    assert "not the approval authority" in text
    assert "R-CLOSE-1" in text
    after = (list(PoamItem.objects.filter(organization=team.org).values()), _events(team))
    assert after == before
    assert not Evidence.objects.filter(item__organization=team.org).exists()
    assert verify_chain(team.org).intact


def test_an_approval_authority_who_imports_closes_through_the_workflow(team):
    """The owner did the work and put it forward; the approval authority's file then closes it. (Had the
    authority's own import added the evidence and requested the closure, it would be refused:
    test_separation.py.)"""
    poam = records.Poam([_record(2, approval_authority="Ada Acme Machining")])  # the admin
    import_poam(team.admin, team.org, poam, file=FILE)
    item = _item(team, "POAM-AC-001")
    services.add_evidence(team.owner, item, name="Entra PIM role report", reference="PIM export, 2026-12")
    for milestone in item.milestones.all():  # a closure waits on every milestone done or dropped
        services.complete_milestone(team.owner, milestone)
    services.request_closure(team.owner, item, note="PIM in place")
    closed = replace(_milestones_done(poam.items[0]), status=records.ItemStatus.CLOSED,
                     evidence="Entra PIM role report", completion_date=TODAY)
    # The status was changed in the register since the item's last import (the owner's request): a re-import
    # keeps the register's value and says so; the authority approves in the app, on the owner's evidence.
    result = import_poam(team.admin, team.org, records.Poam([closed]), file=FILE)
    assert result.updated == [] and any(c.field == "status" and c.kept for c in result.changes["POAM-AC-001"])
    item = _item(team, "POAM-AC-001")
    assert item.status == Status.READY_FOR_VERIFICATION
    services.approve_closure(team.admin, item, note="PIM report checked")
    item = _item(team, "POAM-AC-001")
    assert (item.status, item.verified_by) == (Status.CLOSED, team.admin)


def test_a_closed_item_cannot_be_imported_closed_by_its_owner(team):
    poam = records.Poam([_record(2, primary_owner="Ada Acme Machining", approval_authority="Priya Lee")])
    import_poam(team.admin, team.org, poam, file=FILE)
    closed = replace(_milestones_done(poam.items[0]), status=records.ItemStatus.CLOSED, evidence="report")
    with pytest.raises(InputErrors, match="primary owner of POAM-AC-001, .* may not approve"):
        import_poam(team.admin, team.org, records.Poam([closed]), file=FILE)
    assert _item(team, "POAM-AC-001").status == Status.OPEN


def test_two_rows_naming_one_item_are_refused(team, imported):
    first = imported.items[0]
    poam = records.Poam([first, replace(first, id="POAM-AC-001", row=3)])
    with pytest.raises(InputErrors, match="row 3, column 'id': 'POAM-AC-001' names the same item as row 2"):
        import_poam(team.coordinator, team.org, poam, file=FILE)
