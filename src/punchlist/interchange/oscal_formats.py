"""NIST's three serialisations of an OSCAL POA&M (JSON, XML, YAML) read into one shape: OSCAL's JSON model.

Whatever the file, the reader after this sees the JSON model (``plan-of-action-and-milestones`` with
``poam-items``, ``risks`` and so on), so one schema check and one item reader serve all three. For XML each
JSON place is remembered with the XML path it came from, so that a schema error names the element the person
must fix (``/plan-of-action-and-milestones/poam-item[2]/title``), not a JSON place their file does not have.

XML is parsed with defusedxml (no entities, no external references); YAML with a safe loader that also
refuses aliases (a few lines of aliases expand to gigabytes) and keeps dates as the text they are, as the
JSON model has them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml
from defusedxml import ElementTree as SafeElementTree

from punchlist.errors import InputError

OSCAL_NS_PREFIX = "http://csrc.nist.gov/ns/oscal"
ROOT = "plan-of-action-and-milestones"

# XML element -> the JSON array its occurrences make (OSCAL's "group-as" names in the POA&M model).
GROUPS = {
    "prop": "props", "link": "links", "role": "roles", "party": "parties", "location": "locations",
    "responsible-party": "responsible-parties", "responsible-role": "responsible-roles",
    "party-uuid": "party-uuids", "location-uuid": "location-uuids", "member-of-organization": "member-of-organizations",
    "email-address": "email-addresses", "telephone-number": "telephone-numbers", "address": "addresses",
    "addr-line": "addr-lines", "external-id": "external-ids", "revision": "revisions", "document-id": "document-ids",
    "action": "actions", "observation": "observations", "risk": "risks", "finding": "findings",
    "poam-item": "poam-items", "method": "methods", "type": "types", "origin": "origins", "actor": "actors",
    "subject": "subjects", "relevant-evidence": "relevant-evidence", "related-observation": "related-observations",
    "related-risk": "related-risks", "associated-risk": "related-risks",  # 1.0: associated-risk
    "related-finding": "related-findings", "threat-id": "threat-ids",
    "characterization": "characterizations", "facet": "facets", "mitigating-factor": "mitigating-factors",
    "response": "remediations", "required-asset": "required-assets", "task": "tasks", "dependency": "dependencies",
    "associated-activity": "associated-activities", "entry": "entries", "logged-by": "logged-by",
    "related-response": "related-responses", "related-task": "related-tasks", "subject-reference": "subjects", "resource": "resources", "rlink": "rlinks", "hash": "hashes",
    "component": "components", "inventory-item": "inventory-items", "implemented-component": "implemented-components",
    "user": "users", "protocol": "protocols", "port-range": "port-ranges", "assessment-assets": "assessment-assets",
    "assessment-platform": "assessment-platforms", "uses-component": "uses-components",
    "role-id": "role-ids", "authorized-privilege": "authorized-privileges", "function-performed": "functions-performed",
    "citation": "citation", "base64": "base64", "identified-subject": "identified-subject",
    "include-subject": "include-subjects", "exclude-subject": "exclude-subjects", "include-all": "include-all",
    "activity": "activities", "step": "steps", "review-process": "review-process", "component-uuid": "component-uuids",
    "status": "status", "implementation-status": "implementation-status", "short-name": "short-name",
}
# Elements that stand for a single value in JSON (not an array) although their name is in GROUPS.
SINGLE = {"citation", "base64", "identified-subject", "include-all", "review-process", "status",
          "implementation-status", "short-name", "logged-by", "relevant-evidence"}
ARRAY_SINGLE = {"logged-by", "relevant-evidence"}  # arrays whose group name is the element's own
# (parent, child) pairs where the child is a single object although its name elsewhere makes an array.
SINGLE_IN = {("characterization", "origin"), ("location", "address")}
# Fields with flags: the JSON key their text goes to.
VALUE_KEYS = {"hash": "value", "system-id": "id", "document-id": "identifier", "external-id": "id",
              "telephone-number": "number", "threat-id": "id", "citation": "text", "base64": "value"}
# Fields that are objects in JSON even without flags.
OBJECT_FIELDS = {"telephone-number", "hash", "system-id", "document-id", "external-id", "threat-id"}
# Rich text (markup-multiline): read as plain text, paragraph by paragraph.
MARKUP = {"description", "remarks", "statement", "text", "purpose", "guidance"}
# Wrapper elements whose children form a JSON object with one array in it.
WRAPPED = {"risk-log": "entries", "back-matter": "resources"}
# XML wrappers that are the JSON array itself (group-as "in-xml: GROUPED").
GROUPED = {"revisions"}
INTEGER_FLAGS = {"period"}
MAX_DEPTH = 64


@dataclass
class Loaded:
    """A document in OSCAL's JSON model, and (for XML) where each JSON place came from."""

    document: object
    format: str  # "JSON", "XML" or "YAML"
    xml_paths: dict[str, str] = field(default_factory=dict)  # JSON pointer -> XML path

    def where(self, pointer: str) -> str:
        """The place to name for a JSON pointer: the XML path for XML (of the nearest known ancestor)."""
        if self.format != "XML":
            return pointer or "/"
        probe = pointer
        while probe and probe not in self.xml_paths:
            probe = probe.rsplit("/", 1)[0]
        return self.xml_paths.get(probe, f"/{ROOT}")


def pointer(parts) -> str:
    """A JSON pointer (RFC 6901) from path parts."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


# -- YAML -----------------------------------------------------------------------------------------------------

class _SafeLoader(yaml.SafeLoader):
    """SafeLoader without aliases and without implicit dates (the JSON model holds dates as text)."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not accepted in an OSCAL document",
                                              event.start_mark)
        return super().compose_node(parent, index)


_SafeLoader.yaml_implicit_resolvers = {
    first: [(tag, expression) for tag, expression in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(text: str, *, file: str | None) -> Loaded:
    try:
        document = yaml.load(text, Loader=_SafeLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        place = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise InputError(f"not an OSCAL YAML file: {place}{error.problem or error.context}", file=file) from None
    except yaml.YAMLError as error:
        raise InputError(f"not an OSCAL YAML file: {error}", file=file) from None
    except RecursionError:
        raise InputError("not an OSCAL YAML file: nested too deeply", file=file) from None
    return Loaded(_plain(document, file), "YAML")


def _plain(value, file, depth: int = 0):
    """YAML's values as JSON's: mapping keys as text, no sets or binary."""
    if depth > 200:
        raise InputError("not an OSCAL YAML file: nested too deeply", file=file)
    if isinstance(value, dict):
        return {str(key): _plain(item, file, depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item, file, depth + 1) for item in value]
    if isinstance(value, (bytes, set)):
        return str(value)
    return value


# -- XML ------------------------------------------------------------------------------------------------------

def load_xml(data: bytes, *, file: str | None) -> Loaded:
    try:
        root = SafeElementTree.fromstring(data, forbid_dtd=True)
    except SafeElementTree.ParseError as error:
        line, column = getattr(error, "position", (None, None))
        place = f"line {line}, column {column + 1}: " if line else ""
        reason = str(error).split(":", 1)[0]
        raise InputError(f"not an OSCAL XML file: {place}{reason}", file=file) from None
    except Exception as error:  # defusedxml's refusals: DTDs, entities, external references
        if type(error).__module__.startswith("defusedxml"):
            raise InputError(f"not an OSCAL XML file: {type(error).__name__} (DTDs and entities are refused)",
                             file=file) from None
        raise
    namespace, name = _split(root.tag)
    if name != ROOT or not namespace.startswith(OSCAL_NS_PREFIX):
        raise InputError(f"not an OSCAL POA&M: the XML's root element is <{name}>"
                         + (f" in {namespace!r}" if namespace else " without the OSCAL namespace")
                         + f", not <{ROOT}> in {OSCAL_NS_PREFIX}/1.0", file=file)
    paths: dict[str, str] = {}
    body = _element(root, f"/{ROOT}", f"/{ROOT}", paths, 0, file)
    return Loaded({ROOT: body}, "XML", paths)


def _split(tag) -> tuple[str, str]:
    if not isinstance(tag, str):  # a comment or processing instruction
        return "", ""
    if tag.startswith("{"):
        namespace, _, name = tag[1:].partition("}")
        return namespace, name
    return "", tag


def _text(element) -> str:
    return " ".join((element.text or "").split()) if element.text else ""


def _markup(element) -> str:
    """Rich text as plain text: each block (p, li, h1..h6, pre, table row) a paragraph."""
    blocks, inline = [], []
    if element.text and element.text.strip():
        inline.append(element.text)
    for child in element:
        _, name = _split(child.tag)
        if name in {"p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "tr"}:
            blocks.append("".join(child.itertext()))
        elif name in {"ul", "ol"}:
            blocks.append("\n".join("* " + "".join(li.itertext()).strip() for li in child))
        elif name:
            inline.append("".join(child.itertext()))
        if child.tail and child.tail.strip():
            inline.append(child.tail)
    if inline:
        blocks.insert(0, "".join(inline))
    paragraphs = [" ".join(block.split()) if not block.startswith("* ") else block.strip() for block in blocks]
    return "\n\n".join(p for p in paragraphs if p)


def _element(element, xml_path: str, json_pointer: str, paths: dict, depth: int, file):
    if depth > MAX_DEPTH:
        raise InputError(f"not an OSCAL XML file: nested too deeply at {xml_path}", file=file)
    paths[json_pointer] = xml_path
    _, name = _split(element.tag)
    if name in MARKUP:
        return _markup(element)
    attributes = {key: (_integer(value) if key in INTEGER_FLAGS else value)
                  for key, value in element.attrib.items() if not key.startswith("{")}
    children = [child for child in element if _split(child.tag)[1]]
    if not children:
        text = _text(element)
        if not attributes and name not in OBJECT_FIELDS:
            return text if (text or name not in WRAPPED) else {}
        if text:
            attributes[VALUE_KEYS.get(name) or "value"] = text
        return attributes
    result: dict = dict(attributes)
    counts: dict[str, int] = {}
    wrapped = WRAPPED.get(name)
    for child in children:
        _, child_name = _split(child.tag)
        counts[child_name] = counts.get(child_name, 0) + 1
        child_xml = f"{xml_path}/{child_name}[{counts[child_name]}]"
        if child_name in GROUPED:
            items = [_element(grand, f"{child_xml}/{_split(grand.tag)[1]}[{number}]",
                              f"{json_pointer}/{child_name}/{number - 1}", paths, depth + 2, file)
                     for number, grand in enumerate((g for g in child if _split(g.tag)[1]), 1)]
            paths[f"{json_pointer}/{child_name}"] = child_xml
            if items:  # an empty wrapper says nothing; JSON has no empty array for it
                result[child_name] = items
            continue
        if wrapped and child_name in GROUPS and GROUPS[child_name] == wrapped:
            key = wrapped
        elif child_name in GROUPS and (child_name not in SINGLE or child_name in ARRAY_SINGLE) \
                and (name, child_name) not in SINGLE_IN:
            key = GROUPS[child_name]
        else:
            key = child_name
            result[key] = _element(child, child_xml, f"{json_pointer}/{key}", paths, depth + 1, file)
            continue
        group = result.setdefault(key, [])
        if not isinstance(group, list):  # a flag and a child of one name: keep both, let the schema speak
            continue
        paths.setdefault(f"{json_pointer}/{key}", xml_path)
        group.append(_element(child, child_xml, f"{json_pointer}/{key}/{len(group)}", paths, depth + 1, file))
    return result


def _integer(text: str):
    try:
        return int(text)
    except ValueError:
        return text  # the schema names it
