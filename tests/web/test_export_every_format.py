"""The web's Export page and its files in every format: CSV, the Punchlist workbook, OSCAL POA&M (JSON and
XML, each OSCAL version, valid against NIST's schemas), and the FedRAMP template a person uploads, filled in;
each sent as an attachment and written to the security log; refusals said on the page."""

from __future__ import annotations

import io
import json
import logging
import tempfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from punchlist.interchange.oscal_import import read_oscal_poam
from punchlist.interchange.oscal_schema import SCHEMA_DIR_VARIABLE, SCHEMA_VERSIONS, validate_oscal
from punchlist.register.export_formats import EXPORT_FORMATS
from punchlist.testing import make_item

pytestmark = pytest.mark.django_db
TODAY = date.today()


@pytest.fixture
def schema_dir(shared_fixture, monkeypatch):
    folder = shared_fixture("oscal/schema")
    monkeypatch.setenv(SCHEMA_DIR_VARIABLE, str(folder))  # the export checks its OSCAL against it too
    return folder


@pytest.fixture
def items(team):
    return make_item(team), make_item(team, requirements=("3.3.3",), title="No central log review")


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def security_lines(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "punchlist.security"]


def test_the_register_leads_to_the_export_page_which_offers_every_format(team, login_as):
    client = login_as(team.viewer)
    register = client.get(f"/o/{team.org.slug}/register/").content.decode()
    assert f"/o/{team.org.slug}/export/choose/" in register
    page = client.get(f"/o/{team.org.slug}/export/choose/").content.decode()
    for key, fmt in EXPORT_FORMATS.items():
        if fmt.needs_template:  # uploaded in a form of its own
            assert "<h2>The FedRAMP POA&amp;M template, filled in</h2>" in page
        else:
            assert f'<option value="{key}">{fmt.name.replace("&", "&amp;")}</option>' in page
    for version in SCHEMA_VERSIONS:
        assert f'<option value="{version}"' in page
    assert 'enctype="multipart/form-data"' in page and 'name="template"' in page
    assert "oscal-xml" in page and "assessment_poam" in page


def test_oscal_json_and_xml_in_each_version_are_valid_attachments_logged(team, items, login_as, schema_dir,
                                                                          caplog):
    caplog.set_level(logging.INFO, logger="punchlist.security")
    client = login_as(team.viewer)
    for version in SCHEMA_VERSIONS:
        answer = client.get(f"/o/{team.org.slug}/export/", {"format": "oscal", "oscal_version": version})
        assert answer.status_code == 200 and answer["Content-Type"] == "application/json"
        assert answer["Content-Disposition"].startswith("attachment")
        name = f"{team.org.slug}-poam-oscal-{version}-{TODAY.isoformat()}.json"
        assert name in answer["Content-Disposition"]
        document = json.loads(body(answer))
        assert document["plan-of-action-and-milestones"]["metadata"]["oscal-version"] == version
        assert validate_oscal(document, version, schema_dir=schema_dir) is None
        xml = client.get(f"/o/{team.org.slug}/export/", {"format": "oscal-xml", "oscal_version": version,
                                                          "kind": "both", "closed": "1"})
        assert xml.status_code == 200 and xml["Content-Type"] == "application/xml"
        data = body(xml)
        assert data.startswith(b"<?xml")
        # Read back by the XML reader, which checks it against the schema: the items the register holds.
        assert sorted(i.identifier for i in items) == sorted(
            poam_item.id for poam_item in _read_xml(data, schema_dir).items)
    lines = security_lines(caplog)
    assert len(lines) == 2 * len(SCHEMA_VERSIONS)
    assert lines[0].startswith(f"downloaded: username={team.viewer.username!r} org={team.org.slug} "
                               f"file='{team.org.slug}-poam-oscal-{SCHEMA_VERSIONS[0]}-")
    assert "(Internal tracking document, 2 items)" in lines[0]


def _read_xml(data: bytes, schema_dir):
    with tempfile.TemporaryDirectory() as folder:
        file = Path(folder) / "poam.xml"
        file.write_bytes(data)
        return read_oscal_poam(file, schema_dir=schema_dir)


def test_the_fedramp_template_uploaded_comes_back_filled_in(team, items, login_as, shared_fixture, caplog):
    caplog.set_level(logging.INFO, logger="punchlist.security")
    template = shared_fixture("fedramp/FedRAMP-POAM-Template.xlsx")
    client = login_as(team.viewer)
    upload = SimpleUploadedFile("FedRAMP-POAM-Template.xlsx", template.read_bytes())
    answer = client.post(f"/o/{team.org.slug}/export/fedramp/", {"template": upload, "kind": "assessment_poam"})
    assert answer.status_code == 200 and answer["Content-Disposition"].startswith("attachment")
    assert f"{team.org.slug}-poam-fedramp-{TODAY.isoformat()}.xlsx" in answer["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(body(answer)))["Open POA&M Items"]
    assert sorted([sheet["A8"].value, sheet["A9"].value]) == sorted(i.identifier for i in items)
    assert sheet["A4"].value.startswith("Internal tracking document")
    assert security_lines(caplog)[-1].startswith(f"downloaded: username={team.viewer.username!r} "
                                                 f"org={team.org.slug} file='{team.org.slug}-poam-fedramp-")


def test_refusals_are_said_on_the_page(team, items, login_as, settings, shared_fixture, tmp_path):
    client = login_as(team.viewer)
    url = f"/o/{team.org.slug}/export/fedramp/"
    workbook = body(client.get(f"/o/{team.org.slug}/export/", {"format": "workbook"}))
    not_fedramp = client.post(url, {"template": SimpleUploadedFile("mine.xlsx", workbook)})
    assert not_fedramp.status_code == 400
    assert "mine.xlsx: not a known FedRAMP POA&amp;M template" in not_fedramp.content.decode()
    picture = client.post(url, {"template": SimpleUploadedFile("t.xlsx", b"\x89PNG\r\n\x1a\n" + bytes(64))})
    assert picture.status_code == 400 and "PNG image" in picture.content.decode()
    missing = client.post(url, {"kind": "both"})
    assert missing.status_code == 400 and "Choose the FedRAMP POA&amp;M template" in missing.content.decode()
    settings.PUNCHLIST_MAX_UPLOAD_BYTES = 1024
    template = shared_fixture("fedramp/FedRAMP-POAM-Template.xlsx")
    large = client.post(url, {"template": SimpleUploadedFile("big.xlsx", template.read_bytes())})
    assert large.status_code == 400 and "big.xlsx: the file is larger than an upload may be" in large.content.decode()
    assert client.get(f"/o/{team.org.slug}/export/", {"format": "pdf"}).status_code == 400
    assert client.get(f"/o/{team.org.slug}/export/", {"format": "fedramp"}).status_code == 400
    assert client.get(f"/o/{team.org.slug}/export/", {"format": "oscal", "oscal_version": "0.9"}).status_code == 400
    assert client.get(url).status_code == 405


def test_an_oscal_export_of_no_items_is_refused_in_words(team, login_as):
    answer = login_as(team.viewer).get(f"/o/{team.org.slug}/export/", {"format": "oscal"})
    assert answer.status_code == 400 and "an OSCAL POA&amp;M needs at least one" in answer.content.decode()


def test_another_organization_is_not_found(team, rival, items, login_as, shared_fixture):
    client = login_as(rival.viewer)
    assert client.get(f"/o/{team.org.slug}/export/", {"format": "oscal"}).status_code == 404
    assert client.get(f"/o/{team.org.slug}/export/choose/").status_code == 404
    template = shared_fixture("fedramp/FedRAMP-POAM-Template.xlsx")
    upload = SimpleUploadedFile("FedRAMP-POAM-Template.xlsx", template.read_bytes())
    assert client.post(f"/o/{team.org.slug}/export/fedramp/", {"template": upload}).status_code == 404
