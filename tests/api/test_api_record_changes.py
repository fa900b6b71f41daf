"""Changes the API makes as the Item, Evidence, Assessment and People screens make them, through the same
services: a milestone unticked or dropped, evidence described, linked and deleted, an assessment's outcome and
the official POA&M, and a member's role."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from punchlist.audit.models import AuditEvent
from punchlist.core import records
from punchlist.core.catalog import load_catalog
from punchlist.orgs.models import Membership, Role
from punchlist.register import services
from punchlist.register.imports import import_assessment
from punchlist.register.models import Assessment, Evidence
from punchlist.register.services import evidence as vault

pytestmark = pytest.mark.django_db


def org_url(team, rest=""):
    return f"/api/v1/organizations/{team.org.slug}{rest}"


def _v(version) -> dict:
    return {"If-Match": f'"{version}"'}


# --- milestones ----------------------------------------------------------------------------------------------

def test_a_milestone_ticked_by_mistake_is_unticked_and_stays_in_the_history(team, item, token, api):
    milestone = services.add_milestone(team.owner, item, "Buy the tokens", date.today() + timedelta(days=10))
    milestone = services.complete_milestone(team.owner, milestone)
    path = org_url(team, f"/items/{item.identifier}/milestones/{milestone.pk}/undo")
    owner = token(team.owner, team.org, write=True)
    stale = api.post(owner, path, {"reason": "ticked the wrong one"}, headers=_v(milestone.version - 1))
    assert stale.status_code == 409 and stale.json()["code"] == "stale"
    undone = api.post(owner, path, {"reason": "ticked the wrong one"}, headers=_v(milestone.version))
    assert undone.status_code == 200, undone.content
    assert undone.json()["done_on"] is None and undone["ETag"] == f'"{milestone.version + 1}"'
    event = AuditEvent.objects.for_item(item).filter(action="reopen_milestone").get()
    assert event.reason == "ticked the wrong one" and event.actor == team.owner
    again = api.post(owner, path, {}, headers={"If-Match": undone["ETag"]})
    assert again.status_code == 400 and "not marked done" in again.json()["message"]
    viewer = api.post(token(team.viewer, team.org, write=True), path, {}, headers={"If-Match": undone["ETag"]})
    assert viewer.status_code == 403


def test_a_milestone_is_dropped_with_its_reason(team, item, token, api):
    milestone = services.add_milestone(team.owner, item, "Pilot on one OU", date.today() + timedelta(days=10))
    path = org_url(team, f"/items/{item.identifier}/milestones/{milestone.pk}/drop")
    owner = token(team.owner, team.org, write=True)
    without = api.post(owner, path, {"reason": ""}, headers=_v(milestone.version))
    assert without.status_code == 422 and without.json()["code"] == "invalid"
    missing = api.post(owner, path, {"reason": "Rolled out to every OU at once"})
    assert missing.status_code == 428
    dropped = api.post(owner, path, {"reason": "Rolled out to every OU at once"}, headers=_v(milestone.version))
    assert dropped.status_code == 200
    assert dropped.json()["dropped_on"] == timezone.localdate().isoformat()
    assert dropped.json()["drop_reason"] == "Rolled out to every OU at once"
    listed = api.get(owner, org_url(team, f"/items/{item.identifier}")).json()["milestones"]
    assert [m["drop_reason"] for m in listed] == ["Rolled out to every OU at once"]
    twice = api.post(owner, path, {"reason": "again"}, headers={"If-Match": dropped["ETag"]})
    assert twice.status_code == 400 and "already dropped" in twice.json()["message"]


# --- evidence ------------------------------------------------------------------------------------------------

def test_evidence_is_described_and_linked_under_its_version(team, item, token, api):
    from punchlist.testing import make_item

    other = make_item(team, title="Lockout on the build servers")
    piece = vault.add_evidence(team.owner, item, name="gpo report", reference="https://wiki.example/gpo")
    owner = token(team.owner, team.org, write=True)
    path = org_url(team, f"/evidence/{piece.pk}")
    read = api.get(owner, path)
    assert read.status_code == 200 and read["ETag"] == f'"{piece.version}"'
    assert read.json()["item"] == item.identifier and read.json()["linked_items"] == []
    changed = api.patch(owner, path, {"name": "GPO report", "custodian": team.coordinator.pk,
                                      "description": "Exported from GPMC"}, headers={"If-Match": read["ETag"]})
    assert changed.status_code == 200, changed.content
    body = changed.json()
    assert body["name"] == "GPO report" and body["custodian"]["id"] == team.coordinator.pk
    assert body["version"] == piece.version + 1
    stale = api.patch(owner, path, {"name": "Older"}, headers={"If-Match": read["ETag"]})
    assert stale.status_code == 409 and stale.json()["changes"]["name"] == "GPO report"
    stranger = api.patch(owner, path, {"custodian": 999999}, headers={"If-Match": changed["ETag"]})
    assert stranger.status_code == 400 and "no person #999999" in stranger.json()["message"]
    links = api.put(owner, path + "/links", {"items": [other.identifier.lower()], "requirements": ["3.1.8"]},
                    headers={"If-Match": changed["ETag"]})
    assert links.status_code == 200, links.content
    assert links.json()["linked_items"] == [other.identifier] and links.json()["requirements"] == ["3.1.8"]
    unknown = api.put(owner, path + "/links", {"items": ["POAM-ZZ-999"]}, headers={"If-Match": links["ETag"]})
    assert unknown.status_code == 400 and "POAM-ZZ-999: no such item" in unknown.json()["message"]
    viewer = api.patch(token(team.viewer, team.org, write=True), path, {"name": "x"},
                       headers={"If-Match": links["ETag"]})
    assert viewer.status_code == 403
    assert list(AuditEvent.objects.filter(object_type="register.evidence", object_id=str(piece.pk))
                .values_list("action", flat=True)
                .order_by("seq")) == ["add_evidence", "update_evidence", "link_evidence"]


def test_only_an_administrator_deletes_evidence_and_only_after_its_retention(team, item, token, api):
    piece = vault.add_evidence(team.owner, item, name="old ticket", reference="CHG1")
    path = org_url(team, f"/evidence/{piece.pk}/delete")
    admin = token(team.admin, team.org, write=True)
    kept = api.post(admin, path, {"reason": "tidying up"})
    assert kept.status_code == 400 and "R-AFF-3" in kept.json()["message"]
    Evidence.objects.filter(pk=piece.pk).update(added_at=timezone.now() - timedelta(days=365 * 7 + 2))
    coordinator = api.post(token(team.coordinator, team.org, write=True), path, {"reason": "old"})
    assert coordinator.status_code == 403
    deleted = api.post(admin, path, {"reason": "superseded; past retention"})
    assert deleted.status_code == 204 and not Evidence.objects.filter(pk=piece.pk).exists()
    assert AuditEvent.objects.get(action="delete_evidence").reason == "superseded; past retention"
    assert api.get(admin, org_url(team, f"/evidence/{piece.pk}")).status_code == 404


def test_another_organizations_evidence_is_not_found(team, rival, item, token, api):
    piece = vault.add_evidence(team.owner, item, name="gpo", reference="x")
    theirs = token(rival.admin, rival.org, write=True)
    for answer in (api.get(theirs, f"/api/v1/organizations/{rival.org.slug}/evidence/{piece.pk}"),
                   api.patch(theirs, f"/api/v1/organizations/{rival.org.slug}/evidence/{piece.pk}",
                             {"name": "mine"}, headers=_v(piece.version)),
                   api.post(theirs, f"/api/v1/organizations/{rival.org.slug}/evidence/{piece.pk}/delete",
                            {"reason": "mine"})):
        assert answer.status_code == 404
    assert Evidence.objects.get(pk=piece.pk).name == "gpo"


# --- outcomes ------------------------------------------------------------------------------------------------

@pytest.fixture
def scored(team):
    """A self-assessment with every requirement MET but 3.1.8 (1 point, POA&M-eligible): 109."""
    results = [records.RequirementResult(r.id, records.Determination.NOT_MET if r.id == "3.1.8"
                                         else records.Determination.MET, implementation="How")
               for r in load_catalog()]
    import_assessment(team.coordinator, team.org, results, assessed_on=date(2026, 11, 1), file="sa.xlsx")
    return Assessment.objects.for_organization(team.org).get()


def test_the_outcome_is_recorded_as_the_determinations_support_it(team, item, scored, token, api):
    coordinator = token(team.coordinator, team.org, write=True)
    path = org_url(team, f"/assessments/{scored.pk}")
    read = api.get(coordinator, path)
    assert read.status_code == 200 and read.json()["earned_status"] == ""
    assert read.json()["score"] == 109 and read.json()["verdict"] == "conditional"  # 3.1.8 is on the POA&M
    final = api.post(coordinator, path + "/outcome", {"kind": "self", "assessed_on": "2026-11-01",
                                                      "status": "final"}, headers={"If-Match": read["ETag"]})
    assert final.status_code == 400 and any("R-POAM-5" in p for p in final.json()["problems"])
    wrong = api.post(coordinator, path + "/outcome", {"kind": "self", "assessed_on": "2026-11-01",
                                                      "status": "conditional", "score": 110,
                                                      "conditional_date": "2026-11-20"},
                     headers={"If-Match": read["ETag"]})
    assert wrong.status_code == 400 and "score of 109" in wrong.json()["message"]
    owner = api.post(token(team.owner, team.org, write=True), path + "/outcome",
                     {"kind": "self", "assessed_on": "2026-11-01", "status": ""}, headers={"If-Match": read["ETag"]})
    assert owner.status_code == 403
    recorded = api.post(coordinator, path + "/outcome", {"kind": "self", "assessed_on": "2026-11-01",
                                                         "status": "conditional", "score": 109,
                                                         "conditional_date": "2026-11-20"},
                        headers={"If-Match": read["ETag"]})
    assert recorded.status_code == 200, recorded.content
    body = recorded.json()
    assert body["earned_status"] == "conditional" and body["conditional_status_date"] == "2026-11-20"
    assert body["recorded_score"] == 109 and body["closeout_deadline"] is not None
    assert recorded["ETag"] == f'"{body["version"]}"'
    stale = api.post(coordinator, path + "/outcome", {"kind": "self", "assessed_on": "2026-11-01",
                                                      "status": ""}, headers={"If-Match": read["ETag"]})
    assert stale.status_code == 409
    official = api.post(coordinator, path + "/official", {"reason": "handed to the C3PAO"},
                        headers={"If-Match": recorded["ETag"]})
    assert official.status_code == 200 and official.json()["is_the_assessment_poam"] is True
    event = AuditEvent.objects.filter(action="mark_official_poam").get()
    assert event.actor == team.coordinator and event.reason == "handed to the C3PAO"
    viewer = api.post(token(team.viewer, team.org, write=True), path + "/official", {},
                      headers={"If-Match": official["ETag"]})
    assert viewer.status_code == 403


# --- people --------------------------------------------------------------------------------------------------

def test_an_administrator_changes_a_role_under_its_version(team, token, api):
    admin = token(team.admin, team.org, write=True)
    people = {p["id"]: p for p in api.get(admin, org_url(team, "/people")).json()}
    viewer = people[team.viewer.pk]
    path = org_url(team, f"/people/{team.viewer.pk}/role")
    changed = api.put(admin, path, {"role": "approver", "reason": "signs off closures now"},
                      headers=_v(viewer["version"]))
    assert changed.status_code == 200, changed.content
    assert changed.json()["role"] == "approver" and changed["ETag"] == f'"{viewer["version"] + 1}"'
    assert Membership.objects.get(organization=team.org, user=team.viewer).role == Role.APPROVER
    assert AuditEvent.objects.get(action="change_role").reason == "signs off closures now"
    stale = api.put(admin, path, {"role": "viewer"}, headers=_v(viewer["version"]))
    assert stale.status_code == 409 and stale.json()["code"] == "stale"
    coordinator = api.put(token(team.coordinator, team.org, write=True), path, {"role": "admin"},
                          headers={"If-Match": changed["ETag"]})
    assert coordinator.status_code == 403
    last_admin = api.put(admin, org_url(team, f"/people/{team.admin.pk}/role"), {"role": "viewer"},
                         headers=_v(people[team.admin.pk]["version"]))
    assert last_admin.status_code == 400 and "at least one administrator" in last_admin.json()["message"]
    nobody = api.put(admin, org_url(team, "/people/999999/role"), {"role": "viewer"}, headers=_v(1))
    assert nobody.status_code == 404
