"""OSCAL POA&M JSON: export valid against NIST's schemas 1.1.3 and 1.2.1, import of NIST's and FedRAMP's
documents, refusal of invalid ones, and a round trip that keeps every field of every item."""

import copy
import dataclasses
import json
import re
from datetime import date, datetime, timezone

import pytest
from export_samples import CONTEXT, sample_poam

from punchlist.core.records import ItemStatus, Milestone, Poam, PoamItem, RecordKind, Severity
from punchlist.errors import InputError
from punchlist.interchange.exports import MARKING_ASSESSMENT, MARKING_INTERNAL, EvidenceEntry
from punchlist.interchange.oscal import FEDRAMP_NS, poam_to_oscal, write_oscal
from punchlist.interchange.oscal_import import oscal_to_poam, read_oscal_poam
from punchlist.interchange.oscal_schema import (SCHEMA_DIR_VARIABLE, SCHEMA_VERSIONS,
                                                OscalValidationError, schema_path, validate_oscal)

@pytest.fixture
def schema_dir(shared_fixture):
    return shared_fixture("oscal/schema")


COMPARED = [name for name in PoamItem.__slots__ if name != "row"]


def root(document):
    return document["plan-of-action-and-milestones"]


def assert_same_items(expected: list[PoamItem], actual: list[PoamItem]):
    assert len(actual) == len(expected)
    for before, after in zip(expected, actual):
        for name in COMPARED:
            assert getattr(after, name) == getattr(before, name), f"{before.id}: {name}"


@pytest.mark.parametrize("version", SCHEMA_VERSIONS)
def test_export_is_valid_against_both_schema_versions(version, schema_dir):
    for oscal_version in SCHEMA_VERSIONS:
        document = poam_to_oscal(sample_poam(), CONTEXT, oscal_version=oscal_version)
        assert validate_oscal(document, version, schema_dir=schema_dir) is None


@pytest.mark.parametrize("version", SCHEMA_VERSIONS)
def test_export_with_hashed_evidence_is_valid_and_carries_the_hash(version, schema_dir):
    digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    evidence = {"POAM-AC-001": [EvidenceEntry("Intune report", filename="intune report.pdf", sha256=digest,
                                              media_type="application/pdf", size=48211, added_by="Priya Shah",
                                              added_on=date(2026, 11, 1)),
                                EvidenceEntry("Signed change ticket", sha256=digest)]}
    document = poam_to_oscal(sample_poam(), CONTEXT, evidence=evidence)
    assert validate_oscal(document, version, schema_dir=schema_dir) is None
    resources = root(document)["back-matter"]["resources"]
    hashed = [r for r in resources if r.get("rlinks")]
    assert hashed[0]["rlinks"][0] == {"href": "intune%20report.pdf", "media-type": "application/pdf",
                                      "hashes": [{"algorithm": "SHA-256", "value": digest}]}
    # Evidence is linked from the item's observation to its resource.
    observation = root(document)["observations"][0]
    assert [e["href"] for e in observation["relevant-evidence"]] == [
        f"#{r['uuid']}" for r in resources if r["title"] == "Evidence for POAM-AC-001"]


def test_round_trip_keeps_every_field_of_every_item(schema_dir):
    poam = sample_poam()
    document = poam_to_oscal(poam, CONTEXT)
    back = oscal_to_poam(json.loads(json.dumps(document)), schema_dir=schema_dir)
    assert_same_items(poam.items, back.items)
    assert back.fields == frozenset(PoamItem.__slots__)
    # The four people are there, milestones with their due and done dates included.
    first = back.items[0]
    assert (first.primary_owner, first.supporting_owner, first.approval_authority, first.evidence_custodian) == (
        "Marcus Lee, IT Operations Lead", "Ana Ruiz", "Dana Kim, CISO", "Priya Shah")
    assert first.milestones[0] == Milestone("Inventory the laptops with local admin", date(2026, 9, 20),
                                            date(2026, 9, 18))


def test_round_trip_through_a_file(tmp_path, schema_dir):
    path = write_oscal(sample_poam(), CONTEXT, tmp_path / "poam.json", oscal_version="1.2.1")
    back = read_oscal_poam(path, schema_dir=schema_dir)
    assert_same_items(sample_poam().items, back.items)
    assert back.source == str(path)
    assert not list(tmp_path.glob("*.part"))


def test_uuids_are_stable_across_exports_and_differ_across_organizations():
    first = poam_to_oscal(sample_poam(), CONTEXT)
    later = dataclasses.replace(CONTEXT, generated_at=datetime(2027, 1, 5, tzinfo=timezone.utc))
    reordered = sample_poam()
    reordered.items.reverse()
    second = poam_to_oscal(reordered, later)

    def uuids(document):
        return {next((p["value"] for p in i.get("props", []) if p["name"] == "POAM-ID"), None): i["uuid"]
                for i in root(document)["poam-items"] if any(p["name"] == "POAM-ID" for p in i["props"])}

    assert uuids(first) == uuids(second)
    assert root(first)["uuid"] == root(second)["uuid"]
    other = poam_to_oscal(sample_poam(), dataclasses.replace(CONTEXT, organization="Another Org"))
    assert not set(uuids(first).values()) & set(uuids(other).values())


def test_a_duplicated_id_still_gives_each_item_its_own_uuid():
    poam = Poam(items=[PoamItem(id="POAM-AC-001", title="one"), PoamItem(id="POAM-AC-001", title="two")])
    items = root(poam_to_oscal(poam, CONTEXT))["poam-items"]
    assert items[0]["uuid"] != items[1]["uuid"]
    assert items[0]["uuid"] == root(poam_to_oscal(sample_poam(), CONTEXT))["poam-items"][0]["uuid"]


def test_text_that_is_not_one_trimmed_line_is_kept_exactly_in_a_json_property(schema_dir):
    item = PoamItem(id="POAM-AC-009", title="t", source="scanner A\rscanner B",
                    requirements=[" 3.1.1"], primary_owner="Line\u2028Separated")
    document = poam_to_oscal(Poam(items=[item]), CONTEXT)
    source = next(p for p in root(document)["poam-items"][0]["props"] if p["name"] == "source")
    assert source["class"] == "json" and json.loads(source["value"]) == "scanner A\rscanner B"
    for version in SCHEMA_VERSIONS:
        assert validate_oscal(document, version, schema_dir=schema_dir) is None
    assert_same_items([item], oscal_to_poam(document, schema_dir=schema_dir).items)


def test_the_item_carries_poam_id_requirements_severity_and_kind():
    item = root(poam_to_oscal(sample_poam(), CONTEXT))["poam-items"][0]
    props = [(p["name"], p["value"]) for p in item["props"]]
    assert {"name": "POAM-ID", "ns": FEDRAMP_NS, "value": "POAM-AC-001"} in item["props"]
    assert ("requirement", "AC.L2-3.1.5") in props and ("requirement", "3.1.6") in props
    assert ("severity", "high") in props and ("record-kind", "assessment POA&M") in props


def test_risk_status_deadline_and_planned_tasks():
    document = root(poam_to_oscal(sample_poam(), CONTEXT))
    risks = document["risks"]
    assert [r["status"] for r in risks] == ["remediating", "closed", "deviation-approved", "open", "remediating"]
    assert risks[0]["deadline"] == "2026-12-15T00:00:00Z"
    response = risks[0]["remediations"][0]
    assert response["lifecycle"] == "planned"
    assert [t["type"] for t in response["tasks"]] == ["milestone"] * 3
    assert response["tasks"][0]["timing"] == {"on-date": {"date": "2026-09-20T00:00:00Z"}}
    roles = {a["role-id"] for a in response["origins"][0]["actors"]}
    assert roles == {"primary-owner", "supporting-owner", "approval-authority", "evidence-custodian",
                     "responsible-unit"}


def test_metadata_names_every_person_with_their_roles_and_the_marking():
    metadata = root(poam_to_oscal(sample_poam(), CONTEXT))["metadata"]
    people = {p["name"] for p in metadata["parties"] if p["type"] == "person"}
    assert {"Marcus Lee, IT Operations Lead", "Ana Ruiz", "Dana Kim, CISO", "Priya Shah", "José Álvarez"} <= people
    by_uuid = {p["uuid"]: p["name"] for p in metadata["parties"]}
    holders = {r["role-id"]: {by_uuid[u] for u in r["party-uuids"]} for r in metadata["responsible-parties"]}
    assert holders["primary-owner"] == {"Marcus Lee, IT Operations Lead", "Ana Ruiz", "@Ops team lead",
                                        "José Álvarez"}
    assert holders["approval-authority"] == {"Dana Kim, CISO", "#N/A"}
    assert {"name": "marking", "value": MARKING_INTERNAL} in metadata["props"]
    assessment = dataclasses.replace(CONTEXT, for_assessment=True)
    marking = root(poam_to_oscal(sample_poam(), assessment))["metadata"]["props"][0]
    assert marking == {"name": "marking", "value": MARKING_ASSESSMENT}


def test_an_empty_poam_cannot_be_exported():
    with pytest.raises(ValueError, match="at least one item"):
        poam_to_oscal(Poam(items=[]), CONTEXT)


def test_validation_names_the_json_path_and_the_schema_reason(schema_dir):
    document = poam_to_oscal(sample_poam(), CONTEXT)
    root(document)["poam-items"][1]["props"][0]["name"] = "1-not-a-token"
    error = validate_oscal(document, "1.1.3", schema_dir=schema_dir)
    assert isinstance(error, OscalValidationError)
    assert error.path == "$['plan-of-action-and-milestones']['poam-items'][1].props[0].name"
    assert "does not match" in error.reason and "\\p{L}" in error.reason


def test_a_two_line_title_is_refused_by_1_2_1_as_ecma_patterns_would(schema_dir):
    document = poam_to_oscal(sample_poam(), CONTEXT, oscal_version="1.2.1")
    root(document)["poam-items"][0]["title"] = "first line\n"
    error = validate_oscal(document, "1.2.1", schema_dir=schema_dir)
    assert error is not None and error.path.endswith("['poam-items'][0].title")


def test_nist_example_loads_as_items(schema_dir, shared_fixture):
    poam = read_oscal_poam(shared_fixture("oscal/examples/nist-ifa-poam.json"),
                           schema_dir=schema_dir)
    assert [i.title for i in poam.items] == [
        "Update Django Framework Configuration to Disable Default Admin Panel",
        "GoodRead System Engineers Have Over-Privileged Access to Cloud Infrastructure Account"]
    second = poam.items[1]
    assert second.weakness.startswith("A user in the GoodRead cloud environment")
    assert second.remediation.startswith("The GoodRead Product Team does not have")
    assert second.severity is Severity.HIGH  # the risk's impact facet
    assert second.scheduled_completion == date(2023, 6, 23)
    assert second.start_date == date(2023, 6, 2)
    assert second.milestones[0].description.startswith("Completion of GoodRead Sprint Ending June 23, 2023")
    assert second.milestones[0].due == date(2024, 6, 23)
    # The first item's risk reference points at a mitigating factor: the risk that shares its observation is
    # its risk (weakness, accepted status, deadline).
    assert poam.items[0].weakness.startswith("A user with the privileges of a PAO staff user")
    assert poam.items[0].status is ItemStatus.RISK_ACCEPTED
    # No control anywhere: operational items that need a requirement, not a refused file.
    assert all(i.requirements == [] and i.kind is RecordKind.OPERATIONAL_PLAN for i in poam.items)
    assert poam.items[0].row == 1 and second.row == 2


def test_fedramp_template_loads_as_items(schema_dir, shared_fixture):
    poam = read_oscal_poam(shared_fixture("oscal/examples/fedramp-rev5-poam-template.json"),
                           schema_dir=schema_dir)
    assert [i.id for i in poam.items] == ["V-1", "V-2"]
    first = poam.items[0]
    assert first.requirements == ["3.1.1", "3.1.2"]  # SP 800-53 AC-2 through Appendix D, to be confirmed
    assert first.source == "XYZ Vulnerability Scanning Tool"
    assert first.status is ItemStatus.OPEN
    assert [m.due for m in first.milestones] == [date(2023, 7, 2), date(2023, 7, 7)]
    assert "id" in poam.fields and "primary_owner" not in poam.fields


def test_invalid_document_is_refused_with_the_schema_reason(schema_dir, shared_fixture):
    path = shared_fixture("oscal/examples/minimal-invalid-poam.json")
    with pytest.raises(InputError) as caught:
        read_oscal_poam(path, schema_dir=schema_dir)
    assert "'poam-items' is a required property" in str(caught.value)
    assert caught.value.file == str(path)
    assert "at /plan-of-action-and-milestones:" in str(caught.value)  # a JSON pointer


def test_minimal_valid_document_loads(schema_dir, shared_fixture):
    poam = read_oscal_poam(shared_fixture("oscal/examples/minimal-valid-poam.json"),
                           schema_dir=schema_dir)
    assert [i.title for i in poam.items] == ["Example PO\\&M Entry 1"]


@pytest.mark.parametrize("content, expected", [
    (b"PK\x03\x04 this is a zip, not JSON", "not an OSCAL JSON file: line 1, column 1"),
    (b"PK\x03\x04", "not an OSCAL JSON file: line 1, column 1"),
    (b"\xff\xfe\x00garbage", "not UTF-8"),
    (b'{"catalog": {}}', "expected a top-level 'plan-of-action-and-milestones'"),
    (b"[1, 2]", "expected a top-level 'plan-of-action-and-milestones'"),
    (b"[" * 100000 + b"]" * 100000, "not an OSCAL JSON file"),
])
def test_not_an_oscal_poam_is_refused_clearly(tmp_path, content, expected, schema_dir):
    path = tmp_path / "poam.json"
    path.write_bytes(content)
    with pytest.raises(InputError, match=re.escape(expected)):
        read_oscal_poam(path, schema_dir=schema_dir)


def test_a_missing_or_oversized_file_is_refused(tmp_path):
    with pytest.raises(InputError, match="cannot read the file"):
        read_oscal_poam(tmp_path / "absent.json")
    path = write_oscal(sample_poam(), CONTEXT, tmp_path / "poam.json")
    with pytest.raises(InputError, match="more than the 100 an OSCAL POA&M may have"):
        read_oscal_poam(path, max_bytes=100)


def test_a_punchlist_property_with_a_wrong_value_names_the_item(tmp_path, schema_dir):
    document = copy.deepcopy(poam_to_oscal(sample_poam(), CONTEXT))
    for prop in root(document)["poam-items"][2]["props"]:
        if prop["name"] == "status":
            prop["value"] = "half-done"
    with pytest.raises(InputError) as caught:
        oscal_to_poam(document, source="edited.json", schema_dir=schema_dir)
    assert caught.value.row == 3 and "poam-items[2]" in str(caught.value)


def test_schemas_are_found_through_the_environment_variable(monkeypatch, schema_dir):
    monkeypatch.setenv(SCHEMA_DIR_VARIABLE, str(schema_dir))
    assert validate_oscal(poam_to_oscal(sample_poam(), CONTEXT), "1.2.1") is None


def test_the_package_carries_nists_schemas(monkeypatch, tmp_path, shared_fixture):
    """Installed without the repository, the schemas are still there: validation always runs."""
    monkeypatch.delenv(SCHEMA_DIR_VARIABLE, raising=False)
    for version in SCHEMA_VERSIONS:
        path = schema_path(version, schema_dir=tmp_path)  # an empty folder: the package's own copy
        assert "punchlist/interchange/schemas" in path.as_posix()
        assert path.read_bytes() == shared_fixture(f"oscal/schema/{path.name}").read_bytes()
    invalid = shared_fixture("oscal/examples/minimal-invalid-poam.json")
    with pytest.raises(InputError, match="'poam-items' is a required property"):
        read_oscal_poam(invalid)
    assert len(read_oscal_poam(shared_fixture("oscal/examples/minimal-valid-poam.json")).items) == 1


def test_export_speaks_where_other_tools_look(schema_dir):
    poam = sample_poam()
    closed = next(i for i in poam.items if i.status is ItemStatus.CLOSED) if any(
        i.status is ItemStatus.CLOSED for i in poam.items) else dataclasses.replace(poam.items[0])
    closed.status = ItemStatus.CLOSED
    if closed not in poam.items:
        poam.items.append(closed)
    bare = dataclasses.replace(poam.items[0], id="POAM-X-1", milestones=[])
    poam.items.append(bare)
    document = poam_to_oscal(poam, CONTEXT)
    assert validate_oscal(document, "1.1.3", schema_dir=schema_dir) is None
    risks = root(document)["risks"]
    for item, risk in zip(poam.items, risks):
        controls = [p["value"] for p in risk.get("props", []) if p["name"] == "impacted-control-id"]
        assert controls == item.requirements and all(p["ns"] == FEDRAMP_NS for p in risk.get("props", [])
                                                      if p["name"] == "impacted-control-id")
        if item.severity is not None:
            facets = {f["name"]: f["value"] for f in risk["characterizations"][0]["facets"]}
            assert facets["impact"] == {"critical": "high"}.get(item.severity.value, item.severity.value)
        response = risk["remediations"][0]
        assert response["lifecycle"] == ("completed" if item.status is ItemStatus.CLOSED else "planned")
        for milestone, task in zip(item.milestones, response.get("tasks", [])):
            status = next(p["value"] for p in task["props"] if p["name"] == "status")
            assert status == ("completed" if milestone.done_on else "planned")
    assert risks[-1]["remediations"][0]["remarks"] == "No milestone is recorded for this item."


def test_each_version_is_written_as_it_defines_itself(schema_dir):
    for version in SCHEMA_VERSIONS:
        document = poam_to_oscal(sample_poam(), CONTEXT, oscal_version=version)
        assert validate_oscal(document, version, schema_dir=schema_dir) is None
        assert ("identifier-type" in root(document)["system-id"]) is version.startswith("1.1.")


def test_detail_fields_round_trip_exactly(schema_dir):
    from decimal import Decimal

    poam = sample_poam()
    item = poam.items[0]
    item.original_id, item.assets, item.cves = "V-1", "host-1.example\nhost-2.example", "CVE-2024-0001"
    item.source_identifier, item.interim_mitigation, item.comments = "plugin 1234", "firewall rule", "two\nlines"
    item.likelihood, item.impact, item.residual_risk, item.risk_adjustment = "low", "high", "moderate", "Pending"
    item.vendor_dependency, item.vendor_product, item.vendor_check_in = True, "Widget OS", date(2026, 11, 1)
    item.vendor_involvement, item.decision_needed = "patch", "buy or build"
    item.budget_money, item.budget_hours = Decimal("1200.50"), Decimal("16")
    back = oscal_to_poam(json.loads(json.dumps(poam_to_oscal(poam, CONTEXT))), schema_dir=schema_dir)
    for name in PoamItem.__slots__:
        if name != "row":
            assert getattr(back.items[0], name) == getattr(item, name), name


def _with_evidence_prop(name: str, value: str) -> dict:
    evidence = {"POAM-AC-001": [EvidenceEntry("report.pdf: weekly", filename="report.pdf", sha256="ab" * 32, size=12,
                                              name="report.pdf", note="weekly")]}
    document = poam_to_oscal(sample_poam(), CONTEXT, evidence=evidence)
    resource = next(r for r in root(document)["back-matter"]["resources"]
                    if any(p["name"] == "evidence-for" for p in r.get("props", [])))
    for prop in resource["props"]:
        if prop["name"] == name:
            prop["value"] = value
            break
    else:
        resource["props"].append({"name": name, "ns": "urn:punchlist:oscal", "value": value})
    return document


def test_each_piece_of_evidence_reads_back_with_its_record(schema_dir):
    back = oscal_to_poam(_with_evidence_prop("custodian", "Olive Lee"), schema_dir=schema_dir)
    [piece] = back.items[0].evidence_details
    assert (piece.name, piece.description, piece.filename, piece.sha256, piece.size, piece.custodian) == (
        "report.pdf", "weekly", "report.pdf", "ab" * 32, 12, "Olive Lee")
    assert back.items[0].evidence == "report.pdf: weekly"


@pytest.mark.parametrize(("name", "value"), [("size", "twelve"), ("added-on", "last week"),
                                             ("review-by", "2027-13-45")])
def test_an_evidence_record_that_is_not_what_it_claims_names_its_item(schema_dir, name, value):
    with pytest.raises(InputError) as raised:
        oscal_to_poam(_with_evidence_prop(name, value), schema_dir=schema_dir)
    assert str(raised.value).startswith("row 1: poam-items[0] (/plan-of-action-and-milestones/poam-items/0) "
                                        "cannot be read:"), str(raised.value)
