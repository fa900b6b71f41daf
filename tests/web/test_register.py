"""The register: every item riskiest first, filters and search, lint findings on the rows, 50 to a page, htmx
updates of the table alone, and the same few queries whatever the number of items."""

from __future__ import annotations

import html
import logging
import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from punchlist.register import services
from punchlist.testing import make_item, make_legacy_item
from punchlist.web import queries

TODAY = date.today()


def text(response) -> str:
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def listed(response) -> list[str]:
    """The item identifiers of the table's rows, in order."""
    body = response.content.decode()
    return re.findall(r'<td class="register-id"><a href="/o/[^/]+/items/([^/]+)/">', body)


def register_url(team, query: str = "") -> str:
    return reverse("web:register", args=[team.org.slug]) + (f"?{query}" if query else "")


@pytest.fixture
def varied(team):
    """Items in each tier of the risk order, made in an order that is not the risk order."""
    items = {
        "minor": make_legacy_item(team, requirements=["3.2.1"], title="Refresh the awareness slides", severity="low",
                           scheduled_in_days=20),
        "other": make_item(team, requirements=["3.1.4"], title="Separate the backup operator duties",
                           severity="moderate", primary_owner=team.owner2, scheduled_in_days=15),
        "ssp": make_legacy_item(team, requirements=["3.12.4"], title="Update the SSP for the new enclave",
                         severity="moderate", scheduled_in_days=40),
        "cui": make_item(team, requirements=["3.13.16"], title="Encrypt CUI at rest on the file server",
                         severity="high", scheduled_in_days=50),
        "late": make_legacy_item(team, requirements=["3.14.1"], title="Patch the CNC controller PCs", severity="high",
                          start_date=TODAY - timedelta(days=60), scheduled_in_days=None,
                          scheduled_completion=TODAY - timedelta(days=5)),
        "vague": make_legacy_item(team, requirements=["3.3.1"], title="Central log collection", severity="low",
                           remediation="Fix it", scheduled_in_days=30),
    }
    return items


def test_every_item_riskiest_first_with_the_reason(team, varied, login_as):
    response = login_as(team.viewer).get(register_url(team))
    assert response.status_code == 200
    order = listed(response)
    ids = {key: item.identifier for key, item in varied.items()}
    # CUI exposure (3.13.16 high), then foundations (3.12.4 before 3.3.1), then the rest (high before
    # moderate), then the minor one.
    assert order == [ids["cui"], ids["ssp"], ids["vague"], ids["late"], ids["other"], ids["minor"]]
    page = text(response)
    assert "CUI exposure" in page and "protects CUI directly (3.13.16" in page
    # Under each item, why it sits there in a few words; the tier's whole reason is the badge's tooltip.
    assert "Moderate severity · 3.12.4 is a foundation · due in 40 days" in page
    assert 'title="3.12.4 is a foundation: without a System Security Plan there is no score' in \
        response.content.decode()
    assert f'href="{reverse("web:item", args=[team.org.slug, ids["cui"]])}"' in response.content.decode()
    assert "6 items" in page


def test_lint_findings_are_on_their_rows_and_about_the_whole_register_above(team, varied, login_as):
    response = login_as(team.viewer).get(register_url(team))
    body = response.content.decode()
    row_html = {m.group(1): m.group(0) for m in
                re.finditer(r'<td class="register-id"><a href="/o/[^/]+/items/([^/]+)/">.*?</tr>', body, re.S)}
    assert "vague-remediation" in row_html[varied["vague"].identifier]
    assert "vague-remediation" not in row_html[varied["cui"].identifier]
    assert "overdue" in row_html[varied["late"].identifier]
    # Five of six open items with one owner: about the register as a whole, shown above the table.
    file_level = re.search(r'<ul class="register-file-findings".*?</ul>', body, re.S).group(0)
    assert "owner-concentration" in file_level


@pytest.mark.parametrize("query, expected", [
    ("family=SC", ["cui"]),
    ("family=sc", ["cui"]),
    ("requirement=AU.L2-3.3.1", ["vague"]),
    ("requirement=3.12.4", ["ssp"]),
    ("severity=high", ["cui", "late"]),
    ("severity=low", ["vague", "minor"]),
    ("due=overdue", ["late"]),
    ("due=30", ["vague", "late", "other", "minor"]),
    ("q=cnc+controller", ["late"]),
    ("q=ENCRYPT+server", ["cui"]),
    ("finding=vague-remediation", ["vague"]),
    ("family=AU&severity=high", []),
    ("sort=due", ["late", "other", "minor", "vague", "ssp", "cui"]),
])
def test_filters_and_search(team, varied, login_as, query, expected):
    response = login_as(team.viewer).get(register_url(team, query))
    assert response.status_code == 200
    assert listed(response) == [varied[key].identifier for key in expected]


def test_filter_by_owner_status_and_due_date(team, varied, login_as):
    client = login_as(team.coordinator)
    assert listed(client.get(register_url(team, f"owner={team.owner2.pk}"))) == [varied["other"].identifier]
    services.add_evidence(team.owner, varied["cui"], name="BitLocker report", reference="Intune/report.pdf")
    services.request_closure(team.owner, varied["cui"])
    assert listed(client.get(register_url(team, "status=ready_for_verification"))) == [varied["cui"].identifier]
    active = listed(client.get(register_url(team, "status=active")))
    assert len(active) == 6
    before = (TODAY + timedelta(days=16)).isoformat()
    assert listed(client.get(register_url(team, f"due_before={before}"))) == [
        varied["late"].identifier, varied["other"].identifier]
    assert listed(client.get(register_url(team, f"approver={team.approver.pk}&status=ready_for_verification"))) \
        == [varied["cui"].identifier]


def test_nonsense_filters_are_said_in_words_and_dropped(team, varied, login_as):
    response = login_as(team.viewer).get(register_url(team, "family=ZZ&requirement=3.99.1&due_before=soon"
                                                            "&status=bogus&page=abc"))
    assert response.status_code == 200
    page = text(response)
    assert "There is no family 'ZZ'" in page
    assert "'3.99.1' is not a NIST SP 800-171 Rev 2 requirement" in page
    assert "'soon' is not a date" in page
    assert len(listed(response)) == 6


def test_fifty_to_a_page_with_links_that_keep_the_filters(team, login_as):
    for n in range(51):
        make_item(team, requirements=["3.1.4"], title=f"Separate duty {n:02}", severity="moderate",
                  scheduled_in_days=10 + n)
    client = login_as(team.viewer)
    first = client.get(register_url(team, "family=AC&q=separate"))
    assert len(listed(first)) == 50
    assert "Page 1 of 2" in text(first)
    body = first.content.decode()
    next_link = html.unescape(re.search(r'<a href="([^"]+)" rel="next"', body).group(1))
    assert "family=AC" in next_link and "q=separate" in next_link and "page=2" in next_link
    assert next_link.startswith(reverse("web:register", args=[team.org.slug]) + "?")
    second = client.get(next_link)
    assert len(listed(second)) == 1
    # Due dates rise with the number: the last one is on the second page, in risk order.
    assert "Separate duty 50" in text(second)
    beyond = client.get(register_url(team, "family=AC&q=separate&page=9"))
    assert listed(beyond) == listed(second)  # past the end: the last page


def test_htmx_gets_the_table_alone_and_plain_get_the_whole_page(team, varied, login_as):
    client = login_as(team.viewer)
    partial = client.get(register_url(team, "severity=high"), HTTP_HX_REQUEST="true",
                         HTTP_HX_TARGET="register-results")
    body = partial.content.decode()
    assert "<html" not in body and "<form" not in body
    assert listed(partial) == [varied["cui"].identifier, varied["late"].identifier]
    assert "HX-Request" in partial["Vary"]
    whole = client.get(register_url(team, "severity=high"))
    assert "<html" in whole.content.decode() and 'id="register-results"' in whole.content.decode()
    assert 'hx-get="/o/' in whole.content.decode()  # the form asks htmx to refresh the table
    assert '<option value="high" selected>' in whole.content.decode()  # the form shows what was asked


def test_a_change_through_a_service_shows_at_once(team, varied, login_as):
    client = login_as(team.viewer)
    assert varied["cui"].identifier in listed(client.get(register_url(team, "severity=high")))
    services.update_item(team.coordinator, varied["cui"], severity="low")
    assert varied["cui"].identifier not in listed(client.get(register_url(team, "severity=high")))
    services.add_milestone(team.owner2, varied["other"], "Split the role", TODAY - timedelta(days=2))
    response = client.get(register_url(team, "finding=overdue-milestone"))
    assert listed(response) == [varied["other"].identifier]


def test_a_renamed_owner_is_judged_by_the_new_name(team, varied, login_as):
    client = login_as(team.viewer)
    assert not listed(client.get(register_url(team, "finding=generic-owner")))
    team.owner2.first_name, team.owner2.last_name = "IT", "Department"
    team.owner2.save()
    response = client.get(register_url(team, "finding=generic-owner"))
    assert listed(response) == [varied["other"].identifier]


def test_the_index_is_kept_until_the_register_changes(team, varied):
    first = queries.register_index(team.org, as_of=TODAY)
    assert queries.register_index(team.org, as_of=TODAY) is first
    # Writes that leave the items alone (an assessment and its determinations) keep it...
    assessment = services.create_assessment(team.coordinator, team.org, assessed_on=TODAY)
    services.set_requirement_status(team.coordinator, assessment, "3.1.1", "met")
    assert queries.register_index(team.org, as_of=TODAY) is first
    # ... any write to an item, its milestones or its evidence does not.
    services.add_milestone(team.coordinator, varied["cui"], "Enable BitLocker on the file server", TODAY)
    again = queries.register_index(team.org, as_of=TODAY)
    assert again is not first
    assert "missing-milestones" not in again.by_pk()[varied["cui"].pk].checks
    make_item(team, title="One more")
    third = queries.register_index(team.org, as_of=TODAY)
    assert third is not again and len(third.rows) == len(first.rows) + 1
    assert queries.register_index(team.org, as_of=TODAY + timedelta(days=1)) is not third  # a new day


def test_only_this_organizations_items(team, rival, varied, login_as):
    make_item(rival, title="Rival's own item")
    # Identifiers are numbered per organization (both have a POAM-AC-001): compare titles.
    page = text(login_as(team.viewer).get(register_url(team)))
    assert "Rival's own item" not in page and "6 items" in page
    assert "Rival's own item" in text(login_as(rival.viewer).get(register_url(rival)))


def test_every_member_reads_nobody_else_and_nothing_is_posted(team, rival, varied, login_as, client):
    for user in (team.admin, team.coordinator, team.owner, team.approver, team.viewer):
        response = login_as(user).get(register_url(team))
        assert response.status_code == 200
        assert 'method="post"' not in response.content.decode().replace(
            f'method="post" action="{reverse("account_logout")}"', "")
    assert login_as(rival.admin).get(register_url(team)).status_code == 404
    assert client.get(register_url(team)).status_code == 302
    assert login_as(team.viewer).post(register_url(team)).status_code == 405


def test_the_registers_export_is_a_download_written_to_the_security_log(team, rival, varied, login_as, caplog):
    """The Register's Export buttons send the POA&M as an attachment, and the security log says who took which
    file of which organization, from where, as it does for every file that leaves Punchlist (3.3.1)."""
    caplog.set_level(logging.INFO, logger="punchlist.security")
    client = login_as(team.viewer)
    export = reverse("web:register_export", args=[team.org.slug])
    csv_file = client.get(export, {"format": "csv"})
    workbook = client.get(export, {"format": "xlsx"})
    assert "attachment" in csv_file["Content-Disposition"] and "attachment" in workbook["Content-Disposition"]
    assert varied["cui"].identifier in b"".join(csv_file.streaming_content).decode("utf-8-sig")
    assert b"".join(workbook.streaming_content).startswith(b"PK")
    assert login_as(rival.viewer).get(export, {"format": "csv"}).status_code == 404
    lines = [record.getMessage() for record in caplog.records if record.name == "punchlist.security"]
    name = f"{team.org.slug}-poam-{TODAY.isoformat()}"
    who = f"downloaded: username={team.viewer.username!r} org={team.org.slug} file="
    assert [line for line in lines if line.startswith("downloaded:")] == [
        f"{who}'{name}.csv (Internal tracking document, {len(varied)} items)' ip=127.0.0.1",
        f"{who}'{name}.xlsx (Internal tracking document, {len(varied)} items)' ip=127.0.0.1"]


def _count(client, url, **headers) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, **headers).status_code == 200
    return len(captured)


def test_the_same_number_of_queries_for_3_and_for_30_items(team, login_as):
    client = login_as(team.coordinator)
    urls = [register_url(team), register_url(team, "severity=high&q=lock&page=1"),
            register_url(team, "status=active&sort=due")]

    def add(count):
        for n in range(count):
            item = make_legacy_item(team, requirements=[("3.1.8", "3.13.16", "3.12.4")[n % 3]], title=f"Lock {n}",
                             primary_owner=(team.owner, team.owner2)[n % 2])
            services.add_milestone(team.coordinator, item, f"Step {n}", TODAY + timedelta(days=n))

    def measure():
        queries.forget()
        cold = _count(client, urls[0])  # the index is computed
        warm = [_count(client, url) for url in urls]  # the index is kept
        partial = _count(client, urls[1], HTTP_HX_REQUEST="true", HTTP_HX_TARGET="register-results")
        return cold, warm, partial

    add(3)
    few = measure()
    add(27)
    many = measure()
    assert few == many
    cold, warm, _ = many
    assert cold > warm[0]  # the kept index saves the reads of every item


def test_a_process_keeps_a_bounded_number_of_items(team, rival, varied, monkeypatch):
    make_item(rival, title="Rival's own item")
    monkeypatch.setattr(queries, "CACHE_ITEMS", len(varied))
    queries.forget()
    ours = queries.register_index(team.org, as_of=TODAY)
    assert queries.register_index(team.org, as_of=TODAY) is ours
    queries.register_index(rival.org, as_of=TODAY)  # 6 + 1 items > 6: the older index goes
    assert queries.register_index(team.org, as_of=TODAY) is not ours


def test_what_people_typed_is_escaped_in_the_rows(team, login_as):
    make_item(team, title='<script>alert("x")</script> & more', remediation="<b>Fix</b> it")
    body = login_as(team.viewer).get(register_url(team)).content.decode()
    assert "<script>alert" not in body and "<b>Fix</b>" not in body
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more" in body


def test_an_empty_register(team, login_as):
    response = login_as(team.owner).get(register_url(team))
    assert response.status_code == 200
    assert "The register is empty." in text(response) and not listed(response)
