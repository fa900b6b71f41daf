"""The three report views on the demo organization (punchlist.web.demo), in Debian's Chromium against a live
server: signed in as the read-only assessor, a person moves between the views, reads the figures (checked
against the register), sees each chart with its table, and asks for the PDF of the monthly review, which the worker builds while the
page waits, then downloads it."""

from __future__ import annotations

import io
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from punchlist.register import mapping
from punchlist.register.models import PoamItem
from punchlist.reports import data, sections
from punchlist.testing.report_jobs import run_report_jobs
from punchlist.web import demo

OPEN = [s.value for s in mapping.OPEN_STATUSES]


@pytest.fixture
def ridgeline(transactional_db):
    seeded = demo.seed()
    viewer = next(p for p in seeded.people if p.role == "viewer")
    from django.contrib.auth import get_user_model

    return seeded.organization, get_user_model().objects.get(username=viewer.username)


def card(page, label: str) -> str:
    return page.locator(".rp-card", has=page.locator("dt", has_text=label)).locator(".rp-big").inner_text().strip()


def test_the_three_views_on_the_demo_organization(page, sign_in, ridgeline):
    organization, viewer = ridgeline
    sign_in(page, viewer, password=demo.PASSWORD)
    today = timezone.localdate()
    items = PoamItem.objects.for_organization(organization)
    latest = organization.assessments.order_by("-assessed_on", "-pk").first()

    page.get_by_role("navigation", name="Organization").get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", name="Reports: Leadership view")).to_be_visible()
    expect(page.locator(".rp-marking").first).to_have_text(data.Snapshot(organization).marking)
    assert card(page, "SPRS score") == str(mapping.score_assessment(latest).score)
    assert card(page, "Open items") == str(items.filter(status__in=OPEN).count())
    assert card(page, "Overdue") == str(items.filter(status__in=OPEN, scheduled_completion__lt=today).count())
    for title in ("SPRS score over time", "Open items by severity", "Burndown of open items: planned against actual"):
        chart = page.locator("figure.chart", has=page.get_by_role("heading", name=title))
        expect(chart.get_by_role("img", name=title)).to_be_visible()  # the SVG, named by its <title>
        expect(chart.locator("table.chart-data")).to_be_visible()
    severity = page.locator("figure.chart", has=page.get_by_role("heading", name="Open items by severity"))
    high = severity.locator("tr", has=page.locator("th", has_text=re.compile("^high$"))).locator("td")
    expect(high).to_have_text(str(items.filter(status__in=OPEN, severity="high").count()))

    tabs = page.get_by_role("navigation", name="Reports")
    tabs.get_by_role("link", name="Security").click()
    expect(page.get_by_role("heading", name="Reports: Security view")).to_be_visible()
    grid = page.get_by_role("img", name="The 14 families: met, not met, on the POA&M")
    expect(grid).to_be_visible()
    rows = page.locator("figure.chart table.chart-data tbody tr")
    expect(rows).to_have_count(14)
    expect(page.get_by_role("heading", name=re.compile("What an assessor would object to"))).to_be_visible()
    findings = len(mapping.lint_organization(organization, as_of=today))
    expect(page.get_by_role("heading", name=re.compile("What an assessor would object to"))).to_contain_text(
        f"({findings} finding")

    tabs.get_by_role("link", name="Operations").click()
    expect(page.get_by_role("heading", name="Reports: Operations view")).to_be_visible()
    expect(page.get_by_role("img", name="Open items by owner")).to_be_visible()
    due = page.get_by_role("heading", name=re.compile("Due in the next 14 days"))
    expect(due).to_be_visible()
    soon = sections.operations(data.Snapshot(organization)).due.total
    expect(due).to_contain_text(f"({soon})")

    page.get_by_text("Download a report").click()
    page.get_by_role("listitem").filter(has_text="Monthly management review").get_by_role(
        "button", name="PDF").click()
    # The worker builds it: the page says it waits, then (polling) shows the download once it is built.
    expect(page.get_by_role("heading", name="Monthly management review (PDF)")).to_be_visible()
    expect(page.locator("#report-job")).to_contain_text("Waiting for the worker")
    assert run_report_jobs() == 1
    link = page.get_by_role("link", name=re.compile(r"^Download .*\.pdf$"))
    expect(link).to_be_visible(timeout=30_000)
    with page.expect_download(timeout=30_000) as download:
        link.click()
    pdf = PdfReader(io.BytesIO(open(download.value.path(), "rb").read()))
    text = " ".join(p.extract_text() for p in pdf.pages)
    assert "Monthly management review" in text and demo.ORG_NAME in text
    assert download.value.suggested_filename.endswith(".pdf")
