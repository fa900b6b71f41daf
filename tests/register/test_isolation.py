"""Tenant isolation: nothing of organization A is reachable from B, through the querysets or the services."""

from datetime import date

import pytest

from punchlist.audit.models import AuditEvent
from punchlist.register import services
from punchlist.register.models import Assessment, Evidence, ItemRequirement, Milestone, PoamItem, Status
from punchlist.register.services import InvalidChange, PermissionDenied
from punchlist.testing import make_item


@pytest.fixture
def acme_data(team, item):
    services.add_milestone(team.owner, item, "Enroll all VPN users", date.today())
    services.add_evidence(team.owner, item, name="enrollment.csv", content=b"x")
    assessment = services.create_assessment(team.coordinator, team.org, assessed_on=date.today())
    services.set_requirement_status(team.coordinator, assessment, "3.1.1", "not_met")
    return item


def test_querysets_scope_every_model_to_the_users_organizations(team, rival, acme_data):
    make_item(rival, title="Rival's own item")
    for model in (PoamItem, Milestone, Evidence, ItemRequirement, Assessment):
        mine = model.objects.restrict(team.owner)
        theirs = model.objects.restrict(rival.owner)
        assert mine.exists(), model
        assert not (set(mine.values_list("pk", flat=True)) & set(theirs.values_list("pk", flat=True))), model
    assert not PoamItem.objects.restrict(rival.admin).filter(pk=acme_data.pk).exists()
    assert not PoamItem.objects.for_organization(rival.org).filter(pk=acme_data.pk).exists()
    assert list(PoamItem.objects.restrict(rival.viewer).values_list("title", flat=True)) == ["Rival's own item"]
    assert not AuditEvent.objects.restrict(rival.admin).filter(organization=team.org).exists()
    assert not PoamItem.objects.for_organization(None).exists()


def test_a_user_of_several_organizations_sees_each_and_can_narrow_to_one(team, rival, acme_data):
    from punchlist.orgs import services as org_services

    org_services.accept_invitation(  # an MSP's consultant, invited into the rival organization, accepts
        team.coordinator, org_services.invite_member(rival.admin, rival.org, team.coordinator.username, "viewer"))
    make_item(rival, title="Rival's own item")
    both = PoamItem.objects.restrict(team.coordinator)
    assert both.count() == 2
    assert list(PoamItem.objects.restrict(team.coordinator, rival.org).values_list("title", flat=True)) == [
        "Rival's own item"]


def test_services_refuse_actors_of_another_organization(team, rival, acme_data):
    item = acme_data
    with pytest.raises(PermissionDenied, match="not a member"):
        services.update_item(rival.admin, item, title="pwned")
    with pytest.raises(PermissionDenied):
        services.change_status(rival.owner, item, Status.IN_PROGRESS)
    with pytest.raises(PermissionDenied):
        services.add_evidence(rival.owner, item, name="x", reference="y")
    with pytest.raises(PermissionDenied):
        services.add_milestone(rival.coordinator, item, "x")
    with pytest.raises(PermissionDenied):
        services.create_item(rival.coordinator, team.org, requirements=["3.1.1"], title="planted")
    with pytest.raises(PermissionDenied):
        services.create_assessment(rival.admin, team.org, assessed_on=date.today())
    item.refresh_from_db()
    assert item.title != "pwned" and item.status == Status.OPEN


def test_people_and_assessments_of_another_organization_cannot_be_attached(team, rival, item):
    with pytest.raises(InvalidChange, match="not a member of Acme Machining"):
        services.update_item(team.coordinator, item, primary_owner=rival.owner)
    with pytest.raises(InvalidChange, match="not a member"):
        make_item(team, approval_authority=rival.approver)
    theirs = services.create_assessment(rival.coordinator, rival.org, assessed_on=date.today())
    with pytest.raises(InvalidChange, match="another organization"):
        services.update_item(team.coordinator, item, assessment=theirs)
    with pytest.raises(InvalidChange, match="another organization"):
        make_item(team, assessment=theirs)


def test_identifiers_are_numbered_per_organization(team, rival, item):
    theirs = make_item(rival)
    assert item.identifier == theirs.identifier == "POAM-AC-001"


def test_a_stale_write_by_an_outsider_learns_nothing_of_the_item(team, rival, item):
    stale = type(item).objects.get(pk=item.pk)
    services.update_item(team.owner, item, remediation="secret plan")
    with pytest.raises(PermissionDenied) as refused:
        services.update_item(rival.admin, stale, title="x")
    assert "secret plan" not in str(refused.value)
