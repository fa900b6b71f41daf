"""A POA&M as an OSCAL plan-of-action-and-milestones document (JSON), valid against OSCAL 1.1.3 and 1.2.1.

Each item becomes a poam-item with one observation (the weakness), one risk (status, deadline) and one
planned response (the remediation, its milestones as tasks, the resources as required assets, the four
people and the responsible unit as the response's originating parties). Evidence goes to back-matter
resources that the observation's ``relevant-evidence`` points to: the file's link with its SHA-256 as an OSCAL
hash where known, and what the register keeps of each piece (its file name, who added it and when, custodian,
dates, type, requirements) in Punchlist properties, so that an import recreates each piece.

UUIDs are uuid5 from the organization (``ExportContext.identity``) and the item id, so a re-export keeps
them and a receiver can match items across versions. Every field of an item is carried: where OSCAL has no
place for a Punchlist field, or its place would change the text (a one-line title, say), a property in
``PUNCHLIST_NS`` holds the exact value, JSON-encoded (``class: "json"``) when it is not a single trimmed
line. ``read_oscal_poam`` reads it all back (see ``oscal_import``).
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import date, datetime, time, timezone
from pathlib import Path
from urllib.parse import quote

from punchlist.core.records import ItemStatus, Poam, PoamItem

from .exports import ROLES, EvidenceEntry, EvidenceMap, ExportContext, evidence_for

OSCAL_VERSION = "1.1.3"
PUNCHLIST_NS = "urn:punchlist:oscal"
FEDRAMP_NS = "https://fedramp.gov/ns/oscal"
# Fixed for all time: changing it changes every exported UUID.
UUID_NAMESPACE = uuid.UUID("b120d5cd-288b-4ca8-aee3-5c574bce0410")

# OSCAL role ids for the item roles (R-CONT-3: an accountable owner) and the responsible unit.
ROLE_IDS = {field: field.replace("_", "-") for field, _ in ROLES}
ROLE_IDS["responsible_unit"] = "responsible-unit"
ROLE_TITLES = dict(ROLES) | {"responsible_unit": "Responsible unit"}

# The item's fields beyond the plan (original id, assets, CVEs, the vendor, the risk left, the cost), kept exactly.
DETAIL_FIELDS = ("original_id", "assets", "cves", "source_identifier", "interim_mitigation", "comments", "likelihood",
                 "impact", "residual_risk", "risk_adjustment", "vendor_dependency", "vendor_product",
                 "vendor_check_in", "vendor_involvement", "budget_money", "budget_hours", "decision_needed")
# FedRAMP's words for a risk (its impact facet): Punchlist's critical is FedRAMP's high.
FEDRAMP_LEVEL = {"low": "low", "moderate": "moderate", "medium": "moderate", "high": "high", "critical": "high"}
FEDRAMP_SYSTEM = "https://fedramp.gov"

RISK_STATUS = {
    ItemStatus.DRAFT: "open",
    ItemStatus.OPEN: "open",
    ItemStatus.IN_PROGRESS: "remediating",
    ItemStatus.READY_FOR_VERIFICATION: "remediating",
    ItemStatus.CLOSED: "closed",
    ItemStatus.RISK_ACCEPTED: "deviation-approved",
}

# OSCAL StringDatatype: one line, no leading or trailing whitespace. "One line" as ECMA-262 patterns (which
# JSON Schema validators use) see it: no CR, LS or PS either.
_STRING = re.compile(r"\S(?:[^\n\r\u2028\u2029]*\S)?\Z")


def is_oscal_string(text: str) -> bool:
    return bool(_STRING.match(text))


def markup_keeps(text: str) -> bool:
    """Whether rich text (markup-multiline) gives ``text`` back exactly in every serialisation: paragraphs
    apart by one blank line, each one line with single spaces (XML's paragraphs keep nothing more)."""
    return all(paragraph and paragraph == " ".join(paragraph.split()) for paragraph in text.split("\n\n")) \
        if text else True


def exact_props(**texts: str) -> list[dict]:
    """Punchlist properties holding the texts that rich text would not give back exactly."""
    return [prop(name, text) for name, text in texts.items() if not markup_keeps(text)]


def one_line(text: str, fallback: str) -> str:
    """A markup-line (a title): one non-empty line."""
    line = " ".join(text.split())
    return line or fallback


def prop(name: str, value: str, ns: str = PUNCHLIST_NS) -> dict:
    """A property that keeps ``value`` exactly: JSON-encoded where OSCAL's string type cannot hold it."""
    if is_oscal_string(value):
        return {"name": name, "ns": ns, "value": value}
    return {"name": name, "ns": ns, "class": "json", "value": json.dumps(value)}


def oscal_datetime(moment: date | datetime) -> str:
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time(), tzinfo=timezone.utc)
    elif moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    text = moment.isoformat(timespec="seconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def item_uuid(organization: str, item: PoamItem, position: int, repeat: int = 0) -> uuid.UUID:
    """From the organization and the item id (the position only for an item without one); ``repeat`` counts
    earlier items with the same id, so that a duplicated id never gives two items one UUID."""
    key = f"id\x1f{item.id}" if item.id is not None else f"position\x1f{position}"
    if repeat:
        key += f"\x1frepeat\x1f{repeat}"
    return uuid.uuid5(UUID_NAMESPACE, f"{organization}\x1fpoam-item\x1f{key}")


def party_uuid(organization: str, kind: str, name: str) -> str:
    return str(uuid.uuid5(UUID_NAMESPACE, f"{organization}\x1f{kind}\x1f{name}"))


def _party(identity: str, kind: str, name: str, org_uuid: str | None) -> dict:
    party = {"uuid": party_uuid(identity, kind, name),
             "type": "organization" if kind != "person" else "person",
             "name": one_line(name, "(unnamed)")}
    if party["name"] != name:
        party["props"] = [prop("name", name)]
    if org_uuid is not None:
        party["member-of-organizations"] = [org_uuid]
    return party


def _metadata(poam: Poam, context: ExportContext, oscal_version: str) -> dict:
    organization, identity = context.organization, context.identity
    org_uuid = party_uuid(identity, "organization", organization)
    parties = {org_uuid: _party(identity, "organization", organization, None)}
    holders: dict[str, set[str]] = {role: set() for role in ROLE_IDS.values()}
    for item in poam.items:
        for field, role_id in ROLE_IDS.items():
            name = getattr(item, field)
            if not name:
                continue
            kind = "unit" if field == "responsible_unit" else "person"
            uid = party_uuid(identity, kind, name)
            if uid not in parties:
                parties[uid] = _party(identity, kind, name, org_uuid)
            holders[role_id].add(uid)
    roles = [{"id": "prepared-for", "title": "Prepared For"}]
    roles += [{"id": role_id, "title": ROLE_TITLES[field]} for field, role_id in ROLE_IDS.items()]
    responsible = [{"role-id": "prepared-for", "party-uuids": [org_uuid]}]
    responsible += [{"role-id": role_id, "party-uuids": sorted(uids)}
                    for role_id, uids in holders.items() if uids]
    return {
        "title": one_line(f"{context.system} Plan of Action and Milestones ({organization})", "POA&M"),
        "last-modified": oscal_datetime(context.generated_utc),
        "version": one_line(context.document_version, "1.0"),
        "oscal-version": oscal_version,
        "props": [{"name": "marking", "value": context.marking},
                  prop("generator", "punchlist")],
        "roles": roles,
        "parties": list(parties.values()),
        "responsible-parties": responsible,
    }


def _item_props(item: PoamItem) -> list[dict]:
    props = []
    if item.id is not None:
        props.append(prop("POAM-ID", item.id, FEDRAMP_NS))
    props += [prop("requirement", text) for text in item.requirements]
    props += [prop("objective", text) for text in item.objectives]
    if item.severity is not None:
        props.append(prop("severity", item.severity.value))
    props.append(prop("status", item.status.value))
    props.append(prop("record-kind", item.kind.value))  # R-CLOSE-4: the two records stay apart
    if one_line(item.title, "") != item.title or not item.title:
        props.append(prop("title", item.title))
    for name, value in (("start-date", item.start_date), ("scheduled-completion", item.scheduled_completion),
                        ("completion-date", item.completion_date), ("last-updated", item.last_updated)):
        if value is not None:
            props.append(prop(name, value.isoformat()))
    if item.source:
        props.append(prop("source", item.source))
    for name in DETAIL_FIELDS:
        value = getattr(item, name)
        if value not in (None, ""):
            text = ("true" if value else "false") if isinstance(value, bool) else \
                value.isoformat() if isinstance(value, date) else str(value)
            props.append(prop(name.replace("_", "-"), text))
    return props


def _tasks(item: PoamItem, base: uuid.UUID) -> list[dict]:
    tasks = []
    for number, milestone in enumerate(item.milestones, 1):
        task = {"uuid": str(uuid.uuid5(base, f"milestone\x1f{number}")), "type": "milestone",
                "title": one_line(milestone.description, f"Milestone {number}")}
        if milestone.description.strip():
            task["description"] = milestone.description
        # Whether it is done, where other tools look (OSCAL tasks have no status of their own).
        props = [{"name": "status", "value": "completed" if milestone.done_on is not None else "planned"}]
        if task["title"] != milestone.description:
            props.append(prop("description", milestone.description))
        if milestone.done_on is not None:
            props.append(prop("done-on", milestone.done_on.isoformat()))
        if props:
            task["props"] = props
        if milestone.due is not None:
            task["timing"] = {"on-date": {"date": oscal_datetime(milestone.due)}}
        tasks.append(task)
    return tasks


def _risk_props(item: PoamItem) -> list[dict]:
    """The requirement and FedRAMP's risk props, where FedRAMP's tools and FedRAMP's rules look for them."""
    props = [prop("impacted-control-id", requirement, FEDRAMP_NS) for requirement in item.requirements]
    if item.risk_adjustment:
        props.append(prop("risk-adjustment", item.risk_adjustment, FEDRAMP_NS))
    if item.vendor_dependency is not None:
        props.append(prop("vendor-dependency", "tracking" if item.vendor_dependency else "not-applicable",
                          FEDRAMP_NS))
    return props


def _characterization(item: PoamItem, org_uuid: str) -> dict | None:
    """The risk's facets (FedRAMP's likelihood, impact and risk): the item's severity is its impact."""
    impact = item.severity.value if item.severity is not None else item.impact
    facets = []
    for name, value in (("likelihood", item.likelihood), ("impact", impact), ("risk", item.residual_risk)):
        level = FEDRAMP_LEVEL.get(str(value).strip().lower())
        if level:
            facets.append({"name": name, "system": FEDRAMP_SYSTEM, "value": level})
    if not facets:
        return None
    return {"origin": {"actors": [{"type": "party", "actor-uuid": org_uuid}]}, "facets": facets}


def _resource(item: PoamItem, entry: EvidenceEntry, resource_uuid: str) -> dict:
    label = item.id or item.title or "POA&M item"
    resource = {"uuid": resource_uuid, "title": one_line(f"Evidence for {label}", "Evidence"),
                "description": entry.description}
    props = [prop("evidence-for", item.id)] if item.id is not None else []
    if entry.filename:  # the file's own name: the link may point into a package, or be missing
        props.append(prop("filename", entry.filename))
    for name in ("name", "reference", "note", "added_by", "added_on", "custodian", "collected_on", "review_by",
                 "file_type"):
        value = getattr(entry, name)
        if value:
            props.append(prop(name.replace("_", "-"), value.isoformat() if isinstance(value, date) else value))
    props += [prop("requirement", requirement) for requirement in entry.requirements]
    if entry.size is not None:
        props.append(prop("size", str(entry.size)))
    locator = entry.href or (quote(entry.filename) if entry.filename else None)
    if locator:
        rlink = {"href": locator}
        if entry.media_type:
            rlink["media-type"] = entry.media_type
        if entry.sha256:
            rlink["hashes"] = [{"algorithm": "SHA-256", "value": entry.sha256}]
        resource["rlinks"] = [rlink]
    elif entry.sha256:
        props.append(prop("sha-256", entry.sha256))
    if props:
        resource["props"] = props
    return resource


def _item_parts(item: PoamItem, position: int, repeat: int, context: ExportContext,
                evidence: EvidenceMap | None):
    """The poam-item, its observation, its risk and its back-matter resources."""
    identity = context.identity
    base = item_uuid(identity, item, position, repeat)
    observation_uuid = str(uuid.uuid5(base, "observation"))
    risk_uuid = str(uuid.uuid5(base, "risk"))
    label = item.id or f"item {position}"
    title = one_line(item.title, one_line(item.weakness, label)[:200])

    resources, relevant = [], []
    for number, entry in enumerate(evidence_for(item, evidence), 1):
        resource_uuid = str(uuid.uuid5(base, f"evidence\x1f{number}"))
        resources.append(_resource(item, entry, resource_uuid))
        reference = {"href": f"#{resource_uuid}", "description": entry.description}
        if exact := exact_props(description=entry.description):
            reference["props"] = exact
        relevant.append(reference)

    collected = item.start_date or context.generated_utc
    observation = {"uuid": observation_uuid, "title": one_line(f"Weakness: {title}", "Weakness"),
                   "description": item.weakness, "methods": ["UNKNOWN"], "types": ["finding"],  # how: not recorded
                   "collected": oscal_datetime(collected)}
    if relevant:
        observation["relevant-evidence"] = relevant

    finished = item.status in (ItemStatus.CLOSED,)
    response = {"uuid": str(uuid.uuid5(base, "remediation")), "lifecycle": "completed" if finished else "planned",
                "title": one_line(f"Remediation plan for {label}", "Remediation plan"),
                "description": item.remediation}
    actors = []
    for field, role_id in ROLE_IDS.items():
        name = getattr(item, field)
        if name:
            kind = "unit" if field == "responsible_unit" else "person"
            actors.append({"type": "party", "actor-uuid": party_uuid(identity, kind, name),
                           "role-id": role_id})
    if actors:
        response["origins"] = [{"actors": actors}]
    if item.resources:
        response["required-assets"] = [{"uuid": str(uuid.uuid5(base, "resources")),
                                        "description": item.resources}]
    tasks = _tasks(item, base)
    if tasks:
        response["tasks"] = tasks
    else:
        response["remarks"] = "No milestone is recorded for this item."

    risk = {"uuid": risk_uuid, "title": title, "description": item.weakness, "statement": item.weakness,
            "status": RISK_STATUS[item.status]}
    risk_props = _risk_props(item)
    if risk_props:
        risk["props"] = risk_props
    characterization = _characterization(item, party_uuid(identity, "organization", context.organization))
    if characterization:
        risk["characterizations"] = [characterization]
    risk["remediations"] = [response]
    risk["related-observations"] = [{"observation-uuid": observation_uuid}]
    if item.scheduled_completion is not None:
        risk["deadline"] = oscal_datetime(item.scheduled_completion)
    if item.completion_date is not None:
        entry = {"uuid": str(uuid.uuid5(base, "completed")), "title": "Remediation completed",
                 "start": oscal_datetime(item.completion_date)}
        if item.status is ItemStatus.CLOSED:
            entry["status-change"] = "closed"
        risk["risk-log"] = {"entries": [entry]}

    poam_item = {"uuid": str(base), "title": title, "description": item.weakness or title,
                 "props": _item_props(item) + exact_props(weakness=item.weakness, remediation=item.remediation,
                                                          resources=item.resources),
                 "related-observations": [{"observation-uuid": observation_uuid}],
                 "related-risks": [{"risk-uuid": risk_uuid}]}
    return poam_item, observation, risk, resources


def _no_oscal_ssp(context: ExportContext) -> dict:
    return {"uuid": str(uuid.uuid5(UUID_NAMESPACE, f"{context.identity}\x1fno-oscal-ssp\x1f{context.system}")),
            "title": one_line(f"System security plan of {context.system} (not in OSCAL)", "System security plan"),
            "description": "The organization keeps its system security plan outside OSCAL; the POA&M names it "
                           "here, as FedRAMP's no-oscal-ssp resource, rather than link a document that does "
                           "not exist.",
            "props": [{"name": "type", "ns": FEDRAMP_NS, "value": "no-oscal-ssp"}]}


def poam_to_oscal(poam: Poam, context: ExportContext, *, oscal_version: str = OSCAL_VERSION,
                  evidence: EvidenceMap | None = None) -> dict:
    """The OSCAL document as a dict. ``evidence`` maps item ids to their evidence entries (with hashes);
    without it, each item's evidence text is one entry."""
    if not poam.items:
        raise ValueError("an OSCAL POA&M needs at least one item (poam-items is required)")
    items, observations, risks, resources = [], [], [], []
    seen: dict[str, int] = {}
    for position, item in enumerate(poam.items, 1):
        repeat = seen.get(item.id, 0) if item.id is not None else 0
        if item.id is not None:
            seen[item.id] = repeat + 1
        poam_item, observation, risk, item_resources = _item_parts(item, position, repeat, context, evidence)
        items.append(poam_item)
        observations.append(observation)
        risks.append(risk)
        resources += item_resources
    document = {
        "uuid": str(uuid.uuid5(UUID_NAMESPACE, f"{context.identity}\x1fpoam\x1f{context.system}")),
        "metadata": _metadata(poam, context, oscal_version),
    }
    if context.ssp_href:
        document["import-ssp"] = {"href": context.ssp_href}
    else:  # FedRAMP's way (guide 3.5.2) to say there is an SSP, but not in OSCAL: a no-oscal-ssp resource
        ssp = _no_oscal_ssp(context)
        document["import-ssp"] = {"href": f"#{ssp['uuid']}"}
        resources.insert(0, ssp)
    if context.system_id:
        document["system-id"] = {"id": context.system_id}
    else:  # a stable UUID for the system, as NIST's example does
        system = uuid.uuid5(UUID_NAMESPACE, f"{context.identity}\x1fsystem\x1f{context.system}")
        document["system-id"] = {"id": str(system)}
        if oscal_version.startswith("1.1."):  # 1.2 deprecates identifier-type
            document["system-id"] = {"identifier-type": "http://ietf.org/rfc/rfc4122", "id": str(system)}
    document["observations"] = observations
    document["risks"] = risks
    document["poam-items"] = items
    if resources:
        document["back-matter"] = {"resources": resources}
    return {"plan-of-action-and-milestones": document}


def write_oscal(poam: Poam, context: ExportContext, path: str | Path, *,
                oscal_version: str = OSCAL_VERSION, evidence: EvidenceMap | None = None) -> Path:
    """Write the document as UTF-8 JSON: to a temporary file first, so nothing is half-written."""
    document = poam_to_oscal(poam, context, oscal_version=oscal_version, evidence=evidence)
    path = Path(path)
    temporary = path.with_name(path.name + ".part")
    try:
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(document, handle, ensure_ascii=False, indent=2)
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)
    return path
