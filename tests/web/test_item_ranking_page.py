"""The risk order on the pages: the register says under each item why it sits there, the item page says where it
ranks and why, what it waits on and what waits on it, and changes what it waits on (refused, with the reason,
for a cycle, a stranger's item or a stale page); the item form sets the touches-CUI mark."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest
from django.urls import reverse

from punchlist.audit.models import AuditEvent
from punchlist.register import services
from punchlist.register.models import ItemBlocker, PoamItem
from punchlist.testing import make_item


def text(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def url(name, item, *args):
    return reverse(f"web:{name}", args=[item.organization.slug, item.identifier, *args])


@pytest.fixture
def work(team):
    today = date.today()
    cui = make_item(team, requirements=["3.13.16"], title="Encrypt the CUI share at rest",
                    scheduled_in_days=9)
    firmware = make_item(team, requirements=["3.4.9"], title="FortiGate firmware", severity="low",
                         scheduled_in_days=None)
    lockout = make_item(team, requirements=["3.1.8"], title="Lock accounts", severity="moderate")
    assert cui.scheduled_completion == today + timedelta(days=9)
    return cui, firmware, lockout


def test_the_item_page_says_where_it_ranks_and_why_and_changes_what_it_waits_on(team, work, login_as):
    cui, firmware, lockout = work
    client = login_as(team.owner)
    shown = text(client.get(url("item", cui)))
    assert "Where it ranks CUI exposure in the register's risk order." in shown
    assert "Why: High severity · protects CUI directly (3.13.16) · due in 9 days" in shown
    page = client.get(url("item", firmware)).content.decode()
    assert 'name="blockers-version" value="1"' in page
    response = client.post(url("item_blockers", cui), {"blockers-version": "1",
                                                        "blockers-blocked_by": firmware.identifier.lower()})
    assert response.status_code == 302 and response["Location"].endswith("#ranking")
    assert list(ItemBlocker.objects.filter(item=cui).values_list("blocker__identifier", flat=True)) == [
        firmware.identifier]
    shown = text(client.get(url("item", firmware)))
    # Minor on its own, the firmware now sits directly before the CUI work that waits on it.
    assert "Where it ranks CUI exposure in the register's risk order." in shown
    assert f"Why: Low severity · blocks {cui.identifier} · no due date" in shown
    assert f"Blocked by — Blocks {cui.identifier}" in shown
    assert f"Blocked by {firmware.identifier} Blocks —" in text(client.get(url("item", cui)))
    register = text(client.get(reverse("web:register", args=[team.org.slug])))
    assert f"Low severity · blocks {cui.identifier} · no due date" in register
    assert "Moderate severity · due in 60 days" in register
    event = AuditEvent.objects.filter(organization=team.org, action="set_blockers").get()
    assert (event.actor_id, event.after["blocked_by"]) == (team.owner.pk, [firmware.identifier])
    assert "Blocked-by links changed" in text(client.get(url("item", cui)))


def test_a_cycle_a_stranger_and_a_stale_page_are_refused_with_the_reason(team, rival, work, login_as):
    cui, firmware, lockout = work
    client = login_as(team.owner)
    services.set_blockers(team.owner, cui, [firmware.identifier])
    refused = client.post(url("item_blockers", firmware), {"blockers-version": "1",
                                                            "blockers-blocked_by": cui.identifier})
    assert refused.status_code == 400
    assert (f"Not saved: {firmware.identifier} cannot be blocked by {cui.identifier}: {cui.identifier} waits on "
            f"{firmware.identifier} already") in text(refused)
    make_item(rival, requirements=["3.1.10"], title="Their item")
    theirs = make_item(rival, requirements=["3.1.10"], title="Their other item")  # POAM-AC-002: none of ours
    refused = client.post(url("item_blockers", lockout), {"blockers-version": "1",
                                                           "blockers-blocked_by": theirs.identifier})
    assert refused.status_code == 400 and "is not an item of this organization" in text(refused)
    # Someone linked the item since the page was read (version 1): the save is refused, saying what changed.
    services.set_blockers(team.coordinator, lockout, [firmware.identifier])
    stale = client.post(url("item_blockers", lockout), {"blockers-version": "1", "blockers-blocked_by": ""})
    assert stale.status_code == 409 and "Blocked by is now" in text(stale)
    assert ItemBlocker.objects.filter(item=lockout).count() == 1
    assert login_as(team.viewer).post(url("item_blockers", lockout), {"blockers-blocked_by": ""}).status_code == 403


def test_the_item_form_sets_the_touches_cui_mark_and_the_order_follows(team, work, login_as):
    cui, firmware, lockout = work
    client = login_as(team.owner)
    form = client.get(url("item_edit", lockout)).content.decode()
    assert 'name="touches_cui"' in form
    data = {"version": "1", "title": lockout.title, "weakness": lockout.weakness, "severity": "moderate",
            "remediation": lockout.remediation, "resources": lockout.resources,
            "start_date": lockout.start_date.isoformat(),
            "scheduled_completion": lockout.scheduled_completion.isoformat(), "touches_cui": "true"}
    response = client.post(url("item_edit", lockout), data)
    assert response.status_code == 302, text(response)
    assert PoamItem.objects.get(pk=lockout.pk).touches_cui is True
    shown = text(client.get(url("item", lockout)))
    assert "Touches CUI Yes" in shown
    assert "Why: Moderate severity · touches CUI · due in 60 days" in shown
