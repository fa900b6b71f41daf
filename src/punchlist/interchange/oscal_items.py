"""One OSCAL poam-item as a core item: from Punchlist's own properties exactly, else from OSCAL's own places.

Another tool's item names its weakness, controls and plan across the document: its risks (``related-risks``,
or the risks that share its observations when a reference leads nowhere, as in NIST's own example), its
findings (``related-findings``: their target's ``target-id``), its observations, and the properties other
tools put on each (``impacted-control-id``, FedRAMP's ``POAM-ID``, risk adjustment, vendor dependency, false
positive, operational requirement). Every control id is read with ``core.controls.read_control``: an SP
800-53 control (``ac-2``) leads to the NIST SP 800-171 Rev 2 requirement(s) derived from it, said in a note
to be confirmed; a control with no Rev 2 counterpart leaves an operational plan item that needs a requirement.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from punchlist.core.controls import read_control
from punchlist.core.records import EvidenceDetail, ItemStatus, Milestone, PoamItem, RecordKind, Severity

from .derive import NEEDS_REQUIREMENT
from .oscal import DETAIL_FIELDS, FEDRAMP_NS, PUNCHLIST_NS, ROLE_IDS

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
SEVERITY_WORDS = {"low": Severity.LOW, "moderate": Severity.MODERATE, "medium": Severity.MODERATE,
                  "high": Severity.HIGH, "critical": Severity.CRITICAL, "very high": Severity.CRITICAL}
# Properties (any namespace) that name a control the item addresses.
CONTROL_PROPS = frozenset({"impacted-control-id", "control-id", "control", "requirement-id"})
_FIELD_BY_ROLE = {role_id: field for field, role_id in ROLE_IDS.items()}


def _decode(prop: dict) -> str:
    value = prop["value"]
    return json.loads(value) if prop.get("class") == "json" else value


def _date(text: str | None) -> date | None:
    return date.fromisoformat(str(text)[:10]) if text else None


def _detail(name: str, text: str):
    """A detail field's value from its exact text (see ``oscal.DETAIL_FIELDS``)."""
    if name == "vendor_dependency":
        return {"true": True, "false": False}[text]
    if name == "vendor_check_in":
        return date.fromisoformat(text)
    if name.startswith("budget_"):
        return Decimal(text)
    return text


def _list(thing: dict, key: str) -> list:
    found = thing.get(key, [])
    return found if isinstance(found, list) else []


class Index:
    """Look-ups by UUID over the document, and the Punchlist properties of an object."""

    def __init__(self, root: dict):
        self.observations = {o["uuid"]: o for o in _list(root, "observations")}
        self.risks = {r["uuid"]: r for r in _list(root, "risks")}
        self.findings = {f["uuid"]: f for f in _list(root, "findings")}
        self.parties = {p["uuid"]: p for p in _list(root["metadata"], "parties") if "uuid" in p}
        local = root.get("local-definitions", {})
        self.components = {c["uuid"]: c for c in _list(local, "components")}
        self.inventory = {i["uuid"]: i for i in _list(local, "inventory-items")}
        self.resources = {r["uuid"]: r for r in _list(root.get("back-matter", {}), "resources")}
        self.risks_by_observation: dict[str, list[dict]] = {}
        for risk in self.risks.values():
            for related in _list(risk, "related-observations"):
                self.risks_by_observation.setdefault(related["observation-uuid"], []).append(risk)

    @staticmethod
    def ours(thing: dict) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for prop in _list(thing, "props"):
            if prop.get("ns") == PUNCHLIST_NS:
                found.setdefault(prop["name"], []).append(_decode(prop))
        return found

    def native(self, poam_item: dict) -> bool:
        return any(prop.get("ns") == PUNCHLIST_NS for prop in _list(poam_item, "props"))

    def party_name(self, party_uuid: str) -> str:
        party = self.parties.get(party_uuid)
        if party is None:
            return ""
        exact = self.ours(party).get("name")
        return exact[0] if exact else party.get("name", "")


def _planned(risks: list[dict]) -> dict | None:
    responses = [response for risk in risks for response in _list(risk, "remediations")]
    return next((r for r in responses if r.get("lifecycle") == "planned"), responses[0] if responses else None)


def _milestones(response: dict | None, native: bool) -> list[Milestone]:
    milestones = []
    for task in _list(response or {}, "tasks"):
        props = Index.ours(task)
        if "description" in props:
            description = props["description"][0]
        elif not native and task.get("description"):
            description = f"{task['title']}\n{task['description']}".strip()
        else:
            description = task["title"]
        timing = task.get("timing", {})
        due = timing.get("on-date", {}).get("date") or timing.get("within-date-range", {}).get("end")
        done = props.get("done-on")
        done_on = _date(done[0]) if done else None
        if done_on is None and not native:  # another tool's word that a milestone is done
            state = {p["name"]: p["value"] for p in _list(task, "props")}
            if str(state.get("status", state.get("state", ""))).lower() in {"completed", "complete", "done",
                                                                           "closed"}:
                done_on = _date(due)
        milestones.append(Milestone(description=description, due=_date(due), done_on=done_on))
    return milestones


def _facets(risks: list[dict], adjusted_first: bool = True) -> dict[str, str]:
    """The facets of the risks, FedRAMP's adjusted ("state: adjusted") characterization before the initial
    (after it with ``adjusted_first=False``)."""
    found: dict[str, str] = {}
    characterizations = [c for risk in risks for c in _list(risk, "characterizations")]
    def adjusted(characterization) -> bool:
        return any(f.get("name") == "state" and f.get("value") == "adjusted" for f in _list(characterization, "facets"))
    for characterization in sorted(characterizations, key=lambda c: adjusted(c) != adjusted_first):
        for facet in _list(characterization, "facets"):
            found.setdefault(str(facet["name"]).lower(), str(facet["value"]))
    return found


def _foreign_severity(facets: dict[str, str]) -> Severity | None:
    for name in SEVERITY_FACETS:
        value = SEVERITY_WORDS.get(facets.get(name, "").strip().lower())
        if value is not None:
            return value
    return None


def _controls(entry: dict, risks: list[dict], findings: list[dict], observations: list[dict]) -> list[str]:
    """The control ids the item names, in the order met: its own props, its risks', its findings' targets,
    its observations', and risk threat ids that read as controls."""
    written: list[str] = []
    for thing in [entry, *risks, *findings, *observations]:
        written += [str(p["value"]) for p in _list(thing, "props") if p.get("name") in CONTROL_PROPS]
    for finding in findings:
        target = finding.get("target", {})
        if isinstance(target, dict) and target.get("target-id"):
            written.append(str(target["target-id"]))
    for risk in risks:
        for threat in _list(risk, "threat-ids"):
            if read_control(str(threat.get("id", ""))).recognised:
                written.append(str(threat["id"]))
    return list(dict.fromkeys(text.strip() for text in written if text.strip()))


def _requirements(written: list[str], item: PoamItem) -> list[str]:
    """Rev 2 requirements from the control ids; notes for the person on every derived or missing one."""
    notes, requirements = [], []
    for text in written:
        reading = read_control(text)
        if not reading.recognised:
            notes.append(reading.note)
            continue
        requirements += [r for r in reading.requirements if r not in requirements]
        if not reading.exact:
            notes.append(reading.note)
    if not requirements:
        item.kind = RecordKind.OPERATIONAL_PLAN
        named = f" (the file names {', '.join(written)})" if written else " (the file names no control)"
        notes.append("no NIST SP 800-171 Rev 2 requirement: an operational plan item that needs a requirement "
                     "chosen" + named)
        # As a spreadsheet's control with no Rev 2 counterpart does (``derive``): the item says so itself.
        why = (f"{', '.join(written)} has no NIST SP 800-171 Rev 2 counterpart" if written
               else "the file names no control")
        note = f"[{NEEDS_REQUIREMENT}: {why}; choose the requirement this work serves]"
        item.weakness = f"{item.weakness}\n\n{note}" if item.weakness else note
    item.requirements = requirements
    return notes


_NO = {"no", "false", "not-applicable", "none", "n/a", "na"}


def _fedramp(item: PoamItem, entry: dict, risks: list[dict], observations: list[dict], facets: dict[str, str],
             index: Index) -> None:
    """FedRAMP's props and facets on the item's fields for them; those without a field go to its comments."""
    values: dict[str, str] = {}
    for risk in risks:
        for prop in _list(risk, "props"):
            values.setdefault(prop["name"], str(prop["value"]))
    item.original_id = item.id or ""
    item.risk_adjustment = values.get("risk-adjustment", "")
    if "vendor-dependency" in values:
        item.vendor_dependency = values["vendor-dependency"].strip().lower() not in _NO
    initial = _facets(risks, adjusted_first=False)
    item.likelihood = initial.get("likelihood", "")
    item.impact = initial.get("impact", "")
    if facets.get("risk") and facets.get("risk") != initial.get("risk") or _has_adjusted(risks):
        item.residual_risk = facets.get("risk", "")
    item.cves = ", ".join(dict.fromkeys(str(f["value"]) for r in risks for c in _list(r, "characterizations")
                                        for f in _list(c, "facets") if str(f.get("name")).lower() == "cve-id"))
    checks = [str(p["value"]) for o in observations for origin in _list(o, "origins") for a in _list(origin, "actors")
              for p in _list(a, "props") if p.get("name") in ("vulnerability-id", "plugin-id")]
    item.source_identifier = ", ".join(dict.fromkeys(checks))
    comments = [entry["remarks"]] if entry.get("remarks") else []
    for name, label in (("false-positive", "FedRAMP false positive"),
                        ("operational-requirement", "FedRAMP operational requirement"),
                        ("vendor-dependency", "FedRAMP vendor dependency")):
        if name in values:
            comments.append(f"{label}: {values[name]}")
    item.comments = "\n\n".join(comments)
    assets = [index.inventory[s["subject-uuid"]] for o in observations for s in _list(o, "subjects")
              if s.get("subject-uuid") in index.inventory]
    item.assets = "\n".join(dict.fromkeys(
        next((str(p["value"]) for p in _list(a, "props") if p["name"] in ("fqdn", "asset-id", "ipv4-address")),
             a.get("description", "")) for a in assets))


def _has_adjusted(risks: list[dict]) -> bool:
    return any(f.get("name") == "state" and f.get("value") == "adjusted"
               for r in risks for c in _list(r, "characterizations") for f in _list(c, "facets"))


def read_item(entry: dict, row: int, index: Index) -> tuple[PoamItem, list[str], str | None]:
    """The item, what the person should confirm about how it was read, and for an item left with no Rev 2
    requirement the first control it names ("" for none; None otherwise): what the register numbers it by."""
    native = index.native(entry)
    props = index.ours(entry)
    observations = [index.observations[r["observation-uuid"]] for r in _list(entry, "related-observations")
                    if r["observation-uuid"] in index.observations]
    risks = [index.risks[r["risk-uuid"]] for r in _list(entry, "related-risks") if r["risk-uuid"] in index.risks]
    findings = [index.findings[r["finding-uuid"]] for r in _list(entry, "related-findings")
                if r["finding-uuid"] in index.findings]
    for finding in findings:
        observations += [index.observations[r["observation-uuid"]] for r in _list(finding, "related-observations")
                         if r["observation-uuid"] in index.observations and index.observations[
                             r["observation-uuid"]] not in observations]
        risks += [index.risks[r["risk-uuid"]] for r in _list(finding, "related-risks")
                  if r["risk-uuid"] in index.risks and index.risks[r["risk-uuid"]] not in risks]
    if not risks and not native:  # a reference that leads nowhere: the risks that share its observations
        for observation in observations:
            risks += [r for r in index.risks_by_observation.get(observation["uuid"], []) if r not in risks]
    response = _planned(risks)

    def one(name: str) -> str | None:
        values = props.get(name)
        return values[0] if values else None

    item = PoamItem(row=row)
    item.id = next((str(p["value"]) for p in _list(entry, "props") if p["name"] == "POAM-ID"
                    and p.get("ns") in (FEDRAMP_NS, PUNCHLIST_NS, None)), None)
    item.title = one("title") if "title" in props else entry["title"]
    if risks and risks[0].get("description"):
        item.weakness = risks[0]["description"]
    elif observations:
        item.weakness = "\n\n".join(o["description"] for o in observations if o.get("description"))
    else:
        item.weakness = entry.get("description", "")
    item.remediation = (response or {}).get("description", "")
    item.resources = "\n\n".join(a["description"] for a in _list(response or {}, "required-assets"))
    item.milestones = _milestones(response, native)
    for origin in _list(response or {}, "origins"):
        for actor in _list(origin, "actors"):
            field = _FIELD_BY_ROLE.get(actor.get("role-id", ""))
            if actor["type"] == "party" and field and not getattr(item, field):
                setattr(item, field, index.party_name(actor["actor-uuid"]))
    item.evidence = "\n\n".join(
        _evidence_text(evidence, native) for o in observations for evidence in _list(o, "relevant-evidence"))
    if native:
        details = [_evidence_detail(evidence, index) for o in observations
                   for evidence in _list(o, "relevant-evidence")]
        if any(detail != EvidenceDetail(detail.description) for detail in details):  # words alone: the text says it
            item.evidence_details = details

    if native:  # rich text that its markup would not have given back exactly is in a property
        for name in ("weakness", "remediation", "resources"):
            if name in props:
                setattr(item, name, props[name][0])
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
        for name in DETAIL_FIELDS:
            text = one(name.replace("_", "-"))
            if text is not None:
                setattr(item, name, _detail(name, text))
        return item, [], None

    written = _controls(entry, risks, findings, observations)
    notes = _requirements(written, item)
    orphan = None if item.requirements else next(iter(written), "")
    if not item.title.strip() and not item.weakness.strip():
        item.title = f"Untitled POA&M item {row}"
        notes.append(f"the file gives this item no title, weakness or description: named {item.title!r}")
    facets = _facets(risks)
    item.severity = _foreign_severity(facets)
    _fedramp(item, entry, risks, observations, facets, index)
    item.status = FOREIGN_STATUS.get(risks[0].get("status", ""), ItemStatus.OPEN) if risks else ItemStatus.OPEN
    if risks and str(risks[0].get("status", "")) not in FOREIGN_STATUS:
        notes.append(f"risk status {risks[0].get('status')!r} is not one of OSCAL's; read as open")
    item.scheduled_completion = _date(risks[0].get("deadline")) if risks else None
    collected = sorted(str(o["collected"])[:10] for o in observations if o.get("collected"))
    item.start_date = _date(collected[0]) if collected else None
    closed = [e["start"] for risk in risks for e in _list(risk.get("risk-log", {}), "entries")
              if e.get("status-change") == "closed"]
    item.completion_date = _date(closed[-1]) if closed else None
    tools = [index.components[a["actor-uuid"]]["title"] for o in observations for origin in _list(o, "origins")
             for a in _list(origin, "actors") if a["type"] == "tool" and a["actor-uuid"] in index.components]
    item.source = ", ".join(dict.fromkeys(tools))
    if not item.primary_owner:  # the person behind the planned response owns it
        people = [index.parties[a["actor-uuid"]].get("name", "") for origin in _list(response or {}, "origins")
                  for a in _list(origin, "actors") if a["type"] == "party" and a["actor-uuid"] in index.parties
                  and index.parties[a["actor-uuid"]].get("type") == "person"]
        item.primary_owner = people[0] if people else ""
    return item, notes, orphan


def _evidence_text(evidence: dict, native: bool) -> str:
    exact = Index.ours(evidence).get("description") if native else None
    description = exact[0] if exact else evidence.get("description", "")
    href = evidence.get("href", "")
    if native or not href or href.startswith("#"):
        return description
    return f"{description} ({href})"


def _evidence_detail(evidence: dict, index: Index) -> EvidenceDetail:
    """One piece of evidence of Punchlist's own export, as the register kept it: its words (exact), and from the
    back-matter resource it points to, the file (name, SHA-256, size) or the link, and the rest of its record."""
    text = _evidence_text(evidence, True)
    href = str(evidence.get("href", ""))
    resource = index.resources.get(href[1:], {}) if href.startswith("#") else {}
    ours = Index.ours(resource)

    def one(name: str) -> str:
        return ours[name][0] if name in ours else ""

    rlink = next(iter(_list(resource, "rlinks")), {})
    sha256 = next((str(h["value"]).lower() for h in _list(rlink, "hashes")
                   if str(h.get("algorithm", "")).upper() == "SHA-256"), one("sha-256").lower())
    filename = one("filename")
    link = "" if filename or not resource else str(rlink.get("href", ""))
    description = text
    if one("name"):  # the register's own record
        description = one("note")
    elif filename and description.startswith(f"{filename}: "):
        description = description[len(filename) + 2:]
    elif filename and description == filename:
        description = ""
    size = one("size")
    return EvidenceDetail(description, filename, link, sha256, int(size) if size else None,
                          name=one("name"), reference=one("reference"),
                          added_by=one("added-by"), added_on=_date(one("added-on")), custodian=one("custodian"),
                          collected_on=_date(one("collected-on")), review_by=_date(one("review-by")),
                          file_type=one("file-type"), requirements=ours.get("requirement", []))
