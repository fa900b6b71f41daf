"""New items of an import, inserted in bulk: the rows were checked as the services check them (``poam``), so
they go in without a model instance each, with one hash-chained ``import_item`` event per item written in the
same transaction (``punchlist.audit.chain.record_many``).

Per batch: one INSERT (or COPY) per table and one per the audit events; no query per row.
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import nullcontext
from operator import attrgetter

from django.utils import timezone

from punchlist.audit import chain
from punchlist.core import records
from punchlist.dbinsert import RawJSON, bulk_session, db_value, insert_rows, reserve_ids

from ..details import DETAILS, detail_values
from ..models import (IDENTIFIER_PREFIX, Evidence, EvidenceRequirement, ItemRequirement, ItemSequence, Milestone,
                      PoamItem, Status)
from ..services._common import one_line

BATCH = 2000
CLOSED = Status.CLOSED.value

ITEM_COLUMNS = ("organization", "assessment", "identifier", "external_id", "family", "kind", "status",
                "objectives", "title", "weakness", "severity", "remediation", "interim_mitigation",
                "responsible_unit", "primary_owner", "supporting_owner", "approval_authority",
                "evidence_custodian", "resources", "source", "start_date", "scheduled_completion",
                "original_scheduled_completion", "completion_date", "verified_by", "verified_at", "version",
                "created_at", "created_by", "updated_at", "status_date", *DETAILS)
MILESTONE_COLUMNS = ("item", "description", "due", "original_due", "done_on", "position", "created_at")
EVIDENCE_COLUMNS = ("item", "name", "file", "sha256", "size", "reference", "description", "added_by", "added_at",
                    "custodian", "collected_on", "review_by", "file_type")


NO_OBJECTIVES = RawJSON("[]")
_SEVERITY = {None: ""} | {severity._value_: severity.name.lower() for severity in records.Severity}
_text = chain.json_text  # a str as the canonical JSON of an event writes it

# The after-state of an ``import_item`` event, as the canonical JSON text ``chain.canonical_json`` would make of
# the dict: keys sorted, no spaces. Written out here so that 50,000 events cost one %-format each.
AFTER_KEYS = ("approval_authority", "completion_date", "details", "evidence", "evidence_custodian", "external_id",
              "identifier", "kind", "milestones", "objectives", "primary_owner", "remediation", "requirements",
              "resources", "responsible_unit", "scheduled_completion", "severity", "source", "start_date",
              "status", "supporting_owner", "title", "version", "weakness")
assert list(AFTER_KEYS) == sorted(AFTER_KEYS)
AFTER = "{" + ",".join(f'"{key}":%s' for key in AFTER_KEYS) + "}"


class _Dates(dict):
    """A date as the row stores it (ISO text, or None) and as the event's JSON writes it; a file's 300,000 dates
    are a few hundred different days, each written out once."""

    def __init__(self):
        super().__init__({None: (None, "null")})

    def __missing__(self, value):
        text = value.isoformat()
        pair = self[value] = (text, f'"{text}"')
        return pair


class _Texts(dict):
    """The JSON text of values that repeat across rows (people, requirement lists, kinds), made once each."""

    def __missing__(self, value):
        text = self[value] = chain.canonical_json(list(value) if isinstance(value, tuple) else value)
        return text


def create_items(actor, organization, plans, new_people: dict, *, file: str, assessment, progress=None,
                 session: bool = True, fields=frozenset(DETAILS)) -> list[str]:
    """Insert the planned new items; their identifiers, in file order. ``session=False`` where the caller
    holds a ``bulk_session`` over many calls (an import writing a batch at a time). ``fields``: the record's
    fields the file has, so that a file without any of the item's further details costs nothing for them."""
    identifiers = _allocate(organization, plans)
    writer = _Writer(actor, organization, new_people, file=file, assessment=assessment,
                     details=any(name in fields for name in (*DETAILS, "last_updated", "interim_mitigation")))
    created: list[str] = []
    with bulk_session(PoamItem, rows=len(plans)) if session else nullcontext():
        for start in range(0, len(plans), BATCH):
            batch = list(zip(plans[start:start + BATCH], identifiers[start:start + BATCH]))
            writer.write(batch)
            created += [identifier for _, identifier in batch]
            if progress is not None:
                progress(len(created))
    return created


class _Writer:
    """Rows for one batch of items at a time: the items (with primary keys taken beforehand, so that nothing
    has to be read back), their requirements, milestones and evidence, and an ``import_item`` event each whose
    after-state is serialized once (the text hashed is the text stored)."""

    def __init__(self, actor, organization, new_people: dict, *, file: str, assessment, details: bool = True):
        self.actor, self.organization = actor, organization
        self.head = chain.lock(organization)  # as the people and the updates left it
        self.new_ids = {short: user.pk for short, user in new_people.items()}
        self.now = db_value(PoamItem, "created_at", timezone.now())
        self.reason = f"imported from {file}" if file else "imported"
        self.assessment_id = assessment.pk if assessment is not None else None
        self.texts, self.dates = _Texts(), _Dates()
        self.details = details
        self._local_now = timezone.localtime()
        self._added_at: dict = {None: self.now}

    def added_at(self, day):
        """When a piece of evidence was added, as its export said (the day, at the import's time of day), so
        that the register's evidence keeps its dates; the import's own moment where the export gave none."""
        moment = self._added_at.get(day)
        if moment is None:
            moment = self._added_at[day] = db_value(Evidence, "added_at", self._local_now.replace(
                year=day.year, month=day.month, day=day.day))
        return moment

    def write(self, batch) -> None:
        organization_id, assessment_id, actor_id, now = (self.organization.pk, self.assessment_id, self.actor.pk,
                                                         self.now)
        item_type, reason, texts, dates = PoamItem._meta.label_lower, self.reason, self.texts, self.dates
        new_ids = self.new_ids
        read_details, with_details = attrgetter(*DETAILS), self.details
        empty = read_details(records.PoamItem())  # the details of a record that has none
        no_details = (None, *empty)
        items, links, milestones, evidence, events = [], [], [], [], []
        shown_by: list = []  # per evidence row, the requirements it shows met
        for pk, (plan, identifier) in zip(reserve_ids(PoamItem, len(batch)), batch):
            record, status = plan.record, plan.status
            people = plan.people
            if new_ids:
                people = tuple(new_ids[person] if isinstance(person, str) else person for person in people)
            severity = _SEVERITY[record.severity and record.severity._value_]
            start, start_text = dates[record.start_date]
            due, due_text = dates[record.scheduled_completion]
            completion, completion_text = dates[record.completion_date] if status == CLOSED else (None, "null")
            external = (record.original_id or record.id or "").strip()
            if with_details and (read_details(record) != empty or record.interim_mitigation):
                details, details_text = detail_values(record)
            elif with_details and record.last_updated is not None:  # the common case: a status date alone
                details, details_text = (record.last_updated, *empty), '{"status_date":%s}' % dates[
                    record.last_updated][1]
            else:
                details, details_text = no_details, "{}"
            weakness, remediation = record.weakness.strip(), record.remediation.strip()
            unit, resources, source = record.responsible_unit.strip(), record.resources.strip(), record.source.strip()
            objectives = plan.objectives
            objectives_text = RawJSON(texts[tuple(objectives)]) if objectives else NO_OBJECTIVES
            items.append((pk, organization_id, assessment_id, identifier, external, plan.family, plan.kind, status,
                          objectives_text, plan.title, weakness, severity, remediation,
                          record.interim_mitigation.strip(), unit, *people, resources, source, start, due, due,
                          completion, None, None, 1, now, actor_id, now, *details))
            requirements = plan.requirements
            links += [(pk, requirement, i) for i, requirement in enumerate(requirements)]
            steps = []
            position = 0
            for milestone in record.milestones:
                description = one_line(milestone.description)
                if description:
                    due_on, due_on_text = dates[milestone.due]
                    done, done_text = dates[milestone.done_on]
                    milestones.append((pk, description, due_on, due_on, done, position, now))
                    steps.append(f"[{_text(description)},{due_on_text},{done_text}]")
                    position += 1
            text = record.evidence.strip()
            if record.evidence_details:
                for detail, (added_by, custodian, shown) in zip(record.evidence_details, plan.evidence or (
                        (None, None, ()),) * len(record.evidence_details)):
                    if isinstance(custodian, str):
                        custodian = new_ids[custodian]
                    shown_by.append(shown)
                    evidence.append(evidence_row(pk, detail, added_by or actor_id, self.added_at(detail.added_on),
                                                 custodian))
            elif text:
                shown_by.append(())
                evidence.append((pk, text[:255], "", "", None, text, "", actor_id, now, None, None, None, ""))
            after = AFTER % (
                texts[people[2]], completion_text, details_text, _text(text), texts[people[3]], _text(external),
                _text(identifier),
                texts[plan.kind], "[" + ",".join(steps) + "]", objectives_text, texts[people[0]],
                _text(remediation), texts[tuple(requirements)], _text(resources), _text(unit), due_text,
                texts[severity], _text(source), start_text, texts[status], texts[people[1]], _text(plan.title), 1,
                _text(weakness))
            events.append({"action": "import_item", "object_type": item_type, "object_id": str(pk),
                           "subject": identifier, "reason": reason, "after": RawJSON(after)})
        insert_rows(PoamItem, ("id", *ITEM_COLUMNS), items, prepared=True)
        insert_rows(ItemRequirement, ("item", "requirement", "position"), links, prepared=True)
        insert_rows(Milestone, MILESTONE_COLUMNS, milestones, prepared=True)
        if evidence and any(shown_by):  # keys taken beforehand, for the requirements each piece shows met
            keys = reserve_ids(Evidence, len(evidence))
            insert_rows(Evidence, ("id", *EVIDENCE_COLUMNS), [(key, *row) for key, row in zip(keys, evidence)],
                        prepared=True)
            insert_rows(EvidenceRequirement, ("evidence", "requirement"),
                        [(key, requirement) for key, shown in zip(keys, shown_by) for requirement in shown],
                        prepared=True)
        elif evidence:
            insert_rows(Evidence, EVIDENCE_COLUMNS, evidence, prepared=True)
        chain.record_many(organization=self.organization, actor=self.actor, entries=events, head=self.head)


def evidence_row(pk, detail, added_by, added_at, custodian=None) -> tuple:
    """An Evidence row (EVIDENCE_COLUMNS) for what an export said of one piece of evidence: a file
    known by its name, SHA-256 and size (its bytes stay where they are), a link, or words; with what the export
    kept of its record (custodian, collection and review dates, the file's type)."""
    identified = bool(detail.sha256) and detail.size is not None
    if detail.name:  # the register's record, as its export gave it
        name, reference, description = detail.name[:255], detail.link or detail.reference, detail.description
        if not reference and not identified:  # a stored file whose hash the export did not give: its name says where
            reference = detail.filename or name
    else:
        name = (detail.filename or detail.description or detail.link)[:255]
        reference = detail.link or ("" if identified else detail.description or detail.filename)
        description = detail.description if detail.description != name else ""
    return (pk, name, "", detail.sha256 if identified else "", detail.size if identified else None, reference,
            description, added_by, added_at, custodian, detail.collected_on, detail.review_by,
            detail.file_type[:60])


def _allocate(organization, plans) -> list[str]:
    """Identifiers for the new items: kept where the file already used ours, else the next of the family."""
    # Numbered by kind and family: POAM-AC-... for the assessment POA&M, OPA-AC-... for operational plans.
    wanted: dict[tuple[str, str], int] = defaultdict(int)
    kept: dict[tuple[str, str], int] = defaultdict(int)
    for plan in plans:
        if plan.identifier is None:
            wanted[IDENTIFIER_PREFIX[plan.kind], plan.family] += 1
        else:
            prefix, family, number = plan.identifier.rsplit("-", 2)
            kept[prefix, family] = max(kept[prefix, family], int(number))
    chosen = {plan.identifier for plan in plans if plan.identifier is not None}
    items = PoamItem.objects.for_organization(organization)
    fresh: dict[str, list[str]] = {}
    for prefix, family in sorted(set(wanted) | set(kept)):
        sequence, _ = ItemSequence.objects.get_or_create(organization=organization, prefix=prefix, family=family)
        sequence = ItemSequence.objects.select_for_update().get(pk=sequence.pk)
        number = sequence.last_number
        names = []
        while len(names) < wanted[prefix, family]:
            # The next numbers, less those an item already holds (imported with our identifiers) or a row keeps.
            count = wanted[prefix, family] - len(names)
            candidates = [f"{prefix}-{family}-{n:03d}" for n in range(number + 1, number + 1 + count)]
            taken = chosen | set(items.filter(identifier__in=candidates).values_list("identifier", flat=True))
            names += [identifier for identifier in candidates if identifier not in taken]
            number += len(candidates)
        sequence.last_number = max(number, kept[prefix, family])
        sequence.save(update_fields=["last_number"])
        fresh[prefix, family] = names
    counters: dict[tuple[str, str], int] = defaultdict(int)
    result = []
    for plan in plans:
        if plan.identifier is not None:
            result.append(plan.identifier)
        else:
            key = IDENTIFIER_PREFIX[plan.kind], plan.family
            result.append(fresh[key][counters[key]])
            counters[key] += 1
    return result
