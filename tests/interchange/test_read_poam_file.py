"""``read_poam_file``: one entry for `punchlist import` and the web import, OSCAL JSON or a spreadsheet,
told apart by content; NIST's and FedRAMP's OSCAL documents load as items, an invalid one is refused with
the schema's reason."""

import json
import shutil

import pytest
from export_samples import CONTEXT, sample_poam
from spreadsheets import write_csv, write_xlsx

from punchlist.core.records import ItemStatus, PoamItem, Severity
from punchlist.errors import InputError
from punchlist.interchange import read_poam_file
from punchlist.interchange.guards import Limits
from punchlist.interchange.oscal import write_oscal
from punchlist.interchange.oscal_schema import OscalValidationError

HEADER = ["POAM ID", "Control", "Weakness", "Scheduled Completion", "Status", "Severity"]
ROW = ["POAM-AC-001", "3.1.1", "Shared admin account", "2026-12-01", "Open", "High"]


@pytest.fixture
def schema_dir(shared_fixture):
    return shared_fixture("oscal/schema")


def test_nist_example_loads_as_items(schema_dir, shared_fixture):
    poam = read_poam_file(shared_fixture("oscal/examples/nist-ifa-poam.json"), schema_dir=schema_dir)
    assert len(poam.items) == 2
    assert poam.items[1].title.startswith("GoodRead System Engineers Have Over-Privileged Access")
    assert poam.items[1].severity is Severity.HIGH and poam.items[1].milestones


def test_fedramp_oscal_template_loads_as_items(schema_dir, shared_fixture):
    poam = read_poam_file(shared_fixture("oscal/examples/fedramp-rev5-poam-template.json"), schema_dir=schema_dir)
    # SP 800-53 AC-2 is read as the Rev 2 requirements Appendix D derives from it, to be confirmed.
    assert [(i.id, i.requirements, i.status) for i in poam.items] == [
        ("V-1", ["3.1.1", "3.1.2"], ItemStatus.OPEN), ("V-2", ["3.1.1", "3.1.2"], ItemStatus.OPEN)]
    assert any("AC-2 leads to 3.1.1 and 3.1.2" in note and "confirm" in note for note in poam.notes)


def test_an_invalid_oscal_document_is_refused_with_the_schema_reason(schema_dir, shared_fixture, tmp_path):
    path = shared_fixture("oscal/examples/minimal-invalid-poam.json")
    with pytest.raises(InputError) as raised:
        read_poam_file(path, schema_dir=schema_dir)
    assert raised.value.file == str(path)
    assert "'poam-items' is a required property" in raised.value.message

    document = json.loads(shared_fixture("oscal/examples/minimal-valid-poam.json").read_text())
    document["plan-of-action-and-milestones"]["poam-items"][0]["uuid"] = "not-a-uuid"
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(document))
    with pytest.raises(OscalValidationError) as raised:
        read_poam_file(edited, schema_dir=schema_dir)
    assert raised.value.path == "$['plan-of-action-and-milestones']['poam-items'][0].uuid"
    assert "'not-a-uuid' does not match" in raised.value.reason


def test_our_own_oscal_export_reads_back_whole(schema_dir, tmp_path):
    poam = sample_poam()
    path = write_oscal(poam, CONTEXT, tmp_path / "poam.json", oscal_version="1.2.1")
    back = read_poam_file(path, schema_dir=schema_dir)
    for before, after in zip(poam.items, back.items):
        for name in PoamItem.__slots__:
            if name != "row":
                assert getattr(after, name) == getattr(before, name), (before.id, name)


def test_a_spreadsheet_is_read_as_one(tmp_path):
    for path in (write_xlsx(tmp_path / "poam.xlsx", [HEADER, ROW]), write_csv(tmp_path / "poam.csv", [HEADER, ROW])):
        assert [i.id for i in read_poam_file(path).items] == ["POAM-AC-001"]


def test_content_decides_not_the_name(tmp_path, schema_dir, shared_fixture):
    # OSCAL JSON without a suffix is still OSCAL; a workbook named .json is refused by what it is.
    bare = tmp_path / "download"
    shutil.copyfile(shared_fixture("oscal/examples/minimal-valid-poam.json"), bare)
    assert len(read_poam_file(bare, schema_dir=schema_dir).items) == 1
    workbook = write_xlsx(tmp_path / "poam.json", [HEADER, ROW])
    with pytest.raises(InputError, match="named .json but holds an XLSX workbook"):
        read_poam_file(workbook)
    text = tmp_path / "poam.csv"
    text.write_text('{"plan-of-action-and-milestones": {}}')
    with pytest.raises(InputError, match="this is a JSON document, not CSV text"):
        read_poam_file(text)


def test_the_size_limit_holds_for_oscal_too(tmp_path, schema_dir):
    path = write_oscal(sample_poam(), CONTEXT, tmp_path / "poam.json")
    with pytest.raises(InputError, match="more than the 1,000"):
        read_poam_file(path, schema_dir=schema_dir, limits=Limits(file_bytes=1000))
