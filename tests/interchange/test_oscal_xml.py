"""The OSCAL XML export: NIST's XML serialisation of the document the JSON export writes, element order as
OSCAL's metaschema defines it, read back by our own XML reader into the same document and the same items."""

import json
from datetime import date
from xml.etree import ElementTree

import pytest
from export_samples import CONTEXT, sample_poam

from punchlist.core.records import EvidenceDetail, PoamItem
from punchlist.interchange.exports import EvidenceEntry
from punchlist.interchange.oscal import poam_to_oscal
from punchlist.interchange.oscal_formats import load_xml
from punchlist.interchange.oscal_import import read_oscal_poam
from punchlist.interchange.oscal_schema import SCHEMA_VERSIONS, validate_oscal
from punchlist.interchange.oscal_xml import ASSEMBLIES, OSCAL_NS, oscal_xml_bytes, write_oscal_xml

NS = {"o": OSCAL_NS}
DIGEST = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
EVIDENCE = {"POAM-AC-001": [EvidenceEntry("Intune report:\nweekly, from the console", filename="intune report.pdf",
                                          sha256=DIGEST, media_type="application/pdf", size=48211,
                                          added_by="Priya Shah", added_on=date(2026, 11, 1))]}


@pytest.fixture
def schema_dir(shared_fixture):
    return shared_fixture("oscal/schema")


def _awkward_poam():
    poam = sample_poam()
    first = poam.items[0]
    first.remediation = "Remove local admin  through Intune;\ngrant elevation per request.\n\n\n  Then check."
    first.resources = "  two days\n\nof an  admin "
    first.comments = "a <tag> & an \"ampersand\"\ttab"
    return poam


@pytest.mark.parametrize("version", SCHEMA_VERSIONS)
def test_the_xml_reads_back_as_the_json_document_and_the_same_items(version, tmp_path, schema_dir):
    poam = _awkward_poam()
    document = poam_to_oscal(poam, CONTEXT, oscal_version=version, evidence=EVIDENCE)
    assert validate_oscal(document, version, schema_dir=schema_dir) is None
    path = write_oscal_xml(poam, CONTEXT, tmp_path / "poam.xml", oscal_version=version, evidence=EVIDENCE)
    # The same document, rich text as paragraphs (its exact text, where they would change it, in properties).
    assert load_xml(path.read_bytes(), file=str(path)).document == _as_paragraphs(json.loads(json.dumps(document)))
    back = read_oscal_poam(path, schema_dir=schema_dir)
    from_json = read_oscal_poam(_json_file(tmp_path, document), schema_dir=schema_dir)
    assert back.items == from_json.items
    for before, after in zip(poam.items, back.items):
        for name in PoamItem.__slots__:
            if name not in ("row", "evidence", "evidence_details"):  # the evidence was passed beside the items
                assert getattr(after, name) == getattr(before, name), (before.id, name)
    assert back.items[0].evidence == "Intune report:\nweekly, from the console"
    # Each piece of the evidence passed comes back as a piece, with its file, hash, size and who added it when.
    assert back.items[0].evidence_details == [EvidenceDetail(
        "Intune report:\nweekly, from the console", filename="intune report.pdf", sha256=DIGEST, size=48211,
        added_by="Priya Shah", added_on=date(2026, 11, 1))]
    assert all(not item.evidence_details for item in back.items[1:])
    assert not list(tmp_path.glob("*.part"))


def _as_paragraphs(value, key=""):
    if isinstance(value, dict):
        return {name: _as_paragraphs(entry, name) for name, entry in value.items()}
    if isinstance(value, list):
        return [_as_paragraphs(entry) for entry in value]
    if key in ("description", "remarks", "statement"):
        return "\n\n".join(" ".join(p.split()) for p in value.split("\n\n") if p.strip())
    return value


def _json_file(folder, document):
    path = folder / "poam.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_elements_come_in_the_metaschemas_order_with_flags_as_attributes():
    data = oscal_xml_bytes(poam_to_oscal(sample_poam(), CONTEXT, evidence=EVIDENCE))
    root = ElementTree.fromstring(data)
    assert root.tag == f"{{{OSCAL_NS}}}plan-of-action-and-milestones"  # every element in OSCAL's namespace
    assert data.startswith(b"<?xml version='1.0' encoding='utf-8'?>\n<plan-of-action-and-milestones xmlns=")

    def names(element):
        return [child.tag.split("}")[1] for child in element]

    top = list(dict.fromkeys(names(root)))
    assert top == [name for name in ("metadata", "import-ssp", "system-id", "observation", "risk", "poam-item",
                                     "back-matter") if name in top]
    risk = root.find("o:risk", NS)
    order = list(dict.fromkeys(names(risk)))
    expected = [xml for _, xml, _ in ASSEMBLIES["risk"][1] if xml in order]
    assert order == expected
    assert order.index("deadline") < order.index("response") < order.index("related-observation")
    prop = risk.find("o:prop", NS)
    assert set(prop.attrib) <= {"name", "ns", "value", "class"} and len(prop) == 0
    description = root.find("o:poam-item/o:description", NS)
    assert [child.tag for child in description] == [f"{{{OSCAL_NS}}}p"] * 2
    rlink = root.find("o:back-matter/o:resource/o:rlink", NS)
    assert rlink.get("href") == "intune%20report.pdf"
    assert (rlink[0].get("algorithm"), rlink[0].text) == ("SHA-256", DIGEST)


def test_a_key_the_writer_has_no_place_for_is_refused_not_dropped():
    document = poam_to_oscal(sample_poam(), CONTEXT)
    document["plan-of-action-and-milestones"]["risks"][0]["mitigating-factors"] = [{"uuid": "x"}]
    with pytest.raises(ValueError, match="risks/0.*mitigating-factors"):
        oscal_xml_bytes(document)
