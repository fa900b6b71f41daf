"""A provider's portfolio through the API: the page's rows, filters and order, who reaches it, its cost in
queries whatever the number of clients, and a new client made as the New client form makes it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from punchlist.orgs import services as org_services
from punchlist.orgs.models import Invitation, Organization, Role
from punchlist.reports import portfolio
from punchlist.testing import PASSWORD
from punchlist.testing.providers import forget_figures, make_client, make_provider
from punchlist.web.views.portfolio import csv_values

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_portfolio():
    forget_figures()
    yield
    forget_figures()


@pytest.fixture
def provider(db):
    return make_provider()


def _client(provider, name, *, items: int = 0):
    return make_client(provider, name, items=items)


def _url(org, rest="/portfolio"):
    return f"/api/v1/organizations/{org.slug}{rest}"


def test_the_rows_are_the_pages_and_the_csv_files(provider, token, api):
    _client(provider, "Acme Machining", items=2)
    _client(provider, "Bolt Works")
    answer = api.get(token(provider.admin, provider.org), _url(provider.org))
    assert answer.status_code == 200
    body = answer.json()
    assert body["total"] == body["matched"] == 2 and body["next_cursor"] is None
    acme, bolt = body["clients"]
    assert (acme["name"], bolt["name"]) == ("Acme Machining", "Bolt Works")  # by name, as the page
    assert acme["verdict"] == "conditional" and acme["score"] == 109 and acme["overdue"] == 1
    assert acme["next_deadline"] == (timezone.localdate() + timedelta(days=5)).isoformat()
    assert bolt["verdict"] == "no assessment" and bolt["score"] is None and bolt["last_review"] is None
    # Field for field what the CSV file writes, from the same read function.
    rows = portfolio.portfolio(provider.org, provider.admin, as_of=timezone.localdate())
    for row, listed in zip(rows, body["clients"]):
        expected = csv_values(row)
        got = [listed[k] for k in ("name", "slug", "score", "previous_score", "trend", "verdict",
                                   "conditional_date", "closeout_deadline", "closeout_days_left", "open_items",
                                   "overdue", "stale", "due_soon", "next_deadline", "next_deadline_what",
                                   "last_review")]
        assert ["" if v is None else str(v) for v in got] == expected


def test_filters_sort_and_pages(provider, token, api):
    _client(provider, "Acme Machining", items=2)
    for name in ("Bolt Works", "Cobalt Tools", "Drill Co"):
        _client(provider, name)
    secret = token(provider.admin, provider.org)
    overdue = api.get(secret, _url(provider.org), {"attention": "overdue"}).json()
    assert [c["name"] for c in overdue["clients"]] == ["Acme Machining"] and overdue["matched"] == 1
    assert overdue["total"] == 4
    by_score = api.get(secret, _url(provider.org), {"sort": "score"}).json()["clients"]
    assert by_score[0]["name"] == "Acme Machining"  # scored first, the rest (no score) after, by name
    none = api.get(secret, _url(provider.org), {"verdict": "no assessment", "q": "co"}).json()
    assert [c["name"] for c in none["clients"]] == ["Cobalt Tools", "Drill Co"]
    first = api.get(secret, _url(provider.org), {"limit": 3}).json()
    assert len(first["clients"]) == 3 and first["next_cursor"] == "3"
    rest = api.get(secret, _url(provider.org), {"limit": 3, "cursor": first["next_cursor"]}).json()
    assert [c["name"] for c in rest["clients"]] == ["Drill Co"] and rest["next_cursor"] is None
    wrong = api.get(secret, _url(provider.org), {"sort": "size", "verdict": "great"})
    assert wrong.status_code == 400 and wrong.json()["code"] == "invalid"
    assert len(wrong.json()["problems"]) == 2


def test_staff_see_their_clients_and_a_clients_token_gets_404(provider, token, api, join):
    acme = _client(provider, "Acme Machining")
    _client(provider, "Bolt Works")
    org_services.invite_member(provider.admin, acme, provider.coordinator.username, Role.COORDINATOR)
    org_services.accept_invitation(provider.coordinator, Invitation.objects.get(organization=acme))
    staff = api.get(token(provider.coordinator, provider.org), _url(provider.org)).json()
    assert [c["name"] for c in staff["clients"]] == ["Acme Machining"] and staff["total"] == 1
    assert staff["clients"][0]["is_member"] is True
    # Someone of the client, with a token for the client: no portfolio there, and the provider is not theirs.
    client_person = org_services.create_user("acme-only", password=PASSWORD)
    org_services.add_member(provider.admin, acme, client_person, Role.ADMIN)
    secret = token(client_person, acme, write=True)
    for path in (_url(acme), _url(provider.org), _url(acme, "/clients")):
        answer = api.get(secret, path) if path.endswith("portfolio") else api.post(secret, path, {"name": "X"})
        assert answer.status_code == 404 and answer.json()["code"] == "not_found", path
    # The provider's administrator, with a token made only for a client, does not reach the portfolio.
    assert api.get(token(provider.admin, acme), _url(provider.org)).status_code == 404


def _count(api, secret, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert api.get(secret, path).status_code == 200
    return len(captured)


def test_queries_do_not_grow_with_the_clients(provider, token, api):
    for name in ("A", "B"):
        _client(provider, f"Client {name}", items=2)
    secret = token(provider.admin, provider.org)
    path = _url(provider.org)
    api.get(secret, _url(provider.org, ""))  # the token's first use is recorded once, not per request
    cold_two, warm_two = _count(api, secret, path), _count(api, secret, path)
    for name in ("C", "D", "E"):
        _client(provider, f"Client {name}", items=2)
    portfolio.forget()
    cold_five, warm_five = _count(api, secret, path), _count(api, secret, path)
    assert (cold_five, warm_five) == (cold_two, warm_two)
    assert len(api.get(secret, path).json()["clients"]) == 5


def test_a_provider_administrator_adds_a_client_with_its_coordinator_invited(provider, token, api):
    org_services.create_user("cora-new", password=PASSWORD)
    secret = token(provider.admin, provider.org, write=True)
    made = api.post(secret, _url(provider.org, "/clients"), {"name": "Cobalt Tools", "coordinator": "cora-new"})
    assert made.status_code == 201, made.content
    body = made.json()
    cobalt = Organization.objects.get(slug=body["slug"])
    assert cobalt.name == "Cobalt Tools" and cobalt.provider_id == provider.org.pk
    assert body["coordinator_invited"] == "cora-new"
    invitation = Invitation.objects.get(organization=cobalt)
    assert (invitation.username, invitation.role) == ("cora-new", Role.COORDINATOR)
    listed = api.get(secret, _url(provider.org)).json()["clients"]
    assert [c["name"] for c in listed] == ["Cobalt Tools"]
    again = api.post(secret, _url(provider.org, "/clients"), {"name": "Cobalt Tools"})
    assert again.status_code == 400 and "exists already" in again.json()["message"]
    coordinator = token(provider.coordinator, provider.org, write=True)
    refused = api.post(coordinator, _url(provider.org, "/clients"), {"name": "Nope"})
    assert refused.status_code == 403 and not Organization.objects.filter(name="Nope").exists()
    read_only = api.post(token(provider.admin, provider.org), _url(provider.org, "/clients"), {"name": "Nope"})
    assert read_only.status_code == 403
