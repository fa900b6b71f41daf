"""OSCAL POA&M (JSON, XML or YAML) into core records: Punchlist's own exports exactly, other tools'
documents as best read (``oscal_items``).

A document is read into OSCAL's JSON model (``oscal_formats``), checked against NIST's schemas (every version
whose schema is available; valid against one is enough; a document whose only faults are values, not shape,
is read and the faults said) and refused with the schema's reason and the place otherwise. Items that carry Punchlist's properties
(``PUNCHLIST_NS``) are read from them exactly; other documents (NIST's example, FedRAMP's template) are read
from OSCAL's own places: the risk's description and status, its deadline, the planned response and its tasks.
"""

from __future__ import annotations

import json
from pathlib import Path

from punchlist.core.records import Poam, PoamItem
from punchlist.errors import InputError

from .guards import LIMITS
from .oscal_formats import Loaded, load_xml, load_yaml
from .oscal_items import Index, read_item
from .oscal_schema import available_versions, validate_all

MAX_BYTES = LIMITS.file_bytes  # the same bound as any file a user brings

__all__ = ["check_document", "load_oscal", "oscal_bytes_to_poam", "oscal_to_poam", "read_oscal_poam"]

def read_oscal_poam(path: str | Path, *, schema_dir: str | Path | None = None,
                    max_bytes: int = MAX_BYTES) -> Poam:
    """The items of an OSCAL POA&M file (JSON, XML or YAML, told apart by content); InputError naming the
    file, and the place in it, for anything unreadable."""
    path = Path(path)
    name = str(path)
    try:
        size = path.stat().st_size
    except OSError as error:
        raise InputError(f"cannot read the file: {error.strerror or error}", file=name) from None
    if size > max_bytes:
        raise InputError(f"the file is {size:,} bytes, more than the {max_bytes:,} an OSCAL POA&M may have",
                         file=name)
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise InputError(f"cannot read the file: {error.strerror or error}", file=name) from None
    return oscal_bytes_to_poam(data, source=name, schema_dir=schema_dir)


def load_oscal(data: bytes, *, file: str | None = None) -> Loaded:
    """The document in OSCAL's JSON model, whichever of NIST's three serialisations ``data`` is: the file's
    suffix says which where it names one, its content otherwise."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(f"not an OSCAL file: the text is not UTF-8 (byte {error.start})", file=file) from None
    start = text.lstrip()
    suffix = Path(file or "").suffix.lower()
    if suffix == ".xml" or (suffix not in (".json", ".yaml", ".yml") and start.startswith("<")):
        return load_xml(data, file=file)
    if suffix in (".yaml", ".yml") or (suffix != ".json" and not start.startswith(("{", "["))):
        return load_yaml(text, file=file)
    try:
        return Loaded(json.loads(text), "JSON")
    except json.JSONDecodeError as error:
        raise InputError(f"not an OSCAL JSON file: line {error.lineno}, column {error.colno}: {error.msg}",
                         file=file) from None
    except RecursionError:
        raise InputError("not an OSCAL JSON file: nested too deeply", file=file) from None


def oscal_bytes_to_poam(data: bytes, *, source: str = "", schema_dir: str | Path | None = None) -> Poam:
    loaded = load_oscal(data, file=source or None)
    return oscal_to_poam(loaded.document, source=source, schema_dir=schema_dir, loaded=loaded)


# Schema complaints about a value, not the document's shape: a document with only these is read (the reader
# checks every value it takes), and the person is told what the schema found. A wrong type, a missing or an
# unknown key refuses the document.
def _tolerated(problem) -> bool:
    """A value outside OSCAL's list of words (an actor type, a frequency unit), or an element left empty
    (XML's ``<title/>``, which FedRAMP's own test POA&M has): the reader reads on. Any other fault refuses."""
    return problem.validator == "enum" or (problem.validator in ("pattern", "minLength")
                                           and isinstance(problem.instance, str) and not problem.instance.strip())
_MAX_NOTES = 5


def check_document(document, *, file: str | None = None, schema_dir: str | Path | None = None,
                   loaded: Loaded | None = None) -> list[str]:
    """Refuse a document that is not an OSCAL POA&M, naming the place (a JSON pointer, or the XML path for
    XML) and the schema's reason; return what a readable but not strictly valid document should be told."""
    loaded = loaded or Loaded(document, "JSON")
    if not isinstance(document, dict) or "plan-of-action-and-milestones" not in document:
        found = sorted(map(str, document))[:5] if isinstance(document, dict) else type(document).__name__
        raise InputError("not an OSCAL POA&M: expected a top-level 'plan-of-action-and-milestones' object, "
                         f"found {found}", file=file)
    versions = available_versions(schema_dir)
    if not versions:
        root = document["plan-of-action-and-milestones"]
        if not isinstance(root, dict) or not isinstance(root.get("poam-items"), list):
            raise InputError("not valid OSCAL: at /plan-of-action-and-milestones: "
                             "'poam-items' is a required property", file=file, column="/")
        return []
    refusals, tolerated = [], {}
    for version in versions:
        problems = validate_all(document, version, schema_dir=schema_dir, file=file)
        if not problems:
            return []
        structural = [p for p in problems if not _tolerated(p)]
        if structural:
            refusals.append(structural[0])
        else:
            tolerated[version] = problems
    if tolerated:  # shaped as OSCAL; some values are not as the schema writes them
        version, problems = next(iter(tolerated.items()))
        notes = [f"not strictly valid OSCAL {version}, read anyway: at {loaded.where(p.pointer)}: {p.reason}"
                 for p in problems[:_MAX_NOTES]]
        if len(problems) > _MAX_NOTES:
            notes.append(f"... and {len(problems) - _MAX_NOTES} more such value(s)")
        return notes
    # Invalid against every schema: the reason from the schema nearest the version the document claims.
    metadata = document["plan-of-action-and-milestones"].get("metadata") \
        if isinstance(document["plan-of-action-and-milestones"], dict) else None
    claimed = str(metadata.get("oscal-version", "")) if isinstance(metadata, dict) else ""
    nearest = next((e for e in refusals if e.version.rsplit(".", 1)[0] == claimed.rsplit(".", 1)[0]),
                   refusals[-1])
    raise nearest.placed(loaded.where(nearest.pointer)) if loaded.format == "XML" else nearest


def oscal_to_poam(document, *, source: str = "", schema_dir: str | Path | None = None,
                  loaded: Loaded | None = None) -> Poam:
    """The items of a document in OSCAL's JSON model. Every poam-item becomes an item or the whole document
    is refused, naming the item and what is wrong with it."""
    loaded = loaded or Loaded(document, "JSON")
    file = source or None
    notes = check_document(document, file=file, schema_dir=schema_dir, loaded=loaded)
    root = document["plan-of-action-and-milestones"]
    try:
        index = Index(root)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise InputError(f"the document's parts cannot be read: {error}", file=file) from None
    items = []
    needs_requirement: dict[int, str] = {}  # operational items with no Rev 2 requirement -> the control they name
    for row, entry in enumerate(root["poam-items"], 1):
        place = loaded.where(f"/plan-of-action-and-milestones/poam-items/{row - 1}")
        try:
            item, item_notes, orphan = read_item(entry, row, index)
        except (ValueError, KeyError, TypeError, AttributeError, IndexError, ArithmeticError) as error:
            # valid OSCAL shape, but not what its properties claim
            raise InputError(f"poam-items[{row - 1}] ({place}) cannot be read: {error}", file=file,
                             row=row) from None
        items.append(item)
        if orphan is not None:
            needs_requirement[row - 1] = orphan
        label = item.id or f"poam-items[{row - 1}]"
        notes += [f"{label}: {note}" for note in item_notes]
    if all(index.native(entry) for entry in root["poam-items"]):
        fields = frozenset(PoamItem.__slots__)
    else:
        defaults = PoamItem()
        fields = frozenset({"title", "weakness", "status"} | {
            name for name in PoamItem.__slots__ if name != "row"
            and any(getattr(item, name) != getattr(defaults, name) for item in items)})
    return Poam(items=items, fields=fields, source=source, notes=list(dict.fromkeys(notes)),
                needs_requirement=needs_requirement)

