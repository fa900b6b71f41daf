"""The Import screen through Django's test client: upload, the mapping preview corrected, a check that lists
every row's problems by row and column and writes nothing, the import (all rows or none), a re-import that
updates, mapping profiles, bad files, tenancy and query counts.

Fixtures (tests/web/conftest.py): ``team``, ``rival``, ``login_as(user)`` -> a signed-in client. Each test's
uploads are kept under its own PUNCHLIST_IMPORT_DIR (punchlist.testing.fixtures.evidence_root).
"""

from __future__ import annotations

import csv
import html
import io
import re
import sys
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from punchlist.audit.models import AuditEvent
from punchlist.register.models import ImportProfile, PoamItem
from punchlist.testing.storage import StoredFiles

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "interchange"))
from bad_files import (BILLION_LAUGHS, SHEET_END, SHEET_MEMBER, SHEET_START, bomb_member,  # noqa: E402
                       deflated, sheet_xml, write_zip, xlsx_members)

DUE = date.today() + timedelta(days=90)
TITLE_ROW = ["Acme's own tracker", "", "", "", "", ""]
HEADERS = ["Ref", "Ctrl", "What is wrong", "Fix by", "Who", "Type"]


def tracker_rows(count=2, *, weakness="Shared admin account", kind="Technical", due=DUE):
    rows = [TITLE_ROW, HEADERS]
    for number in range(1, count + 1):
        rows.append([f"A-{number}", "3.1.1" if number % 2 else "3.5.3", f"{weakness} {number}", due.isoformat(),
                     "Marcus Lee", kind])
    return rows


def csv_bytes(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def csv_upload(rows, name="tracker.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, csv_bytes(rows), content_type="text/csv")


def text(response) -> str:
    body = response.content.decode()
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r"<[^>]+>", " ", body)
    return " ".join(html.unescape(body).split())


class _Form(HTMLParser):
    """What a browser sends from the page's import form: inputs, checked boxes and selected options."""

    def __init__(self):
        super().__init__()
        self.data, self.inside, self.select = {}, False, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == "import-form":
            self.inside = True
        if not self.inside:
            return
        if tag == "input" and attrs.get("name") and attrs.get("type") not in ("submit", "checkbox"):
            self.data[attrs["name"]] = attrs.get("value", "")
        elif tag == "input" and attrs.get("type") == "checkbox" and "checked" in attrs:
            self.data[attrs["name"]] = "on"
        elif tag == "select":
            self.select = attrs["name"]
            self.data.setdefault(self.select, "")
        elif tag == "option" and self.select and "selected" in attrs:
            self.data[self.select] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "form":
            self.inside = False


def form_data(response) -> dict:
    reader = _Form()
    reader.feed(response.content.decode())
    reader.data.pop("csrfmiddlewaretoken", None)
    assert reader.data, "no import form on the page"
    return reader.data


def upload(client, team, file, **data):
    return client.post(reverse("web:import", args=[team.org.slug]), {"file": file, **data})


def preview(client, team, file, **data):
    response = upload(client, team, file, **data)
    assert response.status_code == 302, text(response)
    return response["Location"], client.get(response["Location"])


def staged(team=None) -> list[str]:
    """The staged uploads' files, in the folder or the bucket, seen directly."""
    return StoredFiles("imports").files()


def events(team) -> int:
    return AuditEvent.objects.filter(organization=team.org).count()


def corrected(response, **columns) -> dict:
    """The page's form with the selects of ``columns`` set to those columns (0 = A; None = not imported)."""
    data = form_data(response)
    for name, column in columns.items():
        data[f"map_{name}"] = "" if column is None else str(column)
    return data


# --- the whole flow -------------------------------------------------------------------------------------

def test_upload_preview_correct_check_and_import(team, vault_backend, login_as):
    client = login_as(team.coordinator)
    assert client.get(reverse("web:import", args=[team.org.slug])).status_code == 200
    url, page = preview(client, team, csv_upload(tracker_rows()))
    assert page.status_code == 200
    words = text(page)
    # "Ctrl" is no name the readers know: the preview says so, guesses the header row, shows the rows.
    assert "headers in row 2" in words and "cannot be read with this mapping yet" in words
    assert "No column of row 2 has a name known to hold the requirement" in words
    assert "A-1" in words and "Shared admin account 1" in words
    before = events(team)

    # The person maps the columns, and also (wrongly) "Type" to the record type: the check lists each row's
    # problem by row and column, and writes nothing.
    data = corrected(page, requirements=1, id=0, weakness=2, scheduled_completion=3, primary_owner=4, kind=5)
    checked = client.post(url, {**data, "action": "check"})
    assert checked.status_code == 400
    words = text(checked)
    # The same problem on two rows is one problem, said once with its rows.
    assert "1 problem to fix" in words and "Nothing was written" in words
    assert re.search(r"3-4 Type \(record type\) 'Technical' is not a record type", words), words
    assert PoamItem.objects.filter(organization=team.org).count() == 0 and events(team) == before
    # What was chosen is still chosen on the refused page.
    assert form_data(checked)["map_requirements"] == "1" and form_data(checked)["map_kind"] == "5"

    data = corrected(checked, kind=None)
    ready = client.post(url, {**data, "action": "check"})
    assert ready.status_code == 200
    assert "Every row passes" in text(ready) and "would add 2 items" in text(ready)
    # Neither 3.1.1 nor 3.5.3 may be on a POA&M: each row is said to come in as operational plan work.
    assert "2 rows come in as operational plan of action items" in text(ready)
    assert "Row 3 (A-1): 3.1.1 may never be on a POA&M (3.1.1: R-POAM-3: its point value (5) is greater than 1)" \
        in text(ready)
    assert "Row 4 (A-2): 3.5.3 may never be on a POA&M" in text(ready)
    assert PoamItem.objects.filter(organization=team.org).count() == 0 and events(team) == before

    done = client.post(url, {**form_data(ready), "action": "import"})
    assert done.status_code == 200, text(done)
    assert "2 items added, 0 updated, 0 unchanged" in text(done)
    items = {i.external_id: i for i in PoamItem.objects.filter(organization=team.org)}
    assert set(items) == {"A-1", "A-2"}
    assert items["A-1"].primary_owner == team.owner and items["A-1"].scheduled_completion == DUE
    assert (items["A-1"].identifier, items["A-1"].kind) == ("OPA-AC-001", "operational_plan")
    assert (items["A-2"].identifier, items["A-2"].kind) == ("OPA-IA-001", "operational_plan")
    assert reverse("web:item", args=[team.org.slug, "OPA-IA-001"]) in done.content.decode()
    assert "Added as operational plan of action items" in text(done)
    assert staged() == []  # the upload is gone once imported
    assert client.get(url).status_code == 404


def test_a_saved_profile_maps_the_next_file_and_a_reimport_updates(team, login_as):
    client = login_as(team.coordinator)
    url, page = preview(client, team, csv_upload(tracker_rows()))
    data = corrected(page, requirements=1, id=0, weakness=2, scheduled_completion=3, primary_owner=4, kind=None)
    saved = client.post(url, {**data, "action": "save_profile", "profile_name": "Acme tracker"})
    assert saved.status_code == 302
    profile = ImportProfile.objects.get(organization=team.org)
    assert profile.name == "Acme tracker"
    assert {k: v for k, v in profile.columns.items() if v is not None} == {
        "requirements": "Ctrl", "id": "Ref", "weakness": "What is wrong", "scheduled_completion": "Fix by",
        "primary_owner": "Who"}
    assert profile.header_row is None and profile.sheet == ""  # the headers lead to row 2 by themselves
    assert AuditEvent.objects.filter(organization=team.org, action="create_import_profile").count() == 1
    page = client.get(saved["Location"])
    assert "Columns as the profile “Acme tracker” maps them." in text(page)
    client.post(url, {**form_data(page), "action": "import"})
    assert PoamItem.objects.filter(organization=team.org).count() == 2

    # Next month's file, picked with the profile: one weakness reworded, one row as it was.
    rows = tracker_rows()
    rows[2][2] = "Shared admin account 1, now only on the backup server"
    url, page = preview(client, team, csv_upload(rows, "tracker-december.csv"), profile=profile.pk)
    assert form_data(page)["map_requirements"] == "1" and form_data(page)["map_kind"] == ""
    done = client.post(url, {**form_data(page), "action": "import"})
    assert "0 items added, 1 updated, 1 unchanged" in text(done), text(done)[:1500]
    item = PoamItem.objects.get(organization=team.org, external_id="A-1")
    assert item.weakness == "Shared admin account 1, now only on the backup server"
    update = AuditEvent.objects.filter(organization=team.org, subject=item.identifier, action="update_item").get()
    assert update.reason == "updated by import of tracker-december.csv"
    assert PoamItem.objects.filter(organization=team.org).count() == 2


def test_a_profile_that_does_not_fit_the_file_says_so_and_the_columns_found_are_shown(team, login_as):
    from punchlist.interchange import ColumnMapping
    from punchlist.register.services import save_profile

    profile = save_profile(team.coordinator, team.org, "eMASS export", ColumnMapping({"requirements": "Controls / APs",
                                                                                      "id": "POA&M Item ID"}))
    rows = [["POA&M ID", "Control", "Weakness"], ["V-1", "3.1.1", "Shared admin account"]]
    client = login_as(team.coordinator)
    url, page = preview(client, team, csv_upload(rows, "plain.csv"), profile=profile.pk)
    words = text(page)
    assert "Columns as the profile “eMASS export” maps them." in words
    assert 'requirements: no column headed "Controls / APs" in the header row (row 1)' in words, words
    # What the headers say is shown instead, to correct or keep; as shown, it reads.
    assert (form_data(page)["map_requirements"], form_data(page)["map_id"]) == ("1", "0")
    done = client.post(url, {**form_data(page), "action": "refresh"})
    assert "cannot be read with this mapping yet" not in text(done)
    assert "1 item added" in text(client.post(url, {**form_data(done), "action": "import"}))


def test_a_file_the_readers_know_needs_no_correction(team, login_as):
    client = login_as(team.admin)
    rows = [["POA&M ID", "Control", "Weakness", "Scheduled Completion Date", "Status"],
            ["V-1", "AC.L2-3.1.1", "Shared admin account", DUE.isoformat(), "Open"]]
    url, page = preview(client, team, csv_upload(rows, "plain.csv"))
    data = form_data(page)
    assert (data["map_id"], data["map_requirements"], data["map_status"], data["map_title"]) == ("0", "1", "4", "")
    assert "cannot be read with this mapping yet" not in text(page)
    done = client.post(url, {**data, "action": "import"})
    assert "1 item added" in text(done)


def test_changing_the_header_row_finds_that_rows_columns(team, login_as):
    client = login_as(team.coordinator)
    url, page = preview(client, team, csv_upload(tracker_rows()))
    data = {**form_data(page), "header_row": "1", "action": "refresh"}
    again = client.post(url, data)
    assert again.status_code == 200
    assert "The columns of row 1" in text(again) and form_data(again)["shown_row"] == "1"
    data = {**form_data(again), "header_row": "25"}
    refused = client.post(url, {**data, "action": "check"})
    assert refused.status_code == 400 and "less than or equal to 20" in text(refused)
    assert form_data(refused)["header_row"] == "25"  # what was typed stays


def test_a_profile_needs_a_name_and_a_readable_mapping(team, login_as):
    client = login_as(team.coordinator)
    url, page = preview(client, team, csv_upload(tracker_rows()))
    refused = client.post(url, {**form_data(page), "action": "save_profile", "profile_name": "Tracker"})
    assert refused.status_code == 400 and "Not saved" in text(refused)
    refused = client.post(url, {**corrected(page, requirements=1), "action": "save_profile", "profile_name": ""})
    assert refused.status_code == 400 and "Give the mapping a name" in text(refused)
    assert not ImportProfile.objects.exists()


def test_profiles_are_listed_and_deleted(team, login_as):
    from punchlist.interchange import ColumnMapping
    from punchlist.register.services import save_profile

    mapping = ColumnMapping({"requirements": "Controls / APs"})
    profile = save_profile(team.coordinator, team.org, "eMASS export", mapping)
    client = login_as(team.admin)
    page = client.get(reverse("web:import", args=[team.org.slug]))
    assert "eMASS export" in text(page) and "requirements ← Controls / APs" in text(page)
    response = client.post(reverse("web:import_profile_delete", args=[team.org.slug, profile.pk]))
    assert response.status_code == 302 and not ImportProfile.objects.exists()
    assert AuditEvent.objects.filter(organization=team.org, action="delete_import_profile").count() == 1


def test_discarding_removes_the_upload(team, vault_backend, login_as):
    client = login_as(team.coordinator)
    url, page = preview(client, team, csv_upload(tracker_rows()))
    assert len(staged()) == 1
    response = client.post(url, {**form_data(page), "action": "discard"})
    assert response.status_code == 302 and staged() == []
    assert client.get(url).status_code == 404


def test_an_upload_is_kept_for_a_day_on_the_apps_clock(team, vault_backend, login_as, clock):
    """A day is counted on the clock the app reads, not on the file system's: an upload is there the next
    morning and gone after a day, whatever the file's time on disk says."""
    client = login_as(team.coordinator)
    url, page = preview(client, team, csv_upload(tracker_rows()))
    clock.shift(timedelta(hours=23))
    login_as(team.coordinator, client)  # signed out meanwhile (the idle timeout)
    assert client.get(url).status_code == 200
    clock.shift(timedelta(hours=2))
    login_as(team.coordinator, client)
    assert client.get(url).status_code == 404 and staged() == []


def test_an_import_refused_by_the_register_writes_nothing(team, login_as):
    client = login_as(team.coordinator)
    rows = tracker_rows(3)
    rows[3][1] = "3.99.1"  # row 4: no such requirement
    rows[4][4] = "Nobody We Know"  # row 5: no such person
    url, page = preview(client, team, csv_upload(rows))
    data = corrected(page, requirements=1, id=0, weakness=2, scheduled_completion=3, primary_owner=4, kind=None)
    before = events(team)
    refused = client.post(url, {**data, "action": "import"})
    assert refused.status_code == 400
    words = text(refused)
    assert "2 problems to fix" in words and "Nothing was written" in words
    assert "4 Ctrl (requirement(s)) '3.99.1' is not a NIST SP 800-171 Rev 2 requirement" in words
    assert re.search(r"5 Who \(primary owner\) .*Nobody We Know", words), words
    assert PoamItem.objects.filter(organization=team.org).count() == 0 and events(team) == before
    assert len(staged()) == 1  # kept: fix the mapping or upload a corrected file


def test_an_oscal_poam_has_nothing_to_map_and_imports(team, rival, item, login_as, tmp_path):
    from punchlist.cli import main as cli_main

    exported = tmp_path / "acme-poam.json"
    assert cli_main(["export", "--format", "oscal", "--out", str(exported), "--org", team.org.slug,
                     "--user", team.coordinator.username]) == 0
    client = login_as(rival.coordinator)
    url = reverse("web:import", args=[rival.org.slug])
    response = client.post(url, {"file": SimpleUploadedFile("acme-poam.json", exported.read_bytes()),
                                 "create_people": "on"})
    assert response.status_code == 302 and response["Location"].endswith("?people=1")
    page = client.get(response["Location"])
    assert "OSCAL POA&M JSON" in text(page) and "there are no columns to map" in text(page)
    data = form_data(page)
    assert data["create_people"] == "on" and not any(name.startswith("map_") for name in data)
    done = client.post(response["Location"].split("?")[0], {**data, "action": "import"})
    assert "1 item added, 0 updated, 0 unchanged" in text(done), text(done)
    assert PoamItem.objects.for_organization(rival.org).get().title == item.title


# --- bad files ------------------------------------------------------------------------------------------

ROW_UNIT = b'<row><c t="inlineStr"><is><t>bomb</t></is></c></row>'
HEADER_ROW = ["POAM ID", "Control", "Weakness", "Scheduled Completion", "Status", "Severity"]


def _bomb(tmp_path):
    return write_zip(tmp_path / "bomb.xlsx", xlsx_members(bomb_member(
        SHEET_MEMBER, SHEET_START, ROW_UNIT, (3 * 1024 ** 3) // len(ROW_UNIT), SHEET_END)))


def _laughs(tmp_path):
    sheet = BILLION_LAUGHS + SHEET_START.split(b"\n", 1)[1] + b'<row><c t="inlineStr"><is><t>&lol9;</t></is></c>' \
        b"</row>" + SHEET_END
    return write_zip(tmp_path / "laughs.xlsx", xlsx_members(deflated(SHEET_MEMBER, sheet)))


def _huge_cell(tmp_path):
    import random
    from base64 import b64encode

    cell = b64encode(random.Random(5).randbytes(3 * 1024 * 1024)).decode()  # 4 MB, incompressible
    rows = [HEADER_ROW, ["POAM-AC-001", "3.1.1", "Shared account", "2026-12-01", "Open", "High"],
            ["POAM-AC-002", "3.1.2", cell, "2026-12-01", "Open", "High"]]
    return write_zip(tmp_path / "huge-cell.xlsx", xlsx_members(deflated(SHEET_MEMBER, sheet_xml(rows))))


def _png(tmp_path):
    path = tmp_path / "poam.xlsx"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 200)
    return path


def _wrong_type(tmp_path):
    path = tmp_path / "types.csv"
    path.write_bytes(csv_bytes([HEADER_ROW, ["POAM-AC-001", "3.1.1", "Shared account", "next spring", "Open",
                                             "High"]]))
    return path


@pytest.mark.parametrize("make, says", [
    (_bomb, "refused as a possible zip bomb"),
    (_laughs, "declares a DTD"),
    (_huge_cell, "a spreadsheet cell holds at most 32,767 characters"),
    (_png, "cannot read the file as XLSX: it is a PNG image"),
])
def test_a_bad_file_gets_a_clear_error_and_nothing_is_kept_or_written(team, login_as, tmp_path, make, says):
    client = login_as(team.coordinator)
    path = make(tmp_path)
    before = events(team)
    response = upload(client, team, SimpleUploadedFile(path.name, path.read_bytes()))
    assert response.status_code == 400
    words = text(response)
    assert f"{path.name} cannot be imported" in words and says in words and "Nothing was written" in words
    assert staged() == [] and events(team) == before and not PoamItem.objects.exists()
    if make is _huge_cell:
        assert re.search(r"\b3 C cannot read the file as XLSX: a cell's text", words), words  # its row and column


def test_a_wrong_type_in_a_column_is_named_by_row_and_column_at_the_check(team, login_as, tmp_path):
    client = login_as(team.coordinator)
    url, page = preview(client, team, SimpleUploadedFile("types.csv", _wrong_type(tmp_path).read_bytes()))
    response = client.post(url, {**form_data(page), "action": "check"})
    assert response.status_code == 400
    assert re.search(r"2 Scheduled Completion 'next spring'", text(response)), text(response)
    assert not PoamItem.objects.exists()


def test_a_file_over_the_upload_limit_is_refused_as_it_streams_in(team, login_as, settings):
    settings.PUNCHLIST_MAX_UPLOAD_BYTES = 10_000
    client = login_as(team.coordinator)
    response = upload(client, team, csv_upload(tracker_rows(400)), create_people="on")
    assert response.status_code == 400
    assert "tracker.csv is larger than 9.8 KB, the limit for an upload; nothing was read." in text(response)
    assert staged() == []
    assert 'name="create_people" checked' in response.content.decode().replace('id="id_create_people" ', "")


def test_an_empty_upload_form_says_what_is_missing(team, login_as):
    client = login_as(team.coordinator)
    response = client.post(reverse("web:import", args=[team.org.slug]), {})
    assert response.status_code == 400 and "This field is required" in text(response)


# --- who may -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["owner", "approver", "viewer"])
def test_members_who_may_not_add_items_may_not_import(team, login_as, who):
    client = login_as(getattr(team, who))
    assert client.get(reverse("web:import", args=[team.org.slug])).status_code == 403
    response = upload(client, team, csv_upload(tracker_rows()))
    assert response.status_code == 403 and staged() == []
    assert "Import" not in [a for a in re.findall(r">([^<]+)</a>", client.get(
        reverse("web:register", args=[team.org.slug])).content.decode())]


def test_the_nav_shows_import_to_those_who_may(team, login_as):
    page = login_as(team.coordinator).get(reverse("web:register", args=[team.org.slug])).content.decode()
    assert f'href="{reverse("web:import", args=[team.org.slug])}"' in page


def test_an_upload_is_only_its_uploaders(team, rival, login_as, member):
    url, _ = preview(login_as(team.coordinator), team, csv_upload(tracker_rows()))
    assert login_as(team.admin).get(url).status_code == 404  # another manager of the same organization
    assert login_as(rival.admin).get(url).status_code == 404  # another organization
    # The same token under another organization's address finds nothing either.
    other = url.replace(f"/o/{team.org.slug}/", f"/o/{rival.org.slug}/")
    assert login_as(rival.admin).get(other).status_code == 404


def test_someone_elses_profile_cannot_be_picked_or_deleted(team, rival, login_as):
    from punchlist.interchange import ColumnMapping
    from punchlist.register.services import save_profile

    theirs = save_profile(rival.coordinator, rival.org, "Rival layout", ColumnMapping({"requirements": "Ctrl"}))
    client = login_as(team.coordinator)
    response = upload(client, team, csv_upload(tracker_rows()), profile=theirs.pk)
    assert response.status_code == 400 and "Select a valid choice" in text(response)
    url = reverse("web:import_profile_delete", args=[team.org.slug, theirs.pk])
    assert client.post(url).status_code == 404 and ImportProfile.objects.filter(pk=theirs.pk).exists()


# --- query counts ---------------------------------------------------------------------------------------

def test_the_pages_cost_the_same_queries_whatever_the_file_and_the_profiles(team, login_as):
    from punchlist.interchange import ColumnMapping
    from punchlist.register.services import save_profile

    client = login_as(team.coordinator)
    counts = []
    for rows in (tracker_rows(2), tracker_rows(60)):
        url, _ = preview(client, team, csv_upload(rows))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    for number in range(4):
        save_profile(team.coordinator, team.org, f"Layout {number}", ColumnMapping({"requirements": "Ctrl"}))
        if number in (0, 3):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(reverse("web:import", args=[team.org.slug])).status_code == 200
            counts.append(len(queries))
    assert counts[0] == counts[1] and counts[2] == counts[3], counts
    assert max(counts) <= 12, counts


# --- a re-import never undoes work ----------------------------------------------------------------------

def _work_on_the_demo(org):
    """After the demo's story: POAM-AT-001 done, verified and closed; a milestone of OPA-RA-001 rescheduled."""
    from punchlist.register import services
    from punchlist.register.models import Milestone

    item = PoamItem.objects.get(organization=org, identifier="POAM-AT-001")
    for milestone in item.milestones.filter(done_on__isnull=True):
        services.complete_milestone(item.primary_owner, milestone)
    services.add_evidence(item.primary_owner, item, name="lms-completion.csv", reference="LMS report: 45 of 45")
    services.request_closure(item.primary_owner, item, note="Everyone has completed the module")
    services.approve_closure(item.approval_authority, item, note="Checked the LMS report",
                             record_met=True)  # the last open item of 3.2.3: recorded MET in the same step
    rescan = Milestone.objects.get(item__organization=org, item__identifier="OPA-RA-001", description="Clean re-scan")
    services.slip_milestone(rescan.item.primary_owner, rescan, rescan.due + timedelta(days=7),
                            reason="The scanner licence renews on the 15th")
    return rescan


def test_the_demo_spreadsheet_again_keeps_the_registers_work_unless_a_reopen_is_chosen(login_as):
    from django.contrib.auth import get_user_model

    from punchlist.core import metrics
    from punchlist.register.models import Milestone
    from punchlist.web import demo

    org = demo.seed().organization
    rescan = _work_on_the_demo(org)
    slipped_on = rescan.due

    def slip_rate():
        rows = Milestone.objects.filter(item__organization=org).values_list("due", "original_due", "done_on")
        return metrics.slip_rate(metrics.MilestoneDates(*row) for row in rows)

    rate = slip_rate()
    client = login_as(get_user_model().objects.get(username="priya"))
    content = (demo.EXAMPLES / demo.POAM_FILE).read_bytes()

    class Org:  # what upload() needs of a team
        pass

    Org.org = org
    url, page = preview(client, Org, SimpleUploadedFile(demo.POAM_FILE, content, content_type="text/csv"))
    checked = client.post(url, {**form_data(page), "action": "check"})
    shown = text(checked)
    assert "What the import would change, item by item" in shown
    assert ("POAM-AT-001 Status Closed In progress The register's value stays: a closed item is reopened by an "
            "import only when that is chosen for the item. Reopen POAM-AT-001 as the file says") in shown
    assert (f"Milestone 'Clean re-scan' due {slipped_on.isoformat()} {(slipped_on - timedelta(days=7)).isoformat()} "
            "The register's value stays: rescheduled in the register since the last import.") in shown
    assert 'name="reopen" value="POAM-AT-001" form="import-form"' in checked.content.decode()

    done = client.post(url, {**form_data(checked), "action": "import"})
    assert done.status_code == 200, text(done)[:1000]
    assert PoamItem.objects.get(organization=org, identifier="POAM-AT-001").status == "closed"
    rescan.refresh_from_db()
    assert rescan.due == slipped_on and slip_rate() == rate
    assert "What the import changed and kept, item by item" in text(done)

    # Chosen for the item, the reopen happens; nothing else changes.
    url, page = preview(client, Org, SimpleUploadedFile(demo.POAM_FILE, content, content_type="text/csv"))
    done = client.post(url, {**form_data(page), "action": "import", "reopen": "POAM-AT-001"})
    assert done.status_code == 200
    assert PoamItem.objects.get(organization=org, identifier="POAM-AT-001").status == "in_progress"
    rescan.refresh_from_db()
    assert rescan.due == slipped_on
