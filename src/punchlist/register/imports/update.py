"""Rows of an import that name an item the register holds: the differences go through the same services as any
edit (``update_item``, the milestone, evidence and workflow services), each with the reason "updated by import
of FILE", so that a date moved later by an import is explained like any other slip. An item the file leaves
as it is gets no call and no event.

Only what the file has a column for is compared: a file without a "Supporting Owner" column leaves the
supporting owners alone. Milestones are matched by what they say; a new one is added, a later due date is a
slip, a done date completes it; milestones are never removed (a done one keeps its dates). Evidence the file
names that the item does not have yet is added as a reference. A status goes through the workflow, step by
step, and each step is checked as it is in the app: closing still needs the approval authority.

Nothing a person did is undone: a field whose last change (by the audit trail) was a person's, not an
import's, keeps the register's value; so does a milestone a person rescheduled, with its reason; and a closed
item is reopened only when the importer names it. Each is listed, with what the file said, in the result's
``changes`` beside the fields that do change (old -> new), for the preview.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model

from punchlist.audit.models import AuditEvent
from punchlist.errors import InputError
from punchlist.interchange.mapping import FIELD_LABELS
from punchlist.orgs.permissions import PermissionDenied

from ..details import AMOUNTS, DETAILS, last_updated
from ..errors import RegisterError
from ..mapping import person
from ..models import Evidence, ItemRequirement, Milestone, PoamItem, Status
from ..services.evidence import add_evidence
from ..services.items import PEOPLE, update_item
from ..services.milestones import add_milestone, complete_milestone, slip_milestone
from ..services.workflow import change_status

CHUNK = 900  # primary keys per IN (...), under every database's limit on bound parameters
TEXT = ("weakness", "remediation", "responsible_unit", "resources", "source", "interim_mitigation")
STORED = ("pk", "identifier", "title", *TEXT, "severity", "objectives", "start_date", "scheduled_completion",
          "kind", "status", *(f"{name}_id" for name in PEOPLE), "status_date", "updated_at", "version", *DETAILS)
REFUSED = (RegisterError, PermissionDenied)
# Every write an import makes says so in its reason; what else changed an item since is a person's work.
IMPORT_REASON = "updated by import"
BASELINE_ACTIONS = frozenset({"import_item", "create_item"})
CLOSED_STATUSES = frozenset({Status.CLOSED.value, Status.RISK_ACCEPTED.value})
LABELS = {**FIELD_LABELS, "status_date": "Status date", "requirements": "Requirements"}
ITEM_TYPE = PoamItem._meta.label_lower
MILESTONE_TYPE = Milestone._meta.label_lower


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field a row of the file changes, or would change but does not: ``kept`` says the register's value
    stays, and ``why``."""

    field: str
    old: object
    new: object
    kept: bool = False
    why: str = ""

    @property
    def label(self) -> str:
        """The field as people call it: "Remediation plan", "Status date"."""
        return LABELS.get(self.field, self.field[:1].upper() + self.field[1:].replace("_", " "))


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def _chunks(values: list):
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def _rows(queryset, scope: dict, key: str, pks: list, fields, whole: bool):
    """``queryset``'s rows (tuples of ``fields``) whose ``key`` is one of ``pks``: read with the rest of the
    organization (``scope``) when the file names most of its items, else 900 items at a time."""
    scoped = queryset.filter(**scope)
    if whole:
        wanted, place = set(pks), fields.index(key)
        return [row for row in scoped.values_list(*fields) if row[place] in wanted]
    return [row for chunk in _chunks(pks) for row in scoped.filter(**{f"{key}__in": chunk}).values_list(*fields)]


def _load(organization, pks: list[int]):
    """The stored state the rows are compared with, as plain rows: a few queries, no model instances."""
    whole = len(pks) * 2 >= PoamItem.objects.for_organization(organization).count()
    of_items = {"item__organization": organization}
    items = {row[0]: dict(zip(STORED, row)) for row in _rows(
        PoamItem.objects.all(), {"organization": organization}, "pk", pks, STORED, whole)}
    requirements: dict[int, list[str]] = defaultdict(list)
    for item_id, requirement in _rows(ItemRequirement.objects.order_by("item_id", "position"), of_items,
                                      "item_id", pks, ("item_id", "requirement"), whole):
        requirements[item_id].append(requirement)
    milestones: dict[int, list[tuple]] = defaultdict(list)
    for item_id, *milestone in _rows(Milestone.objects.order_by("item_id", "position", "pk"), of_items,
                                     "item_id", pks, ("item_id", "pk", "description", "due", "done_on"), whole):
        milestones[item_id].append(milestone)
    evidence: dict[int, set[str]] = defaultdict(set)
    for item_id, name, reference in _rows(Evidence.objects.all(), of_items, "item_id", pks,
                                          ("item_id", "name", "reference"), whole):
        evidence[item_id] |= {name, reference}
    return items, requirements, milestones, evidence, whole


def _worked_on(organization, identifiers: list[str], whole: bool) -> tuple[dict, set]:
    """What people changed in the register since each item's last import, from the audit trail: per item, the
    fields whose last change was not an import's; and the milestones last rescheduled by a person."""
    fields: dict[str, dict[str, bool]] = defaultdict(dict)  # identifier -> field -> changed by a person
    rescheduled: dict[str, bool] = {}  # milestone pk -> last moved by a person
    columns = ("subject", "object_type", "object_id", "action", "reason", "after")
    events = AuditEvent.objects.filter(organization=organization, object_type__in=(ITEM_TYPE, MILESTONE_TYPE))
    for subject, object_type, object_id, action, reason, after in _rows(
            events.order_by("seq"), {}, "subject", identifiers, columns, whole):
        by_import = action in BASELINE_ACTIONS or (reason or "").startswith(IMPORT_REASON)
        if object_type == ITEM_TYPE:
            changed = fields[subject]
            for name in (after or {}):
                changed[name] = not by_import
        elif action in ("slip_milestone", "reschedule_milestone"):
            rescheduled[object_id] = not by_import
    worked = {identifier: {name for name, by_person in changed.items() if by_person}
              for identifier, changed in fields.items()}
    return worked, {int(pk) for pk, by_person in rescheduled.items() if by_person}


def _same(name: str, stored, wanted) -> bool:
    if name in AMOUNTS:
        return (stored is None and wanted is None) or (stored is not None and wanted is not None
                                                       and stored.quantize(AMOUNTS[name][0])
                                                       == wanted.quantize(AMOUNTS[name][0]))
    return stored == wanted


def _changes(plan, stored: dict, stored_requirements, fields, users) -> dict:
    """The item fields the row changes, as ``update_item`` takes them."""
    record = plan.record
    changes = {}
    if "requirements" in fields and plan.requirements != stored_requirements:
        changes["requirements"] = plan.requirements
    if ("title" in fields or "weakness" in fields) and plan.title != stored["title"]:
        changes["title"] = plan.title
    for name in TEXT:
        if name in fields and getattr(record, name).strip() != stored[name]:
            changes[name] = getattr(record, name).strip()
    if "severity" in fields:
        severity = record.severity.name.lower() if record.severity else ""
        if severity != stored["severity"]:
            changes["severity"] = severity
    if "objectives" in fields and plan.objectives != list(stored["objectives"] or []):
        changes["objectives"] = plan.objectives
    for name in ("start_date", "scheduled_completion"):
        if name in fields and getattr(record, name) != stored[name]:
            changes[name] = getattr(record, name)
    if "kind" in fields and plan.kind != stored["kind"]:
        changes["kind"] = plan.kind
    for name, person in zip(PEOPLE, plan.people):
        if name in fields:
            user = users.get(person)
            if (user.pk if user is not None else None) != stored[f"{name}_id"]:
                changes[name] = user
    for name in DETAILS:
        if name in fields:
            value = getattr(record, name)
            value = value.strip() if isinstance(value, str) else value
            if not _same(name, stored[name], value):
                changes[name] = value
    # A status date the register has passed since (a later change) is old news, not a change.
    if "last_updated" in fields and record.last_updated is not None and record.last_updated > (last_updated(
            stored["status_date"], stored["updated_at"], stored["version"]) or date.min):
        changes["status_date"] = record.last_updated
    return changes


def _milestone_moves(wanted, stored, rescheduled: set[int], notes: list) -> list[tuple]:
    """What the file changes in the item's milestones: ("add", description, due, done_on), ("slip", pk,
    new due, description), ("complete", pk, done on, description). Matched by what they say. A milestone a
    person rescheduled since the last import keeps its date (and its reason); ``notes`` says so."""
    moves = []
    by_key = {}
    for pk, description, due, done_on in stored:
        by_key.setdefault(_key(description), (pk, due, done_on))
    for milestone in wanted:
        description = milestone.description.strip()
        key = _key(description)
        if not description:
            continue
        if key not in by_key:
            moves.append(("add", description, milestone.due, milestone.done_on))
            by_key[key] = (None, milestone.due, milestone.done_on)
            continue
        pk, due, done_on = by_key[key]
        if done_on is not None or pk is None:
            continue  # a milestone that is done keeps its dates
        if milestone.due is not None and milestone.due != due:
            if pk in rescheduled:
                notes.append(FieldChange(f"milestone {description!r} due", due.isoformat() if due else "",
                                         milestone.due.isoformat(), kept=True,
                                         why="rescheduled in the register since the last import"))
            else:
                moves.append(("slip", pk, milestone.due, description))
        if milestone.done_on is not None:
            moves.append(("complete", pk, milestone.done_on, description))
    return moves


def _steps(current: Status, target: Status) -> list[Status]:
    """The workflow moves from ``current`` to ``target``: forward one service at a time (a draft goes to work
    before it is put forward; an item is put forward before it is closed), anything else in one move that the
    workflow then allows or refuses."""
    if target in (Status.READY_FOR_VERIFICATION, Status.CLOSED) and current in (Status.DRAFT, Status.OPEN,
                                                                                 Status.IN_PROGRESS):
        steps = [Status.IN_PROGRESS] if current == Status.DRAFT else []
        steps.append(Status.READY_FOR_VERIFICATION)
        return steps + ([Status.CLOSED] if target == Status.CLOSED else [])
    return [target]


CONFLICT = "changed in the register since the last import"
NOT_REOPENED = "a closed item is reopened by an import only when that is chosen for the item"


def _status_steps(plan, stored: dict, worked: set[str], chosen: bool, notes: list) -> list[Status]:
    """The status moves the row asks for, unless they would undo work: a status a person changed since the last
    import stays (a conflict), and a closed item stays closed unless reopening it was chosen."""
    current, target = stored["status"], plan.status
    if target == current:
        return []
    if current in CLOSED_STATUSES and target not in CLOSED_STATUSES and not chosen:
        notes.append(FieldChange("status", Status(current).label, Status(target).label, kept=True,
                                 why=NOT_REOPENED))
        return []
    if "status" in worked and not chosen:
        notes.append(FieldChange("status", Status(current).label, Status(target).label, kept=True, why=CONFLICT))
        return []
    return _steps(Status(current), Status(target))


def _shown(name: str, value, names: dict):
    """A value as the preview shows it: people by name, dates in ISO form, lists joined."""
    if name in PEOPLE:
        if value is None:
            return ""
        return person(value) if not isinstance(value, int) else names.get(value, str(value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if name in AMOUNTS and value is not None:
        return format(value.normalize(), "f")
    return "" if value is None else str(value)


def _stored_value(name: str, stored: dict, requirements: list[str]):
    if name == "requirements":
        return requirements
    if name in PEOPLE:
        return stored[f"{name}_id"]
    return stored[name]


def update_items(actor, organization, plans, fields, new_people, *, reason: str, file: str, errors: list,
                 progress=None, reopen=frozenset(), changes_out: dict | None = None) -> tuple[list[str], list[str]]:
    """Apply the planned updates; refusals go to ``errors`` with the row and column. Returns the identifiers
    of the items changed and of those left as they were.

    A field a person changed in the register since the item's last import keeps the register's value, as does
    the status of a closed item unless its identifier (or its id in the file) is in ``reopen``. What each item
    gets, and what it keeps, goes to ``changes_out`` (identifier -> [FieldChange]) for the preview.
    """
    items, requirements, milestones, evidence, whole = _load(organization, [plan.item for plan in plans])
    named = {person for plan in plans for person in plan.people if isinstance(person, int)}
    users = get_user_model().objects.in_bulk(named) | new_people  # primary keys and short names -> users
    # The audit trail is read only for the items the file would change at all: a file that leaves its items
    # as they are costs no more than before.
    touched, candidates = [], []
    for plan in plans:
        stored = items[plan.item]
        candidates.append(_changes(plan, stored, requirements[plan.item], fields, users))
        if (candidates[-1]
                or ("status" in fields and plan.status != stored["status"])
                or ("milestones" in fields and _milestone_moves(plan.record.milestones, milestones[plan.item],
                                                                set(), []))):
            touched.append(stored["identifier"])
    worked_on, rescheduled = _worked_on(organization, touched, whole and len(touched) * 2 >= len(plans)) \
        if touched else ({}, set())
    shown_people = {stored[f"{name}_id"] for stored in items.values() for name in PEOPLE if stored[f"{name}_id"]}
    shown_people -= set(users)
    if shown_people:
        users = users | get_user_model().objects.in_bulk(shown_people)
    names = {pk: person(user) for pk, user in users.items() if isinstance(pk, int)}
    changes_out = {} if changes_out is None else changes_out
    work, unchanged = [], []
    for plan, changes in zip(plans, candidates):
        stored = items[plan.item]
        identifier = stored["identifier"]
        worked = worked_on.get(identifier, set())
        chosen = identifier in reopen or (plan.record.id or "").strip() in reopen
        notes: list[FieldChange] = []
        for name in list(changes):
            if name in worked:
                notes.append(FieldChange(name, _shown(name, _stored_value(name, stored, requirements[plan.item]),
                                                      names),
                                         _shown(name, changes.pop(name), names), kept=True, why=CONFLICT))
        applied = [FieldChange(name, _shown(name, _stored_value(name, stored, requirements[plan.item]), names),
                               _shown(name, value, names)) for name, value in changes.items()]
        moves = (_milestone_moves(plan.record.milestones, milestones[plan.item], rescheduled, notes)
                 if "milestones" in fields else [])
        text = plan.record.evidence.strip() if "evidence" in fields else ""
        text = text if text and text not in evidence[plan.item] else ""
        if text and plan.record.evidence_details and all(
                (d.name or d.filename or d.description or d.link)[:255] in evidence[plan.item]
                for d in plan.record.evidence_details):
            text = ""  # an export of this register's own evidence, listed piece by piece: nothing new
        steps = (_status_steps(plan, stored, worked, chosen, notes)
                 if "status" in fields and plan.status != stored["status"] else [])
        if steps:
            applied.append(FieldChange("status", Status(stored["status"]).label, Status(plan.status).label))
        for move in moves:
            if move[0] == "add":
                applied.append(FieldChange("milestone added", "", f"{move[1]} ({_shown('due', move[2], names)})"))
            elif move[0] == "slip":
                was = next((due for pk, _, due, _ in milestones[plan.item] if pk == move[1]), None)
                applied.append(FieldChange(f"milestone {move[3]!r} due", was.isoformat() if was else "",
                                           move[2].isoformat()))
            else:
                applied.append(FieldChange(f"milestone {move[3]!r} done", "", move[2].isoformat()))
        if text:
            applied.append(FieldChange("evidence added", "", text))
        if applied or notes:
            changes_out[identifier] = applied + notes
        if changes or moves or text or steps:
            work.append((plan, changes, moves, text, steps))
        else:
            unchanged.append(identifier)
    # Model instances only for the items the services change.
    instances = {}
    for chunk in _chunks([plan.item for plan, *_ in work]):
        for item in PoamItem.objects.filter(organization=organization, pk__in=chunk):
            item.organization = organization
            instances[item.pk] = item
    known_milestones = {}
    for chunk in _chunks([move[1] for *_, moves, _, _ in work for move in moves if move[0] != "add"]):
        known_milestones |= Milestone.objects.in_bulk(chunk)
    updated = []
    for done, (plan, changes, moves, text, steps) in enumerate(work, 1):
        item = instances[plan.item]

        def refused(exc, column, plan=plan, item=item):
            errors.append(InputError(f"{item.identifier}: {exc}", file=file, row=plan.row, column=column))

        updated.append(item.identifier)
        if changes:
            try:
                update_item(actor, item, reason=reason, **changes)
            except REFUSED as exc:
                only = next(iter(changes)) if len(changes) == 1 else None
                refused(exc, "requirement" if only == "requirements" else only)
                continue
        try:
            _move_milestones(actor, item, moves, known_milestones, reason)
        except _MilestoneRefused as exc:
            refused(exc, "milestones")
            continue
        if text:
            try:
                add_evidence(actor, item, name=text[:255], reference=text)
            except REFUSED as exc:
                refused(exc, "evidence")
                continue
        for step in steps:
            extra = {"completion_date": plan.record.completion_date} if step == Status.CLOSED else {}
            was = Status(item.status)
            try:
                change_status(actor, item, step, reason=reason, **extra)
            except REFUSED as exc:
                refused(f"{was.label.lower()} to {step.label.lower()}: {exc}", "status")
                break
        if progress is not None and done % 1000 == 0:
            progress(done)
    if progress is not None:
        progress(len(plans))
    return updated, unchanged


class _MilestoneRefused(Exception):
    """A milestone service's refusal, with the milestone it was about."""


def _move_milestones(actor, item, moves, known: dict, reason: str) -> None:
    for move in moves:
        try:
            if move[0] == "add":
                _, description, due, done_on = move
                milestone = add_milestone(actor, item, description, due)
                if done_on is not None:
                    complete_milestone(actor, milestone, done_on)
                continue
            kind, pk, when, description = move
            milestone = known[pk]
            milestone.item = item
            if kind == "slip":
                slip_milestone(actor, milestone, when, reason=reason)
            else:
                complete_milestone(actor, milestone, when)
        except REFUSED as exc:
            description = move[1] if move[0] == "add" else move[3]
            raise _MilestoneRefused(f"milestone {description!r}: {exc}") from exc
