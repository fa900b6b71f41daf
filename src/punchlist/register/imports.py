"""Importing a POA&M read by ``punchlist.interchange`` (core records) into the register: all rows or none.

Every row is checked before anything is written, and every problem is reported at once with its row and
column (punchlist.errors.InputErrors). The writes then happen in one transaction, in bulk, with one audit
event per item: a process killed part-way leaves the database exactly as it was.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.text import slugify

from punchlist.audit import chain
from punchlist.core import records
from punchlist.core.catalog import load_catalog
from punchlist.core.closeout import closeout_deadline, completion_allowed
from punchlist.dbinsert import insert_rows
from punchlist.errors import InputError, InputErrors
from punchlist.orgs.models import Membership, Role
from punchlist.orgs.permissions import APPROVERS, require

from .models import Assessment, Evidence, ItemRequirement, ItemSequence, Kind, Milestone, PoamItem, Status
from .services._common import objective_ids, writing
from .services.items import PEOPLE

BATCH = 1000
_OUR_ID = re.compile(r"^POAM-([A-Z]{2})-(\d{1,6})$")
_NAME_CUT = re.compile(r"\s*(?:,|\(|\s-\s|/|;).*$")


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)  # identifiers, in file order
    people_added: list[str] = field(default_factory=list)  # user names of people created for the import

    def __str__(self):
        text = f"{len(self.created)} item(s) imported"
        if self.people_added:
            text += f"; {len(self.people_added)} people added without sign-in: {', '.join(self.people_added)}"
        return text


def _key(name: str) -> str:
    return " ".join(name.lower().split())


def _short(name: str) -> str:
    """ "Marcus Lee, IT Operations Lead" -> "marcus lee": the person, without the title."""
    return _key(_NAME_CUT.sub("", name))


class _People:
    """Names as written in the file, resolved to members of the organization (or planned as new people)."""

    def __init__(self, organization, create: bool):
        self.create = create
        self.known: dict[str, tuple[object, Role]] = {}
        for membership in Membership.objects.filter(organization=organization).select_related("user"):
            user, role = membership.user, Role(membership.role)
            for key in (user.username, user.email, user.get_full_name()):
                if key and key.strip():
                    self.known.setdefault(_key(key), (user, role))
        self.new: dict[str, dict] = {}  # short name -> {"name", "approver"}

    def resolve(self, written: str, column: str, row, file, errors) -> str | object | None:
        written = (written or "").strip()
        if not written:
            return None
        for key in (_key(written), _short(written)):
            if key in self.known:
                user, role = self.known[key]
                if column == "approval_authority" and role not in APPROVERS:
                    errors.append(InputError(f"{written!r} is a member with the role {role.label}; an approval "
                                             "authority must be an approver or an administrator",
                                             file=file, row=row, column=column))
                return user
        short = _short(written)
        if not self.create or not short:
            errors.append(InputError(f"{written!r} is not a member of the organization; add them first, or "
                                     "import with people creation on", file=file, row=row, column=column))
            return None
        plan = self.new.setdefault(short, {"name": _NAME_CUT.sub("", written).strip(), "approver": False})
        plan["approver"] |= column == "approval_authority"
        return short  # replaced by the created user at write time

    def create_users(self, actor, organization, head) -> dict[str, object]:
        User = get_user_model()
        created = {}
        taken = set(User.objects.values_list("username", flat=True))
        for short, plan in self.new.items():
            base = slugify(plan["name"]) or "person"
            username, n = base, 1
            while username in taken:
                n += 1
                username = f"{base}-{n}"
            taken.add(username)
            first, _, last = plan["name"].partition(" ")
            user = User.objects.create_user(username=username, password=None, first_name=first[:150],
                                            last_name=last[:150], is_active=False)
            role = Role.APPROVER if plan["approver"] else Role.OWNER
            membership = Membership.objects.create(organization=organization, user=user, role=role)
            chain.record(organization=organization, actor=actor, action="add_member", obj=membership, head=head,
                         after={"user": user.pk, "username": username, "role": role, "sign_in": False},
                         reason="named in an imported POA&M")
            created[short] = user
        return created


def _governing_conditional(organization, assessment):
    if assessment is None:
        assessment = Assessment.objects.filter(organization=organization, is_the_assessment_poam=True).first()
    return assessment.conditional_status_date if assessment else None


def import_poam(actor, organization, poam: records.Poam, *, file: str = "", assessment: Assessment | None = None,
                create_people: bool = False, progress: Callable[[int, int], None] | None = None) -> ImportResult:
    """Add every item of ``poam`` to the organization, or none of them (raising InputErrors)."""
    require(actor, "register.add_item", organization)
    if assessment is not None and assessment.organization_id != organization.pk:
        raise InputError("the assessment belongs to another organization", file=file)
    catalog = load_catalog()
    people = _People(organization, create_people)
    conditional = _governing_conditional(organization, assessment)
    existing_external = dict(PoamItem.objects.for_organization(organization).exclude(external_id="")
                             .values_list("external_id", "identifier"))
    existing_ids = set(PoamItem.objects.for_organization(organization).values_list("identifier", flat=True))
    errors: list[InputError] = []
    planned = []
    seen_ids: set[str] = set()
    for index, record in enumerate(poam.items):
        row = record.row if record.row is not None else index + 1
        before = len(errors)

        def error(message, column=None, row=row):
            errors.append(InputError(message, file=file, row=row, column=column))

        requirements = []
        for written in record.requirements:
            found = catalog.find(written)
            if found is None:
                error(f"{written!r} is not a NIST SP 800-171 Rev 2 requirement", "requirement")
            elif found.id not in requirements:
                requirements.append(found.id)
        if not record.requirements:
            error("no requirement given; every item addresses at least one", "requirement")
        title = (record.title or record.weakness or "").strip().splitlines()[0][:300] if (
            record.title or record.weakness or "").strip() else ""
        if not title:
            error("no title or weakness given", "title")
        objectives = []
        if requirements:
            try:
                objectives = objective_ids(record.objectives, requirements)
            except Exception as exc:  # InvalidChange, with its own message
                error(str(exc), "objectives")
        resolved = {name: people.resolve(getattr(record, name), name, row, file, errors) for name in PEOPLE}
        owner, authority = resolved["primary_owner"], resolved["approval_authority"]
        if owner is not None and owner is authority or (isinstance(owner, str) and owner == authority):
            error("the approval authority may not be the item's primary owner", "approval_authority")
        kind = Kind.ASSESSMENT_POAM if record.kind is records.RecordKind.ASSESSMENT_POAM else Kind.OPERATIONAL_PLAN
        status = Status[record.status.name]
        if status == Status.RISK_ACCEPTED and kind == Kind.ASSESSMENT_POAM:
            error("an assessment POA&M item cannot be risk accepted (R-FIND-5, R-CLOSE-1)", "status")
        if status in (Status.CLOSED, Status.READY_FOR_VERIFICATION) and not record.evidence.strip():
            error(f"{status.label.lower()} without evidence; say what shows the fix (or where it lives) in the "
                  "evidence column, or import the item as open", "evidence")
        if record.start_date and record.scheduled_completion and record.scheduled_completion < record.start_date:
            error("the scheduled completion is before the start date", "scheduled_completion")
        if status not in (Status.CLOSED, Status.RISK_ACCEPTED) and not completion_allowed(
                records.RecordKind[kind.upper()], record.scheduled_completion, conditional):
            error(f"R-CLOSE-1: scheduled completion {record.scheduled_completion.isoformat()} is after the "
                  f"closeout deadline {closeout_deadline(conditional).isoformat()}", "scheduled_completion")
        external = (record.id or "").strip()
        if external and external in existing_external:
            error(f"{external!r} was imported before as {existing_external[external]}; updating items by "
                  "re-import comes with issue 5", "id")
        if len(errors) > before or not requirements:
            continue
        family = catalog.get(requirements[0]).family
        keep = _OUR_ID.match(external.upper()) if external else None
        identifier = None
        if keep and keep[1] == family and external.upper() not in existing_ids | seen_ids:
            identifier = external.upper()
            seen_ids.add(identifier)
        planned.append((record, requirements, objectives, title, resolved, kind, status, family, identifier))
    if errors:
        raise InputErrors(errors)
    return _write(actor, organization, planned, file, assessment, people, progress)


_ITEM_COLUMNS = ("organization", "assessment", "identifier", "external_id", "family", "kind", "status",
                 "objectives", "title", "weakness", "severity", "remediation", "interim_mitigation",
                 "responsible_unit", "primary_owner", "supporting_owner", "approval_authority",
                 "evidence_custodian", "resources", "source", "start_date", "scheduled_completion",
                 "original_scheduled_completion", "completion_date", "verified_by", "verified_at", "version",
                 "created_at", "created_by", "updated_at")


def _write(actor, organization, planned, file, assessment, people, progress) -> ImportResult:
    """Insert the checked rows, in batches, without a model instance per row (dbinsert): the import of tens
    of thousands of rows is bounded by the database, not by the ORM."""
    result = ImportResult()
    now = timezone.now()
    reason = f"imported from {file}" if file else "imported"
    item_type = PoamItem._meta.label_lower
    with writing(organization) as head:
        new_people = people.create_users(actor, organization, head)
        result.people_added = [u.username for u in new_people.values()]
        identifiers = _allocate(organization, planned)
        total = len(planned)
        for start in range(0, total, BATCH):
            batch = list(zip(planned[start:start + BATCH], identifiers[start:start + BATCH]))
            rows, afters = [], []
            for (record, requirements, objectives, title, resolved, kind, status, family, _), identifier in batch:
                people_ids = {name: (new_people[v] if isinstance(v, str) else v) for name, v in resolved.items()}
                people_ids = {name: (user.pk if user is not None else None) for name, user in people_ids.items()}
                values = {
                    "organization": organization.pk, "assessment": assessment.pk if assessment else None,
                    "identifier": identifier, "external_id": (record.id or "")[:100], "family": family,
                    "kind": str(kind), "status": str(status), "objectives": objectives, "title": title,
                    "weakness": record.weakness,
                    "severity": record.severity.name.lower() if record.severity else "",
                    "remediation": record.remediation, "interim_mitigation": "",
                    "responsible_unit": record.responsible_unit[:200], **people_ids,
                    "resources": record.resources, "source": record.source[:200],
                    "start_date": record.start_date, "scheduled_completion": record.scheduled_completion,
                    "original_scheduled_completion": record.scheduled_completion,
                    "completion_date": record.completion_date if status == Status.CLOSED else None,
                    "verified_by": None, "verified_at": None, "version": 1, "created_at": now,
                    "created_by": actor.pk, "updated_at": now,
                }
                rows.append(tuple(values[c] for c in _ITEM_COLUMNS))
                afters.append(_after(values, requirements, record))
            insert_rows(PoamItem, _ITEM_COLUMNS, rows)
            names = [identifier for _, identifier in batch]
            pks = dict(PoamItem.objects.filter(organization=organization, identifier__in=names)
                       .values_list("identifier", "pk"))
            links, milestones, evidence, events = [], [], [], []
            for ((record, requirements, *_), identifier), after in zip(batch, afters):
                pk = pks[identifier]
                links += [(pk, r, i) for i, r in enumerate(requirements)]
                milestones += [(pk, m.description.strip(), m.due, m.due, m.done_on, i, now)
                               for i, m in enumerate(record.milestones) if m.description.strip()]
                if record.evidence.strip():
                    text = record.evidence.strip()
                    evidence.append((pk, text[:255], "", "", None, text, "", actor.pk, now))
                events.append({"action": "import_item", "object_type": item_type, "object_id": str(pk),
                               "subject": identifier, "reason": reason, "after": after})
            insert_rows(ItemRequirement, ("item", "requirement", "position"), links)
            insert_rows(Milestone, ("item", "description", "due", "original_due", "done_on", "position",
                                    "created_at"), milestones)
            insert_rows(Evidence, ("item", "name", "file", "sha256", "size", "reference", "description",
                                   "added_by", "added_at"), evidence)
            chain.record_many(organization=organization, actor=actor, entries=events, head=head)
            result.created += names
            if progress is not None:
                progress(min(start + BATCH, total), total)
    return result


_AFTER_FIELDS = ("identifier", "external_id", "kind", "status", "objectives", "title", "weakness", "severity",
                 "remediation", "responsible_unit", "resources", "source", "start_date", "scheduled_completion",
                 "completion_date", "version") + tuple(PEOPLE)


def _after(values: dict, requirements, record) -> dict:
    after = {name: values[name] for name in _AFTER_FIELDS}
    after["requirements"] = requirements
    after["milestones"] = [[m.description, m.due, m.done_on] for m in record.milestones]
    after["evidence"] = record.evidence
    return chain.jsonable(after)


def _allocate(organization, planned) -> list[str]:
    """Identifiers for the new items: kept where the file already used ours, else the next of the family."""
    wanted = defaultdict(int)
    for plan in planned:
        if plan[8] is None:
            wanted[plan[7]] += 1
    kept = defaultdict(int)
    for plan in planned:
        if plan[8] is not None:
            kept[plan[7]] = max(kept[plan[7]], int(_OUR_ID.match(plan[8])[2]))
    taken = set(PoamItem.objects.for_organization(organization).values_list("identifier", flat=True))
    taken |= {plan[8] for plan in planned if plan[8] is not None}
    fresh: dict[str, list[str]] = {}
    for family in set(wanted) | set(kept):
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
    counters = defaultdict(int)
    result = []
    for plan in planned:
        if plan[8] is not None:
            result.append(plan[8])
        else:
            result.append(fresh[plan[7]][counters[plan[7]]])
            counters[plan[7]] += 1
    return result


def import_assessment(actor, organization, results: list[records.RequirementResult], *, assessed_on, file: str = "",
                      level: int = 2, kind: str = "self", title: str = "", scope=None):
    """A new assessment with a determination per requirement, all or nothing (R-FIND-1, R-SCORE-2).

    Requirements the file does not answer are left without a status: scoring counts them NOT MET and says
    they were unanswered.
    """
    from punchlist.core.catalog import PARTIAL_CREDIT

    from .models import RequirementStatus
    from .services.assessments import create_assessment

    require(actor, "register.manage_assessment", organization)
    catalog = load_catalog()
    errors: list[InputError] = []
    rows: dict[str, tuple] = {}
    for index, result in enumerate(results):
        row = result.row if result.row is not None else index + 1
        requirement = catalog.find(result.requirement)
        if requirement is None:
            errors.append(InputError(f"{result.requirement!r} is not a NIST SP 800-171 Rev 2 requirement",
                                     file=file, row=row, column="requirement"))
            continue
        partial = bool(result.partial and result.determination is records.Determination.NOT_MET
                       and requirement.id in PARTIAL_CREDIT)
        rows[requirement.id] = (result.determination.name.lower(), partial, result.implementation or "")
    if errors:
        raise InputErrors(errors)
    reason = f"imported from {file}" if file else "imported"
    with writing(organization) as head:
        assessment = create_assessment(actor, organization, assessed_on=assessed_on, level=level, kind=kind,
                                       title=title or (f"Imported from {file}" if file else ""), scope=scope)
        head = chain.lock(organization)  # the head moved on with the assessment's own event
        now = timezone.now()
        insert_rows(RequirementStatus, ("assessment", "requirement", "determination", "partial", "implementation",
                                        "updated_at", "updated_by"),
                    [(assessment.pk, rid, d, p, text, now, actor.pk) for rid, (d, p, text) in rows.items()])
        chain.record_many(organization=organization, actor=actor, head=head, entries=[
            {"action": "set_requirement_status", "object_type": RequirementStatus._meta.label_lower,
             "object_id": f"{assessment.pk}:{rid}", "subject": rid, "reason": reason,
             "after": {"determination": d, "partial": p, "implementation": text}}
            for rid, (d, p, text) in rows.items()])
    return assessment
