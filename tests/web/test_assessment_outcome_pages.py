"""The assessment's life on the web pages: the outcome form and its refusal, objectives by requirement and
those still open, the countdown on the pages, the register's kind filter, exports by kind, and a milestone
dropped with a reason."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest

from punchlist.core import records
from punchlist.core.catalog import load_catalog
from punchlist.register import services
from punchlist.register.imports import import_assessment
from punchlist.testing import make_item

TODAY = date.today()


def text(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


@pytest.fixture
def assessment(team):
    not_met = ("3.5.3", "3.4.9")
    results = [records.RequirementResult(r.id, records.Determination.NOT_MET if r.id in not_met
                                         else records.Determination.MET) for r in load_catalog()]
    assessment = import_assessment(team.coordinator, team.org, results, assessed_on=TODAY, file="self.xlsx")
    make_item(team, requirements=["3.5.3"], kind="operational_plan", title="MFA for everyone")
    make_item(team, requirements=["3.4.9"], title="Allowlisting")
    return assessment


def page(team, assessment, *parts):
    return "/".join([f"/o/{team.org.slug}/assessment/{assessment.pk}", *parts]) + "/"


def test_a_refused_conditional_status_shows_why_and_what_it_would_take(team, assessment, login_as):
    client = login_as(team.coordinator)
    response = client.post(page(team, assessment, "outcome"), {
        "kind": "self", "assessed_on": TODAY.isoformat(), "status": "conditional",
        "conditional_date": TODAY.isoformat()})
    assert response.status_code == 400
    shown = text(response)
    assert "Refused: Conditional Level 2 status cannot be recorded." in shown
    assert "may not be on a POA&M (3.5.3)" in shown and "implement 3.5.3" in shown
    assessment.refresh_from_db()
    assert assessment.conditional_status_date is None
    forged = login_as(team.owner).post(page(team, assessment, "outcome"), {"kind": "self", "status": ""})
    assert forged.status_code == 403


def test_the_outcome_recorded_starts_the_countdown_on_the_pages(team, assessment, login_as):
    services.set_requirement_status(team.coordinator, assessment, "3.5.3", "met")
    client = login_as(team.coordinator)
    response = client.post(page(team, assessment, "outcome"), {
        "kind": "c3pao", "assessed_on": (TODAY - timedelta(days=110)).isoformat(), "status": "conditional",
        "conditional_date": (TODAY - timedelta(days=100)).isoformat()})
    assert response.status_code == 302
    for address in (page(team, assessment), f"/o/{team.org.slug}/work/", f"/o/{team.org.slug}/register/"):
        shown = text(client.get(address))
        assert "80 days left to close out the POA&M" in shown and "90 days or fewer" in shown, address


def test_objectives_by_requirement_and_those_still_open(team, assessment, login_as):
    client = login_as(team.coordinator)
    shown = text(client.get(page(team, assessment)))
    assert "Objectives still open: 3 of 3" in shown  # 3.4.9: none determined yet
    address = page(team, assessment, "requirements", "3.4.9", "objectives")
    assert client.post(address, {"objective": "3.4.9[a]", "determination": "met"}).status_code == 302
    assert client.post(address, {"objective": "3.4.9[b]", "determination": "not_met"}).status_code == 302
    shown = text(client.get(page(team, assessment)))
    assert "Objectives still open: 2 of 3" in shown and "3.4.9[b]" in shown
    assert "the requirement is NOT MET" in text(client.get(address))
    assert login_as(team.owner).post(address, {"objective": "3.4.9[a]", "determination": "met"}).status_code == 403


def test_a_stale_objective_determination_is_refused_on_the_page(team, assessment, login_as):
    address = page(team, assessment, "requirements", "3.4.9", "objectives")
    mine, theirs = login_as(team.coordinator), login_as(team.admin)
    shown = mine.get(address).content.decode()
    assert re.search(r'name="objective" value="3\.4\.9\[a\]"><input type="hidden" name="version" value="0"', shown)
    assert theirs.post(address, {"objective": "3.4.9[a]", "determination": "not_met", "version": "0"}
                       ).status_code == 302
    refused = mine.post(address, {"objective": "3.4.9[a]", "determination": "met", "version": "0"})
    assert refused.status_code == 409
    said = text(refused)
    assert "the determination of 3.4.9[a]" in said and "Determination is now" in said and "NOT MET" in said
    assert services.objective_statuses(assessment)["3.4.9"] == {"3.4.9[a]": "not_met"}
    # The page now shows version 1; saved from it, the change goes through.
    assert 'name="version" value="1"' in mine.get(address).content.decode()
    assert mine.post(address, {"objective": "3.4.9[a]", "determination": "met", "version": "1"}).status_code == 302
    assert services.objective_statuses(assessment)["3.4.9"] == {"3.4.9[a]": "met"}


def test_the_register_filters_by_kind_and_exports_one_kind(team, assessment, login_as):
    client = login_as(team.viewer)
    register = f"/o/{team.org.slug}/register/"
    shown = text(client.get(register + "?kind=operational_plan"))
    assert "OPA-IA-001" in shown and "POAM-CM-001" not in shown
    response = client.get(f"/o/{team.org.slug}/export/?format=csv&kind=assessment_poam")
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    assert response["Content-Disposition"].startswith("attachment")
    assert content.startswith("Internal tracking document") and "POAM-CM-001" in content and "OPA-" not in content
    both = b"".join(client.get(f"/o/{team.org.slug}/export/?format=workbook&kind=both").streaming_content)
    assert both[:2] == b"PK"
    assert client.get(f"/o/{team.org.slug}/export/?kind=everything").status_code == 400


def test_a_milestone_is_dropped_with_a_reason(team, login_as):
    item = make_item(team, milestones=[("Yearly review", TODAY + timedelta(days=200))])
    milestone = item.milestones.get()
    client = login_as(team.owner)
    address = f"/o/{team.org.slug}/items/{item.identifier}/milestones/{milestone.pk}/drop/"
    refused = client.post(address, {f"drop-{milestone.pk}-reason": ""})
    assert refused.status_code == 400 and "Dropping a milestone needs a reason" in text(refused)
    assert client.post(address, {f"drop-{milestone.pk}-reason": "Part of the policy review"}).status_code == 302
    milestone.refresh_from_db()
    assert milestone.dropped_on == TODAY and milestone.drop_reason == "Part of the policy review"
    assert "dropped on" in text(client.get(f"/o/{team.org.slug}/items/{item.identifier}/"))
