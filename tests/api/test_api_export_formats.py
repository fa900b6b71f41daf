"""The API's export in every format: CSV, the Punchlist workbook, OSCAL POA&M (JSON and XML, each OSCAL
version, valid against NIST's schemas) by GET, and the FedRAMP template filled in by a multipart POST; logged
as downloads; refusals in the JSON error shape; another organization is 404."""

from __future__ import annotations

import io
import json
import logging
import tempfile
import typing
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from punchlist.api import exports as api_exports
from punchlist.interchange.oscal_import import read_oscal_poam
from punchlist.interchange.oscal_schema import SCHEMA_DIR_VARIABLE, SCHEMA_VERSIONS, validate_oscal
from punchlist.register.export_formats import OSCAL_VERSIONS
from punchlist.testing import make_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema_dir(shared_fixture, monkeypatch):
    folder = shared_fixture("oscal/schema")
    monkeypatch.setenv(SCHEMA_DIR_VARIABLE, str(folder))
    return folder


@pytest.fixture
def items(team):
    return make_item(team), make_item(team, requirements=("3.3.3",), title="No central log review")


def url(team, rest="/export"):
    return f"/api/v1/organizations/{team.org.slug}{rest}"


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_the_apis_oscal_versions_are_the_exports():
    assert typing.get_args(api_exports.OscalVersion) == OSCAL_VERSIONS == SCHEMA_VERSIONS


def test_oscal_json_and_xml_in_each_version(team, items, token, api, schema_dir, caplog):
    caplog.set_level(logging.INFO, logger="punchlist.security")
    secret = token(team.viewer, team.org)
    for version in SCHEMA_VERSIONS:
        answer = api.get(secret, url(team), {"format": "oscal", "oscal_version": version, "kind": "both"})
        assert answer.status_code == 200 and answer["Content-Type"] == "application/json"
        assert answer["Content-Disposition"].startswith("attachment")
        document = json.loads(body(answer))
        assert validate_oscal(document, version, schema_dir=schema_dir) is None
        xml = api.get(secret, url(team), {"format": "oscal-xml", "oscal_version": version})
        assert xml.status_code == 200 and xml["Content-Type"] == "application/xml"
        with tempfile.TemporaryDirectory() as folder:
            file = Path(folder) / "poam.xml"
            file.write_bytes(body(xml))
            read = read_oscal_poam(file, schema_dir=schema_dir)  # checked against the schema as it is read
        assert sorted(i.id for i in read.items) == sorted(i.identifier for i in items)
    lines = [r.getMessage() for r in caplog.records if r.name == "punchlist.security"
             and r.getMessage().startswith("downloaded:")]
    assert len(lines) == 2 * len(SCHEMA_VERSIONS)
    assert f"org={team.org.slug} file='{team.org.slug}-poam-and-plan-oscal-{SCHEMA_VERSIONS[0]}-" in lines[0]


def test_the_fedramp_template_filled_in_with_a_read_only_token(team, items, token, api, shared_fixture, caplog):
    caplog.set_level(logging.INFO, logger="punchlist.security")
    template = shared_fixture("fedramp/FedRAMP-POAM-Template.xlsx")
    secret = token(team.viewer, team.org)  # read only: filling a template writes nothing in Punchlist
    answer = api.upload(secret, url(team, "/export/fedramp"),
                        {"template": SimpleUploadedFile("FedRAMP-POAM-Template.xlsx", template.read_bytes()),
                         "kind": "assessment_poam"})
    assert answer.status_code == 200, answer.content
    assert answer["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = openpyxl.load_workbook(io.BytesIO(body(answer)))["Open POA&M Items"]
    assert sorted([sheet["A8"].value, sheet["A9"].value]) == sorted(i.identifier for i in items)
    assert any(f"file='{team.org.slug}-poam-fedramp-" in r.getMessage() for r in caplog.records
               if r.name == "punchlist.security")


def test_refusals(team, items, token, api, settings, shared_fixture):
    secret = token(team.viewer, team.org)
    fedramp = url(team, "/export/fedramp")
    assert api.get(secret, url(team), {"format": "fedramp"}).status_code == 422
    assert api.get(secret, url(team), {"format": "oscal", "oscal_version": "0.9"}).status_code == 422
    workbook = body(api.get(secret, url(team), {"format": "workbook"}))
    other = api.upload(secret, fedramp, {"template": SimpleUploadedFile("mine.xlsx", workbook)})
    assert other.status_code == 400 and other.json()["code"] == "invalid"
    assert other.json()["message"].startswith("mine.xlsx: not a known FedRAMP POA&M template")
    picture = api.upload(secret, fedramp, {"template": SimpleUploadedFile("t.xlsx", b"\x89PNG\r\n\x1a\n" + bytes(64))})
    assert picture.status_code == 400 and "PNG image" in picture.json()["message"]
    missing = api.upload(secret, fedramp, {"kind": "both"})
    assert missing.status_code == 400 and "'template'" in missing.json()["message"]
    settings.PUNCHLIST_MAX_UPLOAD_BYTES = 1024
    template = shared_fixture("fedramp/FedRAMP-POAM-Template.xlsx")
    large = api.upload(secret, fedramp, {"template": SimpleUploadedFile("big.xlsx", template.read_bytes())})
    assert large.status_code == 413 and large.json()["code"] == "too_large"


def test_no_items_gets_no_oscal(team, token, api):
    answer = api.get(token(team.viewer, team.org), url(team), {"format": "oscal"})
    assert answer.status_code == 400 and "needs at least one" in answer.json()["message"]


def test_another_organization_is_not_found(team, rival, items, token, api, shared_fixture):
    secret = token(rival.admin, rival.org, write=True)
    assert api.get(secret, url(team), {"format": "oscal"}).status_code == 404
    template = shared_fixture("fedramp/FedRAMP-POAM-Template.xlsx")
    answer = api.upload(secret, url(team, "/export/fedramp"),
                        {"template": SimpleUploadedFile("FedRAMP-POAM-Template.xlsx", template.read_bytes())})
    assert answer.status_code == 404


def test_the_openapi_document_names_every_content_type(api):
    document = api.client.get("/api/v1/openapi.json").json()
    get = document["paths"]["/api/v1/organizations/{slug}/export"]["get"]
    assert set(get["responses"]["200"]["content"]) == {
        "text/csv", "application/json", "application/xml",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
    post = document["paths"]["/api/v1/organizations/{slug}/export/fedramp"]["post"]
    assert set(post["responses"]["200"]["content"]) == {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
    assert "multipart/form-data" in post["requestBody"]["content"]
