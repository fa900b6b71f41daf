"""Blocked-by links and the touches-CUI mark: kept within one organization and free of cycles, each change under
the item's lock and in the audit trail, and both feeding the register's risk order with its reasons."""

from __future__ import annotations

import json

import pytest

from punchlist.audit.chain import verify_chain
from punchlist.audit.models import AuditEvent
from punchlist.core import records
from punchlist.core.priority import Tier, risk_order
from punchlist.errors import InputErrors
from punchlist.register import mapping, services
from punchlist.register.imports import import_poam
from punchlist.register.models import ItemBlocker, PoamItem
from punchlist.register.services import ConflictError, InvalidChange, PermissionDenied
from punchlist.testing import make_item


@pytest.fixture
def three(team):
    cui = make_item(team, requirements=["3.13.16"], title="Encrypt the CUI share at rest")
    lockout = make_item(team, requirements=["3.1.8"], title="Lock accounts", severity="low")
    firmware = make_item(team, requirements=["3.4.9"], title="FortiGate firmware", severity="low")
    return cui, lockout, firmware


def test_blockers_are_set_under_the_lock_and_in_the_audit_trail(team, three):
    cui, lockout, firmware = three
    services.set_blockers(team.owner, cui, f"{firmware.identifier.lower()}; {lockout.identifier}")
    assert sorted(ItemBlocker.objects.filter(item=cui).values_list("blocker__identifier", flat=True)) == sorted(
        [lockout.identifier, firmware.identifier])
    event = AuditEvent.objects.filter(organization=team.org, action="set_blockers").get()
    assert event.subject == cui.identifier and event.before == {"blocked_by": [], "version": 1}
    assert event.after == {"blocked_by": sorted([lockout.identifier, firmware.identifier]), "version": 2}
    assert verify_chain(team.org).intact
    # A stale copy (version 1) is refused, naming the links someone set since.
    stale = PoamItem.objects.get(pk=cui.pk)
    stale.version = 1
    with pytest.raises(ConflictError) as refused:
        services.set_blockers(team.coordinator, stale, [])
    assert refused.value.changes == {"blocked_by": sorted([lockout.identifier, firmware.identifier])}
    services.set_blockers(team.owner, cui, [firmware], version=2)
    assert list(cui.blocker_links.values_list("blocker__identifier", flat=True)) == [firmware.identifier]
    # The same links again write nothing.
    events = AuditEvent.objects.count()
    services.set_blockers(team.owner, cui, [firmware.identifier])
    assert AuditEvent.objects.count() == events


def test_no_cycle_no_self_no_stranger_and_only_members_who_may_change_the_item(team, rival, three):
    cui, lockout, firmware = three
    services.set_blockers(team.owner, cui, [firmware.identifier])
    services.set_blockers(team.owner, firmware, [lockout.identifier])
    with pytest.raises(InvalidChange, match=rf"{lockout.identifier} cannot be blocked by {cui.identifier}: "
                                            rf"{cui.identifier} waits on {firmware.identifier} waits on "
                                            rf"{lockout.identifier} already"):
        services.set_blockers(team.owner, lockout, [cui.identifier])
    with pytest.raises(InvalidChange, match="cannot be blocked by itself"):
        services.set_blockers(team.owner, cui, [cui.identifier])
    theirs = make_item(rival, requirements=["3.1.8"], title="Their item")
    assert theirs.identifier == lockout.identifier  # same number, another register
    other = make_item(rival, requirements=["3.1.10"], title="Their other item")
    with pytest.raises(InvalidChange, match=rf"{other.identifier} is not an item of this organization"):
        services.set_blockers(team.owner, cui, [other.identifier])
    with pytest.raises(PermissionDenied):
        services.set_blockers(team.viewer, cui, [])
    with pytest.raises(PermissionDenied):
        services.set_blockers(rival.owner, cui, [])
    assert ItemBlocker.objects.filter(item=lockout).count() == 0


def test_the_mark_and_the_links_reach_the_risk_order_with_their_reasons(team, three):
    cui, lockout, firmware = three
    services.update_item(team.owner, lockout, touches_cui=True)
    services.set_blockers(team.owner, cui, [firmware.identifier])
    poam = mapping.to_poam(PoamItem.objects.for_organization(team.org))
    by_id = {record.id: record for record in poam.items}
    assert by_id[lockout.identifier].touches_cui is True and by_id[cui.identifier].blocked_by == [firmware.identifier]
    record = mapping.to_record(mapping.items_for_records(PoamItem.objects.filter(pk=cui.pk)).get())
    assert record.blocked_by == [firmware.identifier]
    ranked = [(record.id, priority) for record, priority in risk_order(poam.items)]
    assert [identifier for identifier, _ in ranked] == [firmware.identifier, cui.identifier, lockout.identifier]
    firmware_priority, _, lockout_priority = (priority for _, priority in ranked)
    assert firmware_priority.tier is Tier.CUI_EXPOSURE and f"blocks {cui.identifier}" in firmware_priority.why
    assert lockout_priority.tier is Tier.OTHER and "touches CUI" in lockout_priority.why
    # Closed, the blocker blocks nothing: it falls to the done items.
    PoamItem.objects.filter(pk=firmware.pk).update(status="closed")
    ranked = risk_order(mapping.to_poam(PoamItem.objects.for_organization(team.org)).items)
    assert [record.id for record, _ in ranked] == [cui.identifier, lockout.identifier, firmware.identifier]


def test_the_mark_is_yes_no_or_not_said(team, item):
    services.update_item(team.owner, item, touches_cui=False)
    assert PoamItem.objects.get(pk=item.pk).touches_cui is False
    with pytest.raises(InvalidChange, match="touches CUI: 'maybe' is not yes or no"):
        services.update_item(team.owner, item, touches_cui="maybe")


def _row(row, id, requirement="3.1.8", **fields):
    return records.PoamItem(id=id, requirements=[requirement], title=f"Row {row}", weakness="Shared admin account",
                            primary_owner="Marcus Lee, IT Operations Lead", row=row, **fields)


def test_an_import_links_rows_to_rows_below_them_and_to_items_the_register_holds(team, three):
    cui, lockout, firmware = three
    poam = records.Poam([
        _row(2, "V-1", blocked_by=["V-2", firmware.identifier], touches_cui=True),  # a row further down, and ours
        _row(3, "V-2", requirement="3.1.10"),
    ])
    result = import_poam(team.coordinator, team.org, poam, file="tracker.csv")
    first, second = (PoamItem.objects.get(organization=team.org, identifier=i) for i in result.created)
    assert sorted(first.blocker_links.values_list("blocker__identifier", flat=True)) == sorted(
        [second.identifier, firmware.identifier])
    assert (first.touches_cui, first.version) == (True, 1)  # as imported: its links are part of it
    event = AuditEvent.objects.get(organization=team.org, action="set_blockers")
    assert event.subject == first.identifier and event.reason == "updated by import of tracker.csv"
    assert verify_chain(team.org).intact
    # A later file that names an item the register already holds changes its links as an edit: version bumped.
    again = import_poam(team.coordinator, team.org, records.Poam([_row(3, "V-2", requirement="3.1.10",
                                                                       blocked_by=[lockout.identifier])]),
                        file="tracker.csv")
    assert (again.updated, again.unchanged) == ([second.identifier], [])  # its links changed, nothing else
    second.refresh_from_db()
    assert list(second.blocker_links.values_list("blocker__identifier", flat=True)) == [lockout.identifier]
    assert second.version == 2


def test_an_import_names_unknown_self_and_circular_links_by_row_and_column_and_writes_nothing(team, three):
    cui, lockout, firmware = three
    services.set_blockers(team.owner, cui, [firmware.identifier])
    poam = records.Poam([
        _row(2, "V-1", blocked_by=["V-9", "POAM-ZZ-001"]),
        _row(3, "V-2", blocked_by=["V-2"]),
        _row(4, firmware.identifier, requirement="3.4.9", blocked_by=[cui.identifier]),  # cui waits on it already
    ])
    before = PoamItem.objects.count()
    with pytest.raises(InputErrors) as refused:
        import_poam(team.coordinator, team.org, poam, file="tracker.csv")
    found = [(e.row, e.column, e.message) for e in refused.value.errors]
    assert found == [
        (2, "blocked_by", "'V-9', 'POAM-ZZ-001' names no item of this file or of the register"),
        (3, "blocked_by", "'V-2' is this row's own item: an item cannot wait on itself"),
        (4, "blocked_by", f"{firmware.identifier} cannot be blocked by {cui.identifier}: {cui.identifier} waits on "
                          f"{firmware.identifier} already, and an item cannot wait on work that waits on it"),
    ]
    assert PoamItem.objects.count() == before
    assert list(ItemBlocker.objects.filter(item=firmware)) == []


def test_the_cli_lists_the_items_in_the_risk_order_with_why(team, three, capsys):
    from punchlist.testing import run_register_command

    cui, lockout, firmware = three
    services.set_blockers(team.owner, cui, [firmware.identifier])
    options = ("--org", team.org.slug, "--user", team.viewer.username)
    assert run_register_command("items", *options, "--order", "risk", "--format", "json") == 0
    listed = json.loads(capsys.readouterr().out)["items"]
    assert [i["id"] for i in listed] == [firmware.identifier, cui.identifier, lockout.identifier]
    assert listed[0]["tier"] == "CUI exposure"
    assert listed[0]["why"] == f"Low severity · blocks {cui.identifier} · due in 60 days"
    assert run_register_command("items", *options, "--order", "risk") == 0
    assert f"CUI exposure: Low severity · blocks {cui.identifier} · due in 60 days" in capsys.readouterr().out
