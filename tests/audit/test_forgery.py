"""Forgeries by someone who can write to the database but holds neither the audit key nor the checkpoint file;
each passed `punchlist verify` while the chain had no secret and no anchor outside the database. Run on SQLite
and on PostgreSQL (PUNCHLIST_DATABASE_URL)."""

import hashlib
import os

import pytest
from django.db import connection

from punchlist.audit import chain, checkpoint, triggers
from punchlist.audit.models import AuditEvent, ChainHead
from punchlist.register import services
from punchlist.register.models import Evidence, PoamItem, Status
from punchlist.testing import run_register_command


def _committed(team):
    """What the commit of a service call does after it (the test's transaction never commits): publish the
    head (``test_each_commit_publishes_the_chains_head`` shows the commit doing it)."""
    checkpoint.publish([chain.chain_key(team.org)])


@pytest.fixture
def history(team, item, _reinstall_audit_triggers):
    """Work on an item, each service call followed by the checkpoint its commit writes."""
    for step in (lambda: services.change_status(team.owner, item, Status.IN_PROGRESS),
                 lambda: services.update_item(team.owner, item, remediation="GPO lockout 5/15, report kept"),
                 lambda: services.add_milestone(team.owner, item, "GPO linked to every OU"),
                 lambda: services.add_evidence(team.owner, item, name="gpo.html", content=b"<html>5/15</html>")):
        step()
        _committed(team)
    triggers.remove(connection)  # the forger's first move
    return list(AuditEvent.objects.filter(chain=chain.chain_key(team.org)).order_by("seq"))


def _raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _plain(event) -> str:
    """The hash a forger without the key can compute: SHA-256 of the event's canonical text."""
    return hashlib.sha256(chain.canonical(event)).hexdigest()


def _verify(team, capsys) -> tuple[int, str]:
    capsys.readouterr()
    code = run_register_command("verify", "--org", team.org.slug)
    return code, capsys.readouterr().out


def _rewind_head(team, last):
    ChainHead.objects.filter(key=chain.chain_key(team.org)).update(last_seq=last.seq, last_hash=last.hash)


def test_a_forged_event_with_a_recomputed_hash_and_head_is_found(team, item, history, capsys):
    last = history[-1]
    forged = AuditEvent(chain=last.chain, seq=last.seq + 1, organization=team.org, actor=team.approver,
                        actor_name=team.approver.username, at=last.at, action="approve_closure",
                        object_type=last.object_type, object_id=last.object_id, subject=item.identifier,
                        before={"status": "in_progress"}, after={"status": "closed"}, reason="checked",
                        prev_hash=last.hash)
    forged.hash = _plain(forged)
    forged.save(force_insert=True)
    _rewind_head(team, forged)
    code, out = _verify(team, capsys)
    assert code == 1
    assert f"audit trail BROKEN at event #{forged.seq}" in out and "approve_closure" in out


def test_deleting_the_last_events_and_rewinding_the_head_is_found(team, item, history, capsys):
    _raw("DELETE FROM audit_auditevent WHERE chain = %s AND seq > %s", [history[0].chain, history[-3].seq])
    _rewind_head(team, history[-3])
    assert chain.verify_chain(team.org).intact  # the chain alone is consistent: only the checkpoint knows
    code, out = _verify(team, capsys)
    assert code == 1
    assert f"ends at #{history[-3].seq} but the checkpoint records #{history[-1].seq}" in out
    # The application writing on does not move the checkpoint past the rewound stretch.
    triggers.install(connection)
    for remediation in ("again", "and again", "and once more"):
        services.update_item(team.owner, item, remediation=remediation)
        _committed(team)
    assert checkpoint.read()[history[0].chain]["seq"] == history[-1].seq
    code, out = _verify(team, capsys)
    assert code == 1 and "the chain was rewritten" in out


def test_rewriting_the_chain_from_an_event_on_names_every_rewritten_event(team, item, history, capsys):
    start = history[-4]
    previous = history[-5].hash
    for event in history[-4:]:
        if event.pk == start.pk:
            event.reason = "approved by the CEO"
        event.prev_hash = previous
        event.hash = _plain(event)
        _raw("UPDATE audit_auditevent SET reason = %s, prev_hash = %s, hash = %s WHERE id = %s",
             [event.reason, event.prev_hash, event.hash, event.pk])
        previous = event.hash
    _rewind_head(team, history[-1])
    result = chain.verify_chain(team.org)
    assert [event.seq for event, _ in result.problems] == [event.seq for event in history[-4:]]
    code, out = _verify(team, capsys)
    assert code == 1 and out.count("audit trail BROKEN at event #") == 4


def test_rewriting_the_whole_chain_without_keys_is_found_by_the_checkpoint(team, item, history, capsys):
    previous = chain.GENESIS
    for event in history:
        event.key_id = None
        event.prev_hash = previous
        event.hash = _plain(event)
        _raw("UPDATE audit_auditevent SET key_id = NULL, prev_hash = %s, hash = %s WHERE id = %s",
             [event.prev_hash, event.hash, event.pk])
        previous = event.hash
    _rewind_head(team, history[-1])
    assert chain.verify_chain(team.org).intact  # as if written before the trail was keyed
    code, out = _verify(team, capsys)
    assert code == 1 and "carry no key" in out and "the chain was rewritten" in out


def test_an_item_closed_behind_the_applications_back_is_found(team, item, history, capsys):
    _raw("UPDATE register_poamitem SET status = 'closed' WHERE id = %s", [item.pk])
    code, out = _verify(team, capsys)
    assert code == 1
    assert f"item {item.identifier}: status is 'closed' in the database but 'in_progress' in the audit trail" in out


def test_an_evidence_file_swapped_with_its_stored_hash_is_found(team, item, history, capsys, evidence_root):
    evidence = Evidence.objects.get(item=item)
    content = b"<html>a different report</html>"
    digest = hashlib.sha256(content).hexdigest()
    name = f"{team.org.pk}/{digest[:2]}/{digest}"
    os.makedirs(evidence_root / name.rsplit("/", 1)[0], exist_ok=True)
    (evidence_root / name).write_bytes(content)
    os.remove(evidence_root / evidence.file.name)
    _raw("UPDATE register_evidence SET sha256 = %s, size = %s, file = %s WHERE id = %s",
         [digest, len(content), name, evidence.pk])
    code, out = _verify(team, capsys)
    assert code == 1
    assert "evidence files intact" in out  # the file matches the hash stored beside it ...
    assert f"evidence 'gpo.html' of {item.identifier}: sha256 is '{digest}' in the database" in out  # ... not the trail's


def test_an_untouched_register_verifies(team, item, history, capsys):
    code, out = _verify(team, capsys)
    assert code == 0, out
    assert "audit trail intact" in out and "matches its checkpoint" in out and "matches its audit trail" in out
    assert PoamItem.objects.get(pk=item.pk).status == Status.IN_PROGRESS


def test_each_commit_publishes_the_chains_head(live_db):
    from punchlist.testing import make_item, make_team

    team = make_team("Acme Machining", "acme")
    item = make_item(team)
    head = ChainHead.objects.get(key=chain.chain_key(team.org))
    assert checkpoint.read()[head.key] == {"seq": head.last_seq, "hash": head.last_hash, "keyed_from": 1}
    services.change_status(team.owner, item, Status.IN_PROGRESS)
    assert checkpoint.read()[head.key]["seq"] == head.last_seq + 1
