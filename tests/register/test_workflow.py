"""The closure workflow: draft -> open -> in progress -> ready for verification -> closed; reopen."""

from datetime import date, timedelta

import pytest

from punchlist.audit.models import AuditEvent
from punchlist.register import services
from punchlist.register.models import Kind, Status
from punchlist.register.services import PermissionDenied, WorkflowError
from punchlist.testing import make_item


def _ready(team, item):
    services.change_status(team.owner, item, Status.IN_PROGRESS)
    services.add_evidence(team.owner, item, name="duo-enrollment.csv", content=b"user,enrolled\nmarcus,yes\n")
    services.request_closure(team.owner, item, note="All 42 VPN users enrolled in Duo")
    return item


def test_full_path_to_closed_keeps_who_when_and_why(team, item):
    services.change_status(team.owner, item, Status.IN_PROGRESS)
    evidence = services.add_evidence(team.owner, item, name="duo-enrollment.csv", content=b"a,b\n1,2\n")
    services.request_closure(team.owner, item, note="all users enrolled")
    services.approve_closure(team.approver, item, note="checked the enrollment report against AD")

    item.refresh_from_db()
    assert item.status == Status.CLOSED
    assert item.completion_date == date.today()
    assert item.verified_by == team.approver
    assert len(evidence.sha256) == 64 and evidence.size == 8
    actions = list(AuditEvent.objects.for_item(item).values_list("action", "actor_name", "reason"))
    assert actions == [
        ("create_item", "acme-coordinator", ""),
        ("change_status", "acme-owner", ""),
        ("add_evidence", "acme-owner", ""),
        ("request_closure", "acme-owner", "all users enrolled"),
        ("approve_closure", "acme-approver", "checked the enrollment report against AD"),
    ]
    closing = AuditEvent.objects.get(subject=item.identifier, action="approve_closure")
    assert closing.before["status"] == "ready_for_verification"
    assert closing.after["status"] == "closed"


def test_self_approval_is_refused_even_for_the_approval_authority_role(team):
    # The approver owns this item and is also named its approval authority by a careless import: refused at
    # assignment already (the authority may not be the primary owner) ...
    with pytest.raises(services.InvalidChange, match="may not be the item's primary owner"):
        make_item(team, primary_owner=team.approver, approval_authority=team.approver)
    # ... and at approval time, when the owner tries to approve their own item.
    item = make_item(team, primary_owner=team.approver2, approval_authority=team.approver)
    services.change_status(team.approver2, item, Status.IN_PROGRESS)
    services.add_evidence(team.approver2, item, name="report.pdf", content=b"%PDF-1.7")
    services.request_closure(team.approver2, item)
    with pytest.raises(PermissionDenied, match="primary owner .* may not approve"):
        services.approve_closure(team.approver2, item)
    item.refresh_from_db()
    assert item.status == Status.READY_FOR_VERIFICATION


def test_only_the_items_approval_authority_approves(team, item):
    _ready(team, item)
    for someone in (team.approver2, team.admin, team.coordinator, team.owner2, team.viewer):
        with pytest.raises(PermissionDenied):
            services.approve_closure(someone, item)
    services.approve_closure(team.approver, item)
    assert item.status == Status.CLOSED


def test_closure_without_evidence_is_refused(team, item):
    services.change_status(team.owner, item, Status.IN_PROGRESS)
    with pytest.raises(WorkflowError, match="no evidence"):
        services.request_closure(team.owner, item)
    with pytest.raises(WorkflowError, match="no evidence"):
        services.change_status(team.owner, item, Status.READY_FOR_VERIFICATION)
    item.refresh_from_db()
    assert item.status == Status.IN_PROGRESS


def test_closure_skipping_verification_is_refused(team, item):
    services.add_evidence(team.owner, item, name="ticket", reference="https://jira.example.com/SEC-12")
    with pytest.raises(WorkflowError, match="only an item ready for verification can be closed"):
        services.approve_closure(team.approver, item)


def test_status_moved_back_needs_a_reason(team, item):
    services.change_status(team.owner, item, Status.IN_PROGRESS)
    with pytest.raises(WorkflowError, match="needs a reason"):
        services.change_status(team.owner, item, Status.OPEN)
    services.change_status(team.owner, item, Status.OPEN, reason="Vendor contract not signed yet")
    assert item.status == Status.OPEN
    event = AuditEvent.objects.filter(subject=item.identifier).order_by("-seq").first()
    assert event.reason == "Vendor contract not signed yet"
    assert (event.before["status"], event.after["status"]) == ("in_progress", "open")


def test_rejected_closure_and_reopen_need_reasons(team, item):
    _ready(team, item)
    with pytest.raises(WorkflowError, match="needs a reason"):
        services.reject_closure(team.approver, item, reason=" ")
    services.reject_closure(team.approver, item, reason="The report lists 40 users, AD has 42")
    assert item.status == Status.IN_PROGRESS
    services.request_closure(team.owner, item, note="the last two enrolled")
    services.approve_closure(team.approver, item)
    with pytest.raises(WorkflowError, match="needs a reason"):
        services.reopen_item(team.approver, item, reason="")
    with pytest.raises(PermissionDenied):
        services.reopen_item(team.owner, item, reason="I want to change it")
    services.reopen_item(team.approver, item, reason="Quarterly validation: MFA bypass group found")
    item.refresh_from_db()
    assert item.status == Status.IN_PROGRESS
    assert item.completion_date is None and item.verified_by is None


def test_a_draft_cannot_jump_to_closed_and_nothing_goes_back_to_draft(team):
    item = make_item(team, status=Status.DRAFT)
    with pytest.raises(WorkflowError, match="only an item ready for verification"):
        services.change_status(team.approver, item, Status.CLOSED)
    services.change_status(team.owner, item, Status.OPEN)
    with pytest.raises(WorkflowError, match="cannot move from open to draft"):
        services.change_status(team.owner, item, Status.DRAFT, reason="oops")


def test_assessment_poam_item_cannot_be_risk_accepted(team, item):
    # R-FIND-5 / R-CLOSE-1: an assessment POA&M item is NOT MET until fixed and runs on the closeout clock.
    with pytest.raises(WorkflowError, match="cannot be risk accepted.*R-FIND-5.*R-CLOSE-1"):
        services.accept_risk(team.approver, item, reason="too expensive")
    with pytest.raises(WorkflowError, match="cannot be risk accepted"):
        services.change_status(team.approver, item, Status.RISK_ACCEPTED, reason="too expensive")
    item.refresh_from_db()
    assert item.status == Status.OPEN


def test_operational_plan_item_can_be_risk_accepted_with_a_reason_by_its_authority(team):
    item = make_item(team, kind=Kind.OPERATIONAL_PLAN, title="FIPS mode lost after the March firmware patch")
    with pytest.raises(WorkflowError, match="needs a reason"):
        services.accept_risk(team.approver, item, reason="")
    with pytest.raises(PermissionDenied):
        services.accept_risk(team.owner, item, reason="fine by me")
    services.accept_risk(team.approver, item, reason="Vendor fix due next quarter; module isolated on VLAN 40")
    assert item.status == Status.RISK_ACCEPTED


def test_closeout_limit_on_scheduled_completion_under_a_conditional_status(team):
    # R-CLOSE-1: under a Conditional status date, an assessment POA&M item is done within 180 days.
    conditional = date.today() - timedelta(days=30)
    assessment = services.create_assessment(team.coordinator, team.org, assessed_on=conditional,
                                            conditional_status_date=conditional, is_the_assessment_poam=True)
    deadline = conditional + timedelta(days=180)
    item = make_item(team, assessment=assessment, scheduled_in_days=None)
    services.change_due_date(team.owner, item, deadline)
    with pytest.raises(WorkflowError, match=f"R-CLOSE-1.*closeout deadline {deadline.isoformat()}"):
        services.change_due_date(team.owner, item, deadline + timedelta(days=1), reason="vendor is late")
    with pytest.raises(WorkflowError, match="R-CLOSE-1"):
        make_item(team, scheduled_in_days=200)  # governed by the organization's assessment POA&M
    with pytest.raises(WorkflowError, match="R-CLOSE-1"):
        services.add_milestone(team.owner, item, "Roll out to the plant floor", deadline + timedelta(days=10))
    # R-CLOSE-4: an operational plan of action has no remediation clock.
    plan = make_item(team, kind=Kind.OPERATIONAL_PLAN, scheduled_in_days=400)
    assert plan.scheduled_completion == date.today() + timedelta(days=400)


def test_conditional_date_refused_while_items_are_scheduled_past_its_closeout(team):
    assessment = services.create_assessment(team.coordinator, team.org, assessed_on=date.today(),
                                            is_the_assessment_poam=True)
    late = make_item(team, scheduled_in_days=300)
    with pytest.raises(WorkflowError, match=f"R-CLOSE-1: 1 open assessment POA&M item.*{late.identifier}"):
        services.set_conditional_date(team.coordinator, assessment, date.today())
    services.change_due_date(team.owner, late, date.today() + timedelta(days=150))
    services.set_conditional_date(team.coordinator, assessment, date.today())
    assessment.refresh_from_db()
    assert assessment.conditional_status_date == date.today()
