"""The Item screen's workflow in Debian's Chromium, against a live server: sign-in with TOTP, a milestone
ticked inline, evidence uploaded, closure requested by the owner and approved by someone else, and the
refusals (self-approval, a viewer, another organization, a slip without a reason) seen as a person sees them.

Fixtures from tests/browser/conftest.py: ``browser`` (Debian's Chromium), ``sign_in(page, user)``, ``team``,
``rival``, and ``transactional_db`` with the audit triggers lifted for the flush.
"""

from __future__ import annotations

import hashlib
import os
import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from punchlist.register import services
from punchlist.register.models import Milestone, PoamItem, Status
from punchlist.testing import make_item

TODAY = date.today()
PLAIN_HTTP = {"SECURE_SSL_REDIRECT": False, "SESSION_COOKIE_SECURE": False, "CSRF_COOKIE_SECURE": False,
              "SECURE_HSTS_SECONDS": 0}

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_server():
    """pytest-django's live server, started for this module over plain HTTP. SecurityMiddleware reads
    SECURE_SSL_REDIRECT once, when the server thread builds its handler, so the session-wide server (started
    before any function-scoped settings fixture) would redirect every request to https://."""
    from django.test import override_settings
    from pytest_django.live_server_helper import LiveServer

    with override_settings(**PLAIN_HTTP):
        server = LiveServer(os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost")
        yield server
        server.stop()


@pytest.fixture
def open_as(browser, live_server, sign_in):
    """``open_as(user)``: a browser context of its own, signed in as ``user`` through the real sign-in
    pages (and the MFA page with a TOTP code for approvers and admins: tests/browser/conftest.py)."""
    contexts = []

    def open_page(user):
        context = browser.new_context(base_url=live_server.url)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = sign_in(context.new_page(), user)
        page.wait_for_url(lambda url: "/accounts/" not in url)
        return page

    yield open_page
    for context in contexts:
        context.close()


def item_path(item, *parts) -> str:
    return "/".join([f"/o/{item.organization.slug}/items/{item.identifier}", *[str(p) for p in parts]]) + "/"


def forge(page, path: str, data: dict | None = None, multipart: dict | None = None):
    """A POST the page's buttons would never send, with the person's own session and CSRF token: what a
    hand-crafted request from a signed-in browser looks like."""
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    if multipart is not None:
        return page.request.post(path, multipart=multipart, headers={"X-CSRFToken": token})
    return page.request.post(path, form=data or {}, headers={"X-CSRFToken": token})


# --- the workflow ---------------------------------------------------------------------------------------

def test_owner_ticks_a_milestone_and_asks_for_closure_with_evidence_then_approver_closes(team, open_as, tmp_path):
    item = make_item(team)
    services.add_milestone(team.owner, item, "Apply the lockout GPO to every OU", TODAY + timedelta(days=7))
    services.add_milestone(team.owner, item, "Export the GPO report", TODAY + timedelta(days=14))
    owner = open_as(team.owner)
    owner.goto(item_path(item))
    owner.evaluate("window.stillTheSamePage = true")

    # Ticked inline: the row is swapped by htmx, the page is not reloaded.
    owner.get_by_role("button", name="Mark done: Apply the lockout GPO to every OU").click()
    row = owner.locator("li.item-milestone", has_text="Apply the lockout GPO to every OU")
    expect(row).to_contain_text(f"done on {TODAY.day} {TODAY:%b %Y}")  # as written
    expect(owner.locator("#history tr", has_text="Milestone done")).to_contain_text("Apply the lockout GPO")
    assert owner.evaluate("window.stillTheSamePage") is True
    assert Milestone.objects.get(item=item, description__startswith="Apply").done_on == TODAY

    owner.get_by_role("button", name="Start work").click()
    expect(owner.locator(".item-status")).to_have_text("In progress")

    # Asking for closure before any evidence is refused in words.
    owner.get_by_label("What was done, and where the evidence shows it").fill("Lockout GPO on every OU")
    owner.get_by_role("button", name="Request closure").click()
    expect(owner.get_by_role("alert")).to_contain_text("has no evidence")
    expect(owner.get_by_label("What was done, and where the evidence shows it")).to_have_value(
        "Lockout GPO on every OU")

    report = tmp_path / "gpo-lockout-report.html"
    report.write_bytes(b"<html><body>Account lockout threshold: 5</body></html>")
    owner.get_by_label("File").set_input_files(str(report))
    owner.get_by_label("Description").fill("GPMC export of the Default Domain Policy")
    owner.get_by_role("button", name="Add the evidence").click()
    digest = hashlib.sha256(report.read_bytes()).hexdigest()
    expect(owner.locator("table.item-evidence")).to_contain_text(digest)
    expect(owner.locator("table.item-evidence")).to_contain_text("gpo-lockout-report.html")

    # The evidence comes back as a download, never rendered.
    with owner.expect_download() as download:
        owner.get_by_role("link", name="gpo-lockout-report.html", exact=True).click()
    assert download.value.suggested_filename == "gpo-lockout-report.html"
    assert open(download.value.path(), "rb").read() == report.read_bytes()

    # Nor while a milestone is open: each is done (or dropped with a reason) first.
    owner.get_by_label("What was done, and where the evidence shows it").fill("Lockout GPO on every OU")
    owner.get_by_role("button", name="Request closure").click()
    expect(owner.get_by_role("alert")).to_contain_text("1 open milestone(s): “Export the GPO report”")
    owner.get_by_role("button", name="Mark done: Export the GPO report").click()
    expect(owner.locator("li.item-milestone", has_text="Export the GPO report")).to_contain_text("done on")

    owner.get_by_label("What was done, and where the evidence shows it").fill("Lockout GPO on every OU")
    owner.get_by_role("button", name="Request closure").click()
    expect(owner.locator(".item-status")).to_have_text("Ready for verification")
    expect(owner.get_by_role("button", name="Approve closure")).to_have_count(0)

    approver = open_as(team.approver)
    approver.goto(item_path(item))
    approver.get_by_label("What you verified").fill("Checked the GPMC export against AD")
    approver.get_by_role("button", name="Approve closure").click()
    expect(approver.locator(".item-status")).to_have_text("Closed")
    history = approver.locator("#history")
    expect(history).to_contain_text("Closure approved")
    expect(history).to_contain_text("Checked the GPMC export against AD")
    expect(history).to_contain_text("Lockout GPO on every OU")
    item.refresh_from_db()
    assert (item.status, item.verified_by) == (Status.CLOSED, team.approver)


def test_the_owner_cannot_approve_their_own_item(team, open_as):
    # The primary owner is an approver too (MFA), and another approver is the item's authority.
    item = make_item(team, primary_owner=team.approver2, approval_authority=team.approver,
                     evidence_custodian=team.approver2)
    services.change_status(team.approver2, item, Status.IN_PROGRESS)
    services.add_evidence(team.approver2, item, name="report.pdf", content=b"%PDF-1.7 lockout")
    services.request_closure(team.approver2, item, note="done")
    owner = open_as(team.approver2)
    owner.goto(item_path(item))
    expect(owner.locator(".item-status")).to_have_text("Ready for verification")
    expect(owner.get_by_role("button", name="Approve closure")).to_have_count(0)
    item.refresh_from_db()
    forged = forge(owner, item_path(item, "move", "approve"),
                   {"move-approve-version": str(item.version), "move-approve-reason": "looks fine to me"})
    assert forged.status == 403
    assert "may not approve its closure" in forged.text()
    item.refresh_from_db()
    assert item.status == Status.READY_FOR_VERIFICATION and item.verified_by is None


def test_a_viewer_cannot_change_anything(team, open_as):
    item = make_item(team)
    milestone = services.add_milestone(team.owner, item, "Apply the GPO", TODAY + timedelta(days=3))
    services.add_evidence(team.owner, item, name="ticket", reference="CHG0041")
    viewer = open_as(team.viewer)
    viewer.goto(item_path(item))
    expect(viewer.locator("h1")).to_contain_text(item.identifier)
    expect(viewer.locator("#main form")).to_have_count(0)  # not one control: no forms at all
    expect(viewer.get_by_role("button", name=re.compile("Mark done"))).to_have_count(0)
    expect(viewer.get_by_role("link", name="Edit")).to_have_count(0)
    version = str(item.version)
    attempts = {
        item_path(item, "edit"): {"version": version, "title": "viewer was here"},
        item_path(item, "due"): {"due-version": version, "due-scheduled_completion": TODAY.isoformat()},
        item_path(item, "milestones"): {"milestone-description": "viewer's milestone"},
        item_path(item, "milestones", milestone.pk, "done"): {},
        item_path(item, "milestones", milestone.pk, "slip"): {f"slip-{milestone.pk}-due": TODAY.isoformat(),
                                                              f"slip-{milestone.pk}-reason": "because"},
        f"/o/{team.org.slug}/items/new/": {"requirements": "3.1.1", "title": "viewer's item"},
    }
    for key in ("open", "start", "request_closure", "back_to_open", "withdraw", "approve", "reject", "reopen",
                "accept_risk"):
        attempts[item_path(item, "move", key)] = {f"move-{key}-version": version, f"move-{key}-reason": "because"}
    for path, data in attempts.items():
        response = forge(viewer, path, data)
        assert response.status == 403, path
        assert "Not allowed" in response.text(), path
    upload = forge(viewer, item_path(item, "evidence"), multipart={
        "evidence-file": {"name": "x.txt", "mimeType": "text/plain", "buffer": b"viewer"}})
    assert upload.status == 403
    viewer.goto(item_path(item, "edit"))
    expect(viewer.get_by_role("alert")).to_contain_text("may not change item")
    fresh = PoamItem.objects.get(pk=item.pk)
    assert (fresh.version, fresh.title, fresh.evidence.count(), fresh.milestones.count()) == (
        item.version, item.title, 1, 1)
    assert Milestone.objects.get(pk=milestone.pk).done_on is None


def test_a_user_of_another_organization_gets_404_on_every_item_url(team, rival, open_as):
    item = make_item(team)
    milestone = services.add_milestone(team.owner, item, "Apply the GPO", TODAY + timedelta(days=3))
    evidence = services.add_evidence(team.owner, item, name="gpo.html", content=b"<html>gpo</html>")
    stranger = open_as(rival.admin)
    gets = [item_path(item), item_path(item, "edit"), item_path(item, "evidence", evidence.pk),
            f"/o/{team.org.slug}/items/new/"]
    for path in gets:
        response = stranger.goto(path)
        assert response.status == 404, path
    posts = [item_path(item, "edit"), item_path(item, "due"), item_path(item, "milestones"),
             item_path(item, "milestones", milestone.pk, "done"), item_path(item, "milestones", milestone.pk, "slip"),
             item_path(item, "evidence"), f"/o/{team.org.slug}/items/new/"]
    posts += [item_path(item, "move", key) for key in ("open", "start", "request_closure", "back_to_open",
                                                       "withdraw", "approve", "reject", "reopen", "accept_risk")]
    for path in posts:
        response = forge(stranger, path, {"move-start-version": str(item.version)})
        assert response.status == 404, path
    # The rival's own item with the same identifier is theirs; ours stays unreachable from their slug.
    rival_item = make_item(rival)
    assert rival_item.identifier == item.identifier
    assert stranger.goto(f"/o/{rival.org.slug}/items/{item.identifier}/evidence/{evidence.pk}/").status == 404
    assert forge(stranger, f"/o/{rival.org.slug}/items/{item.identifier}/milestones/{milestone.pk}/done/"
                 ).status == 404
    assert Milestone.objects.get(pk=milestone.pk).done_on is None


def test_a_slipped_date_without_a_reason_is_refused_on_the_page(team, open_as):
    item = make_item(team)
    first = TODAY + timedelta(days=10)
    services.add_milestone(team.owner, item, "Pilot on the finance OU", first)
    owner = open_as(team.owner)
    owner.goto(item_path(item))
    row = owner.locator("li.item-milestone", has_text="Pilot on the finance OU")
    row.get_by_text("Reschedule", exact=True).click()
    later = (first + timedelta(days=21)).isoformat()
    row.get_by_label("New due date").fill(later)
    row.get_by_role("button", name="Reschedule the milestone").click()
    alert = owner.get_by_role("alert").first
    expect(alert).to_contain_text("is a slip and needs a reason")
    row = owner.locator("li.item-milestone", has_text="Pilot on the finance OU")
    expect(row.get_by_label("New due date")).to_be_visible()  # the form is open again ...
    expect(row.get_by_label("New due date")).to_have_value(later)  # ... with the date as typed
    assert Milestone.objects.get(item=item).due == first
    # With a reason it goes through, and is counted as a slip.
    row.get_by_label("Why it moves").fill("Finance is closing the quarter")
    row.get_by_role("button", name="Reschedule the milestone").click()
    expect(owner.locator("#milestones")).to_contain_text(f"first planned {first.day} {first:%b %Y}")  # as written
    expect(owner.locator("#history")).to_contain_text("Finance is closing the quarter")
    assert Milestone.objects.get(item=item).due.isoformat() == later

    # The item's own date: later without a reason is refused the same way, the typed date kept.
    owner.get_by_text("Change the scheduled completion").click()
    new_due = (item.scheduled_completion + timedelta(days=30)).isoformat()
    owner.get_by_label("New scheduled completion").fill(new_due)
    owner.get_by_role("button", name="Change the date").click()
    expect(owner.get_by_role("alert").first).to_contain_text("is a slip and needs a reason")
    expect(owner.get_by_label("New scheduled completion")).to_have_value(new_due)
