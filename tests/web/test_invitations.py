"""Someone who belongs to another organization is invited, never pulled in: they see the invitation after
signing in and accept or decline it; until they accept they are not a member, hold no role and owe the
organization nothing (no second factor). Nothing the People page answers says whether a username exists.
Every step is an audit event written by the services."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client

from punchlist.audit.models import AuditEvent
from punchlist.orgs import services as org_services
from punchlist.orgs.models import Invitation, Membership, Role
from punchlist.orgs.services import OrganizationError
from punchlist.testing import PASSWORD
from punchlist.web.accounts import requires_mfa

pytestmark = pytest.mark.django_db


def people(team, name="people", *args):
    from django.urls import reverse

    return reverse(f"web:{name}", args=[team.org.slug, *args])


def invite(admin, team, username, role="approver"):
    return admin.post(people(team, "people_add_existing"), {"existing-username": username, "existing-role": role},
                      follow=True)


def visible(response) -> str:
    text = html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
    return re.sub(r"\s+", " ", text)


def test_an_account_of_another_organization_is_invited_and_is_no_member_until_it_accepts(team, rival, login_as,
                                                                                          settings):
    settings.PUNCHLIST_REQUIRE_MFA = "privileged"  # so that the role's obligations are the role's alone
    admin = login_as(team.admin)
    invite(admin, team, rival.viewer.username, role="approver")
    assert not Membership.objects.filter(organization=team.org, user=rival.viewer).exists()
    assert not requires_mfa(rival.viewer)  # an approver's second factor is not owed before accepting
    outsider = login_as(rival.viewer)
    assert outsider.get(f"/o/{team.org.slug}/").status_code == 404
    assert outsider.get(f"/o/{rival.org.slug}/").status_code == 302  # their own organization, unchanged


def test_the_answer_is_the_same_for_a_username_nobody_has(team, rival, login_as):
    admin = login_as(team.admin)
    known = visible(invite(admin, team, rival.coordinator.username, role="owner"))
    unknown = visible(invite(admin, team, "nobody-signs-in-as-this", role="owner"))
    assert "Invited" in known and "Not invited" not in known
    assert "Invited nobody-signs-in-as-this as item owner" in unknown
    # Both wait in the same list, drawn the same way; nothing on the page tells them apart.
    page = admin.get(people(team)).content.decode()
    rows = re.findall(r'<li id="invitation-\d+"><code>([^<]+)</code>(.*?)</li>', page, re.S)
    drawn = {name: re.sub(r"/invitations/\d+/", "/invitations/N/", rest) for name, rest in rows}
    assert set(drawn) == {rival.coordinator.username, "nobody-signs-in-as-this"}
    assert drawn[rival.coordinator.username] == drawn["nobody-signs-in-as-this"]
    # A second try says the same for both, too.
    again_known = visible(invite(admin, team, rival.coordinator.username.upper(), role="owner"))
    again_unknown = visible(invite(admin, team, "NOBODY-SIGNS-IN-AS-THIS", role="owner"))
    assert "is invited already" in again_known and "is invited already" in again_unknown
    # And the audit trail records both alike.
    events = AuditEvent.objects.filter(organization=team.org, action="invite_member").order_by("seq")
    assert [event.after for event in events] == [{"username": rival.coordinator.username, "role": "owner"},
                                                 {"username": "nobody-signs-in-as-this", "role": "owner"}]


def test_the_same_message_for_known_and_unknown_usernames(team, rival, login_as):
    admin = login_as(team.admin)

    def message(username):
        response = invite(admin, team, username, role="viewer")
        return re.search(r'<ul class="messages"[^>]*>(.*?)</ul>', response.content.decode(), re.S)[1]

    known, unknown = message(rival.admin.username), message("made-up-name")
    assert known.replace(rival.admin.username, "NAME") == unknown.replace("made-up-name", "NAME")


def test_the_invited_person_sees_it_after_signing_in_and_accepts(team, rival, totp):
    invitation = org_services.invite_member(team.admin, team.org, rival.viewer.username, "owner")
    secret = totp(rival.viewer)
    client = Client()
    client.post("/accounts/login/", {"login": rival.viewer.username, "password": PASSWORD})
    from punchlist.testing import totp_code

    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert response["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200  # not sent straight on to their one organization: an answer is waiting
    page = visible(home)
    assert f"{team.org.name} invites you as item owner" in page
    response = client.post(f"/invitations/{invitation.pk}/accept/")
    assert response["Location"] == f"/o/{team.org.slug}/"
    assert Membership.objects.get(organization=team.org, user=rival.viewer).role == Role.OWNER
    assert not Invitation.objects.filter(pk=invitation.pk).exists()
    assert client.get(f"/o/{team.org.slug}/").status_code == 302  # a member now
    actions = list(AuditEvent.objects.filter(organization=team.org).order_by("seq")
                   .values_list("action", "actor_name"))[-3:]
    assert actions == [("invite_member", team.admin.username), ("accept_invitation", rival.viewer.username),
                       ("add_member", rival.viewer.username)]


def test_declining_leaves_no_membership(team, rival, login_as):
    invitation = org_services.invite_member(team.admin, team.org, rival.owner.username, "approver")
    client = login_as(rival.owner)
    response = client.post(f"/invitations/{invitation.pk}/decline/", follow=True)
    assert "You declined the invitation to" in visible(response)
    assert not Membership.objects.filter(organization=team.org, user=rival.owner).exists()
    assert not Invitation.objects.exists()
    event = AuditEvent.objects.filter(organization=team.org).latest("seq")
    assert (event.action, event.actor_name, event.before) == (
        "decline_invitation", rival.owner.username, {"username": rival.owner.username, "role": "approver"})


def test_nobody_answers_someone_elses_invitation(team, rival, login_as):
    invitation = org_services.invite_member(team.admin, team.org, rival.owner.username, "admin")
    stranger = login_as(rival.admin)
    assert stranger.post(f"/invitations/{invitation.pk}/accept/").status_code == 404
    assert stranger.post(f"/invitations/{invitation.pk}/decline/").status_code == 404
    assert stranger.get(f"/invitations/{invitation.pk}/accept/").status_code == 405
    with pytest.raises(OrganizationError, match="not yours"):
        org_services.accept_invitation(rival.admin, invitation)
    # An invitation to a name nobody has is answered by nobody, even by someone who takes that name later.
    ghost = org_services.invite_member(team.admin, team.org, "later-person", "viewer")
    later = org_services.create_user("later-person", password=PASSWORD)
    with pytest.raises(OrganizationError, match="not yours"):
        org_services.accept_invitation(later, ghost)
    assert Invitation.objects.count() == 2 and not Membership.objects.filter(organization=team.org,
                                                                             user=later).exists()


def test_an_administrator_withdraws_an_invitation(team, rival, login_as):
    invitation = org_services.invite_member(team.admin, team.org, rival.owner.username, "viewer")
    admin = login_as(team.admin)
    response = admin.post(people(team, "people_invitation_withdraw", invitation.pk), {}, follow=True)
    assert "is withdrawn" in visible(response)
    assert not Invitation.objects.exists()
    assert AuditEvent.objects.filter(organization=team.org).latest("seq").action == "withdraw_invitation"
    invited = login_as(rival.owner)
    assert invited.post(f"/invitations/{invitation.pk}/accept/").status_code == 404


def test_the_services_refuse_to_pull_in_a_member_of_another_organization(team, rival):
    with pytest.raises(OrganizationError, match="belongs to another organization; invite them"):
        org_services.add_member(team.admin, team.org, rival.coordinator, Role.APPROVER)
    assert not Membership.objects.filter(organization=team.org, user=rival.coordinator).exists()
    with pytest.raises(Exception, match="may not manage members"):
        org_services.invite_member(team.owner, team.org, rival.coordinator.username, Role.VIEWER)
