"""The web import of a scanner's report and a STIG checklist: the same upload, preview, check and import as any
file; one item per weakness; informational results only when the box is ticked; a STIG rule's requirements
derived from its CCIs and confirmed in the preview; the next scan's outcome said on the result page."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from punchlist.register.models import PoamItem, Status
from punchlist.register.services.items import update_item
from punchlist.scans.models import ScanFinding
from punchlist.testing.scans import nessus_xml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_import_screen import form_data, preview, text  # noqa: E402


@pytest.fixture(autouse=True)
def _inline(settings):
    """The fixtures (up to 1.7 MB) are checked and imported within the request, as a small file is."""
    settings.PUNCHLIST_IMPORT_INLINE_BYTES = 8 * 1024 * 1024


def _file(path: Path, name: str | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name or path.name, path.read_bytes(), content_type="application/octet-stream")


def test_a_nessus_report_is_previewed_checked_and_imported(team, login_as, shared_fixture):
    client = login_as(team.coordinator)
    url, page = preview(client, team, _file(shared_fixture("scanners/mitre-saf_sample.nessus")))
    assert page.status_code == 200
    words = text(page)
    assert "A Nessus v2 XML report" in words and "each weakness (plugin, NVT or STIG rule) becomes one item" in words
    checked = client.post(url, {**form_data(page), "action": "check"})
    assert checked.status_code == 200, text(checked)
    assert "Importing now would add 8 items" in text(checked)
    assert "9 finding(s) on 3 host(s) scanned 22 Mar 2022; 140 informational result(s)" in text(checked)
    assert not PoamItem.objects.for_organization(team.org).exists() and not ScanFinding.objects.exists()
    done = client.post(url, {**form_data(checked), "action": "import"})
    assert done.status_code == 200, text(done)
    assert "8 items added" in text(done) and "9 new finding(s)" in text(done)
    assert PoamItem.objects.for_organization(team.org).count() == 8


def test_informational_results_are_items_when_the_box_is_ticked(team, login_as, shared_fixture):
    client = login_as(team.coordinator)
    url, page = preview(client, team, _file(shared_fixture("scanners/defectdojo_nessus_with_cvssv3.nessus")))
    done = client.post(url, {**form_data(page), "include_informational": "on", "action": "import"})
    assert done.status_code == 200, text(done)
    assert PoamItem.objects.for_organization(team.org).count() == 48


def test_a_checklist_needs_its_derived_requirements_confirmed(team, login_as, shared_fixture):
    client = login_as(team.coordinator)
    url, page = preview(client, team, _file(shared_fixture("scanners/mitre-saf_rhel7.ckl")))
    checked = client.post(url, {**form_data(page), "action": "check"})
    assert checked.status_code == 200, text(checked)
    data = form_data(checked)
    assert data["derived-AC-8"] == "3.1.9" and data["derived-AU-9(3)"] == "3.3.8"
    refused = client.post(url, {**data, "action": "import"})
    assert refused.status_code == 400 and not PoamItem.objects.for_organization(team.org).exists()
    done = client.post(url, {**data, "accept_derived": "1", "action": "import"})
    assert done.status_code == 200, text(done)
    assert PoamItem.objects.for_organization(team.org).count() == 3


def test_the_next_scan_puts_a_fixed_weakness_forward_and_says_so(team, login_as, tmp_path):
    client = login_as(team.coordinator)
    first = nessus_xml(tmp_path / "week1.nessus", {"h1": [1001, 1002]}, scanned=date(2026, 11, 2))
    url, page = preview(client, team, _file(first))
    assert client.post(url, {**form_data(page), "action": "import"}).status_code == 200
    fixed = PoamItem.objects.get(external_id="nessus:1002")
    update_item(team.coordinator, fixed, approval_authority=team.approver, reason="assign the verifier")
    second = nessus_xml(tmp_path / "week2.nessus", {"h1": [1001]}, scanned=date(2026, 11, 9))
    url, page = preview(client, team, _file(second))
    done = client.post(url, {**form_data(page), "action": "import"})
    assert done.status_code == 200, text(done)
    assert f"put forward for closure, with this scan as evidence: {fixed.identifier}" in text(done)
    assert PoamItem.objects.get(pk=fixed.pk).status == Status.READY_FOR_VERIFICATION


def test_a_malformed_report_is_refused_naming_the_place(team, login_as, tmp_path):
    client = login_as(team.coordinator)
    bad = tmp_path / "bad.nessus"
    bad.write_text('<NessusClientData_v2><Report name="x"><ReportHost name="h1"><ReportItem severity="2"/>'
                   "</ReportHost></Report></NessusClientData_v2>")
    url, page = preview(client, team, _file(bad))
    refused = client.post(url, {**form_data(page), "action": "check"})
    assert refused.status_code == 400
    assert "a ReportItem of host 'h1' has no pluginID" in text(refused)
    assert "/NessusClientData_v2/Report/ReportHost[1]" in text(refused)


def test_the_item_page_shows_its_findings_and_takes_a_decision(team, login_as, tmp_path):
    from django.urls import reverse

    from punchlist.audit.models import AuditEvent
    from punchlist.scans.models import FindingState

    client = login_as(team.coordinator)
    scan = nessus_xml(tmp_path / "week1.nessus", {"h1": [1001], "h2": [1001]}, scanned=date(2026, 11, 2))
    url, page = preview(client, team, _file(scan))
    assert client.post(url, {**form_data(page), "action": "import"}).status_code == 200
    item = PoamItem.objects.get(external_id="nessus:1001")
    page_url = reverse("web:item", args=[team.org.slug, item.identifier])
    words = text(client.get(page_url))
    assert "Scan findings" in words and "h1 Open 2 Nov 2026 2 Nov 2026 (week1.nessus)" in words
    decide = reverse("web:item_findings_decide", args=[team.org.slug, item.identifier])
    done = client.post(decide, {"findings-decision": "false_positive", "findings-hosts": "h2",
                                "findings-reason": "h2 is the patched build"}, follow=True)
    assert "1 finding(s) recorded as false positive" in text(done)
    assert ScanFinding.objects.get(item=item, host="h2").state == FindingState.FALSE_POSITIVE
    assert "False positive" in text(done) and "h2 is the patched build" in text(done)
    assert AuditEvent.objects.filter(action="decide_finding", subject=item.identifier).exists()
    refused = login_as(team.viewer).post(decide, {"findings-decision": "operational", "findings-reason": "x"})
    assert refused.status_code == 403
    assert "Record a false positive" not in text(login_as(team.viewer).get(page_url))
