"""The remediation policy page: every member reads it, a coordinator changes it (audited), and the next scan's
new findings are due by it."""

from __future__ import annotations

from datetime import date

from django.urls import reverse

from punchlist.audit.models import AuditEvent
from punchlist.interchange.scanners import read_scan
from punchlist.register.models import PoamItem
from punchlist.scans.importing import import_scan, scan_poam
from punchlist.testing.scans import nessus_xml

DAYS = {"critical_days": "7", "high_days": "15", "moderate_days": "60", "low_days": "120"}


def _url(team):
    return reverse("web:remediation_policy", args=[team.org.slug])


def test_the_default_policy_is_shown_to_every_member(team, login_as):
    page = login_as(team.viewer).get(_url(team))
    assert page.status_code == 200
    body = page.content.decode()
    assert "The default policy: nobody changed it." in body and "Save the policy" not in body
    assert ">30<" in body and ">90<" in body and ">180<" in body


def test_a_coordinator_changes_it_and_the_next_scan_is_due_by_it(team, login_as, tmp_path):
    client = login_as(team.coordinator)
    saved = client.post(_url(team), DAYS)
    assert saved.status_code == 302
    event = AuditEvent.objects.get(action="change_remediation_policy")
    assert event.before["high_days"] == 30 and event.after["high_days"] == 15
    assert "Last changed 23 Nov 2026 by" in client.get(_url(team)).content.decode()
    path = nessus_xml(tmp_path / "scan.nessus", {"h1": [1]}, scanned=date(2026, 11, 2), severity=lambda p: 3)
    report = read_scan(path)
    import_scan(team.coordinator, team.org, report, scan_poam(team.org, report), path=path)
    assert PoamItem.objects.get(external_id="nessus:1").scheduled_completion == date(2026, 11, 17)  # high: 15 days


def test_others_may_not_change_it_and_bad_days_are_refused(team, login_as):
    assert login_as(team.owner).post(_url(team), DAYS).status_code == 403
    refused = login_as(team.coordinator).post(_url(team), {**DAYS, "low_days": "0"})
    assert refused.status_code == 400 and not AuditEvent.objects.filter(action="change_remediation_policy").exists()
