"""Every editable record refuses a save made from a stale copy and says who changed what, as items do:
evidence (its description and its links), milestones (ticks and slips), assessments (their fields and the
Conditional date), determinations and memberships. Two people open the same record; the second save is
refused and nothing of it is written."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from punchlist.orgs import services as orgs
from punchlist.orgs.models import Membership, Role
from punchlist.register import services
from punchlist.register.models import Assessment, Evidence, Milestone, ObjectiveStatus, RequirementStatus
from punchlist.register.services import ConflictError
from punchlist.register.services import evidence as vault
from punchlist.testing import make_item

DAY = date(2026, 6, 1)


def test_a_stale_rename_of_evidence_is_refused_naming_the_new_name(team, item):
    piece = vault.add_evidence(team.owner, item, name="gpo-report", reference="\\\\fs01\\gpo")
    mine, theirs = Evidence.objects.get(pk=piece.pk), Evidence.objects.get(pk=piece.pk)
    vault.update_evidence(team.owner, theirs, name="GPO lockout report, June")
    with pytest.raises(ConflictError) as refused:
        vault.update_evidence(team.coordinator, mine, description="Exported from the DC")
    conflict = refused.value
    assert conflict.changes == {"name": "GPO lockout report, June"}
    assert conflict.by == [team.owner.username]
    assert (conflict.expected_version, conflict.current_version) == (1, 2)
    assert "evidence “GPO lockout report, June”" in str(conflict)
    assert Evidence.objects.get(pk=piece.pk).description == ""  # nothing of the stale save was written


def test_stale_links_of_evidence_are_refused_and_do_not_undo_the_others(team, item):
    other = make_item(team, title="Screen lock after 15 minutes", requirements=["3.1.10"])
    piece = vault.add_evidence(team.owner, item, name="gpo-report", reference="\\\\fs01\\gpo")
    mine, theirs = Evidence.objects.get(pk=piece.pk), Evidence.objects.get(pk=piece.pk)
    vault.link_evidence(team.owner, theirs, items=[other])
    with pytest.raises(ConflictError) as refused:
        vault.link_evidence(team.coordinator, mine, items=[], requirements=["3.1.8"])
    assert refused.value.changes == {"linked_items": [other.identifier]}
    assert list(Evidence.objects.get(pk=piece.pk).linked_items.all()) == [other]
    # A version read from a form is checked the same way.
    with pytest.raises(ConflictError):
        vault.update_evidence(team.owner, Evidence.objects.get(pk=piece.pk), name="x", version=1)


def test_a_stale_milestone_slip_is_refused(team, item):
    milestone = services.add_milestone(team.owner, item, "Pilot on the finance OU", DAY)
    mine, theirs = Milestone.objects.get(pk=milestone.pk), Milestone.objects.get(pk=milestone.pk)
    services.slip_milestone(team.owner, theirs, DAY + timedelta(days=14), reason="finance closed this week")
    with pytest.raises(ConflictError) as refused:
        services.slip_milestone(team.coordinator, mine, DAY + timedelta(days=7), reason="vendor late")
    assert refused.value.changes == {"due": (DAY + timedelta(days=14)).isoformat()}
    assert "the milestone “Pilot on the finance OU”" in str(refused.value)
    assert Milestone.objects.get(pk=milestone.pk).due == DAY + timedelta(days=14)
    with pytest.raises(ConflictError, match="Due is now|due is now"):
        services.complete_milestone(team.owner, mine, DAY - timedelta(days=1))
    assert Milestone.objects.get(pk=milestone.pk).done_on is None


def test_a_stale_determination_is_refused_and_a_first_one_too(team):
    assessment = services.create_assessment(team.coordinator, team.org, assessed_on=DAY)
    # Both saw 3.1.1 without a determination (version 0): the first one recorded wins, the second is told.
    services.set_requirement_status(team.coordinator, assessment, "3.1.1", "met", version=0)
    with pytest.raises(ConflictError) as refused:
        services.set_requirement_status(team.admin, assessment, "3.1.1", "not_met", version=0)
    assert refused.value.changes == {"determination": "met", "partial": False, "implementation": ""}
    assert refused.value.by == [team.coordinator.username]
    assert "the determination of 3.1.1" in str(refused.value)
    status = RequirementStatus.objects.get(assessment=assessment, requirement="3.1.1")
    assert (status.determination, status.version) == ("met", 1)
    services.set_requirement_status(team.admin, assessment, "3.1.1", "not_met", version=1)
    with pytest.raises(ConflictError, match="determination is now 'not_met'"):
        services.set_requirement_status(team.coordinator, assessment, "3.1.1", "met", implementation="x",
                                        version=1)
    assert RequirementStatus.objects.get(pk=status.pk).determination == "not_met"


def test_a_stale_objective_determination_is_refused_and_a_first_one_too(team):
    assessment = services.create_assessment(team.coordinator, team.org, assessed_on=DAY)
    # Both saw 3.4.9[b] without a determination (version 0): the first one recorded wins, the second is told.
    services.set_objective_status(team.coordinator, assessment, "3.4.9[b]", "met", version=0)
    with pytest.raises(ConflictError) as refused:
        services.set_objective_status(team.admin, assessment, "3.4.9[b]", "not_met", version=0)
    assert refused.value.changes == {"determination": "met"}
    assert refused.value.by == [team.coordinator.username]
    assert "the determination of 3.4.9[b]" in str(refused.value)
    row = ObjectiveStatus.objects.get(assessment=assessment, objective="3.4.9[b]")
    assert (row.determination, row.version) == ("met", 1)
    # Nothing of the refused save was written: the requirement did not follow a NOT MET that never was.
    assert not RequirementStatus.objects.filter(assessment=assessment, requirement="3.4.9").exists()
    services.set_objective_status(team.admin, assessment, "3.4.9[b]", "not_met", version=1)
    with pytest.raises(ConflictError, match="determination is now 'not_met'"):
        services.set_objective_status(team.coordinator, assessment, "3.4.9[b]", "met", version=1)
    row.refresh_from_db()
    assert (row.determination, row.version) == ("not_met", 2)
    assert RequirementStatus.objects.get(assessment=assessment, requirement="3.4.9").determination == "not_met"
    # Without a version (a script that read nothing), the save goes through over whatever is there.
    services.set_objective_status(team.coordinator, assessment, "3.4.9[b]", "met")
    assert ObjectiveStatus.objects.get(pk=row.pk).version == 3


def test_a_stale_assessment_edit_is_refused(team):
    assessment = services.create_assessment(team.coordinator, team.org, assessed_on=DAY)
    mine, theirs = Assessment.objects.get(pk=assessment.pk), Assessment.objects.get(pk=assessment.pk)
    services.update_assessment(team.coordinator, theirs, title="Annual self-assessment")
    with pytest.raises(ConflictError, match="title is now 'Annual self-assessment'"):
        services.update_assessment(team.admin, mine, assessed_on=DAY + timedelta(days=1))
    with pytest.raises(ConflictError):
        services.set_conditional_date(team.admin, mine, DAY)
    stored = Assessment.objects.get(pk=assessment.pk)
    assert (stored.assessed_on, stored.conditional_status_date) == (DAY, None)


def test_a_stale_role_change_or_removal_is_refused(team):
    target = Membership.objects.get(organization=team.org, user=team.owner2)
    mine, theirs = Membership.objects.get(pk=target.pk), Membership.objects.get(pk=target.pk)
    orgs.change_role(team.admin, theirs, Role.VIEWER, reason="moved to sales")
    with pytest.raises(orgs.MembershipConflict, match="role is now 'viewer'"):
        orgs.change_role(team.admin, mine, Role.COORDINATOR)
    with pytest.raises(orgs.MembershipConflict):
        orgs.remove_member(team.admin, mine, reason="left")
    assert Membership.objects.get(pk=target.pk).role == Role.VIEWER
