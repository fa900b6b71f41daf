"""The three reviews in Debian's Chromium against a live server: an owner's weekly update saved row by row
(htmx, no reload) with a refusal shown in the row, the calendar address; the coordinator's monthly review
recorded from its agenda; the quarterly validation signing one item off and failing one whose evidence file
was altered on disk, which reopens it."""

from __future__ import annotations

import os
import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from punchlist.register import services as register
from punchlist.register.models import PoamItem, Status
from punchlist.register.services import evidence as vault
from punchlist.rhythm.models import ManagementReview, QuarterlyValidation, WeeklyUpdate
from punchlist.testing import make_item

pytestmark = pytest.mark.browser
TODAY = date.today()


def row(page, item):
    return page.locator(f"li[data-item='{item.identifier}']")


def test_an_owner_gives_the_weekly_update_row_by_row(page, sign_in, team, live_server):
    first = make_item(team, title="Lock accounts after five failed logons")
    second = make_item(team, requirements=("3.5.4",), title="MFA for remote access")
    sign_in(page, team.owner)
    page.get_by_role("link", name="Reviews").click()
    expect(page.get_by_role("heading", name=re.compile("Weekly update"))).to_be_visible()
    expect(page.locator(".review-summary")).to_have_text(re.compile("2 of your 2 open items still to update"))

    one = row(page, first)
    one.get_by_label("Progress this week").fill("GPO drafted and tested on the pilot OU")
    one.get_by_label("Next step").fill("Apply to the whole domain")
    one.get_by_label("Blocker").fill("Waiting for the change window")
    page.evaluate("window.reloaded = false")
    one.get_by_role("button", name="Save update").click()
    expect(row(page, first).get_by_role("status")).to_contain_text("Saved. Updated this week by Marcus Lee")
    expect(row(page, first).locator(".badge.warn")).to_have_text("blocked")
    assert page.evaluate("window.reloaded") is False  # htmx swapped the row; the page stayed

    two = row(page, second)
    two.get_by_role("button", name="Save update").click()  # nothing said
    expect(row(page, second).get_by_role("alert")).to_contain_text("Not saved:")
    expect(row(page, second).get_by_role("alert")).to_contain_text("or confirm the item as it stands")
    row(page, second).get_by_role("button", name="Confirm as it stands").click()
    expect(row(page, second).get_by_role("status")).to_contain_text("Confirmed as it stands this week")

    updates = {u.item_id: u for u in WeeklyUpdate.objects.all()}
    assert updates[first.pk].blocker == "Waiting for the change window" and updates[second.pk].confirmed

    page.get_by_role("button", name="Make my calendar address").click()
    address = page.get_by_label("Calendar address").input_value()
    assert re.fullmatch(re.escape(live_server.url) + r"/calendar/[\w-]+\.ics", address)
    feed = page.request.get(address)
    assert feed.status == 200 and "BEGIN:VCALENDAR" in feed.text() and first.identifier in feed.text()


def test_the_coordinator_records_the_monthly_review(page, sign_in, team, live_server):
    late = make_item(team, title="Late item", start_date=TODAY - timedelta(days=30))
    register.change_due_date(team.coordinator, late, TODAY - timedelta(days=2), reason="agreed in June")
    sign_in(page, team.coordinator)
    page.goto(f"/o/{team.org.slug}/reviews/weekly/")
    page.get_by_role("link", name="Monthly review").click()
    expect(page.get_by_role("heading", name=re.compile(r"Overdue items \(1\)"))).to_be_visible()
    expect(page.locator(".review-agenda-overdue")).to_contain_text(late.identifier)
    page.get_by_label("Cora Lee").check()
    page.get_by_label("Ada Acme Machining").check()
    page.get_by_label("Others who attended").fill("Dana Ortiz (CEO)")
    page.get_by_label("What was decided").fill("Escalate the late item to the vendor this week.")
    page.get_by_role("button", name="Record the review").click()
    expect(page.get_by_role("heading", name=re.compile("Management review of"))).to_be_visible()
    expect(page.locator(".review-minutes")).to_contain_text("Escalate the late item to the vendor this week.")
    expect(page.locator(".review-minutes")).to_contain_text("Dana Ortiz (CEO)")
    review = ManagementReview.objects.get()
    assert {u.username for u in review.attendees.all()} == {"acme-coordinator", "acme-admin"}


def test_the_quarterly_validation_signs_off_and_fails(page, sign_in, team, live_server, evidence_root):
    def closed(title, requirement, content):
        item = make_item(team, title=title, requirements=(requirement,))
        vault.add_evidence(team.owner, item, name=f"{requirement}.pdf", content=content)
        register.request_closure(team.owner, item)
        register.approve_closure(team.approver, item)
        return item

    good = closed("Lock accounts", "3.1.8", b"%PDF-1.7 GPO report")
    bad = closed("MFA for remote access", "3.5.4", b"%PDF-1.7 Duo enrollment report")
    path = evidence_root / bad.evidence.get().file.name
    os.chmod(path, 0o600)
    path.write_bytes(b"%PDF-1.7 Duo enrollment report (edited)")

    sign_in(page, team.coordinator)
    page.goto(f"/o/{team.org.slug}/reviews/quarterly/")
    expect(page.locator(".review-summary")).to_contain_text("0 of 2 closed items signed off")
    expect(row(page, bad).get_by_role("alert")).to_contain_text("is altered")
    expect(row(page, bad).get_by_role("button", name="Sign off")).to_have_count(0)

    row(page, good).get_by_role("button", name="Sign off").click()
    expect(row(page, good).get_by_role("status")).to_contain_text("Passed for")
    expect(page.locator(".review-summary")).to_contain_text("1 of 2 closed items signed off")

    reason = row(page, bad).get_by_label(re.compile("Why it fails"))
    expect(reason).to_have_value(re.compile("is altered"))  # the problems, to start from
    reason.fill("The Duo enrollment report was edited after closure; export it again")
    row(page, bad).get_by_role("button", name="Fail and reopen").click()
    expect(page.get_by_role("status").first).to_contain_text("failed the quarterly validation and is reopened")
    expect(row(page, bad)).to_have_count(0)  # no longer closed
    assert PoamItem.objects.get(pk=bad.pk).status == Status.IN_PROGRESS
    assert sorted(QuarterlyValidation.objects.values_list("outcome", flat=True)) == ["failed", "passed"]
