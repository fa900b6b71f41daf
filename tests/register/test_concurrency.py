"""Two people editing one item cannot silently overwrite each other (optimistic locking); concurrent
writers of one organization queue on its audit chain, so identifiers and links stay unique and unbroken."""

import threading
from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, connections, transaction

from punchlist.audit import chain
from punchlist.audit.models import AuditEvent
from punchlist.register import services
from punchlist.register.models import PoamItem, Status
from punchlist.register.services import ConflictError
from punchlist.testing import make_item, make_team


def test_later_save_is_refused_and_told_what_changed(team, item):
    # Marcus and Cora both open the item at version 1.
    marcus_copy = PoamItem.objects.get(pk=item.pk)
    cora_copy = PoamItem.objects.get(pk=item.pk)
    new_due = item.scheduled_completion - timedelta(days=10)
    services.update_item(team.owner, marcus_copy, remediation="Duo push on the VPN; enrollment report kept",
                         scheduled_completion=new_due)
    assert marcus_copy.version == 2

    with pytest.raises(ConflictError) as refused:
        services.update_item(team.coordinator, cora_copy, title="MFA for remote access")
    conflict = refused.value
    assert conflict.changes == {"remediation": "Duo push on the VPN; enrollment report kept",
                                "scheduled_completion": new_due.isoformat()}
    assert conflict.by == ["acme-owner"]
    assert (conflict.expected_version, conflict.current_version) == (1, 2)
    assert "changed by acme-owner since you opened it" in str(conflict)
    assert "remediation is now 'Duo push" in str(conflict)

    stored = PoamItem.objects.get(pk=item.pk)
    assert stored.title == item.title and stored.version == 2  # Cora's change was not written

    # Having reloaded, Cora's change goes through.
    cora_copy.refresh_from_db()
    services.update_item(team.coordinator, cora_copy, title="MFA for remote access")
    assert PoamItem.objects.get(pk=item.pk).title == "MFA for remote access"


def test_version_from_a_form_is_checked_too(team, item):
    services.change_status(team.owner, item, Status.IN_PROGRESS)  # version 2
    fresh = PoamItem.objects.get(pk=item.pk)
    with pytest.raises(ConflictError, match="status is now 'in_progress'"):
        services.change_due_date(team.owner, fresh, fresh.scheduled_completion, version=1)
    with pytest.raises(ConflictError):
        services.change_status(team.owner, fresh, Status.OPEN, reason="waiting on vendor", version=1)


def _run_in_threads(count, work):
    errors = []
    barrier = threading.Barrier(count)

    def runner(index):
        try:
            barrier.wait(timeout=30)
            work(index)
        except Exception as exc:  # reported by the test below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_concurrent_writers_get_distinct_identifiers_and_an_unbroken_chain(live_db):
    team = make_team("Acme Machining", "acme")
    per_thread = 5

    def create(index):
        for n in range(per_thread):
            make_item(team, title=f"Item {index}-{n}", requirements=["3.1.3" if n % 2 else "3.5.5"])

    errors = _run_in_threads(4, create)
    assert errors == []
    identifiers = list(PoamItem.objects.for_organization(team.org).values_list("identifier", flat=True))
    assert len(identifiers) == len(set(identifiers)) == 4 * per_thread
    assert sorted(i for i in identifiers if i.startswith("POAM-AC-")) == [f"POAM-AC-{n:03d}" for n in range(1, 9)]
    assert sorted(i for i in identifiers if i.startswith("POAM-IA-")) == [f"POAM-IA-{n:03d}" for n in range(1, 13)]
    result = chain.verify_chain(team.org)
    assert result.intact, str(result)


def test_concurrent_edits_of_one_item_never_lose_a_write(live_db):
    team = make_team("Acme Machining", "acme")
    item = make_item(team)
    copies = [PoamItem.objects.get(pk=item.pk) for _ in range(4)]
    outcomes = []

    def edit(index):
        try:
            services.update_item(team.coordinator, copies[index], resources=f"budget line {index}")
            outcomes.append(("saved", index))
        except ConflictError:
            outcomes.append(("refused", index))

    assert _run_in_threads(4, edit) == []
    saved = [i for outcome, i in outcomes if outcome == "saved"]
    assert len(saved) == 1 and len(outcomes) == 4  # the first wins, every later one is refused
    stored = PoamItem.objects.get(pk=item.pk)
    assert stored.version == 2 and stored.resources == f"budget line {saved[0]}"
    assert chain.verify_chain(team.org).intact


def test_triggers_are_back_after_a_flushed_test(live_db):
    # Runs after the live_db tests above (pytest-django runs transactional tests last, in file order), whose
    # flush had to lift the triggers.
    team = make_team("Acme Machining", "acme")
    event = AuditEvent.objects.filter(organization=team.org).first()
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(reason="x")


def test_sqlite_runs_in_wal_mode_with_immediate_transactions(db):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's journal mode")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
    assert connection.transaction_mode == "IMMEDIATE"
