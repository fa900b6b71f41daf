"""The audit trail: append-only in the database, hash-linked, and verify_chain names each
event that was altered behind the application's back."""

import pytest
from django.db import DatabaseError, connection, transaction

from punchlist.audit import chain, triggers
from punchlist.audit.models import AuditEvent, ChainHead
from punchlist.register import services
from punchlist.register.models import Status


@pytest.fixture
def history(team, item):
    """A few events on an item, after the team's own setup events."""
    services.change_status(team.owner, item, Status.IN_PROGRESS)
    services.update_item(team.owner, item, remediation="Duo push for all VPN logins, enrollment report kept")
    services.add_milestone(team.owner, item, "Enroll the plant-floor supervisors")
    return list(AuditEvent.objects.filter(chain=chain.chain_key(team.org)).order_by("seq"))


def _raw(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_chain_links_every_event_to_the_one_before(team, history):
    assert [e.seq for e in history] == list(range(1, len(history) + 1))
    assert history[0].prev_hash == chain.GENESIS
    for previous, event in zip(history, history[1:]):
        assert event.prev_hash == previous.hash
        assert event.hash == chain.compute_hash(event)
    result = chain.verify_chain(team.org)
    assert result.intact and result.events == len(history)
    assert "intact" in str(result)


def test_database_refuses_update_and_delete_of_events(team, history):
    event = history[3]
    for attempt in (
        lambda: AuditEvent.objects.filter(pk=event.pk).update(reason="nothing to see"),
        lambda: AuditEvent.objects.filter(pk=event.pk).delete(),
        lambda: _raw("UPDATE audit_auditevent SET reason = %s WHERE id = %s", ["edited", event.pk]),
        lambda: _raw("DELETE FROM audit_auditevent WHERE id = %s", [event.pk]),
    ):
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic():
                attempt()
    event.refresh_from_db()
    assert event.reason == history[3].reason
    assert chain.verify_chain(team.org).intact


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="TRUNCATE is PostgreSQL's")
def test_postgresql_refuses_truncate(history):
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic():
            _raw("SET CONSTRAINTS ALL IMMEDIATE", [])  # settle the deferred foreign keys of this test's rows
            _raw("TRUNCATE audit_auditevent CASCADE", [])


def test_altered_row_is_named_by_verify(team, item, history):
    victim = AuditEvent.objects.get(subject=item.identifier, action="update_item")
    triggers.remove(connection)  # what someone with direct database access could do
    _raw("UPDATE audit_auditevent SET after = %s WHERE id = %s",
         ['{"remediation": "Improve security", "version": 3}', victim.pk])
    triggers.install(connection)

    result = chain.verify_chain(team.org)
    assert not result.intact
    assert result.first_bad.pk == victim.pk
    assert "content does not match its hash" in result.problem
    assert f"event #{victim.seq} of org-{team.org.pk}" in str(result)
    assert "update_item on POAM-AC-001" in str(result)


def test_rewritten_row_with_a_recomputed_hash_breaks_the_next_link(team, item, history):
    victim = AuditEvent.objects.get(subject=item.identifier, action="change_status")
    victim.reason = "approved by the CEO"
    forged = chain.compute_hash(victim)
    triggers.remove(connection)
    _raw("UPDATE audit_auditevent SET reason = %s, hash = %s WHERE id = %s", [victim.reason, forged, victim.pk])
    triggers.install(connection)

    result = chain.verify_chain(team.org)
    assert not result.intact
    assert result.first_bad.seq == victim.seq + 1
    assert "link to the previous event" in result.problem


def test_deleted_events_are_found(team, history):
    triggers.remove(connection)
    _raw("DELETE FROM audit_auditevent WHERE id = %s", [history[2].pk])
    result = chain.verify_chain(team.org)
    assert not result.intact and result.first_bad.seq == history[3].seq
    assert f"event #{history[2].seq} is missing" in result.problem

    _raw("DELETE FROM audit_auditevent WHERE chain = %s AND seq >= %s",
         [history[0].chain, history[2].seq])  # now the gap is at the end of the chain
    result = chain.verify_chain(team.org)
    assert not result.intact and "latest events were removed" in result.problem
    triggers.install(connection)


def test_each_organization_has_its_own_chain_and_verify_walks_all(team, rival, history):
    mine = chain.verify_chain(team.org)
    theirs = chain.verify_chain(rival.org)
    everything = chain.verify_chain()
    assert mine.intact and theirs.intact and everything.intact
    system = AuditEvent.objects.filter(chain=chain.SYSTEM_CHAIN).count()  # the users created
    assert everything.events == mine.events + theirs.events + system
    assert ChainHead.objects.get(key=chain.chain_key(rival.org)).last_seq == theirs.events


def test_an_event_outside_a_transaction_is_refused(live_db):
    with pytest.raises(chain.AuditError):
        chain.record(organization=None, actor=None, action="sneaky")
    with pytest.raises(chain.AuditError):
        chain.lock(None)
    assert not AuditEvent.objects.exists()


def test_a_refused_service_call_leaves_no_event(team, item):
    before = AuditEvent.objects.count()
    with pytest.raises(services.WorkflowError):
        services.request_closure(team.owner, item)  # no evidence
    assert AuditEvent.objects.count() == before
    assert chain.verify_chain(team.org).intact


def test_events_written_in_bulk_by_an_import_are_chained_and_checked(team, item):
    """An import writes its events in bulk (record_many); each must hash exactly as ``record`` would, and an
    altered one is named by verify like any other."""
    from punchlist.core import records
    from punchlist.register.imports import import_poam

    poam = records.Poam([records.PoamItem(id=f"V-{n}", requirements=["3.1.1"], title=f"Shared account {n}",
                                          remediation="Named accounts; the access review record kept",
                                          primary_owner="Marcus Lee", row=n, evidence="ticket 4711",
                                          status=records.ItemStatus.CLOSED, approval_authority="Priya Lee",
                                          milestones=[records.Milestone("Ünïcode — step", None)])
                         for n in (2, 3, 4)])
    import_poam(team.coordinator, team.org, poam, file="poam.xlsx")
    events = list(AuditEvent.objects.filter(organization=team.org, action="import_item").order_by("seq"))
    assert len(events) == 3
    for event in events:
        assert event.hash == chain.compute_hash(event)
        assert event.after["milestones"] == [["Ünïcode — step", None, None]]
    follower = services.add_milestone(team.owner, item, "Enroll the plant floor")  # record() after record_many
    assert chain.verify_chain(team.org).intact and follower.pk

    victim = events[1]
    triggers.remove(connection)
    _raw("UPDATE audit_auditevent SET after = %s WHERE id = %s",
         ['{"identifier": "POAM-AC-003", "status": "open"}', victim.pk])
    triggers.install(connection)
    result = chain.verify_chain(team.org)
    assert not result.intact and result.first_bad.pk == victim.pk
    assert f"import_item on {victim.subject}" in str(result)
