"""A managed-service provider's path in a real browser: its administrator creates a client, inviting the
client's POA&M coordinator, and sees it in the portfolio; the coordinator accepts and works in the client,
and reaches neither the provider's portfolio nor the provider's other clients (404)."""

from __future__ import annotations

import re

import pytest

from punchlist.orgs import services as org_services
from punchlist.orgs.models import Organization
from punchlist.reports import portfolio
from punchlist.testing import PASSWORD, make_team

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def fresh_portfolio():
    portfolio.forget()
    yield
    portfolio.forget()


def test_provider_admin_creates_a_client_and_its_coordinator_sees_only_it(page, sign_in, transactional_db):
    provider = make_team("Shield MSP", "msp")
    org_services.make_provider(provider.admin, provider.org)
    org_services.create_client(provider.admin, provider.org, name="Bolt Works")
    cora = org_services.create_user("cora", password=PASSWORD, first_name="Cora", last_name="Diaz")

    sign_in(page, provider.admin)
    page.goto("/")
    page.get_by_role("link", name="Shield MSP").first.click()
    page.get_by_role("link", name="Portfolio").click()
    page.wait_for_url("**/o/shield-msp/portfolio/")
    results = page.locator("#portfolio-results")
    assert "Bolt Works" in results.inner_text()

    page.get_by_role("link", name="New client").click()
    page.get_by_label("Client's name").fill("Acme Machining")
    page.get_by_label("POA&M coordinator's username").fill("cora")
    page.get_by_role("button", name="Create the client").click()
    page.wait_for_url("**/o/shield-msp/portfolio/")
    assert "cora is invited as its POA&M coordinator" in page.locator("main").inner_text()
    assert page.locator("tr.portfolio-row", has_text="Acme Machining").is_visible()
    assert "2 clients" in results.inner_text()
    # Filtering replaces the table alone (htmx) and the address follows.
    page.get_by_label("Client", exact=True).fill("acme")
    page.wait_for_url(re.compile(r".*q=acme.*"))
    page.locator("tr.portfolio-row", has_text="Bolt Works").wait_for(state="detached")
    assert "1 of 2 clients match" in results.inner_text()

    sign_in(page, cora)
    page.goto("/")
    invitation = page.locator("li", has_text="Acme Machining")
    assert "poa&m coordinator" in invitation.inner_text().lower()
    invitation.get_by_role("button", name="Accept").click()
    acme = Organization.objects.get(name="Acme Machining")
    page.wait_for_url(re.compile(rf".*/o/{acme.slug}/.*"))
    assert "Portfolio" not in page.locator("nav").first.inner_text()
    assert "Bolt Works" not in page.content()
    bolt = Organization.objects.get(name="Bolt Works")
    for address in ("/o/shield-msp/portfolio/", "/o/shield-msp/", f"/o/{bolt.slug}/register/",
                    "/o/shield-msp/portfolio/export/"):
        assert page.goto(address).status == 404, address
    assert page.goto(f"/o/{acme.slug}/register/").status == 200
