"""Imports through the API: the Import screen's check (its preview) and import, with its rules: nothing written
by a check, a person's change since the last import kept, a closed item reopened only when named."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from punchlist.register import services
from punchlist.register.models import PoamItem

pytestmark = pytest.mark.django_db

# Three items, owned by the team's Marcus Lee (an item owner), as a contractor's own spreadsheet has them.
POAM = (
    "POA&M ID,NIST 800-171 Control,Weakness,Remediation Plan,Point of Contact,Scheduled Completion,Status\n"
    "POAM-AC-001,AC.L2-3.1.8,Accounts never lock,Set the lockout GPO,Marcus Lee,2027-01-15,Open\n"
    "POAM-AU-001,AU.L2-3.3.4,No alert when logging fails,Alert on the SIEM,Marcus Lee,2027-02-15,Open\n"
    "POAM-SC-001,SC.L2-3.13.11,FIPS mode off,Enable FIPS mode by GPO,Marcus Lee,2027-03-15,Open\n"
).encode()


def url(team, rest=""):
    return f"/api/v1/organizations/{team.org.slug}/imports{rest}"


def upload(api, secret, team, action="check", **fields):
    data = {"file": SimpleUploadedFile("poam.csv", POAM, content_type="text/csv"), "action": action,
            **fields}
    return api.upload(secret, url(team), data)


def test_a_check_previews_and_writes_nothing_then_the_checked_file_is_imported(team, token, api):
    secret = token(team.coordinator, team.org, write=True)
    checked = upload(api, secret, team)
    assert checked.status_code == 201, checked.content
    job = checked.json()
    assert job["outcome"]["kind"] == "ready", job["outcome"]
    assert job["state"] == "done" and job["outcome"]["kind"] == "ready" and not job["write"]
    created = job["outcome"]["result"]["created"]["count"]
    assert created == 3 and not PoamItem.objects.filter(organization=team.org).exists()
    assert api.get(secret, url(team, f"/{job['id']}")).json() == job
    imported = api.post(secret, url(team, f"/{job['id']}/import"), {})
    assert imported.status_code == 201, imported.content
    assert imported.json()["outcome"]["kind"] == "imported"
    assert PoamItem.objects.filter(organization=team.org).count() == created
    again = api.post(secret, url(team, f"/{job['id']}/import"), {})  # the staged file went with the import
    assert again.status_code == 400 and again.json()["code"] == "invalid"


def test_a_persons_change_since_the_last_import_is_kept_and_said_so(team, token, api):
    secret = token(team.coordinator, team.org, write=True)
    assert upload(api, secret, team, action="import").json()["outcome"]["kind"] == "imported"
    item = PoamItem.objects.get(organization=team.org, identifier="POAM-AC-001")
    services.update_item(team.coordinator, item, remediation="Our own plan, agreed with the CISO")
    checked = upload(api, secret, team).json()
    changes = dict((identifier, listed) for identifier, listed in checked["outcome"]["changes"])
    kept = [c for c in changes["POAM-AC-001"] if c["kept"]]
    assert kept and (kept[0]["old"], kept[0]["new"]) == ("Our own plan, agreed with the CISO", "Set the lockout GPO")
    assert api.post(secret, url(team, f"/{checked['id']}/import"), {}).json()["outcome"]["kind"] == "imported"
    item.refresh_from_db()
    assert item.remediation == "Our own plan, agreed with the CISO"


def test_only_those_who_may_add_items_import_and_a_bad_file_is_refused_with_its_problem(team, token, api):
    viewer = api.upload(token(team.owner, team.org, write=True), url(team),
                        {"file": SimpleUploadedFile("p.csv", POAM)})
    assert viewer.status_code == 403 and viewer.json()["code"] == "permission_denied"
    secret = token(team.coordinator, team.org, write=True)
    bad = api.upload(secret, url(team), {"file": SimpleUploadedFile("p.xlsx", b"not a workbook at all")})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid" and bad.json()["problems"]
