"""The web import in Debian's Chromium against a live server: a coordinator uploads a tracker whose headers
the readers do not know, maps its columns in the preview (htmx shows each chosen column's values), checks
and sees a wrongly mapped column's problems by row and column, corrects it, and imports while the page says
it is working; the register then holds the items."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from punchlist.audit.models import AuditEvent
from punchlist.register.models import PoamItem

pytestmark = pytest.mark.browser
DUE = date.today() + timedelta(days=90)
TRACKER = f"""Acme's own tracker,,,,,
Ref,Ctrl,What is wrong,Fix by,Who,Type
A-1,3.1.1,Shared admin account,{DUE.isoformat()},Marcus Lee,Technical
A-2,3.5.3,No MFA on the VPN,{DUE.isoformat()},Marcus Lee,Policy
"""


def field_row(page, label: str):
    return page.locator("table.import-mapping tr").filter(has=page.get_by_label(label, exact=True))


def test_a_coordinator_corrects_the_mapping_checks_and_imports(page, sign_in, team, tmp_path):
    path = tmp_path / "tracker.csv"
    path.write_text(TRACKER)
    sign_in(page, team.coordinator)
    page.goto(f"/o/{team.org.slug}/register/")
    page.get_by_role("link", name="Import").click()
    page.get_by_label("POA&M file").set_input_files(str(path))
    page.get_by_role("button", name="Upload and preview").click()

    expect(page.get_by_role("heading", name="Import tracker.csv")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("No column of row 2 has a name known to hold the requirement")
    expect(page.locator(".import-sample table")).to_contain_text("Shared admin account")

    page.evaluate("window.reloaded = false")
    page.get_by_label("Requirement(s)", exact=True).select_option(label="B: Ctrl")
    expect(field_row(page, "Requirement(s)")).to_contain_text("3.1.1 · 3.5.3")  # htmx: the chosen column's values
    expect(page.get_by_role("alert")).to_have_count(0)
    for label, column, values in [("Item id", "A: Ref", "A-1 · A-2"),
                                  ("Weakness", "C: What is wrong", "Shared admin account · No MFA on the VPN"),
                                  ("Scheduled completion", "D: Fix by", f"{DUE.isoformat()} · {DUE.isoformat()}"),
                                  ("Primary owner", "E: Who", "Marcus Lee · Marcus Lee"),
                                  ("Record type", "F: Type", "Technical · Policy")]:
        page.get_by_label(label, exact=True).select_option(label=column)
        expect(field_row(page, label)).to_contain_text(values)
    assert page.evaluate("window.reloaded") is False  # every change was an htmx swap of the page's main part

    before = AuditEvent.objects.count()
    page.get_by_role("button", name="Check every row").click()
    rows = page.locator("table.import-problems tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("td")).to_have_text(["3", "Type (record type)",
                                                    re.compile(r"^'Technical' is not a record type")])
    expect(rows.nth(1).locator("td")).to_have_text(["4", "Type (record type)",
                                                    re.compile(r"^'Policy' is not a record type")])
    assert not PoamItem.objects.exists() and AuditEvent.objects.count() == before

    page.get_by_label("Record type", exact=True).select_option(label="— not imported —")
    page.get_by_role("button", name="Check every row").click()
    expect(page.locator("#import-outcome")).to_contain_text("Every row passes")
    expect(page.locator("#import-outcome")).to_contain_text("would add 2 items")
    expect(page.locator("#import-outcome")).to_contain_text("2 rows come in as operational plan of action items")
    assert not PoamItem.objects.exists()

    # While the import runs the page says so and its buttons are off: the request is held until that is seen.
    held = []
    page.route("**/import/*/", lambda route: held.append(route) if route.request.method == "POST"
               else route.continue_())
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator("#import-busy")).to_be_visible()
    expect(page.get_by_role("button", name="Import", exact=True)).to_be_disabled()
    assert len(held) == 1 and "action=import" in held[0].request.post_data
    held[0].continue_()
    expect(page.get_by_role("heading", name="Imported tracker.csv")).to_be_visible()
    expect(page.locator(".import-done")).to_contain_text("2 items added, 0 updated, 0 unchanged")
    # Neither 3.1.1 nor 3.5.3 may be on a POA&M: both came in as operational plan of action items.
    expect(page.locator(".import-operational")).to_contain_text("Row 4 (A-2): 3.5.3 may never be on a POA&M")
    page.get_by_role("link", name="OPA-IA-001").click()
    expect(page.get_by_text("No MFA on the VPN").first).to_be_visible()
    items = PoamItem.objects.filter(organization=team.org).order_by("identifier")
    assert [(i.identifier, i.external_id, i.primary_owner_id) for i in items] == [
        ("OPA-AC-001", "A-1", team.owner.pk), ("OPA-IA-001", "A-2", team.owner.pk)]


def test_a_column_chosen_the_moment_the_preview_is_swapped_in_still_shows_its_values(page, sign_in, team, tmp_path):
    """The swapped-in preview answers a change at once: a person (or a fast test) who picks the next column as
    soon as the previous answer lands must not see the choice silently dropped."""
    path = tmp_path / "tracker.csv"
    path.write_text(TRACKER)
    sign_in(page, team.coordinator)
    page.goto(f"/o/{team.org.slug}/import/")
    page.get_by_label("POA&M file").set_input_files(str(path))
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", name="Import tracker.csv")).to_be_visible()
    # When the answer to the first choice has been swapped in, the second is made in the same task.
    page.evaluate("""() => document.body.addEventListener("htmx:afterRequest", () => {
        const select = document.getElementById(
            [...document.querySelectorAll("table.import-mapping label")]
                .find(label => label.textContent.trim() === "Weakness").htmlFor);
        select.value = [...select.options].find(option => option.text === "C: What is wrong").value;
        select.dispatchEvent(new Event("change", {bubbles: true}));
    }, {once: true})""")
    page.get_by_label("Requirement(s)", exact=True).select_option(label="B: Ctrl")
    expect(field_row(page, "Weakness")).to_contain_text("Shared admin account · No MFA on the VPN")
    expect(field_row(page, "Requirement(s)")).to_contain_text("3.1.1 · 3.5.3")
