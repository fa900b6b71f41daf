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
from punchlist.testing import make_item

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
