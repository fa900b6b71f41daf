"""The screenshot walk: every screen, as each of the seven demo users, on a desk (1366x900) and on a phone
(390x844), in Debian's Chromium against a live server holding the demo organization (its history ending on a
pinned day). Each screen is saved as an image, to $PUNCHLIST_SCREENSHOTS when set (not committed), else to the
test's own temporary folder (JPEG: encoding 300 full-width PNGs took most of the walk's time), and the walk fails on any screen that

- answers with a server error,
- is wider than the window (document.documentElement.scrollWidth > window.innerWidth),
- breaks a word of a table cell across lines ("Ite / m", "202 / 6"): a wide table scrolls in its own box
  instead, or
- shows template syntax ("{#", "{%", "{{") in its HTML, or
- writes a date as a machine does (2026-11-23) in the text a person reads (dates are written "23 Nov 2026";
  a date field's value is the browser's, and what people wrote themselves is shown as they wrote it).

A screen a role may not see is walked too: the refusal is a screen of its own and must read as well.
"""

from __future__ import annotations

import os
import re
import time
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
import time_machine

from punchlist.testing import totp_code

pytestmark = pytest.mark.browser
DEMO_DAY = date(2026, 12, 7)
VIEWPORTS = {"desk": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
TEMPLATE_SYNTAX = re.compile(r"\{[#%{]")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
# The text a person reads, less what people wrote themselves (an implementation statement may say "SSP v4.1
# (2026-09-15)": their words are shown as they wrote them).
THEIR_OWN_WORDS = ".assessment-implementation"
SHOWN_TEXT = """(theirs) => {
  const parts = [], walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const holder = node.parentElement;
    if (!holder || holder.closest("script, style, template, textarea, " + theirs)) continue;
    if (!holder.getClientRects().length) continue;
    parts.push(node.data);
  }
  return parts.join(" ");
}"""
SHOT_HEIGHT = 1800
# The outermost elements that stick out past the window's right edge (not those in the flow of a box that
# scrolls or clips; a positioned one may escape it), named as "tag.class#id": what a page that overflows must
# mend.
STICKING_OUT = """() => {
  const edge = window.innerWidth, found = [];
  const clipped = el => { for (let up = el.parentElement; up; up = up.parentElement) {
    if (getComputedStyle(up).overflowX !== "visible") return up !== document.documentElement && up !== document.body;
  } return false; };
  for (const el of document.querySelectorAll("body *")) {
    if (el.getBoundingClientRect().right <= edge) continue;
    if (!["absolute", "fixed"].includes(getComputedStyle(el).position) && clipped(el)) continue;
    if (found.some(outer => outer.contains(el))) continue;
    found.push(el);
  }
  return found.slice(0, 3).map(el => el.tagName.toLowerCase() + (el.className ? "." + String(el.className).trim()
    .replace(/\\s+/g, ".") : "") + (el.id ? "#" + el.id : ""));
}"""
# The words of the table cells that the browser laid out over more than one line. A word is a run between
# the places a line may break anyway (spaces, hyphens, slashes); one drawn on two lines has two rectangles
# at different heights. Runs over 24 characters (a hash, an address) may break where they must.
BROKEN_WORDS = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll("main td, main th")) {
    if (!cell.offsetParent) continue;
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.data.matchAll(/[^\\s\\-\\/\\u2010-\\u2015\\u00b7,;:()]{2,}/g)) {
        if (match[0].length > 24) continue;
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const tops = [...range.getClientRects()].filter(r => r.width > 0).map(r => r.top);
        if (tops.length > 1 && Math.max(...tops) - Math.min(...tops) > 4) broken.push(match[0]);
      }
    }
  }
  return broken;
}"""


@pytest.fixture
def demo(transactional_db):
    from punchlist.web import demo as demo_module

    with time_machine.travel(datetime(2026, 12, 7, 12, tzinfo=timezone.utc), tick=True):
        yield demo_module.seed(today=DEMO_DAY)


def screens(organization) -> list[tuple[str, str]]:
    """(name, address) of every screen a person reaches from the menus, with one of each kind of detail."""
    from punchlist.register.models import Evidence
    from punchlist.rhythm.models import ManagementReview

    slug = organization.slug
    o = f"/o/{slug}"
    evidence = Evidence.objects.filter(item__organization=organization).order_by("pk").first()
    review = ManagementReview.objects.for_organization(organization).order_by("-month").first()
    return [
        ("home", "/"), ("my-work", f"{o}/work/"), ("register", f"{o}/register/"),
        ("register-filtered", f"{o}/register/?finding=any&sort=due"),
        ("item-open", f"{o}/items/POAM-SC-001/"), ("item-ready", f"{o}/items/POAM-PE-001/"),
        ("item-closed", f"{o}/items/POAM-PS-001/"), ("item-edit", f"{o}/items/POAM-SC-001/edit/"),
        ("item-new", f"{o}/items/new/"), ("evidence", f"{o}/evidence/{evidence.pk}/"),
        ("import", f"{o}/import/"), ("assessment", f"{o}/assessment/"),
        ("people", f"{o}/people/"),
        ("report-leadership", f"{o}/reports/"), ("report-security", f"{o}/reports/security/"),
        ("report-operations", f"{o}/reports/operations/"), ("review-weekly", f"{o}/reviews/weekly/"),
        ("review-monthly", f"{o}/reviews/monthly/"), ("review-monthly-record", f"{o}/reviews/monthly/{review.pk}/"),
        ("review-quarterly", f"{o}/reviews/quarterly/"), ("rules", "/rules/"), ("security", "/accounts/2fa/"),
        ("password", "/accounts/password/change/"),
    ]


def test_every_screen_for_every_role_on_a_desk_and_a_phone(browser, demo, live_server, tmp_path):
    from django.contrib.auth import get_user_model

    from punchlist.web import demo as demo_module

    folder = Path(os.environ.get("PUNCHLIST_SCREENSHOTS") or tmp_path / "screens")
    folder.mkdir(parents=True, exist_ok=True)
    users = {u.username: u for u in get_user_model().objects.filter(
        username__in=[p.username for p in demo_module.PEOPLE])}
    walk = screens(demo.organization)
    problems, timings, shots, shooting = [], [], 0, 0.0
    started = time.monotonic()
    for person in demo_module.PEOPLE:
        context = browser.new_context(base_url=live_server.url, viewport=VIEWPORTS["desk"])
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(person.username)
        page.get_by_label("Password").fill(demo_module.PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        if person.username in demo.secrets:
            page.wait_for_url("**/accounts/2fa/authenticate/")
            page.get_by_label("Code").fill(totp_code(demo.secrets[person.username]))
            page.get_by_role("button", name="Verify").click()
        page.wait_for_url(lambda url: "/accounts/" not in url)
        assert users[person.username].is_authenticated
        for viewport, size in VIEWPORTS.items():
            page.set_viewport_size(size)
            for name, address in walk:
                began = time.monotonic()
                response = page.goto(address)
                timings.append((time.monotonic() - began, address))
                where = f"{person.username} {viewport} {name} ({address})"
                if response is None or response.status >= 500:
                    problems.append(f"{where}: server error {response and response.status}")
                    continue
                wide, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
                if wide > window:
                    problems.append(f"{where}: {wide} px wide in a {window} px window, past its edge: "
                                    + ", ".join(page.evaluate(STICKING_OUT)))
                broken = page.evaluate(BROKEN_WORDS)
                if broken:
                    problems.append(f"{where}: {len(broken)} word(s) of table cells broken across lines, e.g. "
                                    + ", ".join(repr(word) for word in broken[:5]))
                shown = page.evaluate(SHOWN_TEXT, THEIR_OWN_WORDS)
                machine = [shown[max(m.start() - 30, 0):m.end()] for m in ISO_DATE.finditer(shown)]
                if machine:
                    problems.append(f"{where}: {len(machine)} ISO date(s) in the text, e.g. {machine[:3]!r}")
                html = response.text()  # the HTML as the server sent it, where a template would leak
                leaked = TEMPLATE_SYNTAX.search(html)
                if leaked:
                    problems.append(f"{where}: template syntax {html[leaked.start():leaked.start() + 40]!r}")
                # The page from its top, at most SHOT_HEIGHT tall: the checks above cover the whole page, and
                # the 110 requirements of the assessment would take seconds to encode in full.
                tall = page.evaluate("document.documentElement.scrollHeight")
                began = time.monotonic()
                page.screenshot(path=str(folder / f"{person.username}-{viewport}-{name}.jpg"), full_page=True,
                                type="jpeg", quality=70,
                                clip={"x": 0, "y": 0, "width": size["width"], "height": min(tall, SHOT_HEIGHT)})
                shooting += time.monotonic() - began
                shots += 1
        context.close()
    slowest = sorted(timings, reverse=True)[:3]
    print(f"\n{shots} screenshots in {folder} in {time.monotonic() - started:.0f} s ({shooting:.0f} s taking "
          f"them); slowest loads: "
          + ", ".join(f"{address} {seconds * 1000:.0f} ms" for seconds, address in slowest))
    assert shots == len(demo_module.PEOPLE) * len(VIEWPORTS) * len(walk) - sum("server error" in p for p in problems)
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)
