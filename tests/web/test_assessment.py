"""The assessment screen: 110 requirements by family, determinations changed inline by coordinators and
administrators only, the score and Level 2 verdict following every change, what blocks the verdict and what it
would take, the closeout countdown, and a fixed number of queries."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from punchlist.audit.models import AuditEvent
from punchlist.core import records
from punchlist.core.catalog import load_catalog
from punchlist.register import services
from punchlist.register.imports import import_assessment
from punchlist.register.models import RequirementStatus
from punchlist.testing import make_item, make_legacy_item

TODAY = date.today()
D = records.Determination


def text(response) -> str:
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def row(response, requirement_id: str) -> str:
    cmmc = load_catalog().get(requirement_id).cmmc_id
    anchor = "req-" + re.sub(r"[^a-z0-9-]", "", cmmc.lower())
    match = re.search(rf'<tr id="{anchor}".*?</tr>', response.content.decode(), flags=re.S)
    assert match, f"no row {anchor}"
    return match.group(0)


def score_panel(response) -> str:
    match = re.search(r'<section id="assessment-score".*?</section>', response.content.decode(), flags=re.S)
    assert match, "no score panel"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(0))).split())


def results(not_met=(), partial=(), skip=()):
    out = []
    for requirement in load_catalog():
        if requirement.id in skip:
            continue
        determination = D.NOT_MET if requirement.id in not_met or requirement.id in partial else D.MET
        out.append(records.RequirementResult(requirement.id, determination, partial=requirement.id in partial,
                                             implementation=f"How {requirement.id} is met"))
    return out


@pytest.fixture
def assessment(team):
    """Score 97, not eligible: 3.1.1 (5, never on a POA&M) NOT MET without a plan, which makes 3.12.2 NOT MET
    too (R-SCORE-4); 3.1.4 and 3.13.11 (partial) NOT MET with plans; 3.2.3 not answered."""
    make_item(team, requirements=["3.1.4"], title="Separate the backup operator duties")
    make_item(team, requirements=["3.13.11"], title="Replace the non-FIPS VPN module",
              weakness="The VPN encrypts with a module that is not FIPS-validated")
    return import_assessment(team.coordinator, team.org, results(not_met={"3.1.1", "3.1.4"}, partial={"3.13.11"},
                                                                 skip={"3.2.3"}),
                             assessed_on=TODAY - timedelta(days=10), file="sa.xlsx")


def detail(team, assessment):
    return reverse("web:assessment_detail", args=[team.org.slug, assessment.pk])


def status_url(team, assessment, requirement):
    return reverse("web:assessment_status", args=[team.org.slug, assessment.pk, requirement])


HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "req"}


def test_the_110_requirements_by_family_with_score_verdict_blockers_and_path(team, assessment, login_as):
    response = login_as(team.viewer).get(reverse("web:assessment", args=[team.org.slug]))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('<tr id="req-') == 110
    assert len(re.findall(r'<section id="family-[A-Z]{2}"', body)) == 14
    page = text(response)
    assert "AC Access Control" in page and "SC System and Communications Protection" in page
    assert "How 3.1.2 is met" in page  # implementation statements
    assert "106 MET" in page and "3 NOT MET" in page and "1 not assessed" in page
    panel = score_panel(response)
    assert "97 of 110" in panel
    assert "Not eligible for Level 2" in panel
    assert "What blocks it" in panel and "AC.L2-3.1.1" in panel and "3.12.2 is NOT MET" in panel
    assert "R-POAM-3" not in panel and "R-SCORE-4" not in panel and "why?" in panel  # rules behind "why?"
    assert "Implement first" in panel and "Score then: 105 — enough for a Conditional status" in panel
    # The rule is named in words, its id behind the "why?" link.
    assert "Counted NOT MET: a NOT MET requirement has no plan of action" in text_of(row(response, "3.12.2"))
    assert "#R-SCORE-4" in row(response, "3.12.2") and "(R-SCORE-4)" not in text_of(row(response, "3.12.2"))
    assert "No determination: counted NOT MET" in text_of(row(response, "3.2.3"))
    assert "1 open item" in text_of(row(response, "3.1.4")) and "no plan of action" in text_of(row(response, "3.1.1"))


def text_of(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_the_latest_assessment_and_links_to_the_others(team, assessment, login_as):
    newer = import_assessment(team.coordinator, team.org, results(), assessed_on=TODAY, file="again.xlsx")
    client = login_as(team.owner)
    response = client.get(reverse("web:assessment", args=[team.org.slug]))
    assert "110 of 110" in score_panel(response) and "Final Level 2 status" in score_panel(response)
    assert f'href="{detail(team, assessment)}"' in response.content.decode()
    older = client.get(detail(team, assessment))
    assert "97 of 110" in score_panel(older)
    assert f'href="{detail(team, newer)}"' in older.content.decode()


def test_no_assessment_yet(team, login_as):
    response = login_as(team.viewer).get(reverse("web:assessment", args=[team.org.slug]))
    assert response.status_code == 200
    assert "No assessment has been recorded" in text(response)


def test_a_coordinator_changes_a_determination_inline_and_the_score_follows(team, assessment, login_as):
    client = login_as(team.coordinator)
    response = client.post(status_url(team, assessment, "3.1.1"), {"determination": "met"}, **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<tr id="req-acl2-311"')  # the row, for hx-target="closest tr"
    assert '<option value="met" selected>' in row(response, "3.1.1")
    assert 'hx-swap-oob="true"' in body
    panel = score_panel(response)
    # 3.1.1 MET: no R-SCORE-4 either; 110 - 1 (3.1.4) - 3 (3.13.11 partial) - 1 (3.2.3) = 105: Conditional.
    assert "105 of 110" in panel and "Conditional Level 2 status" in panel
    status = RequirementStatus.objects.get(assessment=assessment, requirement="3.1.1")
    assert status.determination == "met" and status.updated_by == team.coordinator
    assert status.implementation == "How 3.1.1 is met"  # the statement is kept
    shown = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", row(response, "3.1.1"))).split())
    assert f"{team.coordinator.get_full_name()}, {status.updated_at.day} {status.updated_at:%b %Y}" in shown
    event = AuditEvent.objects.filter(action="set_requirement_status", subject="3.1.1").latest("seq")
    assert event.before == {"determination": "not_met", "version": 1}
    assert event.after == {"determination": "met", "version": 2}


def test_the_partial_case_and_a_plain_post_without_javascript(team, assessment, login_as):
    client = login_as(team.admin)
    response = client.post(status_url(team, assessment, "3.5.3"), {"determination": "not_met", "partial": "on"})
    assert response.status_code == 302
    assert response["Location"] == detail(team, assessment) + "#req-ial2-353"
    status = RequirementStatus.objects.get(assessment=assessment, requirement="3.5.3")
    assert status.determination == "not_met" and status.partial
    page = client.get(response["Location"])
    assert "AC.L2-3.1.1" in text(page) and "IA.L2-3.5.3 recorded." in text(page)
    assert "checked" in row(page, "3.5.3")


def test_an_implementation_statement_alone_keeps_the_determination(team, assessment, login_as):
    client = login_as(team.coordinator)
    response = client.post(status_url(team, assessment, "3.1.4"),
                           {"implementation": "Backups run under a separate operator account"}, **HTMX)
    assert response.status_code == 200
    status = RequirementStatus.objects.get(assessment=assessment, requirement="3.1.4")
    assert status.determination == "not_met" and status.implementation.startswith("Backups run under")
    assert "Backups run under a separate operator account" in row(response, "3.1.4")


def test_a_refusal_is_said_in_words_and_keeps_what_was_typed(team, assessment, login_as):
    client = login_as(team.coordinator)
    # The partial case is a NOT MET determination (R-SCORE-2): refused, MET and the tick kept on the row.
    response = client.post(status_url(team, assessment, "3.13.11"), {"determination": "met", "partial": "on"},
                           **HTMX)
    fragment = row(response, "3.13.11")
    assert "Not saved: R-SCORE-2: the partial case is a NOT MET determination" in text_of(fragment)
    assert '<option value="met" selected>' in fragment and "checked" in fragment
    assert RequirementStatus.objects.get(assessment=assessment, requirement="3.13.11").determination == "not_met"
    # A statement for a requirement with no determination yet: say what to do first.
    response = client.post(status_url(team, assessment, "3.2.3"), {"implementation": "Insider threat module"},
                           **HTMX)
    assert "choose MET, NOT MET or N/A for 3.2.3" in text_of(row(response, "3.2.3"))
    assert "Insider threat module" in row(response, "3.2.3")
    assert not RequirementStatus.objects.filter(assessment=assessment, requirement="3.2.3").exists()
    # Without JavaScript: the whole page again, with the refusal on the row.
    response = client.post(status_url(team, assessment, "3.13.11"), {"determination": "bogus"})
    assert response.status_code == 400
    assert "Not saved: determination 'bogus' is not one of" in text_of(row(response, "3.13.11"))


def test_viewers_owners_and_approvers_read_only(team, assessment, login_as):
    for user in (team.viewer, team.owner, team.approver):
        client = login_as(user)
        page = client.get(detail(team, assessment))
        assert page.status_code == 200
        assert 'name="determination"' not in page.content.decode()
        assert 'name="implementation"' not in page.content.decode()
        assert "Read only" in text(page)
        refused = client.post(status_url(team, assessment, "3.1.1"), {"determination": "met"}, **HTMX)
        assert refused.status_code == 403
        assert "may not manage assessment" in text(refused)
    assert RequirementStatus.objects.get(assessment=assessment, requirement="3.1.1").determination == "not_met"
    for user in (team.coordinator, team.admin):
        assert 'name="determination"' in login_as(user).get(detail(team, assessment)).content.decode()


def test_other_organizations_see_nothing(team, rival, assessment, login_as, client):
    outsider = login_as(rival.admin)
    assert outsider.get(detail(team, assessment)).status_code == 404
    assert outsider.get(reverse("web:assessment", args=[team.org.slug])).status_code == 404
    assert outsider.post(status_url(team, assessment, "3.1.1"), {"determination": "met"}).status_code == 404
    # Their own organization's URL with our assessment's number: not found either.
    theirs = reverse("web:assessment_detail", args=[rival.org.slug, assessment.pk])
    assert outsider.get(theirs).status_code == 404
    assert outsider.post(reverse("web:assessment_status", args=[rival.org.slug, assessment.pk, "3.1.1"]),
                         {"determination": "met"}).status_code == 404
    assert RequirementStatus.objects.get(assessment=assessment, requirement="3.1.1").determination == "not_met"
    assert client.get(detail(team, assessment)).status_code == 302  # signed out: to the sign-in page
    assert login_as(team.coordinator).post(status_url(team, assessment, "9.9.9"),
                                           {"determination": "met"}).status_code == 404


def test_conditional_status_what_it_takes_to_final_and_the_closeout_countdown(team, login_as):
    make_item(team, requirements=["3.1.4"], title="Separate the backup operator duties", scheduled_in_days=30)
    assessment = import_assessment(team.coordinator, team.org, results(not_met={"3.1.4"}), assessed_on=TODAY,
                                   file="sa.xlsx")
    services.set_conditional_date(team.coordinator, assessment, TODAY - timedelta(days=100))
    panel = score_panel(login_as(team.viewer).get(detail(team, assessment)))
    assert "109 of 110" in panel and "Conditional Level 2 status" in panel
    assert "For a Final status: close out the 1 NOT MET requirement" in panel
    deadline = TODAY - timedelta(days=100) + timedelta(days=180)
    assert "80 days left" in panel and "90 days or fewer" in panel
    assert f"by {deadline:%A} {deadline.day} {deadline:%B %Y}" in panel and "R-CLOSE-1" not in panel and "why?" in panel


def test_an_expired_conditional_status(team, login_as):
    assessment = import_assessment(team.coordinator, team.org, results(), assessed_on=TODAY - timedelta(days=400),
                                   file="old.xlsx")
    services.set_conditional_date(team.coordinator, assessment, TODAY - timedelta(days=200))
    panel = score_panel(login_as(team.viewer).get(detail(team, assessment)))
    assert "The Conditional status expired" in panel and "20 days ago" in panel


def _count(client, method, url, data=None, **headers) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(url, data, **headers) if data else getattr(client, method)(url)
        assert response.status_code in (200, 302)
    return len(captured)


def test_the_same_number_of_queries_for_3_and_for_30_items(team, assessment, login_as):
    client = login_as(team.coordinator)

    def add(count):
        for n in range(count):
            make_legacy_item(team, requirements=[load_catalog().requirements[n % 110].id], title=f"Gap {n}")

    def measure():
        return (_count(client, "get", detail(team, assessment)),
                _count(client, "get", reverse("web:assessment", args=[team.org.slug])),
                _count(client, "post", status_url(team, assessment, "3.1.4"), {"determination": "not_met"}, **HTMX))

    add(3)
    few = measure()
    add(27)
    assert measure() == few


def test_statements_are_escaped(team, assessment, login_as):
    services.set_requirement_status(team.coordinator, assessment, "3.1.2", "met",
                                    implementation='<img src=x onerror="alert(1)"> & GPO')
    for user in (team.viewer, team.coordinator):  # as text, and inside the editor's textarea
        body = login_as(user).get(detail(team, assessment)).content.decode()
        assert "<img src=x" not in body
        assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; GPO" in body
