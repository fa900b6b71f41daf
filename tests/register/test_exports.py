"""Exports from the register: the core records and context in a fixed number of queries, the
marking, evidence with its hashes, `punchlist export` in its four formats, and no formula from user text."""

import argparse
import csv
import io
import logging
import re
import zipfile
from datetime import date, timedelta

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from python_calamine import CalamineWorkbook

from punchlist.core import records
from punchlist.interchange import oscal, oscal_schema
from punchlist.interchange.exports import ITEM_HEADERS, MARKING_ASSESSMENT, MARKING_INTERNAL
from punchlist.interchange.oscal_import import read_oscal_poam
from punchlist.interchange.oscal_schema import SCHEMA_DIR_VARIABLE, SCHEMA_VERSIONS, validate_oscal
from punchlist.orgs import services as org_services
from punchlist.orgs.models import Role
from punchlist.register import export_cli, services
from punchlist.register.exports import build_export, evidence_entry
from punchlist.register.imports import import_assessment
from punchlist.register.services.evidence import link_evidence
from punchlist.testing import PASSWORD, make_item

TODAY = date.today()
REPORT = b"%PDF-1.7 GPO report: lockout threshold 5, duration 15 minutes"
REPORT_SHA256 = "4b0b3d5bd4ba3a1ea5e5c4bd1b71ff7c2f5bd3ae8c23fb3cb7c0ce0c40d27b90"


def export(*argv):
    parser = argparse.ArgumentParser(prog="punchlist")
    export_cli.add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["export", *argv])
    return args.run(args)


@pytest.fixture
def schema_dir(shared_fixture, monkeypatch):
    folder = shared_fixture("oscal/schema")
    monkeypatch.setenv(SCHEMA_DIR_VARIABLE, str(folder))  # the CLI checks its OSCAL against it too
    return folder


@pytest.fixture
def stocked(team):
    """Two items: one with a milestone and a hashed file, one with a reference; all four people named."""
    first = make_item(team, supporting_owner=team.owner2, evidence_custodian=team.owner2,
                      responsible_unit="IT Operations", source="Self-assessment 2026")
    services.add_milestone(team.coordinator, first, "Draft the lockout GPO", TODAY + timedelta(days=10))
    services.add_evidence(team.owner, first, name="gpo-report.pdf", content=REPORT,
                          description="GPO report after the change")
    second = make_item(team, requirements=("3.3.3",), title="No central log review",
                       weakness="Logs are kept on each server and nobody reviews them")
    services.add_evidence(team.owner, second, name="Wazuh dashboard",
                          reference="https://siem.example.com/app/wazuh#/overview")
    return first, second


def test_the_export_holds_items_people_milestones_and_hashed_evidence(team, stocked):
    first, second = stocked
    built = build_export(team.viewer, team.org)
    assert [item.id for item in built.poam.items] == [first.identifier, second.identifier]
    one = built.poam.items[0]
    assert (one.primary_owner, one.supporting_owner, one.approval_authority, one.evidence_custodian) == (
        "Marcus Lee", "Olive Lee", "Priya Lee", "Olive Lee")
    assert [(m.description, m.due) for m in one.milestones] == [("Draft the lockout GPO", TODAY + timedelta(days=10))]
    (entry,) = built.evidence[first.identifier]
    assert entry.sha256 == first.evidence.get().sha256 and len(entry.sha256) == 64
    assert (entry.filename, entry.size, entry.media_type) == ("gpo-report.pdf", len(REPORT), "application/pdf")
    assert entry.description == "gpo-report.pdf: GPO report after the change"
    assert entry.added_by == "Marcus Lee" and entry.added_on == TODAY
    (link,) = built.evidence[second.identifier]
    assert (link.href, link.sha256, link.description) == (
        "https://siem.example.com/app/wazuh#/overview", None, "Wazuh dashboard")
    assert one.evidence == "gpo-report.pdf: GPO report after the change"
    context = built.context
    assert (context.organization, context.system, context.for_assessment) == ("Acme Machining", "Acme Machining",
                                                                              False)
    assert context.marking == MARKING_INTERNAL and context.score is None


def test_evidence_linked_from_another_item_counts_for_both(team, stocked):
    first, second = stocked
    link_evidence(team.coordinator, first.evidence.get(), items=[second])
    built = build_export(team.viewer, team.org)
    # Oldest first: the report was added before the dashboard link.
    assert [e.sha256 for e in built.evidence[second.identifier]] == [first.evidence.get().sha256, None]
    assert [e.sha256 for e in built.evidence[first.identifier]] == [first.evidence.get().sha256]
    assert built.poam.items[1].evidence == "gpo-report.pdf: GPO report after the change\n\nWazuh dashboard"


def test_evidence_text_an_import_stored_comes_back_whole():
    long = "Duo enrollment report, " + "x" * 300
    entry = evidence_entry(name=long[:255], stored=False, sha256="", size=None, reference=long, description="",
                           added_by=None, added_on=None)
    assert entry.description == long and entry.href is None


def test_the_number_of_queries_does_not_grow_with_the_items(team):
    def count():
        with CaptureQueriesContext(connection) as queries:
            build_export(team.coordinator, team.org)
        return len(queries)

    item = make_item(team)
    services.add_milestone(team.coordinator, item, "One", TODAY + timedelta(days=5))
    services.add_evidence(team.owner, item, name="ref", reference="SharePoint/Security")
    few = count()
    for n in range(12):
        more = make_item(team, requirements=("3.1.3", "3.1.4"), title=f"Item {n}", supporting_owner=team.owner2)
        services.add_milestone(team.coordinator, more, f"Step {n}", TODAY + timedelta(days=n + 1))
        services.add_milestone(team.coordinator, more, f"Step {n}b", TODAY + timedelta(days=n + 2))
        piece = services.add_evidence(team.owner, more, name=f"file {n}.txt", content=f"evidence {n}".encode())
        link_evidence(team.coordinator, piece, items=[item])
    assert count() == few
    assert few <= 12


def test_the_marking_follows_the_assessment_poam_and_the_summary_gets_score_and_verdict(team, stocked):
    results = [records.RequirementResult(r.id, records.Determination.MET) for r in _catalog()]
    results[7] = records.RequirementResult("3.1.8", records.Determination.NOT_MET)
    assessment = import_assessment(team.coordinator, team.org, results, assessed_on=TODAY)
    built = build_export(team.viewer, team.org)
    assert built.context.marking == MARKING_INTERNAL  # an assessment, but not marked as the one
    assert (built.context.score, built.context.verdict) == (109, "conditional")
    # The flag alone is not the official marking: a person marks it, and who and when is recorded.
    services.update_assessment(team.coordinator, assessment, is_the_assessment_poam=True)
    assert build_export(team.viewer, team.org).context.marking == MARKING_INTERNAL
    services.mark_official_poam(team.coordinator, assessment)
    assert (assessment.official_marked_by, assessment.official_marked_at is not None) == (team.coordinator, True)
    built = build_export(team.viewer, team.org)
    assert built.context.for_assessment and built.context.marking == MARKING_ASSESSMENT
    # Both kinds together are never the official POA&M.
    assert build_export(team.viewer, team.org, kind="both").context.marking == MARKING_INTERNAL


def _catalog():
    from punchlist.core.catalog import load_catalog

    return list(load_catalog())


def test_a_stranger_cannot_export(team, rival, stocked):
    with pytest.raises(services.PermissionDenied, match="not a member"):
        build_export(rival.admin, team.org)


def test_every_format_through_the_cli(team, stocked, tmp_path, schema_dir, shared_fixture, capsys):
    first, _ = stocked
    common = ["--org", team.org.slug, "--user", team.viewer.username]

    assert export("--format", "workbook", "--out", str(tmp_path / "p.xlsx"), *common) == 0
    assert "2 item(s) of Acme Machining written to" in capsys.readouterr().out
    book = openpyxl.load_workbook(tmp_path / "p.xlsx")
    assert book["Open items"]["A1"].value.startswith(MARKING_INTERNAL)
    evidence = [list(r) for r in book["Evidence"].iter_rows(min_row=3, values_only=True)]
    assert [first.identifier, "gpo-report.pdf: GPO report after the change", "gpo-report.pdf",
            first.evidence.get().sha256, len(REPORT), "Marcus Lee"] == evidence[0][:6]

    assert export("--format", "csv", "--out", str(tmp_path / "p.csv"), *common) == 0
    data = (tmp_path / "p.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf" + MARKING_INTERNAL.encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[1] == list(ITEM_HEADERS) and len(rows) == 4

    for version in SCHEMA_VERSIONS:
        out = tmp_path / f"p-{version}.json"
        assert export("--format", "oscal", "--oscal-version", version, "--out", str(out), *common) == 0
        document = __import__("json").loads(out.read_text())
        for schema in SCHEMA_VERSIONS:
            assert validate_oscal(document, schema, schema_dir=schema_dir) is None, (version, schema)
        resources = document["plan-of-action-and-milestones"]["back-matter"]["resources"]
        hashes = [h["value"] for r in resources for link in r.get("rlinks", []) for h in link.get("hashes", [])]
        assert hashes == [first.evidence.get().sha256]
        assert [i.id for i in read_oscal_poam(out, schema_dir=schema_dir).items] == [
            first.identifier, stocked[1].identifier]
        # The same document in NIST's XML form, read back by the XML reader as the items the JSON gives.
        xml = tmp_path / f"p-{version}.xml"
        assert export("--format", "oscal-xml", "--oscal-version", version, "--out", str(xml), *common) == 0
        assert xml.read_bytes().startswith(b"<?xml") and b'xmlns="http://csrc.nist.gov/ns/oscal/1.0"' in xml.read_bytes()
        assert read_oscal_poam(xml, schema_dir=schema_dir).items == read_oscal_poam(out, schema_dir=schema_dir).items

    template = shared_fixture("fedramp/FedRAMP-POAM-Template.xlsx")
    assert export("--format", "fedramp", "--template", str(template), "--out", str(tmp_path / "f.xlsx"),
                  *common) == 0
    filled = openpyxl.load_workbook(tmp_path / "f.xlsx")["Open POA&M Items"]
    assert filled["A8"].value == first.identifier and filled["A4"].value.startswith(MARKING_INTERNAL)


def test_each_cli_export_is_written_to_the_security_log(team, stocked, tmp_path, caplog):
    """3.3.1, as for a download: who took the organization's POA&M, in which form, to which file."""
    caplog.set_level(logging.INFO, logger="punchlist.security")
    out = tmp_path / "p.csv"
    assert export("--format", "csv", "--out", str(out), "--org", team.org.slug, "--user", team.viewer.username) == 0
    lines = [record.getMessage() for record in caplog.records if record.name == "punchlist.security"]
    assert lines == [f"exported: username={team.viewer.username!r} org={team.org.slug} file={str(out)!r} "
                     "format=csv items=2 via=cli"]


def test_cli_refusals_write_nothing(team, stocked, tmp_path, capsys):
    tmp_path = tmp_path / "out"  # beside the evidence folder of the test
    tmp_path.mkdir()
    common = ["--org", team.org.slug, "--user", team.viewer.username]
    assert export("--format", "fedramp", "--out", str(tmp_path / "f.xlsx"), *common) == 2
    assert "give its file with --template" in capsys.readouterr().err
    assert export("--format", "csv", "--template", "t.xlsx", "--out", str(tmp_path / "f.csv"), *common) == 2
    assert "--template is for --format fedramp only" in capsys.readouterr().err
    bad = tmp_path / "template.xlsx"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    assert export("--format", "fedramp", "--template", str(bad), "--out", str(tmp_path / "f.xlsx"), *common) == 2
    assert "it is a PNG image" in capsys.readouterr().err
    stranger = org_services.create_user("stranger", password=PASSWORD)
    assert export("--format", "csv", "--out", str(tmp_path / "s.csv"), "--org", team.org.slug,
                  "--user", stranger.username) == 2
    assert "not a member" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["template.xlsx"]


def test_an_organization_without_items_gets_no_oscal(team, tmp_path, capsys, schema_dir):
    out = tmp_path / "empty.json"
    assert export("--format", "oscal", "--out", str(out), "--org", team.org.slug,
                  "--user", team.admin.username) == 2
    assert "no items" in capsys.readouterr().err and not out.exists()


def test_the_clis_oscal_versions_are_the_interchanges():
    assert export_cli.OSCAL_VERSIONS == oscal_schema.SCHEMA_VERSIONS
    assert export_cli.OSCAL_VERSION == oscal.OSCAL_VERSION


# -- no user text becomes a formula -----------------------------------------------------------------------

FORMULAS = {
    "title": "=HYPERLINK(\"http://evil.example\",\"Click\")",
    "weakness": "+cmd|' /C calc'!A0",
    "remediation": "-2+3+cmd|' /C notepad'!A1",
    "responsible_unit": "@SUM(1+1)*cmd|' /C calc'!A0",
    "resources": "=1+1",
    "source": "-2+2",
}


def _assert_no_formula_in_xlsx(path):
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert not re.search(rb"<f[ >]", archive.read(name)), name


def test_no_user_text_becomes_a_formula_in_any_export(team, tmp_path, shared_fixture):
    evil = org_services.create_user("evil", password=PASSWORD, first_name="=cmd|' /C calc'!A0", last_name="")
    org_services.add_member(team.admin, team.org, evil, Role.OWNER)
    item = make_item(team, primary_owner=evil, **FORMULAS)
    services.add_milestone(team.coordinator, item, "=HYPERLINK(\"http://evil.example\")", TODAY + timedelta(days=3))
    services.add_evidence(team.owner, item, name="@evidence", reference="-1+1")
    common = ["--org", team.org.slug, "--user", team.coordinator.username]

    assert export("--format", "workbook", "--out", str(tmp_path / "p.xlsx"), *common) == 0
    _assert_no_formula_in_xlsx(tmp_path / "p.xlsx")
    book = CalamineWorkbook.from_path(str(tmp_path / "p.xlsx"))
    row = dict(zip(ITEM_HEADERS, book.get_sheet_by_name("Open items").to_python()[2]))
    assert row["Weakness Name"] == FORMULAS["title"] and row["Primary Owner"] == "=cmd|' /C calc'!A0"
    assert row["Responsible Unit"] == FORMULAS["responsible_unit"] and row["Weakness Source"] == "-2+2"
    assert row["Milestones"].startswith("(1) ") and row["Evidence"] == "@evidence: -1+1"
    people = book.get_sheet_by_name("People").to_python()
    assert any(r[0] == "=cmd|' /C calc'!A0" for r in people)
    cells = openpyxl.load_workbook(tmp_path / "p.xlsx")["Open items"][3]
    for cell in cells:
        if isinstance(cell.value, str) and cell.value[:1] in "=+-@\t":
            assert cell.data_type == "s" and cell.quotePrefix, cell.coordinate

    assert export("--format", "csv", "--out", str(tmp_path / "p.csv"), *common) == 0
    rows = list(csv.reader(io.StringIO((tmp_path / "p.csv").read_text("utf-8-sig"))))
    for value in rows[2]:
        assert not value.startswith(tuple("=+-@\t\r")), value
    assert "'" + FORMULAS["title"] in rows[2] and "'=cmd|' /C calc'!A0" in rows[2]

    template = shared_fixture("fedramp/FedRAMP-POAM-Template.xlsx")
    assert export("--format", "fedramp", "--template", str(template), "--out", str(tmp_path / "f.xlsx"),
                  *common) == 0
    sheet = openpyxl.load_workbook(tmp_path / "f.xlsx")["Open POA&M Items"]
    assert sheet["C8"].value == FORMULAS["title"] and sheet["D8"].value == FORMULAS["weakness"]
    for cell in sheet[8]:
        if cell.column_letter != "L" and isinstance(cell.value, str) and cell.value[:1] in "=+-@":
            assert cell.data_type == "s" and cell.quotePrefix, cell.coordinate


def test_oscal_uuids_survive_a_re_export_and_a_rename(team, stocked):
    from punchlist.orgs.models import Organization

    def uuids():
        built = build_export(team.viewer, Organization.objects.get(pk=team.org.pk))
        document = oscal.poam_to_oscal(built.poam, built.context, evidence=built.evidence)
        return [item["uuid"] for item in document["plan-of-action-and-milestones"]["poam-items"]]

    first = uuids()
    assert uuids() == first
    Organization.objects.filter(pk=team.org.pk).update(name="Acme Machining Holdings")
    assert uuids() == first


def test_the_punchlist_command_has_export():
    from punchlist.cli import build_parser

    args = build_parser().parse_args(["export", "--format", "oscal", "--oscal-version", "1.2.1", "--out", "p.json"])
    assert (args.run.__name__, args.format, args.oscal_version) == ("run_export", "oscal", "1.2.1")
