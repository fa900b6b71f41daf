"""The web import of a file naming SP 800-53 controls: the preview shows the 800-171 requirements derived from
each control, marked derived until the person confirms (or changes) them; the import needs that confirmation."""

from __future__ import annotations

import sys
from pathlib import Path

from django.urls import reverse

from punchlist.register.models import Kind, PoamItem

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_import_screen import csv_upload, form_data, preview, text  # noqa: E402

ROWS = [["POAM ID", "Controls", "Weakness", "Remediation", "Scheduled Completion Date"],
        ["V-1", "AC-2", "Stale accounts", "Disable leavers weekly", "2027-01-15"],
        ["V-2", "AC-2", "Shared service account", "Split it per service", "2027-01-20"],
        ["V-3", "PE-13", "No fire suppression", "Install a clean-agent system", "2027-03-01"]]


def test_derived_requirements_are_shown_and_imported_only_once_confirmed(team, login_as):
    client = login_as(team.coordinator)
    url, page = preview(client, team, csv_upload(ROWS, "fedramp.csv"))
    checked = client.post(url, {**form_data(page), "action": "check"})
    assert checked.status_code == 200, text(checked)
    words = text(checked)
    assert "Every row passes" in words
    assert "NIST SP 800-53 AC-2 2-3" in words and "derived, not confirmed" in words
    assert "none: operational plan, needs a requirement" in words
    data = form_data(checked)
    assert data["derived-AC-2"] == "3.1.1, 3.1.2" and data["derived-PE-13"] == ""

    refused = client.post(url, {**data, "action": "import"})  # not confirmed: nothing written
    assert refused.status_code == 400 and "confirm them (or change them)" in text(refused)
    assert not PoamItem.objects.for_organization(team.org).exists()

    changed = {**data, "derived-AC-2": "3.1.2", "accept_derived": "1", "action": "import"}
    done = client.post(url, changed)
    assert done.status_code == 200, text(done)
    items = {i.external_id: i for i in PoamItem.objects.for_organization(team.org).prefetch_related(
        "requirement_links")}
    assert [link.requirement for link in items["V-1"].requirement_links.all()] == ["3.1.2"]
    assert [link.requirement for link in items["V-2"].requirement_links.all()] == ["3.1.2"]
    assert items["V-3"].kind == Kind.OPERATIONAL_PLAN and not items["V-3"].requirement_links.exists()


def test_a_changed_requirement_that_is_no_800_171_id_is_refused(team, login_as):
    client = login_as(team.coordinator)
    url, page = preview(client, team, csv_upload(ROWS, "fedramp.csv"))
    data = {**form_data(page), "derived-AC-2": "AC-3", "accept_derived": "1", "action": "import"}
    refused = client.post(url, data)
    assert refused.status_code == 400 and "'AC-3', chosen for AC-2, is not a NIST SP 800-171 Rev 2" in text(refused)
    assert not PoamItem.objects.for_organization(team.org).exists()
    assert reverse("web:import", args=[team.org.slug])
