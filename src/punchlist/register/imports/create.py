"""New items of an import, inserted in bulk: the rows were checked as the services check them (``poam``), so
they go in without a model instance each, with one hash-chained ``import_item`` event per item written in the
same transaction (``punchlist.audit.chain.record_many``).

Per batch: one INSERT (or COPY) per table and one per the audit events; no query per row.
"""

from __future__ import annotations

from collections import defaultdict

from django.db import connections, router
from django.utils import timezone

from punchlist.audit import chain
from punchlist.core import records
from punchlist.dbinsert import RawJSON, bulk_session, db_value, insert_rows, reserve_ids

from ..models import Evidence, ItemRequirement, ItemSequence, Milestone, PoamItem, Status

BATCH = 2000
CLOSED = Status.CLOSED.value

ITEM_COLUMNS = ("organization", "assessment", "identifier", "external_id", "family", "kind", "status",
                "objectives", "title", "weakness", "severity", "remediation", "interim_mitigation",
                "responsible_unit", "primary_owner", "supporting_owner", "approval_authority",
                "evidence_custodian", "resources", "source", "start_date", "scheduled_completion",
                "original_scheduled_completion", "completion_date", "verified_by", "verified_at", "version",
                "created_at", "created_by", "updated_at")
MILESTONE_COLUMNS = ("item", "description", "due", "original_due", "done_on", "position", "created_at")
EVIDENCE_COLUMNS = ("item", "name", "file", "sha256", "size", "reference", "description", "added_by", "added_at")


NO_OBJECTIVES = RawJSON("[]")
_SEVERITY = {None: ""} | {severity._value_: severity.name.lower() for severity in records.Severity}


def _iso(value):
    return value.isoformat() if value is not None else None


def create_items(actor, organization, plans, new_people: dict, *, file: str, assessment, progress=None) -> list[str]:
    """Insert the planned new items; their identifiers, in file order."""
    identifiers = _allocate(organization, plans)
    writer = _Writer(actor, organization, new_people, file=file, assessment=assessment)
    created: list[str] = []
    with bulk_session(PoamItem):
        for start in range(0, len(plans), BATCH):
            batch = list(zip(plans[start:start + BATCH], identifiers[start:start + BATCH]))
            writer.write(batch)
            created += [identifier for _, identifier in batch]
            if progress is not None:
                progress(len(created))
    return created


class _Writer:
    """Rows for one batch of items at a time: the items, their requirements, milestones and evidence, and an
    ``import_item`` event each whose after-state is serialized once (the text hashed is the text stored)."""

    def __init__(self, actor, organization, new_people: dict, *, file: str, assessment):
        self.actor, self.organization = actor, organization
        self.head = chain.lock(organization)  # as the people and the updates left it
        self.new_ids = {short: user.pk for short, user in new_people.items()}
        self.now = db_value(PoamItem, "created_at", timezone.now())
        self.reason = f"imported from {file}" if file else "imported"
        self.assessment_id = assessment.pk if assessment is not None else None
        self.postgresql = connections[router.db_for_write(PoamItem)].vendor == "postgresql"

    def write(self, batch) -> None:
        items, afters = [], []
        keys = iter(reserve_ids(PoamItem, len(batch))) if self.postgresql else None
        for plan, identifier in batch:
            row, after = self._item(plan, identifier)
            items.append((next(keys), *row) if keys else row)
            afters.append(after)
        if self.postgresql:
            insert_rows(PoamItem, ("id", *ITEM_COLUMNS), items, prepared=True)
            pks = {row[3]: row[0] for row in items}
        else:
            pks = dict(insert_rows(PoamItem, ITEM_COLUMNS, items, returning=("identifier", "id"), prepared=True))
        now, actor_id, encode, item_type = self.now, self.actor.pk, chain.canonical_json, PoamItem._meta.label_lower
        links, milestones, evidence, events = [], [], [], []
        for (plan, identifier), after in zip(batch, afters):
            pk = pks[identifier]
            links += [(pk, requirement, i) for i, requirement in enumerate(plan.requirements)]
            milestones += [(pk, description, due, due, done, i, now)
                           for i, (description, due, done) in enumerate(after["milestones"])]
            text = after["evidence"]
            if text:
                evidence.append((pk, text[:255], "", "", None, text, "", actor_id, now))
            events.append({"action": "import_item", "object_type": item_type, "object_id": str(pk),
                           "subject": identifier, "reason": self.reason, "after": RawJSON(encode(after))})
        insert_rows(ItemRequirement, ("item", "requirement", "position"), links, prepared=True)
        insert_rows(Milestone, MILESTONE_COLUMNS, milestones, prepared=True)
        if evidence:
            insert_rows(Evidence, EVIDENCE_COLUMNS, evidence, prepared=True)
        chain.record_many(organization=self.organization, actor=self.actor, entries=events, head=self.head)

    def _item(self, plan, identifier: str) -> tuple[tuple, dict]:
        """The item's row (ITEM_COLUMNS) and its after-state for the audit event."""
        record, status = plan.record, plan.status
        people = plan.people
        if self.new_ids:
            people = tuple(self.new_ids[person] if isinstance(person, str) else person for person in people)
        severity = _SEVERITY[record.severity and record.severity._value_]
        # Dates as ISO text, once: for the row (what SQLite stores, what COPY reads) and for the event.
        start, due = _iso(record.start_date), _iso(record.scheduled_completion)
        completion = _iso(record.completion_date) if status == CLOSED else None
        external = (record.id or "").strip()
        weakness, remediation = record.weakness.strip(), record.remediation.strip()
        unit, resources, source = record.responsible_unit.strip(), record.resources.strip(), record.source.strip()
        objectives = RawJSON(chain.canonical_json(plan.objectives)) if plan.objectives else NO_OBJECTIVES
        row = (self.organization.pk, self.assessment_id, identifier, external, plan.family, plan.kind, status,
               objectives, plan.title, weakness, severity, remediation, "", unit, *people, resources, source,
               start, due, due, completion, None, None, 1, self.now, self.actor.pk, self.now)
        milestones = []
        for milestone in record.milestones:
            description = milestone.description.strip()
            if description:
                milestones.append([description, _iso(milestone.due), _iso(milestone.done_on)])
        after = {
            "identifier": identifier, "external_id": external, "kind": plan.kind, "status": status,
            "objectives": plan.objectives, "title": plan.title, "weakness": weakness, "severity": severity,
            "remediation": remediation, "responsible_unit": unit, "resources": resources, "source": source,
            "start_date": start, "scheduled_completion": due, "completion_date": completion, "version": 1,
            "primary_owner": people[0], "supporting_owner": people[1], "approval_authority": people[2],
            "evidence_custodian": people[3], "requirements": plan.requirements, "milestones": milestones,
            "evidence": record.evidence.strip(),
        }
        return row, after


def _allocate(organization, plans) -> list[str]:
    """Identifiers for the new items: kept where the file already used ours, else the next of the family."""
    wanted: dict[str, int] = defaultdict(int)
    kept: dict[str, int] = defaultdict(int)
    for plan in plans:
        if plan.identifier is None:
            wanted[plan.family] += 1
        else:
            kept[plan.family] = max(kept[plan.family], int(plan.identifier.rsplit("-", 1)[1]))
    taken = set(PoamItem.objects.for_organization(organization).values_list("identifier", flat=True))
    taken |= {plan.identifier for plan in plans if plan.identifier is not None}
    fresh: dict[str, list[str]] = {}
    for family in sorted(set(wanted) | set(kept)):
        sequence, _ = ItemSequence.objects.get_or_create(organization=organization, family=family)
        sequence = ItemSequence.objects.select_for_update().get(pk=sequence.pk)
        number = sequence.last_number
        names = []
        while len(names) < wanted[family]:
            number += 1
            identifier = f"POAM-{family}-{number:03d}"
            if identifier not in taken:
                names.append(identifier)
        sequence.last_number = max(number, kept[family])
        sequence.save(update_fields=["last_number"])
        fresh[family] = names
    counters: dict[str, int] = defaultdict(int)
    result = []
    for plan in plans:
        if plan.identifier is not None:
            result.append(plan.identifier)
        else:
            result.append(fresh[plan.family][counters[plan.family]])
            counters[plan.family] += 1
    return result
