"""The portfolio page, its CSV file and the new client form: who reaches them, what they show, and their cost
in queries whatever the number of clients."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from punchlist.orgs import services as org_services
from punchlist.orgs.models import Invitation, Organization, Role
from punchlist.reports import portfolio
from punchlist.testing import PASSWORD
from punchlist.testing.providers import forget_figures, make_client, make_provider
from punchlist.web import words


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


def _url(provider, name="web:portfolio"):
    return reverse(name, args=[provider.org.slug])


def test_the_provider_administrator_sees_every_client(provider, login_as):
    _client(provider, "Acme Machining", items=2)
    _client(provider, "Bolt Works")
    page = login_as(provider.admin).get(_url(provider))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Acme Machining" in html and "Bolt Works" in html and "<strong>2</strong> clients" in html
    assert "No assessment" in html and "Conditional" in html  # the verdicts, in words
    overdue_due = timezone.localdate() + timedelta(days=5)
    assert words.day(overdue_due) in html  # the next deadline, as people write dates
    assert f'href="{reverse("web:client_new", args=[provider.org.slug])}"' in html
    assert '>Portfolio</a>' in html  # in the provider's navigation


def test_staff_see_their_clients_and_clients_see_nothing(provider, login_as, member):
    acme = _client(provider, "Acme Machining")
    _client(provider, "Bolt Works")
    org_services.invite_member(provider.admin, acme, provider.coordinator.username, Role.COORDINATOR)
    org_services.accept_invitation(provider.coordinator, Invitation.objects.get(organization=acme))
    html = login_as(provider.coordinator).get(_url(provider)).content.decode()
    assert "Acme Machining" in html and "Bolt Works" not in html and "New client" not in html
    acme_person = member(Role.ADMIN, organization=acme)
    browser = login_as(acme_person)
    bolt = Organization.objects.get(name="Bolt Works")
    for address in (_url(provider), _url(provider, "web:portfolio_export"), _url(provider, "web:client_new"),
                    reverse("web:register", args=[bolt.slug]), reverse("web:organization", args=[bolt.slug])):
        assert browser.get(address).status_code == 404, address
    # A client has no portfolio of its own.
    assert browser.get(reverse("web:portfolio", args=[acme.slug])).status_code == 404


def test_creating_a_client_in_the_web(provider, login_as):
    org_services.create_user("cora-new", password=PASSWORD)
    browser = login_as(provider.admin)
    answer = browser.post(_url(provider, "web:client_new"), {"name": "Cobalt Tools", "coordinator": "cora-new"})
    assert answer.status_code == 302 and answer["Location"] == _url(provider)
    cobalt = Organization.objects.get(name="Cobalt Tools")
    assert cobalt.provider_id == provider.org.pk
    assert Invitation.objects.get(organization=cobalt).username == "cora-new"
    assert "Cobalt Tools" in browser.get(_url(provider)).content.decode()
    again = browser.post(_url(provider, "web:client_new"), {"name": "Cobalt Tools"})
    assert again.status_code == 400 and "exists already" in again.content.decode()
    refused = login_as(provider.coordinator).post(_url(provider, "web:client_new"), {"name": "Nope"})
    assert refused.status_code == 403 and not Organization.objects.filter(name="Nope").exists()


def test_filters_and_the_csv_file_agree(provider, login_as):
    _client(provider, "Acme Machining", items=2)
    _client(provider, "=HYPERLINK(\"http://evil\")")
    browser = login_as(provider.admin)
    html = browser.get(_url(provider), {"attention": "overdue"}).content.decode().split('id="portfolio-results"')[1]
    assert "Acme Machining" in html and "HYPERLINK" not in html and "<strong>1</strong> of 2 clients match" in html
    partial = browser.get(_url(provider), {"verdict": "no assessment"}, HTTP_HX_REQUEST="true",
                          HTTP_HX_TARGET="portfolio-results").content.decode()
    assert "<form" not in partial and "HYPERLINK" in partial and "Acme Machining" not in partial
    answer = browser.get(_url(provider, "web:portfolio_export"), {"sort": "overdue"})
    assert answer["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode())))
    assert rows[0][:3] == ["Client", "Short name", "SPRS score"] and len(rows) == 3
    acme, evil = rows[1], rows[2]  # most overdue first
    assert acme[0] == "Acme Machining" and acme[10] == "1" and acme[9] == "2"
    assert acme[13] == (timezone.localdate() + timedelta(days=5)).isoformat()
    assert evil[0].startswith("'=")  # never a formula in a spreadsheet
    assert acme[5] == "conditional" and int(acme[2]) == 109  # 3.1.8 not met costs a point


def _count(browser, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert browser.get(url).status_code == 200
    return len(captured)


def test_queries_do_not_grow_with_the_clients(provider, login_as):
    for name in ("A", "B"):
        _client(provider, f"Client {name}", items=2)
    browser = login_as(provider.admin)
    url = _url(provider)
    cold_two = _count(browser, url)
    warm_two = _count(browser, url)
    for name in ("C", "D", "E"):
        _client(provider, f"Client {name}", items=2)
    portfolio.forget()
    cold_five = _count(browser, url)
    warm_five = _count(browser, url)
    assert (cold_five, warm_five) == (cold_two, warm_two)
    # The figures computed for every client at once: three queries for the scores, two over the items, one
    # over the milestones (none has any, so the query for the first one's name is not made).
    assert cold_five - warm_five == 6
    assert _count(browser, _url(provider, "web:portfolio_export")) <= warm_five


def test_the_switcher_of_someone_in_many_organizations_stays_short(provider, login_as):
    """A provider's administrator belongs to every client: the switcher lists the first twenty organizations
    and links to the full list, whatever their number."""
    from punchlist.web.context import SWITCHER_SIZE

    for n in range(SWITCHER_SIZE + 2):
        _client(provider, f"Client {n:02d}")
    html = login_as(provider.admin).get(_url(provider)).content.decode()
    switcher = html.split('<details class="switcher">')[1].split("</details>")[0]
    assert switcher.count("<li>") == SWITCHER_SIZE + 1 and "All your organizations" in switcher
    assert "Client 00" in switcher and "Client 21" not in switcher


def test_pages_of_fifty(provider, login_as):
    for n in range(52):
        _client(provider, f"Client {n:02d}")
    browser = login_as(provider.admin)
    first = browser.get(_url(provider)).content.decode()
    assert first.count('class="portfolio-row"') == 50 and "Page 1 of 2" in first
    second = browser.get(_url(provider), {"page": 2, "sort": "name"}).content.decode()
    assert second.count('class="portfolio-row"') == 2 and "Client 51" in second and "rel=\"prev\"" in second
