"""Items, milestones, evidence and roles in the register."""

import hashlib
import io
from datetime import date, timedelta

import pytest

from punchlist.audit.models import AuditEvent
from punchlist.register import services
from punchlist.register.models import Milestone, Status
from punchlist.register.services import InvalidChange, PermissionDenied, WorkflowError
from punchlist.testing import make_item


def test_identifiers_follow_the_family_of_the_first_requirement(team):
    first = make_item(team, requirements=["AC.L2-3.1.3"])
    mfa = make_item(team, requirements=["ia.l2-3.5.5", "3.1.14"])
    second = make_item(team, requirements=["3.1.6"])
    assert (first.identifier, mfa.identifier, second.identifier) == ("POAM-AC-001", "POAM-IA-001", "POAM-AC-002")
    assert mfa.requirement_ids == ["3.5.5", "3.1.14"]


def test_bad_values_are_refused_by_name(team):
    with pytest.raises(InvalidChange, match="'3.99.1' is not a NIST SP 800-171 Rev 2 requirement"):
        make_item(team, requirements=["3.99.1"])
    with pytest.raises(InvalidChange, match="objective '3.5.3\\[a\\]' belongs to 3.5.3"):
        make_item(team, requirements=["3.1.1"], objectives=["3.5.3[a]"])
    with pytest.raises(InvalidChange, match="severity 'urgent'"):
        make_item(team, severity="urgent")
    with pytest.raises(InvalidChange, match="has the role Viewer"):
        make_item(team, primary_owner=team.viewer)
    with pytest.raises(InvalidChange, match="approval_authority: acme-owner2 has the role Item owner"):
        make_item(team, approval_authority=team.owner2)
    with pytest.raises(InvalidChange, match="before the start date"):
        make_item(team, start_date=date.today() + timedelta(days=90))
    item = make_item(team, requirements=["3.1.1"], objectives=["3.1.1 [A]", "3.1.1[b]"], kind="operational_plan")
    assert item.objectives == ["3.1.1[a]", "3.1.1[b]"]


def test_roles_least_privilege(team, item):
    with pytest.raises(PermissionDenied, match=r"acme-viewer \(Viewer\) may not"):
        services.update_item(team.viewer, item, title="x")
    with pytest.raises(PermissionDenied):
        services.update_item(team.owner2, item, title="not my item")  # an owner of other items
    with pytest.raises(PermissionDenied):
        services.create_item(team.owner, team.org, requirements=["3.1.1"], title="owners do not add items")
    with pytest.raises(PermissionDenied, match="manage item"):
        services.update_item(team.owner, item, approval_authority=team.approver2)  # reassigning is managing
    services.update_item(team.owner, item, weakness="Password-only VPN logins (found by the assessor)")
    services.update_item(team.coordinator, item, approval_authority=team.approver2, supporting_owner=team.owner2)
    services.update_item(team.owner2, item, resources="2 days of the network engineer")  # now a supporting owner
    item.refresh_from_db()
    assert (item.approval_authority, item.supporting_owner) == (team.approver2, team.owner2)
    assert item.version == 4


def test_unexplained_slip_of_the_scheduled_completion_is_refused(team, item):
    original = item.scheduled_completion
    later = original + timedelta(days=30)
    with pytest.raises(WorkflowError, match="is a slip and needs a reason"):
        services.change_due_date(team.owner, item, later)
    with pytest.raises(WorkflowError, match="needs a reason"):
        services.update_item(team.owner, item, scheduled_completion=later)
    with pytest.raises(WorkflowError, match="needs a reason"):
        services.change_due_date(team.owner, item, None)
    services.change_due_date(team.owner, item, later, reason="Duo licences arrive in four weeks")
    services.change_due_date(team.owner, item, later - timedelta(days=5))  # earlier: no reason needed
    item.refresh_from_db()
    assert item.scheduled_completion == later - timedelta(days=5)
    assert item.original_scheduled_completion == original  # the original stays visible
    slip = AuditEvent.objects.get(subject=item.identifier, action="change_due_date", reason__startswith="Duo")
    assert slip.before == {"scheduled_completion": original.isoformat(), "version": 1}
    assert slip.actor_name == "acme-owner"


def test_milestones_slip_only_with_a_reason_and_keep_their_original_due(team, item):
    due = date.today() + timedelta(days=14)
    milestone = services.add_milestone(team.owner, item, "Enroll all VPN users in Duo", due)
    with pytest.raises(WorkflowError, match="is a slip and needs a reason"):
        services.slip_milestone(team.owner, milestone, due + timedelta(days=7))
    services.slip_milestone(team.owner, milestone, due + timedelta(days=7), reason="Plant shutdown week")
    services.slip_milestone(team.owner, milestone, due + timedelta(days=3))  # pulled in again: no reason
    services.complete_milestone(team.owner, milestone)
    stored = Milestone.objects.get(pk=milestone.pk)
    assert (stored.original_due, stored.due, stored.done_on) == (due, due + timedelta(days=3), date.today())
    slips = AuditEvent.objects.filter(subject=item.identifier, action="slip_milestone")
    assert [(e.reason, e.before["due"], e.after["due"]) for e in slips] == [
        ("Plant shutdown week", due.isoformat(), (due + timedelta(days=7)).isoformat())]
    with pytest.raises(WorkflowError, match="already done"):
        services.complete_milestone(team.owner, milestone)
    with pytest.raises(WorkflowError, match="future"):
        services.complete_milestone(team.owner, services.add_milestone(team.owner, item, "Later"),
                                    date.today() + timedelta(days=1))
    with pytest.raises(PermissionDenied):
        services.add_milestone(team.viewer, item, "viewer cannot")


def test_create_item_with_milestones_in_one_transaction(team):
    item = make_item(team, milestones=["Buy licences", ("Enroll users", date.today() + timedelta(days=20))])
    assert [(m.description, m.position) for m in item.milestones.all()] == [("Buy licences", 0),
                                                                           ("Enroll users", 1)]


def test_a_milestone_is_one_line(team, item):
    """Workbooks and the FedRAMP template write a milestone per line: a line break inside one would come back
    from them as two milestones, or joined with a space."""
    milestone = services.add_milestone(team.owner, item, "  Pilot on\nthe  enclave laptops\t")
    assert milestone.description == "Pilot on the enclave laptops"


def test_evidence_file_is_hashed_and_stored_once(team, item, evidence_root):
    content = b"user,enrolled\n" + b"marcus,yes\n" * 100_000
    first = services.add_evidence(team.owner, item, name="enrollment.csv", content=io.BytesIO(content))
    again = services.add_evidence(team.coordinator, item, name="enrollment copy.csv", content=content)
    assert first.sha256 == again.sha256 == hashlib.sha256(content).hexdigest()
    assert first.size == len(content)
    assert first.file.name == again.file.name
    stored = list(evidence_root.rglob("*"))
    assert [p.read_bytes() for p in stored if p.is_file()] == [content]
    reference = services.add_evidence(team.owner, item, name="Duo admin report",
                                      reference="https://admin-123.duosecurity.com/reports/enrollment")
    assert reference.sha256 == "" and reference.size is None
    with pytest.raises(InvalidChange, match="either a file or a reference"):
        services.add_evidence(team.owner, item, name="nothing")
    with pytest.raises(PermissionDenied):
        services.add_evidence(team.viewer, item, name="x", reference="y")
    with pytest.raises(PermissionDenied):
        services.add_evidence(team.approver, item, name="x", reference="y")


def test_evidence_custodian_may_add_evidence(team):
    item = make_item(team, evidence_custodian=team.owner2)
    services.add_evidence(team.owner2, item, name="scan.pdf", content=b"%PDF")
    assert item.evidence.count() == 1


def test_new_item_cannot_start_past_open(team):
    with pytest.raises(WorkflowError, match="starts as draft or open"):
        make_item(team, status=Status.CLOSED)


def test_unknown_fields_are_refused(team, item):
    with pytest.raises(InvalidChange, match="status"):
        services.update_item(team.coordinator, item, status="closed")
    with pytest.raises(InvalidChange, match="colour"):
        make_item(team, colour="red")
