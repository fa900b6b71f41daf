"""Dates in the reports and the monthly review as a person writes them ("23 Nov 2026", "October 2026"), in
every table, header, chart and badge a person reads; the files a machine reads (exports, OSCAL, the agenda's
stored data) keep ISO dates."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from report_builders import TODAY

from punchlist.register import services
from punchlist.reports import data, render, sections
from punchlist.rhythm import services as rhythm
from punchlist.rhythm.models import ScoreSnapshot
from punchlist.rhythm.periods import month_of, previous_month
from punchlist.web import words
from punchlist.web.words import day

ISO_DATE = re.compile(r"\b\d{4}-\d{2}(-\d{2})?\b")


def visible(body: str) -> str:
    """What a reader sees: the text of the page, SVG labels and the window title included, without the styles,
    scripts and attribute values (a date field's value is for the browser)."""
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def iso_dates(text: str) -> list[str]:
    return [text[max(match.start() - 40, 0):match.end() + 10] for match in ISO_DATE.finditer(text)]


@pytest.mark.parametrize("key", list(render.KINDS))
def test_every_report_writes_its_dates_as_people_do(acme, key):
    services.change_due_date(acme.team.coordinator, acme.items["due_soon"], TODAY + timedelta(days=9),
                             reason="the vendor ships late")
    text = visible(render.render_html(key, data.Snapshot(acme.org, as_of=TODAY)))
    assert not iso_dates(text), iso_dates(text)
    assert f"as of {day(TODAY)}" in text


def test_the_monthly_pack_writes_the_period_and_slipped_milestones_as_people_do(acme):
    text = visible(render.render_html("review", data.Snapshot(acme.org, as_of=TODAY)))
    assert f"The month from {day(TODAY - timedelta(days=sections.MONTH))} to {day(TODAY)}" in text
    slipped = acme.items["overdue"].milestones.order_by("position").first()
    assert f"{day(slipped.original_due)} {day(slipped.due)}" in text


@pytest.mark.parametrize("name", ["report_leadership", "report_security", "report_operations"])
def test_the_report_views_write_their_dates_as_people_do(acme, login_as, name):
    page = login_as(acme.team.viewer).get(reverse(f"web:{name}", args=[acme.org.slug]))
    text = visible(page.content.decode())
    assert not iso_dates(text), iso_dates(text)
    assert f"as of {day(TODAY)}" in text


def test_the_monthly_review_writes_its_badge_and_slips_as_people_do(acme, login_as):
    before = previous_month(month_of(TODAY))
    ScoreSnapshot.objects.create(organization=acme.org, month=before, assessment=acme.assessment, score=50,
                                 verdict="conditional")
    item = services.change_due_date(acme.team.coordinator, acme.items["later"], TODAY + timedelta(days=60),
                                    reason="the vendor ships late")
    client = login_as(acme.team.coordinator)
    text = visible(client.get(reverse("web:review_monthly", args=[acme.org.slug])).content.decode())
    assert not iso_dates(text), iso_dates(text)
    assert f"since {before:%B %Y}" in text
    assert f"{item.identifier} ({day(item.original_scheduled_completion)} → {day(item.scheduled_completion)})" \
        in text
    review = rhythm.record_review(acme.team.coordinator, acme.org, held_on=TODAY,
                                  attendees=[acme.team.coordinator], decisions="Fund the VPN.")
    kept = visible(client.get(reverse("web:review_monthly_detail", args=[acme.org.slug, review.pk]))
                   .content.decode())
    assert not iso_dates(kept), iso_dates(kept)
    assert review.agenda["score"]["previous_month"] == before.isoformat()  # the stored agenda stays ISO



def test_a_sentence_shared_with_the_cli_is_shown_with_its_dates_written():
    assert words.dates_written("milestone 'Apply' due on 2026-11-26, after the item's 2026-11-20") == \
        "milestone 'Apply' due on 26 Nov 2026, after the item's 20 Nov 2026"
    assert words.dates_written("build 2026-13-45 of v2026-11") == "build 2026-13-45 of v2026-11"
    assert "due on 26 Nov 2026" in words.plainly_html("POAM-1: due on 2026-11-26 (R-POAM-5)")
    assert (words.month("2026-10-01"), words.month(TODAY.replace(day=1))) == ("October 2026", f"{TODAY:%B %Y}")
