"""Daily use as each person meets it, in Debian's Chromium against a live server, on pinned days (the clock of
the test and of the server's thread is moved with time-machine; never today's date).

One test per thing a person stumbled on: a due-soon list that stopped at Sunday, an owner's update split over
two screens, figures that disagreed, rule ids and raw values in sentences, missing obvious actions, and the
Register and an item's status buttons on a phone.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest
import time_machine
from playwright.sync_api import expect

from punchlist.register import services
from punchlist.testing import make_item, make_legacy_item

pytestmark = pytest.mark.browser
SUNDAY = date(2026, 12, 6)
PHONE = {"width": 390, "height": 844}


def at_noon(day: date):
    """The clock at noon on ``day`` (UTC, the settings' default zone), still ticking."""
    return time_machine.travel(datetime(day.year, day.month, day.day, 12, tzinfo=timezone.utc), tick=True)


def test_due_soon_looks_a_week_ahead_on_a_sunday(page, sign_in, team, live_server):
    with at_noon(SUNDAY):
        item = make_item(team, title="Roll out MFA to the shop floor")
        services.add_milestone(team.coordinator, item, "Enrol the night shift", date(2026, 12, 10))  # Thursday
        services.add_milestone(team.coordinator, item, "Enrol everyone else", date(2026, 12, 20))
        sign_in(page, team.owner)
        page.goto(f"/o/{team.org.slug}/work/")
        soon = page.locator("#work-soon")
        expect(soon).to_contain_text("Enrol the night shift")
        expect(soon).not_to_contain_text("Enrol everyone else")
        expect(page.get_by_role("list", name="Summary")).to_contain_text("1 milestone due in the next 7 days")


def test_an_owner_gives_the_whole_update_from_the_item_or_the_weekly_page(page, sign_in, team, live_server):
    with at_noon(date(2026, 12, 9)):
        first = make_item(team, title="Lock accounts after five failed logons")
        # An older item the register holds for a requirement no POA&M may hold (the services refuse new ones).
        second = make_legacy_item(team, requirements=("3.5.3",), title="MFA for remote access")
        sign_in(page, team.owner)

        # On the weekly page: saving one row updates the count above and the row's own line.
        page.goto(f"/o/{team.org.slug}/reviews/weekly/")
        summary = page.locator(".review-summary")
        expect(summary).to_have_text(re.compile("2 of your 2 open items still to update"))
        one = page.locator(f"li[data-item='{first.identifier}']")
        one.get_by_label("Progress this week").fill("GPO drafted and tested on the pilot OU")
        one.get_by_role("button", name="Save update").click()
        expect(one.get_by_role("status")).to_contain_text("Updated this week")
        expect(summary).to_have_text(re.compile("1 of your 2 open items still to update"))
        expect(one).not_to_contain_text("no update yet")
        expect(one).to_contain_text("updated this week")

        # From the weekly row to the item's milestones and evidence, and the note given on the item itself.
        two = page.locator(f"li[data-item='{second.identifier}']")
        two.get_by_role("link", name="milestones and evidence").click()
        expect(page.get_by_role("heading", name="Milestones")).to_be_visible()
        weekly = page.locator("#weekly")
        weekly.get_by_label("Progress this week").fill("Duo proxy installed")
        weekly.get_by_role("button", name="Save update").click()
        expect(page.locator("#weekly").get_by_role("status")).to_contain_text("Updated this week by Marcus Lee")
        page.goto(f"/o/{team.org.slug}/reviews/weekly/")
        expect(page.locator(".review-summary")).to_have_text(re.compile("All your 2 open items are updated"))


DEMO_DAY = date(2026, 12, 7)


@pytest.fixture
def ridgeline(transactional_db):
    """The demo organization, its four months of history ending on ``DEMO_DAY``, with the clock there."""
    from punchlist.web import demo

    with at_noon(DEMO_DAY):
        yield demo.seed(today=DEMO_DAY)


def person(ridgeline, username):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


def test_the_reports_and_the_reviews_count_alike(page, sign_in, ridgeline, live_server):
    sign_in(page, person(ridgeline, "priya"), password="ridgeline demo password")
    page.goto("/o/ridgeline/reports/operations/")
    tile = page.locator("[data-figure='due-soon']").inner_text()
    table = page.locator(".rp-due h2 .rp-count").inner_text()
    assert f"({tile})" == table, (tile, table)

    page.goto("/o/ridgeline/reports/security/")
    ineligible = page.locator(".rp-ineligible")
    # The file's POAM-IA-001 (3.5.3, which no POA&M may hold) came in as operational work, OPA-IA-001.
    expect(ineligible).not_to_contain_text("IA-001")
    expect(ineligible).not_to_contain_text("OPA-PS-001")  # closed: 3.9.2 is MET now

    page.goto("/o/ridgeline/reviews/monthly/")
    expect(page.get_by_role("region", name="Past reviews").get_by_role("listitem")).to_have_count(3)
    expect(page.locator(".review-score")).to_contain_text("since")
    expect(page.locator(".review-score")).not_to_contain_text("no snapshot")


def test_findings_and_history_speak_plainly(page, sign_in, ridgeline, live_server):
    sign_in(page, person(ridgeline, "priya"), password="ridgeline demo password")
    page.goto("/o/ridgeline/items/POAM-MA-001/")  # escorts: planned over months with no milestone
    findings = page.locator(".item-findings")
    expect(findings).to_contain_text("No milestones")  # the check by name, not "missing-milestones"
    expect(findings).to_contain_text("What good looks like:")
    text = findings.inner_text()
    assert not re.search(r"R-[A-Z]+-\d|missing-milestones|stale-item|\bGood:", text), text
    why = findings.get_by_role("link", name=re.compile("^Why:")).first
    assert "milestones and dates" in why.get_attribute("title")
    why.click()
    expect(page.locator("#R-CONT-3")).to_be_visible()

    page.goto("/o/ridgeline/register/")
    options = page.locator("#f-finding option").all_inner_texts()
    assert "Several problems in one item" in options and not any("-" in o for o in options), options

    page.goto("/o/ridgeline/items/POAM-SC-001/")
    history = page.locator("#history")
    expect(history).to_contain_text("Marcus Lee")  # who, by name
    text = history.inner_text()
    assert "[[" not in text and "None" not in text and not re.search(r"\d{2}:\d{2}:\d{2}\.\d", text), text
    assert re.search(r"“Roll out to all 38 endpoints” due \d{1,2} \w{3} \d{4}", text), text
    assert "\tmarcus\t" not in text and "\tpriya\t" not in text
    page.goto("/o/ridgeline/items/OPA-PS-001/")  # the demo's 3.9.2 work, an operational item
    evidence = page.locator("#evidence").inner_text() + page.locator("#history").inner_text()
    assert not re.search(r"(\d+) bytes \(\1 bytes", evidence), evidence


def test_the_obvious_actions_are_there(page, sign_in, ridgeline, live_server):
    from punchlist.audit.models import AuditEvent

    sign_in(page, person(ridgeline, "priya"), password="ridgeline demo password")
    page.goto("/o/ridgeline/register/")
    expect(page.get_by_role("link", name="Add item")).to_have_attribute("href", "/o/ridgeline/items/new/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export (Excel)").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export (CSV)").click()
    assert "POAM-SC-001" in open(download.value.path(), encoding="utf-8-sig").read()

    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(icon).status == 200 and page.request.get("/favicon.ico").ok

    # A milestone ticked by mistake is unticked, and the history says so.
    page.goto("/o/ridgeline/items/POAM-SC-001/")
    page.get_by_role("button", name="Untick: Pilot FIPS mode on 3 engineering laptops").click()
    expect(page.get_by_role("button", name="Mark done: Pilot FIPS mode on 3 engineering laptops")).to_be_visible()
    expect(page.locator("#history")).to_contain_text("Milestone unticked")
    assert AuditEvent.objects.filter(action="reopen_milestone", actor__username="priya").count() == 1

    # An owner asks to import: told in words what they may not do and who does it.
    sign_in(page, person(ridgeline, "sam"), password="ridgeline demo password")
    response = page.goto("/o/ridgeline/import/")
    assert response.status == 403
    expect(page.locator("main")).to_contain_text("may not add items or import a POA&M; a POA&M coordinator")


def test_the_register_and_an_items_status_on_a_phone(page, sign_in, ridgeline, live_server):
    page.set_viewport_size(PHONE)
    sign_in(page, person(ridgeline, "sam"), password="ridgeline demo password")
    page.goto("/o/ridgeline/register/")
    expect(page.locator("a", has_text="POAM-SC-001").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.goto("/o/ridgeline/items/POAM-CM-001/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    status = page.get_by_role("button", name="Request closure").bounding_box()
    evidence = page.get_by_role("heading", name="Evidence").bounding_box()
    assert status["y"] < evidence["y"], (status, evidence)
