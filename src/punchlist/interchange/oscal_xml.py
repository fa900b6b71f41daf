"""The OSCAL POA&M document (``oscal.poam_to_oscal``, OSCAL's JSON model) in NIST's XML serialisation.

OSCAL's metaschema defines one model and three serialisations. In XML a field's flags are attributes, its
children come in the order the metaschema defines them (the order NIST's generated JSON schema lists
their properties in), an array is one element per entry under the array's singular name (``props`` ->
``prop``, ``remediations`` -> ``response``), and rich text (markup-multiline) is paragraphs (``<p>``).

Written with the standard library's ElementTree; a JSON key this table does not know raises ValueError
rather than leaving part of the document out. ``oscal_formats.load_xml`` reads it back.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

from .exports import ExportContext
from .oscal import OSCAL_VERSION, poam_to_oscal

OSCAL_NS = "http://csrc.nist.gov/ns/oscal/1.0"

# Kinds of child: "line" (a text field), "markup" (markup-multiline: paragraphs), "lines" (an array of text
# fields, one element each), or the name of an assembly in ``ASSEMBLIES``.
# Each assembly: (its flags, in order; its children as (JSON key, XML element, kind), in the metaschema's order;
# the JSON key whose value is the element's own text, for fields with flags).
ASSEMBLIES: dict[str, tuple[tuple[str, ...], tuple[tuple[str, str, str], ...], str | None]] = {
    "plan-of-action-and-milestones": (("uuid",), (
        ("metadata", "metadata", "metadata"), ("import-ssp", "import-ssp", "import-ssp"),
        ("system-id", "system-id", "system-id"), ("observations", "observation", "observation"),
        ("risks", "risk", "risk"), ("poam-items", "poam-item", "poam-item"),
        ("back-matter", "back-matter", "back-matter")), None),
    "metadata": ((), (
        ("title", "title", "line"), ("published", "published", "line"), ("last-modified", "last-modified", "line"),
        ("version", "version", "line"), ("oscal-version", "oscal-version", "line"), ("props", "prop", "prop"),
        ("links", "link", "link"), ("roles", "role", "role"), ("parties", "party", "party"),
        ("responsible-parties", "responsible-party", "responsible-party"), ("remarks", "remarks", "markup")), None),
    "prop": (("name", "uuid", "ns", "value", "class", "group"), (("remarks", "remarks", "markup"),), None),
    "link": (("href", "rel", "media-type", "resource-fragment"), (("text", "text", "line"),), None),
    "role": (("id",), (("title", "title", "line"), ("short-name", "short-name", "line"),
                       ("description", "description", "markup"), ("props", "prop", "prop"),
                       ("links", "link", "link"), ("remarks", "remarks", "markup")), None),
    "party": (("uuid", "type"), (
        ("name", "name", "line"), ("short-name", "short-name", "line"), ("props", "prop", "prop"),
        ("links", "link", "link"), ("email-addresses", "email-address", "lines"),
        ("member-of-organizations", "member-of-organization", "lines"), ("remarks", "remarks", "markup")), None),
    "responsible-party": (("role-id",), (("props", "prop", "prop"), ("links", "link", "link"),
                                         ("party-uuids", "party-uuid", "lines"), ("remarks", "remarks", "markup")),
                          None),
    "import-ssp": (("href",), (("remarks", "remarks", "markup"),), None),
    "system-id": (("identifier-type",), (), "id"),
    "observation": (("uuid",), (
        ("title", "title", "line"), ("description", "description", "markup"), ("props", "prop", "prop"),
        ("links", "link", "link"), ("methods", "method", "lines"), ("types", "type", "lines"),
        ("origins", "origin", "origin"), ("relevant-evidence", "relevant-evidence", "relevant-evidence"),
        ("collected", "collected", "line"), ("expires", "expires", "line"), ("remarks", "remarks", "markup")), None),
    "relevant-evidence": (("href",), (("description", "description", "markup"), ("props", "prop", "prop"),
                                      ("links", "link", "link"), ("remarks", "remarks", "markup")), None),
    "origin": ((), (("actors", "actor", "actor"),), None),
    "actor": (("type", "actor-uuid", "role-id"), (("props", "prop", "prop"), ("links", "link", "link")), None),
    "risk": (("uuid",), (
        ("title", "title", "line"), ("description", "description", "markup"), ("statement", "statement", "markup"),
        ("props", "prop", "prop"), ("links", "link", "link"), ("status", "status", "line"),
        ("origins", "origin", "origin"), ("characterizations", "characterization", "characterization"),
        ("deadline", "deadline", "line"), ("remediations", "response", "response"),
        ("risk-log", "risk-log", "risk-log"),
        ("related-observations", "related-observation", "related-observation")), None),
    "characterization": ((), (("props", "prop", "prop"), ("links", "link", "link"), ("origin", "origin", "origin"),
                              ("facets", "facet", "facet")), None),
    "facet": (("name", "system", "value"), (("props", "prop", "prop"), ("links", "link", "link"),
                                            ("remarks", "remarks", "markup")), None),
    "response": (("uuid", "lifecycle"), (
        ("title", "title", "line"), ("description", "description", "markup"), ("props", "prop", "prop"),
        ("links", "link", "link"), ("origins", "origin", "origin"),
        ("required-assets", "required-asset", "required-asset"), ("tasks", "task", "task"),
        ("remarks", "remarks", "markup")), None),
    "required-asset": (("uuid",), (("title", "title", "line"), ("description", "description", "markup"),
                                   ("props", "prop", "prop"), ("links", "link", "link"),
                                   ("remarks", "remarks", "markup")), None),
    "task": (("uuid", "type"), (
        ("title", "title", "line"), ("description", "description", "markup"), ("props", "prop", "prop"),
        ("links", "link", "link"), ("timing", "timing", "timing"), ("remarks", "remarks", "markup")), None),
    "timing": ((), (("on-date", "on-date", "on-date"), ("within-date-range", "within-date-range", "date-range")),
               None),
    "on-date": (("date",), (), None),
    "date-range": (("start", "end"), (), None),
    "risk-log": ((), (("entries", "entry", "entry"),), None),
    "entry": (("uuid",), (
        ("title", "title", "line"), ("description", "description", "markup"), ("start", "start", "line"),
        ("end", "end", "line"), ("props", "prop", "prop"), ("links", "link", "link"),
        ("status-change", "status-change", "line"), ("remarks", "remarks", "markup")), None),
    "related-observation": (("observation-uuid",), (), None),
    "poam-item": (("uuid",), (
        ("title", "title", "line"), ("description", "description", "markup"), ("props", "prop", "prop"),
        ("links", "link", "link"), ("origins", "origin", "origin"),
        ("related-observations", "related-observation", "related-observation"),
        ("related-risks", "related-risk", "related-risk"), ("remarks", "remarks", "markup")), None),
    "related-risk": (("risk-uuid",), (), None),
    "back-matter": ((), (("resources", "resource", "resource"),), None),
    "resource": (("uuid",), (
        ("title", "title", "line"), ("description", "description", "markup"), ("props", "prop", "prop"),
        ("rlinks", "rlink", "rlink"), ("remarks", "remarks", "markup")), None),
    "rlink": (("href", "media-type"), (("hashes", "hash", "hash"),), None),
    "hash": (("algorithm",), (), "value"),
}
# Arrays in JSON whose XML element is a single assembly (characterization's origin is one object).
_SINGLE_OBJECTS = {"metadata", "import-ssp", "system-id", "back-matter", "risk-log", "timing", "on-date",
                   "date-range", "origin"}


def _tag(name: str) -> str:
    # Unqualified: the root's xmlns puts every element in OSCAL's namespace (ElementTree's default_namespace
    # cannot be used with unqualified attributes, and OSCAL's flags are unqualified).
    return name


def _paragraphs(parent, text: str) -> None:
    for paragraph in text.split("\n\n"):
        if paragraph.strip():
            ElementTree.SubElement(parent, _tag("p")).text = paragraph


def _assembly(parent, name: str, kind: str, value, where: str) -> None:
    if not isinstance(value, dict):
        raise ValueError(f"{where}: expected an object for <{name}>")
    flags, children, text_key = ASSEMBLIES[kind]
    known = set(flags) | {key for key, _, _ in children} | ({text_key} if text_key else set())
    unknown = set(value) - known
    if unknown:
        raise ValueError(f"{where}: no place in the XML writer for {sorted(unknown)}")
    element = ElementTree.Element(_tag(name)) if parent is None else ElementTree.SubElement(parent, _tag(name))
    for flag in flags:
        if flag in value:
            element.set(flag, str(value[flag]))
    if text_key and text_key in value:
        element.text = str(value[text_key])
    for key, child_name, child_kind in children:
        if key not in value:
            continue
        _child(element, child_name, child_kind, value[key], f"{where}/{key}")
    return element


def _child(element, name: str, kind: str, value, where: str) -> None:
    if kind == "line":
        ElementTree.SubElement(element, _tag(name)).text = str(value)
    elif kind == "markup":
        _paragraphs(ElementTree.SubElement(element, _tag(name)), str(value))
    elif kind == "lines":
        for entry in value:
            ElementTree.SubElement(element, _tag(name)).text = str(entry)
    elif kind in _SINGLE_OBJECTS and not isinstance(value, list):
        _assembly(element, name, kind, value, where)
    else:
        if not isinstance(value, list):
            raise ValueError(f"{where}: expected an array of <{name}>")
        for number, entry in enumerate(value):
            _assembly(element, name, kind, entry, f"{where}/{number}")


def oscal_to_xml(document: dict) -> ElementTree.Element:
    """The root element for a document in OSCAL's JSON model (``{"plan-of-action-and-milestones": ...}``)."""
    root = "plan-of-action-and-milestones"
    element = _assembly(None, root, root, document[root], f"/{root}")
    element.attrib = {"xmlns": OSCAL_NS, **element.attrib}
    return element


def oscal_xml_bytes(document: dict) -> bytes:
    element = oscal_to_xml(document)
    ElementTree.indent(element)
    return ElementTree.tostring(element, encoding="utf-8", xml_declaration=True) + b"\n"


def write_oscal_xml(poam, context: ExportContext, path: str | Path, *, oscal_version: str = OSCAL_VERSION,
                    evidence=None, document: dict | None = None) -> Path:
    """Write the POA&M as OSCAL XML (UTF-8): to a temporary file first, so nothing is half-written."""
    document = document or poam_to_oscal(poam, context, oscal_version=oscal_version, evidence=evidence)
    data = oscal_xml_bytes(document)
    path = Path(path)
    temporary = path.with_name(path.name + ".part")
    try:
        temporary.write_bytes(data)
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)
    return path
