"""Blocked-by links and the touches-CUI mark: kept within one organization and free of cycles, each change under
the item's lock and in the audit trail, and both feeding the register's risk order with its reasons."""

from __future__ import annotations

import pytest

from punchlist.audit.chain import verify_chain
from punchlist.audit.models import AuditEvent
from punchlist.core.priority import Tier, risk_order
from punchlist.register import mapping, services
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
