"""Organizations, memberships and roles."""

import pytest

from punchlist.audit.chain import verify_chain
from punchlist.audit.models import AuditEvent
from punchlist.orgs import services
from punchlist.orgs.models import Membership, Role
from punchlist.orgs.permissions import PermissionDenied, role_of


def test_new_organization_has_its_first_admin_and_its_own_chain(db):
    ada = services.create_user("ada")
    org = services.create_organization(name="Acme Machining, LLC", first_admin=ada)
    assert org.slug == "acme-machining-llc"
    assert role_of(ada, org) == Role.ADMIN
    assert list(AuditEvent.objects.for_organization(org).values_list("action", flat=True)) == [
        "create_organization", "add_member"]
    assert verify_chain(org).intact
    with pytest.raises(services.OrganizationError, match="exists already"):
        services.create_organization(name="Acme Machining LLC", first_admin=ada)


def test_only_admins_manage_people_and_an_org_keeps_an_admin(team):
    newcomer = services.create_user("newcomer")
    for who in (team.coordinator, team.owner, team.approver, team.viewer):
        with pytest.raises(PermissionDenied):
            services.add_member(who, team.org, newcomer, Role.VIEWER)
    membership = services.add_member(team.admin, team.org, newcomer, Role.VIEWER)
    assert role_of(newcomer, team.org) == Role.VIEWER
    services.change_role(team.admin, membership, Role.OWNER, reason="took over the firewall items")
    assert role_of(newcomer, team.org) == Role.OWNER
    with pytest.raises(services.OrganizationError, match="already a member"):
        services.add_member(team.admin, team.org, newcomer, Role.OWNER)
    admin_membership = Membership.objects.get(organization=team.org, user=team.admin)
    with pytest.raises(services.OrganizationError, match="at least one administrator"):
        services.change_role(team.admin, admin_membership, Role.VIEWER)
    with pytest.raises(services.OrganizationError, match="role 'boss'"):
        services.change_role(team.admin, membership, "boss")


def test_a_removed_member_reaches_nothing(team, item):
    from punchlist.register.models import PoamItem

    membership = Membership.objects.get(organization=team.org, user=team.owner2)
    with pytest.raises(PermissionDenied):
        services.remove_member(team.coordinator, membership)
    services.remove_member(team.admin, membership, reason="left the company")
    assert role_of(team.owner2, team.org) is None
    assert not PoamItem.objects.restrict(team.owner2).exists()
    event = AuditEvent.objects.for_organization(team.org).order_by("-seq").first()
    assert (event.action, event.reason, event.before["username"]) == ("remove_member", "left the company",
                                                                       "acme-owner2")
    last_admin = Membership.objects.get(organization=team.org, user=team.admin)
    with pytest.raises(services.OrganizationError, match="at least one administrator"):
        services.remove_member(team.admin, last_admin)
