"""The register's rows against what the audit trail says they are: a replay of the events.

A hash chain shows that no event was changed; it cannot show that a row was changed without an event (an
``UPDATE register_poamitem SET status='closed'`` behind the application's back, or an evidence file swapped
together with its stored hash). Every write of the services records the object's state after it, so folding
an object's events gives what the row must hold. Items, milestones, evidence and requirement statuses are
compared field by field, for the fields the trail records.
"""

from __future__ import annotations

from collections import defaultdict

from punchlist.audit.chain import jsonable
from punchlist.audit.models import AuditEvent

from .models import Evidence, ItemRequirement, Milestone, PoamItem, RequirementStatus
from .services.items import PEOPLE, SNAPSHOT_FIELDS

ITEM, MILESTONE = PoamItem._meta.label_lower, Milestone._meta.label_lower
EVIDENCE, STATUS = Evidence._meta.label_lower, RequirementStatus._meta.label_lower
FULL = {"create_item", "import_item", "add_milestone", "add_evidence"}  # events whose after is the whole row


def _states(organization):
    """Each object's state as its events leave it: {(type, id): dict or None when deleted}, and what the
    import events say of the milestones and evidence they inserted without events of their own."""
    states: dict = {}
    imported_milestones: dict = {}  # (item pk, position) -> [description, due, done_on]
    imported_evidence: dict = {}  # item pk -> the evidence text
    events = AuditEvent.objects.filter(object_type__in=(ITEM, MILESTONE, EVIDENCE, STATUS))
    if organization is not None:
        events = events.filter(organization=organization)
    for object_type, object_id, action, after in (events.order_by("chain", "seq")
                                                  .values_list("object_type", "object_id", "action", "after")
                                                  .iterator(chunk_size=2000)):
        key = (object_type, object_id)
        after = dict(after or {})
        if action == "import_item":
            for position, milestone in enumerate(after.pop("milestones", [])):
                imported_milestones[(int(object_id), position)] = milestone
            text = after.pop("evidence", "")
            if text:
                imported_evidence[int(object_id)] = text
        if action == "delete_evidence":
            states[key] = None
        elif action in FULL or states.get(key) is None:
            states[key] = after
        else:
            states[key].update(after)
    return states, imported_milestones, imported_evidence


def _compare(label: str, trail: dict, row: dict, problems: list) -> None:
    for name, value in trail.items():
        if name in row and row[name] != value:
            problems.append(f"{label}: {name} is {row[name]!r} in the database but {value!r} in the audit trail")


def replay(organization=None) -> list[str]:
    """Every difference between the register's rows and the trail, as sentences (empty: they agree)."""
    states, imported_milestones, imported_evidence = _states(organization)
    scope = {"organization": organization} if organization is not None else {}
    of_items = {"item__organization": organization} if organization is not None else {}
    problems: list[str] = []

    requirements = defaultdict(list)
    for item_id, requirement in (ItemRequirement.objects.filter(**of_items).order_by("item_id", "position")
                                 .values_list("item_id", "requirement")):
        requirements[item_id].append(requirement)
    columns = {name: (f"{name}_id" if name in PEOPLE or name in ("assessment", "verified_by") else name)
               for name in SNAPSHOT_FIELDS if name != "requirements"}
    identifiers = {}
    for row in PoamItem.objects.filter(**scope).values("pk", "external_id", *columns.values()):
        identifiers[row["pk"]] = row["identifier"]
        snapshot = jsonable({name: row[column] for name, column in columns.items()})
        snapshot["requirements"] = requirements[row["pk"]]
        snapshot["external_id"] = row["external_id"]
        trail = states.pop((ITEM, str(row["pk"])), None)
        if trail is None:
            problems.append(f"item {row['identifier']}: not in the audit trail (inserted behind the application's back)")
            continue
        _compare(f"item {row['identifier']}", trail, snapshot, problems)

    for row in Milestone.objects.filter(**of_items).values("pk", "item_id", "description", "due", "original_due",
                                                           "done_on", "dropped_on", "drop_reason",
                                                           "position"):
        label = f"milestone {row['description'][:40]!r} of {identifiers.get(row['item_id'], row['item_id'])}"
        trail = states.pop((MILESTONE, str(row["pk"])), None)
        if trail is None:
            imported = imported_milestones.get((row["item_id"], row["position"]))
            if imported is None:
                problems.append(f"{label}: not in the audit trail (inserted behind the application's back)")
                continue
            description, due, done_on = imported
            trail = {"description": description, "due": due, "original_due": due, "done_on": done_on,
                     "dropped_on": None, "drop_reason": ""}
        _compare(label, trail, jsonable(row), problems)

    for row in Evidence.objects.filter(**of_items).values("pk", "item_id", "name", "sha256", "size", "reference"):
        label = f"evidence {row['name'][:40]!r} of {identifiers.get(row['item_id'], row['item_id'])}"
        key = (EVIDENCE, str(row["pk"]))
        if key in states:
            trail = states.pop(key)
            if trail is None:
                problems.append(f"{label}: deleted in the audit trail but still in the database")
            else:
                _compare(label, {k: trail[k] for k in ("name", "sha256", "size", "reference") if k in trail},
                         row, problems)
        elif row["item_id"] in imported_evidence:
            _compare(label, {"sha256": "", "size": None, "reference": imported_evidence[row["item_id"]]}, row,
                     problems)
        else:
            problems.append(f"{label}: not in the audit trail (inserted behind the application's back)")

    statuses = RequirementStatus.objects.all() if organization is None else \
        RequirementStatus.objects.filter(assessment__organization=organization)
    for row in statuses.values("pk", "assessment_id", "requirement", "determination", "partial", "implementation"):
        trail: dict = {}
        for key in ((STATUS, f"{row['assessment_id']}:{row['requirement']}"), (STATUS, str(row["pk"]))):
            trail.update(states.pop(key, None) or {})
        label = f"requirement {row['requirement']} of assessment {row['assessment_id']}"
        if not trail:
            problems.append(f"{label}: not in the audit trail (inserted behind the application's back)")
            continue
        _compare(label, trail, row, problems)

    for (object_type, object_id), state in states.items():
        if state is not None and object_type in (ITEM, MILESTONE, EVIDENCE):
            problems.append(f"{object_type.split('.')[1]} {object_id}: in the audit trail but no longer in the "
                            "database (deleted behind the application's back)")
    return problems
