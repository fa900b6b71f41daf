"""Scanner reports and STIG checklists through the API's import, as the Import screen takes them (the
informational results left out unless asked, requirements derived from 800-53 ids confirmed before an
import), with the scan's outcome; decisions on findings and the remediation policy."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from punchlist.audit.models import AuditEvent
from punchlist.register.models import PoamItem, Status
from punchlist.scans.models import FindingState, ScanFinding
from punchlist.testing.scans import nessus_xml

pytestmark = pytest.mark.django_db

WEB, TLS, BANNER = 1001, 1002, 1003  # BANNER: an informational result


def url(team, rest=""):
    return f"/api/v1/organizations/{team.org.slug}{rest}"


def send(api, secret, team, path, action="check", **fields):
    data = {"file": SimpleUploadedFile(path.name, path.read_bytes()), "action": action, **fields}
    return api.upload(secret, url(team, "/imports"), data)


def _severity(plugin):
    return 0 if plugin == BANNER else 2


def test_a_nessus_report_is_checked_then_imported_and_the_next_scan_puts_a_fix_forward(team, token, api, tmp_path):
    secret = token(team.coordinator, team.org, write=True)
    first = nessus_xml(tmp_path / "week1.nessus", {"h1": [WEB, TLS, BANNER], "h2": [WEB]},
                       scanned=date(2026, 11, 2), severity=_severity)
    checked = send(api, secret, team, first)
    assert checked.status_code == 201, checked.content
    job = checked.json()
    assert job["outcome"]["kind"] == "ready" and job["scan"]["new_findings"] == 3
    assert job["scan"]["informational"] == 1 and job["scan"]["scanner"] == "nessus"
    assert not PoamItem.objects.for_organization(team.org).exists()  # a check writes nothing
    imported = api.post(secret, url(team, f"/imports/{job['id']}/import"), {})
    assert imported.status_code == 201, imported.content
    assert imported.json()["outcome"]["kind"] == "imported" and imported.json()["scan"]["new_findings"] == 3
    assert {i.external_id for i in PoamItem.objects.for_organization(team.org)} == {"nessus:1001", "nessus:1002"}

    tls = PoamItem.objects.get(organization=team.org, external_id="nessus:1002")
    from punchlist.register.services import update_item

    update_item(team.coordinator, tls, approval_authority=team.approver, reason="assign the verifier")
    second = nessus_xml(tmp_path / "week2.nessus", {"h1": [WEB], "h2": [WEB]}, scanned=date(2026, 11, 9))
    scan = send(api, secret, team, second, action="import").json()["scan"]
    assert scan["put_forward"] == [tls.identifier] and scan["fixed"] == [[tls.identifier, "nessus:1002", "h1"]]
    assert scan["seen_again"] == 2 and any("put forward for closure" in line for line in scan["lines"])
    tls.refresh_from_db()
    assert tls.status == Status.READY_FOR_VERIFICATION

    again = send(api, secret, team, second, action="import").json()["scan"]
    assert again["same_scan"] is True and again["new_findings"] == 0


def test_informational_results_are_items_only_when_asked(team, token, api, tmp_path):
    secret = token(team.coordinator, team.org, write=True)
    report = nessus_xml(tmp_path / "scan.nessus", {"h1": [WEB, BANNER]}, scanned=date(2026, 11, 2),
                        severity=_severity)
    checked = send(api, secret, team, report, include_informational="true").json()
    assert checked["outcome"]["result"]["created"]["count"] == 2
    imported = api.post(secret, url(team, f"/imports/{checked['id']}/import"), {}).json()
    assert imported["outcome"]["result"]["created"]["count"] == 2  # the check's choice is kept
    assert PoamItem.objects.for_organization(team.org).filter(external_id="nessus:1003").exists()


def test_a_stig_checklist_imports_once_its_derived_requirements_are_confirmed(team, token, api, shared_fixture):
    from pathlib import Path

    path = Path(shared_fixture("scanners/mitre-saf_rhel7.ckl"))
    secret = token(team.coordinator, team.org, write=True)
    checked = send(api, secret, team, path).json()
    assert checked["outcome"]["kind"] == "ready" and checked["scan"]["scanner"] == "stig"
    derived = {d["control"]: d for d in checked["outcome"]["derived"]}
    assert "AC-8" in derived
    refused = api.post(secret, url(team, f"/imports/{checked['id']}/import"), {}).json()
    assert refused["outcome"]["kind"] == "problems" and "confirm" in str(refused["outcome"]).lower()
    assert not PoamItem.objects.for_organization(team.org).exists()
    bad = api.post(secret, url(team, f"/imports/{checked['id']}/import"),
                   {"accept_derived": True, "derive": {"AU-9": "9.9.9"}})
    assert bad.status_code == 400 and "9.9.9" in bad.json()["message"]
    checked = send(api, secret, team, path).json()
    imported = api.post(secret, url(team, f"/imports/{checked['id']}/import"),
                        {"accept_derived": True, "derive": {"AU-9": "3.3.1", "AU-9(3)": "3.3.8", "AC-8": "3.1.9"}})
    assert imported.status_code == 201 and imported.json()["outcome"]["kind"] == "imported", imported.content
    audit = PoamItem.objects.for_organization(team.org).get(external_id="stig:V-71849")
    assert sorted(audit.requirement_ids) == ["3.3.1", "3.3.8"]


def test_findings_are_listed_and_decided_with_a_reason(team, token, api, tmp_path):
    coordinator = token(team.coordinator, team.org, write=True)
    report = nessus_xml(tmp_path / "scan.nessus", {"h1": [WEB], "h2": [WEB], "h3": [WEB]}, scanned=date(2026, 11, 2))
    send(api, coordinator, team, report, action="import")
    item = PoamItem.objects.get(organization=team.org, external_id="nessus:1001")
    path = url(team, f"/items/{item.identifier}/scan-findings")
    listed = api.get(token(team.viewer, team.org), path, {"limit": 2}).json()
    assert [f["host"] for f in listed["findings"]] == ["h1", "h2"] and listed["total"] == 3
    assert listed["findings"][0]["state"] == "open" and listed["findings"][0]["last_scan"] == "scan.nessus"
    rest = api.get(token(team.viewer, team.org), path, {"limit": 2, "cursor": listed["next_cursor"]}).json()
    assert [f["host"] for f in rest["findings"]] == ["h3"] and rest["next_cursor"] is None
    no_reason = api.post(coordinator, path + "/decision", {"decision": "false_positive", "reason": "  "})
    assert no_reason.status_code == 400 and "needs a reason" in no_reason.json()["message"]
    decided = api.post(coordinator, path + "/decision", {"decision": "false_positive", "hosts": ["h2"],
                                                         "reason": "h2 runs the patched build"})
    assert decided.status_code == 200, decided.content
    [changed] = decided.json()["changed"]
    assert (changed["host"], changed["state"], changed["reason"]) == ("h2", "false_positive",
                                                                      "h2 runs the patched build")
    assert changed["decided_by"] == "Cora Lee"
    unknown = api.post(coordinator, path + "/decision", {"decision": "operational", "hosts": ["h9"],
                                                         "reason": "kept"})
    assert unknown.status_code == 400 and "no finding on h9" in unknown.json()["message"]
    back = api.post(coordinator, path + "/decision", {"decision": "open", "reason": "the build was not patched"})
    assert [f["host"] for f in back.json()["changed"]] == ["h2"]
    assert ScanFinding.objects.get(item=item, host="h2").state == FindingState.OPEN
    assert AuditEvent.objects.filter(action="decide_finding").count() == 2
    owner = api.post(token(team.owner, team.org, write=True), path + "/decision",
                     {"decision": "operational", "reason": "kept on purpose"})
    assert owner.status_code == 403


def test_the_remediation_policy_is_read_by_members_and_changed_by_coordinators(team, rival, token, api):
    viewer = token(team.viewer, team.org)
    policy = api.get(viewer, url(team, "/remediation-policy")).json()
    assert policy == {"critical_days": 30, "high_days": 30, "moderate_days": 90, "low_days": 180,
                      "is_default": True, "updated_at": None, "updated_by": None}
    days = {"critical_days": 15, "high_days": 30, "moderate_days": 60, "low_days": 120}
    coordinator = token(team.coordinator, team.org, write=True)
    changed = api.put(coordinator, url(team, "/remediation-policy"), days)
    assert changed.status_code == 200 and changed.json()["moderate_days"] == 60
    assert changed.json()["is_default"] is False and changed.json()["updated_by"] == "Cora Lee"
    assert api.get(viewer, url(team, "/remediation-policy")).json()["critical_days"] == 15
    too_many = api.put(coordinator, url(team, "/remediation-policy"), {**days, "low_days": 4000})
    assert too_many.status_code == 422
    owner = api.put(token(team.owner, team.org, write=True), url(team, "/remediation-policy"), days)
    assert owner.status_code == 403
    theirs = api.get(token(rival.admin, rival.org), url(rival, "/remediation-policy")).json()
    assert theirs["critical_days"] == 30  # another organization's policy is its own


def test_derived_requirements_chosen_at_upload_are_checked_against_the_catalog(team, token, api, tmp_path):
    secret = token(team.coordinator, team.org, write=True)
    report = nessus_xml(tmp_path / "scan.nessus", {"h1": [WEB]}, scanned=date(2026, 11, 2))
    for bad in ("not json", "[1, 2]"):
        answer = send(api, secret, team, report, derive_choices=bad)
        assert answer.status_code == 400 and "derive_choices" in answer.json()["message"]
    unknown = send(api, secret, team, report, derive_choices='{"AC-8": "3.99.1"}')
    assert unknown.status_code == 400 and "3.99.1" in unknown.json()["message"]
    assert send(api, secret, team, report, derive_choices='{"AC-8": "3.1.9"}').status_code == 201
