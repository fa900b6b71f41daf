"""OSCAL POA&M JSON into core records: Punchlist's own exports exactly, other tools' documents as best read.

A document is checked against NIST's schemas first (every version whose schema is available; valid against
one is enough) and refused with the schema's reason otherwise. Items that carry Punchlist's properties
(``PUNCHLIST_NS``) are read from them exactly; other documents (NIST's example, FedRAMP's template) are read
from OSCAL's own places: the risk's description and status, its deadline, the planned response and its tasks.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from punchlist.core.records import ItemStatus, Milestone, Poam, PoamItem, RecordKind, Severity
from punchlist.errors import InputError

from .guards import LIMITS
from .oscal import FEDRAMP_NS, PUNCHLIST_NS, ROLE_IDS
from .oscal_schema import available_versions, validate_oscal

MAX_BYTES = LIMITS.file_bytes  # the same bound as any file a user brings

FOREIGN_STATUS = {
    "open": ItemStatus.OPEN,
    "investigating": ItemStatus.OPEN,
    "remediating": ItemStatus.IN_PROGRESS,
    "deviation-requested": ItemStatus.OPEN,
    "deviation-approved": ItemStatus.RISK_ACCEPTED,
    "closed": ItemStatus.CLOSED,
}
# Facets that carry a severity in other tools' documents, most telling first.
SEVERITY_FACETS = ("severity", "risk", "iavm-severity", "impact")
_FIELD_BY_ROLE = {role_id: field for field, role_id in ROLE_IDS.items()}


def read_oscal_poam(path: str | Path, *, schema_dir: str | Path | None = None,
                    max_bytes: int = MAX_BYTES) -> Poam:
    """The items of an OSCAL POA&M JSON file; InputError naming the file for anything unreadable."""
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
            document = json.loads(handle.read().decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InputError("not an OSCAL JSON file: the text is not UTF-8", file=name) from None
    except json.JSONDecodeError as error:
        raise InputError(f"not an OSCAL JSON file: line {error.lineno}, column {error.colno}: {error.msg}",
                         file=name) from None
    except RecursionError:
        raise InputError("not an OSCAL JSON file: nested too deeply", file=name) from None
    return oscal_to_poam(document, source=name, schema_dir=schema_dir)


def check_document(document, *, file: str | None = None, schema_dir: str | Path | None = None) -> None:
    """Refuse a document that is not an OSCAL POA&M, with the schema's reason where a schema is at hand."""
    if not isinstance(document, dict) or "plan-of-action-and-milestones" not in document:
        found = sorted(document)[:5] if isinstance(document, dict) else type(document).__name__
        raise InputError("not an OSCAL POA&M: expected a top-level 'plan-of-action-and-milestones' object, "
                         f"found {found}", file=file)
    versions = available_versions(schema_dir)
    if not versions:
        root = document["plan-of-action-and-milestones"]
        if not isinstance(root, dict) or not isinstance(root.get("poam-items"), list):
            raise InputError("not valid OSCAL: at $['plan-of-action-and-milestones']: "
                             "'poam-items' is a required property", file=file, column="$")
        return
    errors = []
    for version in versions:
        error = validate_oscal(document, version, schema_dir=schema_dir, file=file)
        if error is None:
            return
        errors.append(error)
    # Invalid against every schema: the reason from the schema nearest the version the document claims.
    claimed = str(document["plan-of-action-and-milestones"].get("metadata", {}).get("oscal-version", ""))
    nearest = next((e for e in errors if e.version.rsplit(".", 1)[0] == claimed.rsplit(".", 1)[0]), errors[-1])
    raise nearest


def oscal_to_poam(document, *, source: str = "", schema_dir: str | Path | None = None) -> Poam:
    check_document(document, file=source or None, schema_dir=schema_dir)
    root = document["plan-of-action-and-milestones"]
    index = _Index(root)
    items = []
    for row, entry in enumerate(root["poam-items"], 1):
        try:
            items.append(_item(entry, row, index))
        except (ValueError, KeyError, TypeError) as error:  # valid OSCAL, but not what its properties claim
            raise InputError(f"poam-items[{row - 1}] cannot be read: {error}", file=source or None,
                             row=row) from None
    if all(index.native(entry) for entry in root["poam-items"]):
        fields = frozenset(PoamItem.__slots__)
    else:
        defaults = PoamItem()
        fields = frozenset({"title", "weakness", "status"} | {
            name for name in PoamItem.__slots__ if name != "row"
            and any(getattr(item, name) != getattr(defaults, name) for item in items)})
    return Poam(items=items, fields=fields, source=source)


def _decode(prop: dict) -> str:
    value = prop["value"]
    return json.loads(value) if prop.get("class") == "json" else value


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text[:10]) if text else None


class _Index:
    """Look-ups by UUID over the document, and the Punchlist properties of an object."""

    def __init__(self, root: dict):
        self.observations = {o["uuid"]: o for o in root.get("observations", [])}
        self.risks = {r["uuid"]: r for r in root.get("risks", [])}
        self.parties = {p["uuid"]: p for p in root["metadata"].get("parties", []) if "uuid" in p}
        local = root.get("local-definitions", {})
        self.components = {c["uuid"]: c for c in local.get("components", [])}
        self.resources = {r["uuid"]: r for r in root.get("back-matter", {}).get("resources", [])}

    @staticmethod
    def ours(thing: dict) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for prop in thing.get("props", []):
            if prop.get("ns") == PUNCHLIST_NS:
                found.setdefault(prop["name"], []).append(_decode(prop))
        return found

    def native(self, poam_item: dict) -> bool:
        return any(prop.get("ns") == PUNCHLIST_NS for prop in poam_item.get("props", []))

    def party_name(self, party_uuid: str) -> str:
        party = self.parties.get(party_uuid)
        if party is None:
            return ""
        exact = self.ours(party).get("name")
        return exact[0] if exact else party.get("name", "")


def _planned(risks: list[dict]) -> dict | None:
    responses = [response for risk in risks for response in risk.get("remediations", [])]
    return next((r for r in responses if r.get("lifecycle") == "planned"), responses[0] if responses else None)


def _milestones(response: dict | None, native: bool) -> list[Milestone]:
    milestones = []
    for task in (response or {}).get("tasks", []):
        props = _Index.ours(task)
        if "description" in props:
            description = props["description"][0]
        elif not native and task.get("description"):
            description = f"{task['title']}\n{task['description']}"
        else:
            description = task["title"]
        timing = task.get("timing", {})
        due = timing.get("on-date", {}).get("date") or timing.get("within-date-range", {}).get("end")
        done = props.get("done-on")
        milestones.append(Milestone(description=description, due=_date(due), done_on=_date(done[0] if done
                                                                                         else None)))
    return milestones


def _foreign_severity(risks: list[dict]) -> Severity | None:
    facets = {}
    for risk in risks:
        for characterization in risk.get("characterizations", []):
            for facet in characterization.get("facets", []):
                facets.setdefault(facet["name"].lower(), str(facet["value"]).lower())
    for name in SEVERITY_FACETS:
        value = facets.get(name)
        if value in {s.value for s in Severity}:
            return Severity(value)
    return None


def _item(entry: dict, row: int, index: _Index) -> PoamItem:
    native = index.native(entry)
    props = index.ours(entry)
    observations = [index.observations[r["observation-uuid"]] for r in entry.get("related-observations", [])
                    if r["observation-uuid"] in index.observations]
    risks = [index.risks[r["risk-uuid"]] for r in entry.get("related-risks", []) if r["risk-uuid"] in index.risks]
    response = _planned(risks)

    def one(name: str) -> str | None:
        values = props.get(name)
        return values[0] if values else None

    item = PoamItem(row=row)
    poam_id = next((p["value"] for p in entry.get("props", []) if p["name"] == "POAM-ID"
                    and p.get("ns") in (FEDRAMP_NS, PUNCHLIST_NS, None)), None)
    item.id = poam_id
    item.title = one("title") if "title" in props else entry["title"]
    if risks:
        item.weakness = risks[0].get("description", "")
    elif observations:
        item.weakness = "\n\n".join(o["description"] for o in observations if o.get("description"))
    else:
        item.weakness = entry.get("description", "")
    item.remediation = (response or {}).get("description", "")
    item.resources = "\n\n".join(a["description"] for a in (response or {}).get("required-assets", []))
    item.milestones = _milestones(response, native)
    for origin in (response or {}).get("origins", []):
        for actor in origin.get("actors", []):
            field = _FIELD_BY_ROLE.get(actor.get("role-id", ""))
            if actor["type"] == "party" and field and not getattr(item, field):
                setattr(item, field, index.party_name(actor["actor-uuid"]))
    item.evidence = "\n\n".join(
        _evidence_text(evidence, native) for o in observations for evidence in o.get("relevant-evidence", []))

    if native:
        item.requirements = props.get("requirement", [])
        item.objectives = props.get("objective", [])
        item.severity = Severity(one("severity")) if one("severity") else None
        item.status = ItemStatus(one("status"))
        item.kind = RecordKind(one("record-kind"))
        item.source = one("source") or ""
        item.start_date = _date(one("start-date"))
        item.scheduled_completion = _date(one("scheduled-completion"))
        item.completion_date = _date(one("completion-date"))
        item.last_updated = _date(one("last-updated"))
        return item

    item.requirements = [p["value"] for risk in risks for p in risk.get("props", [])
                         if p["name"] == "impacted-control-id"]
    item.severity = _foreign_severity(risks)
    item.status = FOREIGN_STATUS.get(risks[0]["status"], ItemStatus.OPEN) if risks else ItemStatus.OPEN
    item.scheduled_completion = _date(risks[0].get("deadline")) if risks else None
    collected = sorted(o["collected"][:10] for o in observations if o.get("collected"))
    item.start_date = _date(collected[0]) if collected else None
    closed = [e["start"] for risk in risks for e in risk.get("risk-log", {}).get("entries", [])
              if e.get("status-change") == "closed"]
    item.completion_date = _date(closed[-1]) if closed else None
    tools = [index.components[a["actor-uuid"]]["title"] for o in observations for origin in o.get("origins", [])
             for a in origin["actors"] if a["type"] == "tool" and a["actor-uuid"] in index.components]
    item.source = ", ".join(dict.fromkeys(tools))
    if not item.primary_owner:  # the person behind the planned response owns it
        people = [index.parties[a["actor-uuid"]].get("name", "") for origin in (response or {}).get("origins", [])
                  for a in origin["actors"] if a["type"] == "party" and a["actor-uuid"] in index.parties
                  and index.parties[a["actor-uuid"]].get("type") == "person"]
        item.primary_owner = people[0] if people else ""
    return item


def _evidence_text(evidence: dict, native: bool) -> str:
    description = evidence.get("description", "")
    href = evidence.get("href", "")
    if native or not href or href.startswith("#"):
        return description
    return f"{description} ({href})"
