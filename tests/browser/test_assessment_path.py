"""The assessment's life in Debian's Chromium, against a live server, as a coordinator and an approver do it:
a self-assessment at 92, a Conditional status refused (and why, and what it would take), the missing work
done, the Conditional status recorded, the countdown on the pages, a closure that records its requirement MET,
the POA&M marked official and its export holding the assessment POA&M alone.

Fixtures from tests/browser/conftest.py: ``browser`` (Debian's Chromium), ``sign_in(page, user)``, ``team``,
and ``transactional_db`` with the audit triggers lifted for the flush. The clock is pinned to 2026-11-23.
"""

from __future__ import annotations

import csv
import io
import os
from datetime import date, timedelta

import pytest
from django.utils.text import slugify
from playwright.sync_api import expect

from punchlist.core import records
from punchlist.core.catalog import load_catalog
from punchlist.register import mapping, services
from punchlist.register.imports import import_assessment
from punchlist.register.models import RequirementStatus, Status
from punchlist.testing import make_item
from punchlist.web.words import day

TODAY = date.today()
PLAIN_HTTP = {"SECURE_SSL_REDIRECT": False, "SESSION_COOKIE_SECURE": False, "CSRF_COOKIE_SECURE": False,
              "SECURE_HSTS_SECONDS": 0}
INELIGIBLE = ("3.1.1", "3.5.3", "3.14.1")  # 5 points each; no POA&M may hold them; 3.1.1 and 3.14.1 Level 1
ELIGIBLE = ("3.4.9", "3.1.8", "3.3.3")  # 1 point each: 110 - 15 - 3 = 92

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_server():
    """Over plain HTTP, started for this module (as tests/browser/test_item_workflow.py explains)."""
    from django.test import override_settings
    from pytest_django.live_server_helper import LiveServer

    with override_settings(**PLAIN_HTTP):
        server = LiveServer(os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost")
        yield server
        server.stop()


@pytest.fixture
def open_as(browser, live_server, sign_in):
    contexts = []

    def open_page(user):
        context = browser.new_context(base_url=live_server.url, accept_downloads=True)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = sign_in(context.new_page(), user)
        page.wait_for_url(lambda url: "/accounts/" not in url)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def at_92(team):
    results = [records.RequirementResult(r.id, records.Determination.NOT_MET if r.id in INELIGIBLE + ELIGIBLE
                                         else records.Determination.MET) for r in load_catalog()]
    assessment = import_assessment(team.coordinator, team.org, results, assessed_on=TODAY - timedelta(days=10),
                                   file="self-assessment.xlsx", title="Self-assessment 2026")
    items = {r: make_item(team, requirements=[r], kind="operational_plan", title=f"Implement {r}",
                          scheduled_in_days=20) for r in INELIGIBLE}
    items.update({r: make_item(team, requirements=[r], title=f"Fix {r}", scheduled_in_days=60) for r in ELIGIBLE})
    services.add_evidence(team.owner, items["3.4.9"], name="allowlist-export.csv",
                          content=b"application,publisher,allowed\nCAD,Autodesk,yes\n")
    services.request_closure(team.owner, items["3.4.9"], note="Allowlisting enforced on every endpoint")
    assert mapping.score_assessment(assessment).score == 92
    return assessment, items


def outcome(page, status: str, conditional_date: str = "", score: str = ""):
    page.get_by_label("Status earned").select_option(status)
    page.get_by_role("textbox", name="Conditional status date").fill(conditional_date)
    page.get_by_label("Score recorded").fill(score)
    page.get_by_role("button", name="Record the outcome").click()


def test_from_a_self_assessment_at_92_to_the_official_poam(team, at_92, open_as):
    assessment, items = at_92
    slug = team.org.slug
    coordinator = open_as(team.coordinator)
    coordinator.goto(f"/o/{slug}/assessment/{assessment.pk}/")
    expect(coordinator.locator(".assessment-points")).to_contain_text("92")

    # A Conditional status is refused: the reasons, and what it would take.
    outcome(coordinator, "conditional", TODAY.isoformat(), "92")
    refusal = coordinator.locator(".outcome-refusal")
    expect(refusal).to_contain_text("Conditional Level 2 status cannot be recorded")
    expect(refusal).to_contain_text("3 NOT MET requirement(s) may not be on a POA&M (3.1.1, 3.5.3, 3.14.1)")
    expect(refusal).to_contain_text("R-POAM-1: Level 1 requirement(s) NOT MET (3.1.1, 3.14.1)")
    expect(coordinator.locator(".outcome-would-take")).to_contain_text(
        "implement 3.1.1, 3.5.3, 3.14.1 (no POA&M may hold them, R-POAM-3/4), which brings the score to 107")
    assessment.refresh_from_db()
    assert assessment.earned_status == "" and assessment.conditional_status_date is None
    expect(coordinator.locator(".closeout-banner")).to_have_count(0)

    # The missing work done: the three requirements recorded MET, the score follows.
    coordinator.goto(f"/o/{slug}/assessment/{assessment.pk}/")
    for requirement in INELIGIBLE:
        anchor = "req-" + slugify(load_catalog().get(requirement).cmmc_id)
        coordinator.locator(f"#{anchor}-det").select_option("met")
        expect(coordinator.locator(f"#{anchor}")).to_have_class("assessment-row assessment-met")
    expect(coordinator.locator(".assessment-points")).to_contain_text("107")

    # The Conditional status recorded, and the countdown on every page that matters.
    coordinator.reload()
    outcome(coordinator, "conditional", TODAY.isoformat())
    expect(coordinator.locator(".messages")).to_contain_text("Outcome recorded.")
    expect(coordinator.locator(".outcome-recorded")).to_contain_text(
        f"score 107, Conditional Level 2 status from {day(TODAY)}")
    deadline = day(TODAY + timedelta(days=180))
    for address in (f"/o/{slug}/assessment/{assessment.pk}/", f"/o/{slug}/work/", f"/o/{slug}/register/"):
        coordinator.goto(address)
        expect(coordinator.locator(".closeout-banner")).to_contain_text(f"180 days left")
        expect(coordinator.locator(".closeout-banner")).to_contain_text(deadline)

    # The register tells the two kinds apart, and filters by kind.
    coordinator.goto(f"/o/{slug}/register/?kind=operational_plan")
    rows = coordinator.locator("tr.register-row")
    expect(rows).to_have_count(3)
    expect(coordinator.locator("td.register-kind").first).to_contain_text("Plan of action")

    # The closure of the last item for 3.4.9 asks the approver to record 3.4.9 MET, and does so in the step.
    approver = open_as(team.approver)
    approver.goto(f"/o/{slug}/items/{items['3.4.9'].identifier}/")
    expect(approver.locator(".item-side")).to_contain_text("R-SCORE-4 would make 3.12.2 NOT MET too")
    approver.get_by_label("What you verified").fill("Compared the allowlist export with the endpoint list")
    approver.get_by_role("button", name="Approve closure").click()
    expect(approver.get_by_role("alert").first).to_contain_text("record 3.4.9 MET in the same step")
    items["3.4.9"].refresh_from_db()
    assert items["3.4.9"].status == Status.READY_FOR_VERIFICATION
    approver.get_by_label("What you verified").fill("Compared the allowlist export with the endpoint list")
    approver.get_by_label("Record 3.4.9 MET in the same step").check()
    approver.get_by_role("button", name="Approve closure").click()
    expect(approver.locator(".item-status")).to_have_text("Closed")
    status = RequirementStatus.objects.get(assessment=assessment, requirement="3.4.9")
    assert status.determination == "met" and "allowlist-export.csv" in status.implementation
    coordinator.goto(f"/o/{slug}/assessment/{assessment.pk}/")
    expect(coordinator.locator(".assessment-points")).to_contain_text("108")

    # The POA&M marked official (who and when), and its export holds the assessment POA&M only.
    coordinator.get_by_role("button", name="Mark this POA&M official").click()
    expect(coordinator.locator(".official-marked")).to_contain_text("marked by Cora Lee")
    with coordinator.expect_download() as download:
        coordinator.get_by_role("link", name="Export the assessment POA&M (CSV)").click()
    text = open(download.value.path(), encoding="utf-8-sig").read()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0].startswith("POA&M for the CMMC assessment")
    exported = sorted(row[0] for row in rows[2:] if row)
    assert exported == sorted([items["3.1.8"].identifier, items["3.3.3"].identifier])
    assert all(identifier.startswith("POAM-") for identifier in exported)  # no OPA- item, nothing closed
