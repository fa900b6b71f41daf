"""The Content-Security-Policy in a real browser: Chromium reports every script, style or eval it blocks as a
'securitypolicyviolation' event; a working page under the policy reports none, while htmx swaps fragments and
the calendar address is selected by the static script that replaced an inline handler."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from punchlist.testing import make_item

pytestmark = pytest.mark.browser

WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation',
  e => window.__violations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline')));
"""


def violations(page) -> list[str]:
    return page.evaluate("window.__violations || []")


def test_pages_work_under_the_policy_without_a_single_violation(page, sign_in, team, live_server):
    item = make_item(team, title="Lock accounts after five failed logons")
    page.add_init_script(WATCH)
    sign_in(page, team.owner)
    seen = []
    for path in (f"/o/{team.org.slug}/register/", f"/o/{team.org.slug}/items/{item.identifier}/",
                 f"/o/{team.org.slug}/reports/", "/accounts/2fa/", f"/o/{team.org.slug}/reviews/weekly/"):
        response = page.goto(path)
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
        seen += [f"{path}: {v}" for v in violations(page)]
    # htmx at work under the policy: the weekly update saves a row in place.
    row = page.locator(f"li[data-item='{item.identifier}']")
    row.get_by_label("Progress this week").fill("GPO drafted")
    row.get_by_label("Next step").fill("Apply to the domain")
    row.get_by_role("button", name=re.compile("Save")).click()
    expect(row).to_contain_text(re.compile("Saved|Updated", re.I))
    # The calendar address, selected whole on a click by app.js (it was an inline onclick).
    page.get_by_role("button", name="Make my calendar address").click()
    field = page.get_by_label("Calendar address")
    field.click()
    assert page.evaluate("document.activeElement.selectionEnd - document.activeElement.selectionStart") == len(
        field.input_value())
    seen += violations(page)
    assert not seen, seen
