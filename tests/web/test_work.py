"""My work: one person's open items by due date, milestones due in the next seven days, what is overdue, and the closures
waiting for their approval; each row links to its item; the same few queries whatever the register's size."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from punchlist.register import services
from punchlist.testing import make_item
from punchlist.web.queries import due_soon_end

TODAY = date.today()


def text(response) -> str:
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def section(response, name: str) -> str:
    """The HTML of one section of the page (id="work-<name>")."""
    body = response.content.decode()
    match = re.search(rf'<section id="work-{name}".*?</section>', body, flags=re.S)
    assert match, f"no section work-{name}"
    return match.group(0)


def work_url(team):
    return reverse("web:my_work", args=[team.org.slug])


def past_item(team, days_ago: int, **fields):
    """An item whose scheduled completion has passed."""
    return make_item(team, start_date=TODAY - timedelta(days=days_ago + 30), scheduled_in_days=None,
                     scheduled_completion=TODAY - timedelta(days=days_ago), **fields)


def ready_for_verification(team, item):
    services.add_evidence(team.owner, item, name="GPO report", reference="SharePoint/Evidence/gpo.pdf")
    return services.request_closure(team.owner, item)


def test_the_organization_front_page_is_my_work(team, login_as):
    client = login_as(team.owner)
    response = client.get(reverse("web:organization", args=[team.org.slug]))
    assert response.status_code == 302 and response["Location"] == work_url(team)
    response = client.get(work_url(team))
    assert response.status_code == 200
    assert "My work" in text(response)


def test_my_open_items_by_due_date_with_links_and_nothing_of_others(team, login_as):
    later = make_item(team, title="Enable BitLocker on laptops", scheduled_in_days=90)
    sooner = make_item(team, title="Lock accounts after five failures", scheduled_in_days=10)
    undated = make_item(team, title="Write the media policy", scheduled_in_days=None)
    supporting = make_item(team, title="Forward logs to the SIEM", primary_owner=team.owner2,
                           supporting_owner=team.owner, scheduled_in_days=30)
    others = make_item(team, title="Someone else's item", primary_owner=team.owner2)
    closed_soon = make_item(team, title="Already handled elsewhere", scheduled_in_days=5)
    ready_for_verification(team, closed_soon)
    services.reject_closure(team.approver, closed_soon, reason="wrong evidence", status="in_progress")
    response = login_as(team.owner).get(work_url(team))
    mine = section(response, "open")
    order = [m.group(1) for m in re.finditer(r'href="/o/[^/]+/items/([^/]+)/"', mine)]
    assert order == [closed_soon.identifier, sooner.identifier, supporting.identifier, later.identifier,
                     undated.identifier]
    assert others.identifier not in mine
    assert f'href="{reverse("web:item", args=[team.org.slug, sooner.identifier])}"' in mine
    assert "(supporting)" in mine
    assert "5 open items" in text(response)


def test_closed_items_leave_my_list(team, login_as):
    item = make_item(team, title="Rotate the VPN certificate")
    ready_for_verification(team, item)
    services.approve_closure(team.approver, item)
    response = login_as(team.owner).get(work_url(team))
    assert item.identifier not in section(response, "open")
    assert "You have no open items." in text(response)


def test_overdue_items_and_milestones(team, login_as):
    late = past_item(team, 12, title="Patch the CNC controller PCs")
    on_time = make_item(team, title="Deploy the screen lock policy", scheduled_in_days=40)
    late_step = services.add_milestone(team.owner, on_time, "Pilot on five laptops", TODAY - timedelta(days=3))
    done_step = services.add_milestone(team.owner, on_time, "Write the GPO", TODAY - timedelta(days=5))
    services.complete_milestone(team.owner, done_step)
    someone_elses = past_item(team, 4, title="Someone else's late item", primary_owner=team.owner2)
    response = login_as(team.owner).get(work_url(team))
    overdue = section(response, "overdue")
    assert late.identifier in overdue and "Patch the CNC controller PCs" in overdue
    assert "Pilot on five laptops" in overdue and late_step.item.identifier in overdue
    assert "Write the GPO" not in overdue
    assert someone_elses.identifier not in overdue
    assert "1 overdue item, 1 overdue milestone" in text(response)
    assert "overdue" in section(response, "open")  # the late item is flagged in the full list too


def test_milestones_due_in_the_next_seven_days(team, login_as):
    item = make_item(team, title="Roll out MFA to the shop floor", scheduled_in_days=60)
    this_week = services.add_milestone(team.owner, item, "Enrol the night shift", due_soon_end(TODAY))
    services.add_milestone(team.owner, item, "Enrol everyone else", due_soon_end(TODAY) + timedelta(days=1))
    done = services.add_milestone(team.owner, item, "Enrol the admins", TODAY)
    services.complete_milestone(team.owner, done)
    response = login_as(team.owner).get(work_url(team))
    week = section(response, "soon")
    assert this_week.description in week
    assert "Enrol everyone else" not in week and "Enrol the admins" not in week
    assert f"{reverse('web:item', args=[team.org.slug, item.identifier])}#milestones" in week


def test_items_waiting_for_my_approval(team, login_as):
    mine = make_item(team, title="Block USB storage")
    ready_for_verification(team, mine)
    for_another = make_item(team, title="Encrypt backups", approval_authority=team.approver2)
    ready_for_verification(team, for_another)
    not_ready = make_item(team, title="Still being worked")
    response = login_as(team.approver).get(work_url(team))
    approvals = section(response, "approvals")
    assert mine.identifier in approvals
    assert for_another.identifier not in approvals and not_ready.identifier not in approvals
    assert "1 waiting for my approval" in text(response)
    # The owner waits for someone else's approval: nothing waits for theirs.
    response = login_as(team.owner).get(work_url(team))
    assert "Nothing is waiting for your approval." in text(response)


def test_a_long_list_is_cut_at_a_page_with_a_link_to_the_rest_in_the_register(team, login_as, monkeypatch):
    from punchlist.web import queries

    monkeypatch.setattr(queries, "PAGE_SIZE", 3)
    for n in range(5):
        make_item(team, title=f"Item {n}", scheduled_in_days=10 + n)
    response = login_as(team.owner).get(work_url(team))
    mine = section(response, "open")
    assert mine.count('href="/o/') == 3 + 1  # three rows and the link to the rest
    assert "Showing 3 of 5." in text(response)
    link = re.search(r'href="([^"]*register[^"]*)"', mine).group(1)
    rest = login_as(team.owner).get(html.unescape(link))
    assert rest.status_code == 200 and "5 of 5 items match" in text(rest)


def test_every_member_may_look_and_nobody_else(team, rival, login_as, client):
    for user in (team.admin, team.coordinator, team.owner, team.approver, team.viewer):
        assert login_as(user).get(work_url(team)).status_code == 200
    assert login_as(rival.owner).get(work_url(team)).status_code == 404
    anonymous = client.get(work_url(team))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert login_as(team.owner).post(work_url(team)).status_code == 405


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_same_number_of_queries_for_3_and_for_30_items(team, login_as):
    def add(count):
        for n in range(count):
            item = make_item(team, title=f"Item {n}", scheduled_in_days=None if n % 5 == 0 else n + 1,
                             start_date=TODAY - timedelta(days=40))
            steps = [services.add_milestone(team.owner, item, f"Step {n}", TODAY + timedelta(days=n % 3)),
                     services.add_milestone(team.owner, item, f"Late step {n}", TODAY - timedelta(days=1 + n % 4))]
            if n % 3 == 0:  # an item is put forward only with each milestone done
                for step in steps:
                    services.complete_milestone(team.owner, step)
                ready_for_verification(team, item)

    owner, approver = login_as(team.owner), login_as(team.approver)
    add(3)
    few = (_queries(owner, work_url(team)), _queries(approver, work_url(team)))
    add(27)
    many = (_queries(owner, work_url(team)), _queries(approver, work_url(team)))
    assert few == many
