"""Assessments, people, findings and exports through the API, from the same services and writers as the web."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from punchlist.register import mapping, services
from punchlist.register.models import Determination
from punchlist.testing.report_jobs import run_report_jobs
from punchlist.web import queries
from punchlist.web.models import ReportJob

pytestmark = pytest.mark.django_db


def org_url(team, rest=""):
    return f"/api/v1/organizations/{team.org.slug}{rest}"


@pytest.fixture
def assessment(team):
    made = services.create_assessment(team.coordinator, team.org, assessed_on=date(2026, 11, 1))
    services.set_requirement_status(team.coordinator, made, "3.1.1", Determination.MET)
    services.set_requirement_status(team.coordinator, made, "3.1.8", Determination.NOT_MET)
    return made


def test_an_assessment_reads_with_its_score_verdict_and_what_it_would_take(team, assessment, token, api):
    secret = token(team.viewer, team.org)
    listed = api.get(secret, org_url(team, "/assessments")).json()
    assert [a["id"] for a in listed] == [assessment.pk]
    body = api.get(secret, org_url(team, f"/assessments/{assessment.pk}")).json()
    report = mapping.score_assessment(assessment)
    assert body["score"] == report.score and body["verdict"] == report.level2.value
    assert body["what_it_would_take"] == services.what_it_would_take(report)
    assert {d["requirement"]: d["determination"] for d in body["determinations"]} == {
        "3.1.1": "met", "3.1.8": "not_met"}
    assert {"3.1.8", "3.12.4"} <= {d["requirement"] for d in body["not_met"]}  # unanswered count NOT MET


def test_a_coordinator_records_a_determination_under_its_version(team, assessment, token, api):
    path = org_url(team, f"/assessments/{assessment.pk}/requirements/3.1.8")
    coordinator = token(team.coordinator, team.org, write=True)
    stale = api.put(coordinator, path, {"determination": "met"}, headers={"If-Match": '"0"'})
    assert stale.status_code == 409 and stale.json()["code"] == "stale"
    recorded = api.put(coordinator, path, {"determination": "not_met", "implementation": "GPO in pilot"},
                       headers={"If-Match": '"1"'})
    assert recorded.status_code == 200 and recorded.json()["implementation"] == "GPO in pilot"
    assert recorded["ETag"] == '"2"'
    owner = api.put(token(team.owner, team.org, write=True), path, {"determination": "met"},
                    headers={"If-Match": '"2"'})
    assert owner.status_code == 403 and owner.json()["code"] == "permission_denied"


def test_people_and_their_roles(team, token, api):
    people = api.get(token(team.viewer, team.org), org_url(team, "/people")).json()
    assert {p["username"]: p["role"] for p in people}["acme-approver"] == "approver"
    assert len(people) == 7


def test_findings_are_the_registers_a_page_at_a_time(team, item, token, api):
    from punchlist.testing import make_item

    for n in range(3):
        make_item(team, title=f"Item {n}", scheduled_in_days=None)  # no date: a finding each
    secret = token(team.viewer, team.org)
    index = queries.register_index(team.org)
    expected = [(None, f.check) for f in index.file_findings] + [(f.item, f.check) for r in index.rows
                                                                  for f in r.findings]
    assert len(expected) >= 3  # two pages of two at least
    seen, cursor = [], ""
    while True:
        page = api.get(secret, org_url(team, "/findings"), {"limit": 2, **({"cursor": cursor} if cursor else {})})
        body = page.json()
        assert body["total"] == len(expected)
        seen += [(f["item"], f["check"]) for f in body["findings"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == expected


def test_exports_in_every_format_the_web_offers(team, item, token, api, caplog):
    secret = token(team.viewer, team.org)
    csv = api.get(secret, org_url(team, "/export"), {"format": "csv"})
    assert csv.status_code == 200 and csv["Content-Disposition"].startswith("attachment")
    assert item.identifier in b"".join(csv.streaming_content).decode()
    workbook = api.get(secret, org_url(team, "/export"), {"format": "workbook", "kind": "both", "closed": "true"})
    assert workbook.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(workbook.streaming_content)), read_only=True)
    assert any(item.identifier in str(cell) for ws in sheet.worksheets for row in ws.iter_rows(values_only=True)
               for cell in row)
    wrong = api.get(secret, org_url(team, "/export"), {"format": "pdf"})
    assert wrong.status_code == 422 and wrong.json()["code"] == "invalid"


def _built(api, secret, asked) -> bytes:
    """Read the job the answer gives until the worker has built it, then its download."""
    assert asked.status_code == 202, asked.content
    job = asked.json()
    assert job["state"] == "queued" and job["download"] is None
    assert api.get(secret, job["url"]).json()["progress"] == "Waiting for the worker"
    assert run_report_jobs() == 1
    done = api.get(secret, job["url"]).json()
    assert done["state"] == "done" and done["download"] == job["url"] + "/file", done
    answer = api.get(secret, done["download"])
    assert answer.status_code == 200 and answer["Content-Disposition"].startswith("attachment")
    assert done["file"] in answer["Content-Disposition"]
    return b"".join(answer.streaming_content)


def test_reports_and_the_assessor_package_are_the_report_screens_files(team, item, token, api, rival):
    import zipfile

    secret = token(team.viewer, team.org)  # a read-only token asks for them
    assert b"<html" in _built(api, secret, api.get(secret, org_url(team, "/reports/leadership"),
                                                   {"format": "html"})).lower()
    assert _built(api, secret, api.get(secret, org_url(team, "/reports/readiness"))).startswith(b"%PDF")
    package = _built(api, secret, api.get(secret, org_url(team, "/assessor-package"), {"evidence_files": "false"}))
    assert zipfile.ZipFile(io.BytesIO(package)).namelist()
    unknown = api.get(secret, org_url(team, "/reports/gossip"))
    assert unknown.status_code == 422 and unknown.json()["code"] == "invalid"
    # Another organization's token reads neither the jobs nor their files.
    job = ReportJob.objects.filter(organization=team.org).first()
    outsider = token(rival.admin, rival.org)
    for path in (f"/report-jobs/{job.pk}", f"/report-jobs/{job.pk}/file"):
        assert api.get(outsider, org_url(rival, path)).status_code == 404
        assert api.get(outsider, org_url(team, path)).status_code == 404


def test_a_report_not_built_yet_has_no_file(team, token, api):
    secret = token(team.viewer, team.org)
    job = api.get(secret, org_url(team, "/reports/review"), {"format": "html"}).json()
    missing = api.get(secret, job["url"] + "/file")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_a_method_an_operation_does_not_take_is_json_405(team, token, api):
    secret = token(team.viewer, team.org)
    answer = api.client.delete(org_url(team, "/items"), headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 405 and answer.json()["code"] == "method_not_allowed"
    assert "GET" in answer["Allow"]


def test_weekly_updates_management_reviews_and_quarterly_validations(team, item, token, api):
    owner = token(team.owner, team.org, write=True)
    weekly = api.post(owner, org_url(team, f"/items/{item.identifier}/weekly-update"),
                      {"progress": "GPO drafted", "next_step": "Pilot on 3 laptops"})
    assert weekly.status_code == 201 and weekly.json()["progress"] == "GPO drafted"
    viewer = api.post(token(team.viewer, team.org, write=True),
                      org_url(team, f"/items/{item.identifier}/weekly-update"), {"confirmed": True})
    assert viewer.status_code == 403
    coordinator = token(team.coordinator, team.org, write=True)
    review = api.post(coordinator, org_url(team, "/reviews"),
                      {"held_on": date.today().isoformat(), "decisions": "Keep the plan",
                       "attendees": [team.admin.pk, team.coordinator.pk]})
    assert review.status_code == 201, review.content
    listed = api.get(token(team.viewer, team.org), org_url(team, "/reviews")).json()
    assert [r["decisions"] for r in listed] == ["Keep the plan"]
    assert listed[0]["attendees"] == ["acme-admin", "acme-coordinator"]
    twice = api.post(coordinator, org_url(team, "/reviews"), {"held_on": date.today().isoformat(),
                                                              "decisions": "Again", "attendees": [team.admin.pk]})
    assert twice.status_code == 400 and twice.json()["code"] == "invalid"
    open_item = api.post(token(team.approver, team.org, write=True),
                         org_url(team, f"/items/{item.identifier}/validation"), {"passed": True})
    assert open_item.status_code == 400 and "closed items" in open_item.json()["message"]
