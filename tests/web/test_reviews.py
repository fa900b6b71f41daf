"""The three review screens through Django's test client: the weekly update (plain and htmx), the monthly
review's agenda and record, the quarterly validation's sign-off and failure; refusals, tenancy, the calendar
address, and query counts that do not grow with the register."""

from __future__ import annotations

import html
import os
import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from punchlist.core.catalog import load_catalog
from punchlist.register import services as register
from punchlist.register.models import Status
from punchlist.register.services import evidence as vault
from punchlist.rhythm import services as rhythm
from punchlist.rhythm.models import ManagementReview, QuarterlyValidation, ScoreSnapshot, WeeklyUpdate
from punchlist.rhythm.periods import month_of, previous_month
from punchlist.rhythm.queries import unupdated_items
from punchlist.testing import make_item

TODAY = date.today()


def text(response) -> str:
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def url(name, team, *args):
    return reverse(f"web:{name}", args=[team.org.slug, *args])


def closed_item(team, title="Lock accounts", requirements=("3.1.8",), content=b"%PDF-1.7 GPO report"):
    item = make_item(team, title=title, requirements=requirements)
    vault.add_evidence(team.owner, item, name="gpo-report.pdf", content=content)
    register.request_closure(team.owner, item)
    register.approve_closure(team.approver, item)
    item.refresh_from_db()
    return item


# --- weekly ---------------------------------------------------------------------------------------------

def test_the_weekly_page_lists_my_open_items_and_saves_an_update(team, item, login_as):
    other = make_item(team, requirements=("3.5.4",), title="Olive's MFA item", primary_owner=team.owner2,
                      evidence_custodian=team.owner2)
    client = login_as(team.owner)
    page = client.get(url("review_weekly", team))
    assert page.status_code == 200
    assert item.identifier in text(page) and other.identifier not in text(page)
    assert "1 of your 1 open item still to update this week" in text(page)
    response = client.post(url("review_weekly_update", team, item.identifier),
                           {f"w{item.pk}-progress": "GPO drafted", f"w{item.pk}-next_step": "Apply it",
                            f"w{item.pk}-blocker": "", "action": "update"})
    assert response.status_code == 302
    update = WeeklyUpdate.objects.get(item=item)
    assert (update.progress, update.next_step, update.author) == ("GPO drafted", "Apply it", team.owner)
    assert "Updated this week by Marcus Lee" in text(client.get(url("review_weekly", team)))


def test_htmx_swaps_the_row_and_a_refusal_keeps_what_was_typed(team, item, login_as):
    client = login_as(team.owner)
    refused = client.post(url("review_weekly_update", team, item.identifier),
                          {f"w{item.pk}-blocker": "Waiting on the vendor", "action": "update"}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 200  # htmx swaps only 2xx: the row says why, with the text kept
    assert "Not saved:" in text(refused) and "or confirm the item as it stands" in text(refused)
    assert "Waiting on the vendor" in refused.content.decode() and "<html" not in refused.content.decode()
    confirmed = client.post(url("review_weekly_update", team, item.identifier),
                            {f"w{item.pk}-blocker": "Waiting on the vendor", "action": "confirm"},
                            HTTP_HX_REQUEST="true")
    assert "Saved. Confirmed as it stands this week" in text(confirmed) and "blocked" in text(confirmed)
    plain = client.post(url("review_weekly_update", team, item.identifier), {"action": "update"})
    assert plain.status_code == 400 and "Not saved:" in text(plain)


def test_confirm_all_and_the_managers_list_of_unupdated_items(team, item, login_as):
    other = make_item(team, requirements=("3.5.4",), title="MFA")
    olive = make_item(team, requirements=("3.3.3",), title="Olive's", primary_owner=team.owner2,
                      evidence_custodian=team.owner2)
    coordinator = login_as(team.coordinator)
    listed = text(coordinator.get(url("review_weekly", team)))
    assert "Not updated this week (3)" in listed
    assert login_as(team.owner).post(url("review_weekly_confirm_all", team)).status_code == 302
    assert list(unupdated_items(team.org, TODAY)) == [olive]
    listed = text(coordinator.get(url("review_weekly", team)))
    assert "Not updated this week (1)" in listed and olive.identifier in listed
    assert "Not updated this week" not in text(login_as(team.owner).get(url("review_weekly", team)))
    assert other.identifier in text(login_as(team.owner).get(url("review_weekly", team)))


def test_a_forged_update_of_someone_elses_item_is_refused(team, item, login_as):
    response = login_as(team.owner2).post(url("review_weekly_update", team, item.identifier),
                                          {f"w{item.pk}-progress": "x", "action": "update"})
    assert response.status_code == 404  # not among their items at all
    assert not WeeklyUpdate.objects.exists()


# --- calendar -------------------------------------------------------------------------------------------

def test_the_calendar_address_is_shown_once(team, item, login_as):
    client = login_as(team.owner)
    made = client.post(url("review_calendar", team), {"action": "create"})
    assert made.status_code == 200
    address = re.search(r'value="(http://testserver/calendar/[^"]+\.ics)"', made.content.decode()).group(1)
    assert client.get(address).status_code == 200
    assert address not in client.get(url("review_weekly", team)).content.decode()
    assert "Replace my calendar address" in text(client.get(url("review_weekly", team)))
    client.post(url("review_calendar", team), {"action": "revoke"})
    assert client.get(address).status_code == 404


# --- monthly --------------------------------------------------------------------------------------------

def test_the_monthly_agenda_and_its_record(team, item, login_as):
    late = make_item(team, requirements=("3.5.4",), title="Late MFA", start_date=TODAY - timedelta(days=40))
    register.change_due_date(team.coordinator, late, TODAY - timedelta(days=2), reason="agreed")
    client = login_as(team.coordinator)
    page = client.get(url("review_monthly", team))
    assert page.status_code == 200
    # Each item on the agenda leads to its page, where what to do about it is done.
    assert f'<a href="{reverse("web:item", args=[team.org.slug, late.identifier])}">{late.identifier}</a>' \
        in page.content.decode()
    shown = text(page)
    assert "Overdue items (1)" in shown and late.identifier in shown and "No assessment in the register yet" in shown
    assert "No Conditional status: no closeout clock is running" in shown
    response = client.post(url("review_monthly", team), {
        "held_on": TODAY.isoformat(), "attendees": [team.coordinator.pk, team.admin.pk],
        "other_attendees": "Dana Ortiz (CEO)", "decisions": "Escalate the MFA vendor delay."})
    assert response.status_code == 302
    review = ManagementReview.objects.get()
    detail = text(client.get(response["Location"]))
    assert "Escalate the MFA vendor delay." in detail and "Dana Ortiz (CEO)" in detail
    assert "Ada Acme Machining" in detail and "Overdue items (1)" in detail
    assert "This month's review was recorded" in text(client.get(url("review_monthly", team)))
    assert review.agenda["overdue_items"][0]["identifier"] == late.identifier


def test_a_new_organizations_agenda_says_why_the_score_has_no_change_yet(team, login_as):
    """No earlier month's score in the register: the agenda says so in words, and what will give next month's
    agenda a change to show; never a badge against a month that has no score."""
    client = login_as(team.coordinator)
    shown = text(client.get(url("review_monthly", team)))
    assert "No assessment in the register yet, so there is no SPRS score to review" in shown
    assert "imported on the Assessment page" in shown

    assessment = register.create_assessment(team.coordinator, team.org, assessed_on=TODAY - timedelta(days=3))
    for requirement in load_catalog():
        register.set_requirement_status(team.coordinator, assessment, requirement.id, "met")
    shown = text(client.get(url("review_monthly", team)))
    assert "SPRS score 110" in shown and not re.search(r"\d since", shown)  # no change badge
    assert "No change to show yet: this is the first month whose score is kept." in shown
    assert "Recording this month's review keeps today's score, so next month's agenda shows how far it moved." \
        in shown

    rhythm.take_snapshot(team.org)  # the daily reminders keep the month's score
    shown = text(client.get(url("review_monthly", team)))
    assert "This month's score is kept, so next month's agenda shows how far it moved." in shown


def test_an_earlier_month_without_a_score_is_named(team, login_as):
    before = previous_month(month_of(TODAY))
    ScoreSnapshot.objects.create(organization=team.org, month=before, score=None)  # kept before any assessment
    assessment = register.create_assessment(team.coordinator, team.org, assessed_on=TODAY - timedelta(days=3))
    for requirement in load_catalog():
        register.set_requirement_status(team.coordinator, assessment, requirement.id, "met")
    shown = text(login_as(team.viewer).get(url("review_monthly", team)))
    assert (f"No change to show: in {before:%B %Y}, the last month whose score was kept, the register held no "
            "assessment to score.") in shown


def test_a_refused_record_keeps_what_was_typed(team, login_as):
    client = login_as(team.coordinator)
    refused = client.post(url("review_monthly", team), {"held_on": TODAY.isoformat(), "other_attendees": "",
                                                         "decisions": "Keep the plan as it is"})
    assert refused.status_code == 400
    assert "Not saved. record who attended the review" in text(refused)
    assert "Keep the plan as it is" in refused.content.decode()


def test_only_managers_record_the_review(team, login_as):
    owner = login_as(team.owner)
    assert "Record the review" not in text(owner.get(url("review_monthly", team)))
    forged = owner.post(url("review_monthly", team), {"held_on": TODAY.isoformat(), "attendees": [team.owner.pk],
                                                      "decisions": "x"})
    assert forged.status_code == 403 and "may not record review" in text(forged)
    assert not ManagementReview.objects.exists()


# --- quarterly ------------------------------------------------------------------------------------------

def test_the_quarterly_list_sign_off_and_failure(team, login_as, evidence_root):
    good = closed_item(team)
    bad = closed_item(team, title="MFA", requirements=("3.5.4",), content=b"%PDF-1.7 Duo enrollment")
    piece = bad.evidence.get()
    path = evidence_root / piece.file.name
    os.chmod(path, 0o600)
    path.write_bytes(b"%PDF-1.7 Duo enrollment, edited")
    client = login_as(team.coordinator)
    page = client.get(url("review_quarterly", team))
    shown = text(page)
    assert "0 of 2 closed items signed off" in shown
    assert "gpo-report.pdf : ok" in shown and "gpo-report.pdf : altered" in shown
    assert f"Cannot be signed off: evidence “gpo-report.pdf” is altered: {piece.file.name} no longer matches" \
        in shown and str(evidence_root) not in shown  # the vault's own folder is not shown
    forged = client.post(url("review_quarterly_validate", team, bad.identifier), {"action": "pass"})
    assert forged.status_code == 400 and "cannot be signed off" in text(forged)
    assert client.post(url("review_quarterly_validate", team, good.identifier), {"action": "pass"}).status_code == 302
    failed = client.post(url("review_quarterly_validate", team, bad.identifier),
                         {"action": "fail", f"q{bad.pk}-reason": "Enrollment report altered; export it again"})
    assert failed.status_code == 302
    bad.refresh_from_db()
    assert bad.status == Status.IN_PROGRESS
    shown = text(client.get(url("review_quarterly", team)))
    assert "1 of 1 closed item signed off" in shown and "Passed for" in shown


def test_a_problem_of_the_quarterly_check_writes_its_date_as_people_do(team, login_as, evidence_root):
    item = closed_item(team)
    due = TODAY - timedelta(days=35)
    vault.add_evidence(team.owner, item, name="Change ticket", reference="CHG0041",
                       collected_on=TODAY - timedelta(days=400), review_by=due)
    shown = text(login_as(team.coordinator).get(url("review_quarterly", team)))
    assert f"was due for review on {due.day} {due:%b %Y}" in shown and f"review by {due.day} {due:%b %Y}" in shown
    assert due.isoformat() not in shown


def test_a_failure_needs_a_reason_and_owners_cannot_validate(team, login_as):
    item = closed_item(team)
    client = login_as(team.coordinator)
    empty = client.post(url("review_quarterly_validate", team, item.identifier),
                        {"action": "fail", f"q{item.pk}-reason": ""})
    assert empty.status_code == 400 and "This field is required" in text(empty)
    owner = login_as(team.owner)
    assert "Sign off" not in text(owner.get(url("review_quarterly", team)))
    forged = owner.post(url("review_quarterly_validate", team, item.identifier), {"action": "pass"})
    assert forged.status_code == 403
    assert not QuarterlyValidation.objects.exists()


# --- tenancy and query counts ---------------------------------------------------------------------------

def test_another_organization_sees_nothing(team, rival, item, login_as):
    outsider = login_as(rival.coordinator)
    for name in ("review_weekly", "review_monthly", "review_quarterly"):
        assert outsider.get(url(name, team)).status_code == 404
    assert outsider.post(url("review_weekly_update", team, item.identifier), {"action": "confirm"}).status_code \
        == 404
    assert outsider.post(url("review_quarterly_validate", team, item.identifier), {"action": "pass"}).status_code \
        == 404


def count_queries(client, address) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(address).status_code == 200
    return len(captured)


@pytest.mark.parametrize("name", ["review_weekly", "review_monthly", "review_quarterly"])
def test_queries_do_not_grow_with_the_register(team, login_as, name):
    def add(n, start):
        for i in range(start, start + n):
            item = make_item(team, requirements=("3.1.3",), title=f"Item {i}",
                             milestones=[(f"Step {i}", TODAY - timedelta(days=1))])
            WeeklyUpdate.objects.create(organization=team.org, item=item, week_of=TODAY - timedelta(days=14),
                                        author=team.owner, progress="x", blocker="stuck")
            if i % 2:
                register.complete_milestone(team.owner, item.milestones.get())  # put forward only when done
                vault.add_evidence(team.owner, item, name=f"e{i}.txt", content=f"evidence {i}\n".encode())
                register.request_closure(team.owner, item)
                register.approve_closure(team.approver, item)

    client = login_as(team.coordinator)
    add(3, 0)
    few = count_queries(client, url(name, team))
    add(27, 3)
    many = count_queries(client, url(name, team))
    assert many == few, f"{name}: {few} queries for 3 items, {many} for 30"
