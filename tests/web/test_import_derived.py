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


def test_a_closed_fedramp_row_with_no_approver_is_named_at_the_check_with_what_to_add(team, login_as, shared_fixture,
                                                                                      tmp_path):
    """FedRAMP's template has no column for who approved a closure: the check names the closed sheet's row and
    the two lines its Comments cell needs, and nothing is written."""
    from datetime import date

    import openpyxl
    from django.core.files.uploadedfile import SimpleUploadedFile

    workbook = openpyxl.load_workbook(shared_fixture("fedramp/FedRAMP-POAM-Template.xlsx"))
    closed = workbook["Closed POA&M Items"]
    for letter, value in {"A": "V-90", "B": "SC-8", "C": "Plain FTP to the supplier", "D": "Drawings sent over FTP",
                          "H": "Marcus Lee", "J": "Move to SFTP", "K": date(2026, 6, 1), "L": date(2026, 9, 1),
                          "Y": "sftp-config.pdf", "Z": "Moved on 2026-08-30."}.items():
        closed[f"{letter}6"] = value
    path = tmp_path / "fedramp.xlsx"
    workbook.save(path)
    client = login_as(team.coordinator)
    url, page = preview(client, team, SimpleUploadedFile(path.name, path.read_bytes()), create_people="on")
    checked = client.post(url, {**form_data(page), "accept_derived": "1", "action": "check"})
    assert checked.status_code == 400, text(checked)
    words = text(checked)
    assert "1 problem to fix" in words
    assert "Closed POA&M Items 6 Comments closed, but no one is named as approving the closure" in words, words
    assert '"-- Punchlist --" and "Approval authority: NAME"' in words.replace("&quot;", '"'), words
    assert not PoamItem.objects.for_organization(team.org).exists()
