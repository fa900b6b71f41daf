"""Items through the API: the register's list with its filters and cursor pages, one item with its ETag, and
every change through the same services as the Item screen: roles, If-Match, 409 with what changed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from punchlist.register import services
from punchlist.register.models import PoamItem
from punchlist.testing import make_item
from punchlist.web import queries

pytestmark = pytest.mark.django_db


def url(team, rest=""):
    return f"/api/v1/organizations/{team.org.slug}/items{rest}"


def test_the_list_pages_by_cursor_through_every_item_once(team, token, api):
    for n in range(7):
        make_item(team, title=f"Item {n}", requirements=("3.1.8",))
    secret = token(team.viewer, team.org)
    seen, cursor, pages = [], "", 0
    while True:
        page = api.get(secret, url(team), {"limit": 3, **({"cursor": cursor} if cursor else {})}).json()
        assert page["total"] == 7
        seen += [row["identifier"] for row in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert pages == 3 and len(seen) == 7 and len(set(seen)) == 7
    index = queries.register_index(team.org)
    assert seen == [row.identifier for row in index.rows]  # the register's own risk order


def test_a_cursor_survives_an_item_added_before_it(team, token, api):
    for n in range(4):
        make_item(team, title=f"Item {n}")
    secret = token(team.viewer, team.org)
    first = api.get(secret, url(team), {"limit": 2, "sort": "id"}).json()
    make_item(team, title="Added meanwhile", requirements=("3.1.1",), kind="operational_plan")  # OPA-AC: sorts first
    second = api.get(secret, url(team), {"limit": 2, "sort": "id", "cursor": first["next_cursor"]}).json()
    ids = [r["identifier"] for r in first["items"]] + [r["identifier"] for r in second["items"]]
    assert len(set(ids)) == 4  # nothing seen twice, nothing skipped of what was there


def test_the_filters_are_the_registers(team, token, api):
    make_item(team, title="Encrypt laptops", requirements=("3.13.11",), severity="low")
    make_item(team, title="Lockout policy", requirements=("3.1.8",), severity="high")
    overdue = make_item(team, title="Old one", requirements=("3.3.1",), scheduled_in_days=None, kind="operational_plan")
    PoamItem.objects.filter(pk=overdue.pk).update(scheduled_completion=date.today() - timedelta(days=3))
    secret = token(team.viewer, team.org)

    def titles(**params):
        answer = api.get(secret, url(team), params)
        assert answer.status_code == 200, answer.content
        return sorted(row["title"] for row in answer.json()["items"])

    assert titles(family="SC") == ["Encrypt laptops"]
    assert titles(requirement="3.1.8") == ["Lockout policy"]
    assert titles(severity="low") == ["Encrypt laptops"]
    assert titles(q="laptops") == ["Encrypt laptops"]
    assert titles(owner=team.owner.pk) == ["Encrypt laptops", "Lockout policy", "Old one"]
    assert titles(owner=team.owner2.pk) == []
    assert titles(due="overdue") == ["Old one"]


def test_a_filter_value_that_means_nothing_is_refused_with_its_name(team, token, api):
    secret = token(team.viewer, team.org)
    for params, said in (({"family": "ZZ"}, "family"), ({"status": "nope"}, "status"), ({"sort": "x"}, "sort"),
                         ({"cursor": "!!"}, "cursor"), ({"due_before": "tomorrow"}, "tomorrow")):
        answer = api.get(secret, url(team), params)
        assert answer.status_code == 400 and answer.json()["code"] == "invalid", params
        assert said in answer.json()["message"]


def test_an_item_reads_with_its_milestones_evidence_history_and_etag(team, item, token, api):
    services.add_milestone(team.owner, item, "Draft the GPO", date.today() + timedelta(days=5))
    services.add_evidence(team.owner, item, name="Link", reference="https://wiki.example/gpo")
    secret = token(team.viewer, team.org)
    answer = api.get(secret, url(team, f"/{item.identifier}"))
    assert answer.status_code == 200
    body = answer.json()
    item.refresh_from_db()
    assert answer["ETag"] == f'"{item.version}"' and body["version"] == item.version
    assert body["requirements"] == ["3.1.8"] and body["primary_owner"]["name"] == "Marcus Lee"
    assert [m["description"] for m in body["milestones"]] == ["Draft the GPO"]
    assert [e["name"] for e in body["evidence"]] == ["Link"] and body["evidence"][0]["download"] is None
    assert [e["action"] for e in body["history"]] == ["create_item", "add_milestone", "add_evidence"]
    assert body["moves"] == []  # a viewer moves nothing


def test_reading_an_item_costs_the_same_queries_however_much_it_holds(team, token, api):
    small, large = make_item(team, title="Small"), make_item(team, title="Large")
    for n in range(6):
        services.add_milestone(team.owner, large, f"Step {n}", date.today() + timedelta(days=n + 1))
        services.add_evidence(team.owner, large, name=f"Ref {n}", reference=f"https://wiki.example/{n}")
    secret = token(team.viewer, team.org)
    counts = []
    for one in (small, large):
        api.get(secret, url(team, f"/{one.identifier}"))  # the token's last use is recorded on the first call
        with CaptureQueriesContext(connection) as captured:
            assert api.get(secret, url(team, f"/{one.identifier}")).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], counts


def test_a_page_of_the_list_costs_the_same_queries_for_5_or_40_items(team, token, api):
    secret = token(team.viewer, team.org)
    counts = []
    for total in (5, 40):
        while PoamItem.objects.filter(organization=team.org).count() < total:
            make_item(team, title=f"Item {PoamItem.objects.count()}")
        queries.forget()
        api.get(secret, url(team))
        queries.forget()
        with CaptureQueriesContext(connection) as captured:
            page = api.get(secret, url(team), {"limit": 100}).json()
        assert len(page["items"]) == total
        counts.append(len(captured))
    assert counts[0] == counts[1], counts


def test_a_coordinator_adds_an_item_and_a_viewer_may_not(team, token, api):
    body = {"requirements": ["3.1.8"], "title": "Lock accounts", "status": "open",
            "primary_owner": team.owner.pk, "approval_authority": team.approver.pk,
            "scheduled_completion": (date.today() + timedelta(days=30)).isoformat(),
            "milestones": [{"description": "Pilot", "due": (date.today() + timedelta(days=7)).isoformat()}]}
    made = api.post(token(team.coordinator, team.org, write=True), url(team), body)
    assert made.status_code == 201, made.content
    assert made.json()["identifier"].startswith("POAM-AC-") and made["ETag"] == '"1"'
    assert [m["description"] for m in made.json()["milestones"]] == ["Pilot"]
    refused = api.post(token(team.viewer, team.org, write=True), url(team), body)
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"


def test_a_person_from_another_organization_cannot_be_named_on_an_item(team, rival, token, api):
    body = {"requirements": ["3.1.8"], "title": "Lock accounts", "primary_owner": rival.owner.pk}
    refused = api.post(token(team.coordinator, team.org, write=True), url(team), body)
    assert refused.status_code == 400 and refused.json()["code"] == "invalid"
    assert rival.owner.username not in refused.json()["message"]  # says nothing of who that is


def test_an_owner_changes_their_item_but_not_its_people_nor_anothers_item(team, item, token, api):
    secret = token(team.owner, team.org, write=True)
    changed = api.patch(secret, url(team, f"/{item.identifier}"), {"remediation": "GPO 5/15", "comments": "ok"},
                        headers={"If-Match": f'"{item.version}"'})
    assert changed.status_code == 200, changed.content
    assert changed.json()["remediation"] == "GPO 5/15" and changed.json()["details"]["comments"] == "ok"
    assert changed["ETag"] == f'"{item.version + 1}"'
    people = api.patch(secret, url(team, f"/{item.identifier}"), {"primary_owner": team.owner2.pk},
                       headers={"If-Match": changed["ETag"]})
    assert people.status_code == 403 and people.json()["code"] == "permission_denied"
    other = make_item(team, primary_owner=team.owner2, title="Not Marcus's")
    refused = api.patch(secret, url(team, f"/{other.identifier}"), {"remediation": "x"},
                        headers={"If-Match": f'"{other.version}"'})
    assert refused.status_code == 403


def test_a_stale_write_is_409_with_what_changed_and_who_changed_it(team, item, token, api):
    secret = token(team.coordinator, team.org, write=True)
    read = api.get(secret, url(team, f"/{item.identifier}"))
    services.update_item(team.owner, item, version=item.version, title="Renamed by Marcus")
    stale = api.patch(secret, url(team, f"/{item.identifier}"), {"remediation": "mine"},
                      headers={"If-Match": read["ETag"]})
    assert stale.status_code == 409
    body = stale.json()
    assert body["code"] == "stale" and body["changes"] == {"title": "Renamed by Marcus"}
    assert body["changed_by"] == ["acme-owner"] and body["current_version"] == int(read["ETag"].strip('"')) + 1
    item.refresh_from_db()
    assert item.remediation != "mine"
    again = api.patch(secret, url(team, f"/{item.identifier}"), {"remediation": "mine"},
                      headers={"If-Match": f'"{body["current_version"]}"'})
    assert again.status_code == 200 and again.json()["title"] == "Renamed by Marcus"


def test_a_write_without_if_match_is_refused(team, item, token, api):
    secret = token(team.coordinator, team.org, write=True)
    missing = api.patch(secret, url(team, f"/{item.identifier}"), {"remediation": "x"})
    assert missing.status_code == 428 and missing.json()["code"] == "precondition_required"
    garbled = api.patch(secret, url(team, f"/{item.identifier}"), {"remediation": "x"}, headers={"If-Match": "abc"})
    assert garbled.status_code == 400 and garbled.json()["code"] == "invalid"


def test_status_moves_follow_the_workflow_and_its_people(team, item, token, api):
    owner = token(team.owner, team.org, write=True)
    approver = token(team.approver, team.org, write=True)
    path = url(team, f"/{item.identifier}")
    started = api.post(owner, f"{path}/moves/start", {}, headers={"If-Match": f'"{item.version}"'})
    assert started.status_code == 200 and started.json()["status"] == "in_progress"
    no_evidence = api.post(owner, f"{path}/moves/request_closure", {"reason": "done"},
                           headers={"If-Match": started["ETag"]})
    assert no_evidence.status_code == 400 and no_evidence.json()["code"] == "invalid"
    services.add_evidence(team.owner, item, name="GPO report", reference="https://wiki.example/gpo")
    asked = api.post(owner, f"{path}/moves/request_closure", {"reason": "done"}, headers={"If-Match": started["ETag"]})
    assert asked.status_code == 200 and asked.json()["status"] == "ready_for_verification"
    own = api.post(owner, f"{path}/moves/approve", {}, headers={"If-Match": asked["ETag"]})
    assert own.status_code == 403  # nobody approves their own work
    approved = api.post(approver, f"{path}/moves/approve", {"reason": "checked the GPO", "record_met": True},
                        headers={"If-Match": asked["ETag"]})
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "closed"
    assert api.post(owner, f"{path}/moves/fly", {}, headers={"If-Match": '"1"'}).status_code == 404


def test_milestones_are_added_ticked_and_slipped_under_their_own_version(team, item, token, api):
    secret = token(team.owner, team.org, write=True)
    path = url(team, f"/{item.identifier}/milestones")
    due = date.today() + timedelta(days=10)
    added = api.post(secret, path, {"description": "Pilot", "due": due.isoformat()})
    assert added.status_code == 201
    pk = added.json()["id"]
    no_reason = api.post(secret, f"{path}/{pk}/slip", {"due": (due + timedelta(days=5)).isoformat()},
                         headers={"If-Match": added["ETag"]})
    assert no_reason.status_code == 422 and no_reason.json()["code"] == "invalid"
    slipped = api.post(secret, f"{path}/{pk}/slip", {"due": (due + timedelta(days=5)).isoformat(),
                                                     "reason": "vendor late"}, headers={"If-Match": added["ETag"]})
    assert slipped.status_code == 200 and slipped.json()["original_due"] == due.isoformat()
    stale = api.post(secret, f"{path}/{pk}/done", {}, headers={"If-Match": added["ETag"]})
    assert stale.status_code == 409 and "due" in stale.json()["changes"]
    done = api.post(secret, f"{path}/{pk}/done", {}, headers={"If-Match": slipped["ETag"]})
    assert done.status_code == 200 and done.json()["done_on"] == date.today().isoformat()


def test_evidence_is_uploaded_within_the_limit_and_downloaded_as_an_attachment(team, item, token, api, settings,
                                                                                 caplog):
    from django.core.files.uploadedfile import SimpleUploadedFile

    secret = token(team.owner, team.org, write=True)
    path = url(team, f"/{item.identifier}/evidence")
    added = api.upload(secret, path, {"name": "gpo.txt", "file": SimpleUploadedFile("gpo.txt", b"lockout 5/15\n")})
    assert added.status_code == 201, added.content
    download = added.json()["download"]
    with caplog.at_level("INFO", logger="punchlist.security"):
        got = api.get(token(team.viewer, team.org), download)
    assert got.status_code == 200 and b"".join(got.streaming_content) == b"lockout 5/15\n"
    assert got["Content-Disposition"].startswith("attachment")
    assert any("downloaded" in r.getMessage() and "gpo.txt" in r.getMessage() for r in caplog.records)
    settings.PUNCHLIST_MAX_UPLOAD_BYTES = 1024
    big = api.upload(secret, path, {"file": SimpleUploadedFile("big.txt", b"x" * 5000)})
    assert big.status_code == 413 and big.json()["code"] == "too_large"
    assert item.evidence.count() == 1
    viewer = api.upload(token(team.viewer, team.org, write=True), path, {"reference": "https://x.example"})
    assert viewer.status_code == 403


def test_unknown_addresses_and_faults_answer_json_never_a_page(team, token, api):
    secret = token(team.viewer, team.org)
    for path in ("/api/v1/nothing", "/api/v2/organizations", url(team, "/POAM-ZZ-999")):
        answer = api.get(secret, path)
        assert answer.status_code == 404 and answer.json()["code"] == "not_found", path


def test_an_evidence_name_longer_than_the_register_keeps_is_refused_in_words(team, item, token, api):
    """Found by the schemathesis run on PostgreSQL: a 300-character name was a database error there."""
    secret = token(team.owner, team.org, write=True)
    path = url(team, f"/{item.identifier}/evidence")
    long = api.upload(secret, path, {"name": "n" * 300, "reference": "https://wiki.example/x"})
    assert long.status_code == 422 and long.json()["code"] == "invalid"
    with pytest.raises(services.InvalidChange, match="at most 255 characters; this one has 300"):
        services.add_evidence(team.owner, item, name="n" * 300, reference="https://wiki.example/x")
    assert not item.evidence.exists()
