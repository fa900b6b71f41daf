"""Personal API tokens: made and revoked on the web, shown once, stored hashed, scoped to organizations and to
reading or writing, with an expiry; a token never opens more than its person may, and every use is logged."""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import timedelta

import pytest
from django.test import Client

from punchlist.api import services
from punchlist.api.models import ApiToken
from punchlist.orgs import services as org_services
from punchlist.orgs.models import Membership
from punchlist.web.accounts import activate_totp

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    activate_totp(user)
    client.force_login(user)
    return client


def items_url(team, identifier=""):
    return f"/api/v1/organizations/{team.org.slug}/items" + (f"/{identifier}" if identifier else "")


def test_a_person_makes_a_token_on_the_web_and_sees_its_secret_once(team, rival, api, join):
    join(rival, team.coordinator, "viewer")
    web = signed_in(team.coordinator)
    page = web.get("/account/tokens/")
    assert page.status_code == 200
    assert "Acme Machining" in page.text and "Rival Fabrication" in page.text  # the organizations they are in
    made = web.post("/account/tokens/", {"name": "ticketing sync", "organizations": [team.org.pk],
                                         "access": "write", "days": 30})
    assert made.status_code == 200
    secret = re.search(r'<code class="token-secret">(pl_[A-Za-z0-9_-]+)</code>', made.text).group(1)
    token = ApiToken.objects.get(user=team.coordinator)
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest() and secret not in token.digest
    assert secret.startswith(token.prefix) and token.can_write
    assert list(token.organizations.all()) == [team.org]
    again = web.get("/account/tokens/")
    assert secret not in again.text and token.prefix in again.text  # shown once; the prefix tells it apart
    assert api.get(secret, items_url(team)).status_code == 200
    assert api.get(secret, f"/api/v1/organizations/{rival.org.slug}/items").status_code == 404  # not opened


def test_a_token_cannot_open_an_organization_its_person_is_not_in(team, rival):
    web = signed_in(team.coordinator)
    refused = web.post("/account/tokens/", {"name": "x", "organizations": [rival.org.pk], "access": "read",
                                            "days": 30})
    assert refused.status_code == 400 and not ApiToken.objects.exists()
    with pytest.raises(services.TokenError, match="not a member of Rival Fabrication"):
        services.create_token(team.coordinator, name="x", organizations=[rival.org], can_write=False, days=30)


def test_a_revoked_token_stops_working_and_only_its_person_revokes_it(team, token, api):
    secret = token(team.coordinator, team.org)
    made = ApiToken.objects.get(user=team.coordinator)
    assert signed_in(team.admin).post(f"/account/tokens/{made.pk}/revoke/").status_code == 404  # not theirs
    assert api.get(secret, items_url(team)).status_code == 200
    revoked = signed_in(team.coordinator).post(f"/account/tokens/{made.pk}/revoke/")
    assert revoked.status_code == 302
    answer = api.get(secret, items_url(team))
    assert answer.status_code == 401 and answer.json()["code"] == "unauthenticated"


def test_an_expired_token_is_refused(team, token, api, clock):
    secret = token(team.coordinator, team.org, days=1)
    assert api.get(secret, items_url(team)).status_code == 200
    clock.shift(timedelta(days=1, minutes=1))
    answer = api.get(secret, items_url(team))
    assert answer.status_code == 401 and answer.json()["code"] == "unauthenticated"


def test_unknown_and_missing_tokens_are_refused_as_json(team, token, api):
    secret = token(team.coordinator, team.org)
    for sent in (None, "pl_nothing", secret[:-1] + ("A" if secret[-1] != "A" else "B"), "not-a-token"):
        answer = api.get(sent, items_url(team))
        assert answer.status_code == 401, sent
        assert answer["Content-Type"].startswith("application/json") and answer.json()["code"] == "unauthenticated"


def test_a_read_only_token_cannot_write_whatever_its_persons_role(team, item, token, api):
    secret = token(team.coordinator, team.org)  # a coordinator may edit; this token may not
    answer = api.patch(secret, items_url(team, item.identifier), {"title": "New title"},
                       headers={"If-Match": f'"{item.version}"'})
    assert answer.status_code == 403 and answer.json()["code"] == "permission_denied"
    assert "read only" in answer.json()["message"]
    item.refresh_from_db()
    assert item.title != "New title"


def test_a_token_never_has_more_rights_than_its_person(team, item, token, api):
    secret = token(team.viewer, team.org, write=True)  # a write token of a viewer: the role decides
    answer = api.patch(secret, items_url(team, item.identifier), {"title": "New title"},
                       headers={"If-Match": f'"{item.version}"'})
    assert answer.status_code == 403 and answer.json()["code"] == "permission_denied"
    assert "Viewer" in answer.json()["message"]


def test_losing_a_membership_disables_the_token_for_that_organization(team, rival, item, token, api, join):
    join(rival, team.viewer, "viewer")
    secret = token(team.viewer, team.org, rival.org)
    assert api.get(secret, items_url(team)).status_code == 200
    org_services.remove_member(team.admin, Membership.objects.get(organization=team.org, user=team.viewer))
    answer = api.get(secret, items_url(team, item.identifier))
    assert answer.status_code == 404 and answer.json()["code"] == "not_found"
    assert [o["slug"] for o in api.get(secret, "/api/v1/organizations").json()] == [rival.org.slug]
    assert api.get(secret, f"/api/v1/organizations/{rival.org.slug}/items").status_code == 200
    page = signed_in(team.viewer).get("/account/tokens/").text  # the person sees why
    assert "Acme Machining <span class=\"badge\">no longer a member</span>" in page


def test_another_organizations_records_are_not_found(team, rival, item, token, api):
    from punchlist.testing import make_item

    theirs = make_item(rival, title="Rival's own item")
    secret = token(team.coordinator, team.org, write=True)
    for path in (f"/api/v1/organizations/{rival.org.slug}", f"/api/v1/organizations/{rival.org.slug}/items",
                 f"/api/v1/organizations/{rival.org.slug}/items/{theirs.identifier}"):
        answer = api.get(secret, path)
        assert answer.status_code == 404 and answer.json()["code"] == "not_found", path
    # The same identifier in the caller's own organization is the caller's item, never the rival's.
    own = api.get(secret, items_url(team, theirs.identifier))
    assert own.status_code == 404 or own.json()["title"] != "Rival's own item"


def test_every_use_of_a_token_is_in_the_security_log(team, token, api, caplog):
    secret = token(team.coordinator, team.org)
    prefix = ApiToken.objects.get().prefix
    with caplog.at_level(logging.INFO, logger="punchlist.security"):
        api.get(secret, items_url(team))
        api.get(secret, "/api/v1/organizations")
        api.get("pl_wrongwrongwrong", "/api/v1/organizations")
    lines = [r.getMessage() for r in caplog.records if r.name == "punchlist.security"]
    used = [line for line in lines if line.startswith("api token used")]
    assert len(used) == 2 and all(prefix in line and "acme-coordinator" in line for line in used)
    assert any(line.startswith("api token refused, unknown") for line in lines)
    assert not any(secret in line for line in lines)  # the secret itself is never logged
