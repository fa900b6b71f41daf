"""A form opened before someone else saved the same record is refused on the page, which says in words who
changed what and keeps what was typed: evidence, its links, a milestone's slip, a determination, a role."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

from django.urls import reverse

from punchlist.orgs import services as orgs
from punchlist.orgs.models import Membership, Role
from punchlist.register import services
from punchlist.register.models import Evidence, Milestone, RequirementStatus
from punchlist.register.services import evidence as vault
from punchlist.testing import make_item
from punchlist.web import words

DAY = date(2026, 6, 1)


def text(response) -> str:
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def hidden_version(page: str, name: str = "version") -> str:
    match = re.search(rf'<input type="hidden" name="{re.escape(name)}" value="(\d+)"', page)
    assert match, f"no hidden {name} in the page"
    return match.group(1)


def test_a_stale_evidence_form_is_refused_with_what_changed_and_keeps_the_typing(team, item, login_as):
    piece = vault.add_evidence(team.owner, item, name="gpo-report", reference="\\\\fs01\\gpo")
    client = login_as(team.coordinator)
    page_url = reverse("web:evidence", args=[team.org.slug, piece.pk])
    page = client.get(page_url).content.decode()
    version = hidden_version(page)
    assert version == "1"
    vault.update_evidence(team.owner, Evidence.objects.get(pk=piece.pk), name="GPO lockout report, June")
    response = client.post(reverse("web:evidence_edit", args=[team.org.slug, piece.pk]), {
        "name": "gpo-report", "description": "Exported from DC01 on Monday", "custodian": team.owner.pk,
        "collected_on": "", "review_by": (DAY + timedelta(days=365)).isoformat(), "version": version})
    assert response.status_code == 409
    said = text(response)
    assert f"was changed by {team.owner.username} since you opened it" in said
    assert "Name is now GPO lockout report, June" in said
    assert "Exported from DC01 on Monday" in response.content.decode()  # what was typed is kept
    assert hidden_version(response.content.decode()) == "2"  # saving again is a choice made knowing it
    assert Evidence.objects.get(pk=piece.pk).name == "GPO lockout report, June"

    other = make_item(team, title="Screen lock", requirements=["3.1.10"])
    links = client.post(reverse("web:evidence_links", args=[team.org.slug, piece.pk]),
                        {"items": other.identifier, "requirements": "3.1.8", "version": version})
    assert links.status_code == 409
    assert "Name is now GPO lockout report, June" in text(links)
    assert other.identifier in links.content.decode()
    assert not Evidence.objects.get(pk=piece.pk).linked_items.exists()


def test_a_stale_milestone_slip_is_refused_on_the_item_page(team, item, login_as):
    milestone = services.add_milestone(team.owner, item, "Pilot on the finance OU", DAY)
    client = login_as(team.coordinator)
    item_url = reverse("web:item", args=[team.org.slug, item.identifier])
    version = hidden_version(client.get(item_url).content.decode(), f"slip-{milestone.pk}-version")
    services.slip_milestone(team.owner, Milestone.objects.get(pk=milestone.pk), DAY + timedelta(days=14),
                            reason="finance closed this week")
    typed = (DAY + timedelta(days=30)).isoformat()
    response = client.post(reverse("web:item_milestone_slip", args=[team.org.slug, item.identifier, milestone.pk]),
                           {f"slip-{milestone.pk}-due": typed, f"slip-{milestone.pk}-reason": "vendor late",
                            f"slip-{milestone.pk}-version": version})
    assert response.status_code == 400
    said = text(response)
    assert "the milestone “Pilot on the finance OU”" in said
    assert f"Due is now {words.day(DAY + timedelta(days=14))}" in said  # as a person writes a date
    assert f'value="{typed}"' in response.content.decode() and "vendor late" in said
    assert Milestone.objects.get(pk=milestone.pk).due == DAY + timedelta(days=14)

    tick = client.post(reverse("web:item_milestone_done", args=[team.org.slug, item.identifier, milestone.pk]),
                       {"version": version}, HTTP_HX_REQUEST="true")
    assert "was changed by" in text(tick) and Milestone.objects.get(pk=milestone.pk).done_on is None


def test_a_stale_determination_is_refused_in_its_row(team, login_as):
    assessment = services.create_assessment(team.coordinator, team.org, assessed_on=DAY)
    client = login_as(team.admin)
    status_url = reverse("web:assessment_status", args=[team.org.slug, assessment.pk, "3.1.1"])
    services.set_requirement_status(team.coordinator, assessment, "3.1.1", "met", version=0)
    response = client.post(status_url, {"determination": "not_met", "version": "0"},
                           HTTP_HX_REQUEST="true", HTTP_HX_TARGET="req")
    said = text(response)
    assert f"the determination of 3.1.1 in {assessment} was changed by {team.coordinator.username}" in said
    assert "Determination is now MET" in said
    assert '<option value="not_met" selected>' in response.content.decode()  # what was chosen is kept
    assert RequirementStatus.objects.get(assessment=assessment, requirement="3.1.1").determination == "met"
    assert hidden_version(response.content.decode()) == "1"


def test_a_stale_role_change_is_refused_on_the_people_page(team, login_as):
    target = Membership.objects.get(organization=team.org, user=team.owner2)
    client = login_as(team.admin)
    orgs.change_role(team.admin, Membership.objects.get(pk=target.pk), Role.VIEWER, reason="moved to sales")
    response = client.post(reverse("web:people_role", args=[team.org.slug, target.pk]),
                           {f"m{target.pk}-role": "coordinator", f"m{target.pk}-version": "1"})
    assert response.status_code == 400
    said = text(response)
    assert f"the membership of {team.owner2.username} was changed by {team.admin.username}" in said
    assert "Role is now Viewer" in said
    assert Membership.objects.get(pk=target.pk).role == Role.VIEWER
