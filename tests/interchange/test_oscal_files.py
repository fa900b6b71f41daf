"""Every OSCAL POA&M in ../shared/fixtures that others wrote (NIST's IFA example in JSON, XML and YAML,
FedRAMP's template, its AwesomeCloud POA&M and its rules' test POA&M) imports with every poam-item it holds."""

import re
from datetime import date

import pytest

from punchlist.core.records import ItemStatus, RecordKind, Severity
from punchlist.errors import InputError
from punchlist.interchange import read_poam_file

pytestmark = pytest.mark.fixtures

# file -> (poam-items in it, fields every item of it keeps beyond title, weakness and status)
FILES = {
    "nist-ifa-poam.json": (2, {"remediation", "milestones", "severity", "scheduled_completion", "start_date"}),
    "nist-ifa-poam.xml": (2, {"remediation", "milestones", "severity", "scheduled_completion", "start_date"}),
    "nist-ifa-poam.yaml": (2, {"remediation", "milestones", "severity", "scheduled_completion", "start_date"}),
    "fedramp-rev5-poam-template.json": (2, {"id", "original_id", "requirements", "remediation", "milestones",
                                            "severity", "scheduled_completion", "start_date", "source"}),
    "fedramp-rev5-poam-template.xml": (2, {"id", "original_id", "requirements", "remediation", "milestones",
                                           "severity", "scheduled_completion", "start_date", "source"}),
    "fedramp-awesomecloud-poam.xml": (8, {"severity", "likelihood", "impact", "start_date"}),
    "fedramp-rev5-unit-test-poam.xml": (1, {"milestones", "severity", "scheduled_completion", "start_date"}),
    "minimal-valid-poam.json": (1, set()),
}


def poam_items_in(path) -> int:
    """The poam-items the file holds, counted in its text (not by the reader under test)."""
    text = path.read_text("utf-8")
    if path.suffix == ".xml":
        return len(re.findall(r"<poam-item\b", text))
    if path.suffix == ".yaml":
        block = text.split("\n  poam-items:", 1)[1]
        return len(re.findall(r"^    - uuid:", block, re.MULTILINE))
    import json

    return len(json.loads(text)["plan-of-action-and-milestones"]["poam-items"])


@pytest.mark.parametrize("name", sorted(FILES))
def test_every_poam_item_of_the_file_is_imported(name, shared_fixture):
    path = shared_fixture(f"oscal/examples/{name}")
    expected, kept = FILES[name]
    assert poam_items_in(path) == expected
    poam = read_poam_file(path)
    assert len(poam.items) == expected
    assert [item.row for item in poam.items] == list(range(1, expected + 1))
    for item in poam.items:
        assert item.title or item.weakness
        for field in kept:
            assert getattr(item, field) not in (None, "", []), (name, item.row, field)
        # Each item addresses a Rev 2 requirement, or is operational work that says it needs one.
        assert item.requirements or item.kind is RecordKind.OPERATIONAL_PLAN
    assert kept <= poam.fields


@pytest.mark.parametrize("form", ["json", "xml", "yaml"])
def test_nists_three_forms_read_as_the_same_items(form, shared_fixture):
    poam = read_poam_file(shared_fixture(f"oscal/examples/nist-ifa-poam.{form}"))
    second = poam.items[1]
    assert second.weakness.startswith("A user in the GoodRead cloud environment")
    assert second.severity is Severity.HIGH and second.status is ItemStatus.OPEN
    assert second.scheduled_completion == date(2023, 6, 23)
    assert second.milestones[0].due == date(2024, 6, 23)
    assert poam.items[0].status is ItemStatus.RISK_ACCEPTED  # the risk shares its observation
    # The IFA items name no control anywhere: operational work that needs a requirement, said so.
    assert all(i.kind is RecordKind.OPERATIONAL_PLAN and not i.requirements for i in poam.items)
    assert sum("needs a requirement" in note for note in poam.notes) == 2


def test_fedramp_template_keeps_its_ids_controls_and_risk_props(shared_fixture):
    for suffix in ("json", "xml"):
        poam = read_poam_file(shared_fixture(f"oscal/examples/fedramp-rev5-poam-template.{suffix}"))
        first, second = poam.items
        assert (first.id, first.original_id) == ("V-1", "V-1")
        assert first.requirements == ["3.1.1", "3.1.2"]  # SP 800-53 ac-2, Appendix D
        assert first.kind is RecordKind.ASSESSMENT_POAM
        assert any("AC-2 leads to 3.1.1 and 3.1.2" in note and "confirm" in note for note in poam.notes)
        assert second.risk_adjustment == "approved" and second.vendor_dependency is True
        assert "FedRAMP false positive: withdrawn" in second.comments
        assert "FedRAMP operational requirement: approved" in second.comments


def test_a_control_with_no_rev2_counterpart_makes_an_operational_item(tmp_path, shared_fixture):
    text = shared_fixture("oscal/examples/fedramp-rev5-poam-template.json").read_text("utf-8")
    path = tmp_path / "poam.json"
    path.write_text(text.replace('"value": "ac-2"', '"value": "pe-13"'), "utf-8")
    poam = read_poam_file(path)
    assert all(i.kind is RecordKind.OPERATIONAL_PLAN and i.requirements == [] for i in poam.items)
    assert any("PE-13 has no NIST SP 800-171 Rev 2 counterpart" in note for note in poam.notes)


def test_a_control_reached_through_a_finding_target(tmp_path, shared_fixture):
    import json

    document = json.loads(shared_fixture("oscal/examples/nist-ifa-poam.json").read_text("utf-8"))
    root = document["plan-of-action-and-milestones"]
    finding = {"uuid": "4b3c2a4e-1d0f-4a3b-9c1e-7a6b5c4d3e2f", "title": "Least privilege",
               "description": "Staff can edit the database.",
               "target": {"type": "objective-id", "target-id": "ac-6_obj", "status": {"state": "not-satisfied"}}}
    root["findings"] = [finding]
    root["poam-items"][0]["related-findings"] = [{"finding-uuid": finding["uuid"]}]
    path = tmp_path / "poam.json"
    path.write_text(json.dumps(document), "utf-8")
    first = read_poam_file(path).items[0]
    assert first.requirements == ["3.1.5"] and first.kind is RecordKind.ASSESSMENT_POAM


def test_xml_errors_name_the_element(tmp_path, shared_fixture):
    text = shared_fixture("oscal/examples/nist-ifa-poam.xml").read_text("utf-8")
    path = tmp_path / "poam.xml"
    path.write_text(text.replace('<poam-item uuid="48c8368d-43ff-4736-9b28-64b1b1284c03">',
                                 '<poam-item uuid="48c8368d-43ff-4736-9b28-64b1b1284c03" colour="red">'), "utf-8")
    with pytest.raises(InputError) as caught:
        read_poam_file(path)
    assert "at /plan-of-action-and-milestones/poam-item[2]:" in str(caught.value)
    assert "'colour' was unexpected" in str(caught.value)


@pytest.mark.parametrize("content, expected", [
    (b"<!DOCTYPE x [<!ENTITY a 'b'>]><plan-of-action-and-milestones/>", "DTDs and entities are refused"),
    (b"<plan-of-action-and-milestones><oops></plan-of-action-and-milestones>", "not an OSCAL XML file: line 1"),
    (b"<catalog xmlns='http://csrc.nist.gov/ns/oscal/1.0'/>", "root element is <catalog>"),
])
def test_bad_xml_is_refused_in_one_sentence(tmp_path, content, expected):
    path = tmp_path / "poam.xml"
    path.write_bytes(content)
    with pytest.raises(InputError, match=re.escape(expected)):
        read_poam_file(path)


@pytest.mark.parametrize("content, expected", [
    (b"plan-of-action-and-milestones: &a\n  x: *a\n", "aliases (*name) are not accepted"),
    (b"plan-of-action-and-milestones:\n  - [unclosed\n", "not an OSCAL YAML file: line"),
    (b"plan-of-action-and-milestones: !!python/object:os.system {}\n", "not an OSCAL YAML file"),
])
def test_bad_yaml_is_refused_in_one_sentence(tmp_path, content, expected):
    path = tmp_path / "poam.yaml"
    path.write_bytes(content)
    with pytest.raises(InputError, match=re.escape(expected)):
        read_poam_file(path)
