"""The three report views and the downloads through Django's test client: every member reads them (viewers
included), nobody else; pages in a fixed number of queries; downloads are attachments."""

from __future__ import annotations

import html
import io
import logging
import re
import zipfile

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from report_builders import add_items, build_register

from punchlist.register import mapping
from punchlist.register.models import PoamItem
from punchlist.testing.report_jobs import ask_and_download, body
from punchlist.testing.storage import StoredFiles
from punchlist.web.models import ReportJob

VIEWS = ("report_leadership", "report_security", "report_operations")
OPEN = [s.value for s in mapping.OPEN_STATUSES]


def text(response) -> str:
    body = response.content.decode()
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r"<[^>]+>", " ", body)
    return " ".join(html.unescape(body).split())


@pytest.mark.parametrize("role", ["admin", "coordinator", "owner", "approver", "viewer"])
def test_every_member_reads_the_three_views(acme, login_as, role):
    client = login_as(getattr(acme.team, role))
    for name in VIEWS:
        response = client.get(reverse(f"web:{name}", args=[acme.org.slug]))
        assert response.status_code == 200, (name, response.status_code)
        assert "Internal tracking document" in text(response)


def test_the_views_show_the_registers_figures(acme, login_as):
    client = login_as(acme.team.viewer)
    items = PoamItem.objects.for_organization(acme.org)
    page = client.get(reverse("web:report_leadership", args=[acme.org.slug]))
    body = page.content.decode()
    score = mapping.score_assessment(acme.assessment).score
    assert re.search(r'data-figure="score">\s*%d\s*<' % score, body)
    assert re.search(r'data-figure="open">%d<' % items.filter(status__in=OPEN).count(), body)
    assert re.search(r'data-figure="overdue">2<', body)
    assert body.count('role="img"') == 3 and body.count('class="chart-data"') == 3
    assert reverse("web:item", args=[acme.org.slug, acme.items["overdue"].identifier]) in body
    security = text(client.get(reverse("web:report_security", args=[acme.org.slug])))
    assert "The 14 families" in security and acme.items["ineligible"].identifier in security
    assert "What an assessor would object to" in security
    operations = text(client.get(reverse("web:report_operations", args=[acme.org.slug])))
    assert "Open items by owner" in operations and "Due in the next 14 days" in operations
    assert acme.items["due_soon"].identifier in operations


def test_the_nav_links_to_reports(acme, login_as):
    client = login_as(acme.team.owner)
    page = client.get(reverse("web:report_security", args=[acme.org.slug])).content.decode()
    assert f'href="{reverse("web:report_leadership", args=[acme.org.slug])}"' in page


def test_outsiders_get_nothing(acme, rival, login_as):
    outsider = login_as(rival.admin)
    for name in VIEWS:
        assert outsider.get(reverse(f"web:{name}", args=[acme.org.slug])).status_code == 404
    assert outsider.post(reverse("web:report_ask", args=[acme.org.slug, "review", "pdf"])).status_code == 404
    assert outsider.post(reverse("web:report_ask", args=[acme.org.slug, "package", "zip"])).status_code == 404
    assert not ReportJob.objects.exists()
    anonymous = Client().get(reverse("web:report_leadership", args=[acme.org.slug]))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_each_view_takes_a_fixed_number_of_queries(team, rival, login_as):
    build_register(team)
    build_register(rival)
    add_items(team, 3)
    add_items(rival, 30)
    few, many = login_as(team.viewer), login_as(rival.viewer)
    for name in VIEWS:
        assert _count(few, reverse(f"web:{name}", args=[team.org.slug])) == \
            _count(many, reverse(f"web:{name}", args=[rival.org.slug])), name


def test_html_download_is_an_attachment(acme, login_as):
    client = login_as(acme.team.viewer)
    response = ask_and_download(client, acme.org, "readiness", "html")
    assert response.status_code == 200 and response["Content-Type"] == "text/html; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="' + acme.org.slug + '-readiness-report-')
    assert "Level 2 readiness report" in body(response).decode()
    assert client.post(reverse("web:report_ask", args=[acme.org.slug, "secret", "pdf"])).status_code == 404
    assert client.post(reverse("web:report_ask", args=[acme.org.slug, "review", "exe"])).status_code == 404
    assert client.post(reverse("web:report_ask", args=[acme.org.slug, "package", "pdf"])).status_code == 404
    assert client.get(reverse("web:report_ask", args=[acme.org.slug, "review", "pdf"])).status_code == 405
    assert ReportJob.objects.count() == 1


def test_pdf_download_and_package(acme, login_as, caplog):
    caplog.set_level(logging.INFO, logger="punchlist.security")
    client = login_as(acme.team.viewer)
    pdf = ask_and_download(client, acme.org, "leadership", "pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert body(pdf).startswith(b"%PDF-") and "attachment" in pdf["Content-Disposition"]
    package = ask_and_download(client, acme.org, "package", "zip")
    assert package.status_code == 200 and package["Content-Type"] == "application/zip"
    assert "attachment" in package["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(body(package))) as archive:
        names = {name.split("/", 1)[1] for name in archive.namelist()}
    assert "evidence-index.csv" in names and "audit-trail-verification.json" in names
    # Both files left Punchlist, and the security log says who took them (3.3.1).
    lines = [record.getMessage() for record in caplog.records if record.name == "punchlist.security"]
    who = f"downloaded: username={acme.team.viewer.username!r} org={acme.org.slug}"
    assert [line.startswith(who) for line in lines] == [True, True]
    assert "-leadership-report-" in lines[0] and lines[0].endswith(".pdf' ip=127.0.0.1")
    assert "-assessor-package-" in lines[1]


def test_the_package_form_leaves_the_evidence_files_out_when_asked(acme, login_as):
    client = login_as(acme.team.viewer)
    page = client.get(reverse("web:report_leadership", args=[acme.org.slug])).content.decode()
    assert 'name="without_evidence_files"' in page
    assert f'action="{reverse("web:report_ask", args=[acme.org.slug, "package", "zip"])}"' in page

    def names(response):
        with zipfile.ZipFile(io.BytesIO(body(response))) as archive:
            return {name.split("/", 1)[1] for name in archive.namelist()}

    assert any(name.startswith("evidence/") for name in names(ask_and_download(client, acme.org, "package", "zip")))
    assert not any(name.startswith("evidence/") for name in names(
        ask_and_download(client, acme.org, "package", "zip", {"without_evidence_files": "1"})))


def test_a_built_report_is_for_the_organization_members_only_and_goes_after_a_day(acme, rival, login_as, clock):
    viewer, owner = login_as(acme.team.viewer), login_as(acme.team.owner)
    first = ask_and_download(viewer, acme.org, "review", "html")
    assert "attachment" in first["Content-Disposition"]
    job = ReportJob.objects.get()
    page = reverse("web:report_job", args=[acme.org.slug, job.pk])
    link = reverse("web:report_job_download", args=[acme.org.slug, job.pk])
    assert body(owner.get(link)) == body(viewer.get(link))  # every member of the organization may take it
    outsider = login_as(rival.admin)
    assert outsider.get(page).status_code == 404 and outsider.get(link).status_code == 404
    # Under the rival's own address the job is not theirs either.
    assert outsider.get(reverse("web:report_job_download", args=[rival.org.slug, job.pk])).status_code == 404
    assert StoredFiles("reports").files() != []

    clock.shift(25 * 3600)
    viewer = login_as(acme.team.viewer)  # a new session: the first one ended with the day
    assert viewer.get(link).status_code == 404
    assert "has been removed" in text(viewer.get(page))
    # The next request of the organization clears the stale file from the storage.
    viewer.post(reverse("web:report_ask", args=[acme.org.slug, "review", "pdf"]))
    assert StoredFiles("reports").files() == []


def test_a_second_look_reuses_the_figures_until_the_register_changes(acme, login_as):
    from punchlist.register import services

    client = login_as(acme.team.viewer)
    url = reverse("web:report_leadership", args=[acme.org.slug])
    first, second = _count(client, url), _count(client, url)
    assert second < first - 5  # no read of the items the second time
    overdue = PoamItem.objects.get(pk=acme.items["overdue"].pk)
    services.change_due_date(acme.team.coordinator, overdue, overdue.scheduled_completion.replace(year=2099),
                             reason="waiting for the vendor")
    body = client.get(url).content.decode()
    assert re.search(r'data-figure="overdue">1<', body)  # the write moved the chain head: computed afresh


def test_the_leadership_and_operations_views_total_the_budgets(acme, login_as):
    from decimal import Decimal

    from punchlist.register import services

    client = login_as(acme.team.viewer)
    url = reverse("web:report_leadership", args=[acme.org.slug])
    assert "No open item carries a budget yet" in text(client.get(url))
    coordinator = acme.team.coordinator
    services.update_item(coordinator, acme.items["overdue"], budget_money=Decimal("12500.50"), budget_hours=Decimal(40))
    services.update_item(coordinator, acme.items["due_soon"], budget_money=Decimal("1000"),
                         budget_hours=Decimal("2.5"))
    body = client.get(url).content.decode()
    assert re.search(r'data-figure="budget-money">13,500.50<', body), text(client.get(url))
    assert re.search(r'data-figure="budget-hours">42.5<', body)
    open_items = PoamItem.objects.for_organization(acme.org).filter(status__in=OPEN).count()
    assert f"(2 of {open_items} open items carry a budget)" in text(client.get(url))
    operations = client.get(reverse("web:report_operations", args=[acme.org.slug])).content.decode()
    assert 'data-figure="budget-money">13,500.50<' in operations


@pytest.mark.parametrize("name", VIEWS)
def test_rule_ids_sit_in_why_links_not_in_the_sentences(acme, login_as, name):
    page = login_as(acme.team.viewer).get(reverse(f"web:{name}", args=[acme.org.slug]))
    shown = text(page)
    assert not re.findall(r".{40}\bR-[A-Z]+-\d+", shown), re.findall(r".{40}\bR-[A-Z]+-\d+", shown)
    assert "why?" in shown


def test_the_built_file_is_kept_in_the_reports_storage_folder_or_bucket(vault_backend, acme, login_as):
    client = login_as(acme.team.viewer)
    response = ask_and_download(client, acme.org, "readiness", "html")
    job = ReportJob.objects.get()
    kept = StoredFiles("reports", vault_backend.url)
    assert kept.kind == vault_backend.kind
    assert kept.files() == [job.stored]
    assert re.fullmatch(rf"{acme.org.pk}/{job.pk}/\d+/{re.escape(job.file_name)}", job.stored), job.stored
    assert "Level 2 readiness report" in body(response).decode()


def test_a_job_whose_person_left_the_organization_fails_and_says_so(acme, login_as):
    from punchlist.orgs.models import Membership
    from punchlist.testing.report_jobs import run_report_jobs

    viewer, owner = login_as(acme.team.viewer), login_as(acme.team.owner)
    asked = viewer.post(reverse("web:report_ask", args=[acme.org.slug, "review", "pdf"]))
    Membership.objects.filter(organization=acme.org, user=acme.team.viewer).delete()
    assert run_report_jobs() == 1
    job = ReportJob.objects.get()
    assert job.state == ReportJob.State.FAILED and not job.stored
    page = text(owner.get(asked["Location"]))
    assert "It could not be built" in page and "Download" not in page
    assert f"{acme.team.viewer.username} may no longer read this organization's register" in page
    assert owner.get(reverse("web:report_job_download", args=[acme.org.slug, job.pk])).status_code == 404
    assert StoredFiles("reports").files() == []
