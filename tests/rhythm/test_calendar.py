"""Each person's private iCalendar feed, read back with the `icalendar` package as a calendar client would."""

from __future__ import annotations

from datetime import date, timedelta

import icalendar
import pytest
from django.test import Client
from django.urls import reverse

from punchlist.audit.models import AuditEvent
from punchlist.orgs import services as org_services
from punchlist.register import services as register
from punchlist.rhythm import services
from punchlist.rhythm.ical import fold
from punchlist.rhythm.models import CalendarFeed
from punchlist.testing import make_item

TODAY = date.today()


@pytest.fixture(autouse=True)
def plain_http(settings, tmp_path):
    settings.SECURE_SSL_REDIRECT = False
    settings.STATIC_ROOT = str(tmp_path / "static")
    (tmp_path / "static").mkdir()


def fetch(token: str):
    return Client().get(reverse("web:calendar_feed", args=[token]))


def events(response) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(response.content)
    return {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}


def test_the_feed_holds_my_due_dates_milestones_and_the_closeout_deadline(team):
    assessment = register.create_assessment(team.coordinator, team.org, assessed_on=TODAY - timedelta(days=20),
                                            is_the_assessment_poam=True)
    register.set_conditional_date(team.coordinator, assessment, TODAY - timedelta(days=10))
    title = "Lock accounts; after 5 failed logons, for 15 minutes \\ every domain account " + "é" * 40
    mine = make_item(team, title=title, scheduled_in_days=30,
                     milestones=[("Draft the GPO", TODAY + timedelta(days=7)),
                                 ("Apply it", TODAY + timedelta(days=14))])
    register.complete_milestone(team.owner, mine.milestones.get(description="Draft the GPO"))
    make_item(team, requirements=("3.5.4",), title="Olive's item", primary_owner=team.owner2,
              milestones=[("Not mine", TODAY + timedelta(days=3))])
    _, token = services.create_feed(team.owner, team.org)

    response = fetch(token)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, no-store"
    assert all(len(line) <= 75 for line in response.content.split(b"\r\n"))
    calendar = icalendar.Calendar.from_ical(response.content)
    assert str(calendar["X-WR-CALNAME"]) == "Punchlist: Acme Machining"
    found = events(response)
    assert set(found) == {f"Due: {mine.identifier} {title}", f"Milestone: {mine.identifier} Apply it",
                          "POA&M closeout deadline (Acme Machining)"}
    due = found[f"Due: {mine.identifier} {title}"]
    assert due["DTSTART"].dt == TODAY + timedelta(days=30)
    assert due["DTEND"].dt == TODAY + timedelta(days=31)
    assert str(due["UID"]) == f"item-{mine.pk}-due@punchlist"
    assert str(due["URL"]).endswith(f"/o/acme-machining/items/{mine.identifier}/")
    assert found[f"Milestone: {mine.identifier} Apply it"]["DTSTART"].dt == TODAY + timedelta(days=14)
    deadline = found["POA&M closeout deadline (Acme Machining)"]
    assert deadline["DTSTART"].dt == TODAY - timedelta(days=10) + timedelta(days=180)
    assert mine.identifier in str(deadline["DESCRIPTION"]) and "R-CLOSE-1" in str(deadline["DESCRIPTION"])


def test_a_new_address_replaces_the_old_and_revoking_ends_it(team, item):
    _, first = services.create_feed(team.owner, team.org)
    _, second = services.create_feed(team.owner, team.org)
    assert fetch(first).status_code == 404 and fetch(second).status_code == 200
    assert CalendarFeed.objects.for_organization(team.org).filter(revoked_at=None).count() == 1
    assert services.revoke_feed(team.owner, team.org) == 1
    assert fetch(second).status_code == 404
    actions = list(AuditEvent.objects.for_organization(team.org).filter(action__contains="calendar")
                   .values_list("action", flat=True))
    assert actions == ["create_calendar_feed", "create_calendar_feed", "revoke_calendar_feed"]
    assert not any(second in str(e.after) for e in AuditEvent.objects.all())  # the token is never kept
    assert fetch("not-a-token").status_code == 404


def test_the_feed_stops_when_the_person_leaves(team, item):
    _, token = services.create_feed(team.owner, team.org)
    assert fetch(token).status_code == 200
    org_services.remove_member(team.admin, team.org.memberships.get(user=team.owner), reason="left the company")
    assert fetch(token).status_code == 404


def test_folding_never_splits_a_character():
    line = "SUMMARY:" + "é" * 100
    folded = fold(line)
    parts = folded.split("\r\n ")
    assert all(len(part.encode("utf-8")) <= 75 for part in parts)
    assert "".join(parts) == line
