"""Importing a POA&M: every row checked first, then new items inserted in bulk and known ones updated."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from punchlist.core import records
from punchlist.core.catalog import load_catalog
from punchlist.core.closeout import closeout_deadline, completion_allowed
from punchlist.errors import InputError, InputErrors
from punchlist.orgs.permissions import require

from ..errors import RegisterError
from ..models import Assessment, Kind, PoamItem, Status
from ..services._common import objective_ids, writing
from .create import create_items
from .people import People
from .update import update_items

OUR_ID = re.compile(r"^(?:POAM|OPA)-([A-Z]{2})-(\d{1,6})$")
# By the members' values (``_value_``, a plain attribute: an Enum's own hash is a Python call, once per row).
KINDS = {kind._value_: Kind[kind.name].value for kind in records.RecordKind}
STATUSES = {status._value_: Status[status.name].value for status in records.ItemStatus}
# What the register's columns hold; a longer value is refused rather than cut.
LIMITS = {"id": 100, "responsible_unit": 200, "source": 200}


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)  # identifiers of new items, in file order
    updated: list[str] = field(default_factory=list)  # identifiers of items the file changed
    unchanged: list[str] = field(default_factory=list)  # identifiers of items the file names as they are
    people_added: list[str] = field(default_factory=list)  # user names of people created for the import

    def __str__(self):
        text = f"{len(self.created)} item(s) imported"
        if self.updated or self.unchanged:
            text += f", {len(self.updated)} updated, {len(self.unchanged)} unchanged"
        if self.people_added:
            text += f"; {len(self.people_added)} people added without sign-in: {', '.join(self.people_added)}"
        return text


@dataclass(slots=True)
class Plan:
    """One checked row: what to write for it."""

    record: records.PoamItem
    row: int
    requirements: list[str]
    objectives: list[str]
    title: str
    people: tuple  # per services.items.PEOPLE: a member's primary key, the short name of a person to create, or None
    kind: str
    status: str
    family: str
    identifier: str | None = None  # our identifier the file already used, kept for a new item
    item: int | None = None  # the primary key of the item this row updates


def _governing_conditional(organization, assessment):
    if assessment is None:
        assessment = Assessment.objects.filter(organization=organization, is_the_assessment_poam=True).first()
    return assessment.conditional_status_date if assessment else None


def title_of(record: records.PoamItem) -> str:
    """An item's title: the file's, else the first line of its weakness (cut to the column's 300)."""
    text = (record.title or record.weakness or "").strip()
    return text.splitlines()[0][:300] if text else ""


def import_poam(actor, organization, poam: records.Poam, *, file: str = "", assessment: Assessment | None = None,
                create_people: bool = False, progress: Callable[[int, int], None] | None = None) -> ImportResult:
    """Add the items of ``poam`` the organization does not have and update those it has, or change nothing
    (raising InputErrors that list every problem)."""
    require(actor, "register.add_item", organization)
    if assessment is not None and assessment.organization_id != organization.pk:
        raise InputError("the assessment belongs to another organization", file=file)
    result = ImportResult()
    reason = f"updated by import of {file}" if file else "updated by import"
    errors: list[InputError] = []
    # Checked inside the transaction, with the organization's chain locked like any writer's: what the rows are
    # compared with (the items, their ids, the people) cannot change before they are written.
    with writing(organization) as head:
        people = People(organization, create_people)
        plans = check_rows(organization, poam, people, file=file, assessment=assessment, errors=errors)
        updates = [plan for plan in plans if plan.item is not None]
        if errors and not updates:
            raise InputErrors(errors)
        total = len(plans)
        new_people = people.create_users(actor, organization, head)
        result.people_added = [user.username for user in new_people.values()]
        if updates:
            # Through the services, as any edit; a row they refuse is listed with the others, and then the
            # transaction (people included) is rolled back.
            result.updated, result.unchanged = update_items(
                actor, organization, updates, poam.fields, new_people, reason=reason, file=file, errors=errors,
                progress=(lambda done: progress(done, total)) if progress else None)
        if errors:
            raise InputErrors(sorted(errors, key=lambda e: (e.row or 0)))
        creates = [plan for plan in plans if plan.item is None]
        if creates:
            result.created = create_items(
                actor, organization, creates, new_people, file=file, assessment=assessment,
                progress=(lambda done: progress(len(updates) + done, total)) if progress else None)
    return result


class _RolledBack(Exception):
    def __init__(self, result: ImportResult):
        self.result = result


def check_poam(actor, organization, poam: records.Poam, *, file: str = "", assessment: Assessment | None = None,
               create_people: bool = False) -> ImportResult:
    """What ``import_poam`` would do, with nothing kept: the same import, in a transaction always rolled back.

    Every check an import makes is made (the rows, the people, and the services' own refusals of updates,
    which only running them finds), so a file that passes here imports as shown unless the register changes
    in between. InputErrors list every problem, as the import's would.
    """
    try:
        with transaction.atomic():
            raise _RolledBack(import_poam(actor, organization, poam, file=file, assessment=assessment,
                                          create_people=create_people))
    except _RolledBack as done:
        return done.result


def check_rows(organization, poam: records.Poam, people: People, *, file: str, assessment, errors) -> list[Plan]:
    """Every row checked as the services would check it; the problems go to ``errors``, the rows without
    problems come back as plans. A row naming an item the register holds plans an update of it."""
    catalog = load_catalog()
    find = catalog.find
    resolve = people.resolve
    conditional = _governing_conditional(organization, assessment)
    by_external: dict[str, tuple[int, str]] = {}
    by_identifier: dict[str, int] = {}
    for pk, identifier, external in PoamItem.objects.for_organization(organization).values_list(
            "pk", "identifier", "external_id"):
        by_identifier[identifier] = pk
        if external:
            by_external.setdefault(external, (pk, identifier))
    plans: list[Plan] = []
    seen: dict[str, int] = {}  # the file's ids -> the row that used it first
    updated_by: dict[int, int] = {}  # items named -> the row that names them
    kept: set[str] = set()
    closed, ready, accepted = Status.CLOSED.value, Status.READY_FOR_VERIFICATION.value, Status.RISK_ACCEPTED.value
    assessment_poam = Kind.ASSESSMENT_POAM.value

    def error(message, column, row):
        errors.append(InputError(message, file=file, row=row, column=column))

    for index, record in enumerate(poam.items):
        row = record.row if record.row is not None else index + 1
        before = len(errors)
        external = (record.id or "").strip()
        match = None
        if external in seen:
            error(f"the id {external!r} is also on row {seen[external]}; each id names one item", "id", row)
        elif external:
            seen[external] = row
            match = by_external.get(external, (None,))[0] or by_identifier.get(external.upper())
            if match in updated_by:
                error(f"{external!r} names the same item as row {updated_by[match]}", "id", row)
            elif match is not None:
                updated_by[match] = row
        requirements, first = [], None
        for written in record.requirements:
            found = find(written)
            if found is None:
                error(f"{written!r} is not a NIST SP 800-171 Rev 2 requirement", "requirement", row)
            elif found.id not in requirements:
                requirements.append(found.id)
                first = first or found
        if not record.requirements:
            error("no requirement given; every item addresses at least one", "requirement", row)
        title = title_of(record)
        if not title:
            error("no title or weakness given", "title", row)
        objectives = []
        if requirements and record.objectives:
            try:
                objectives = objective_ids(record.objectives, requirements)
            except RegisterError as exc:
                error(str(exc), "objectives", row)
        if len(external) > LIMITS["id"] or len(record.responsible_unit) > LIMITS["responsible_unit"] \
                or len(record.source) > LIMITS["source"]:
            for column, limit in LIMITS.items():
                value = external if column == "id" else getattr(record, column)
                if len(value) > limit:
                    error(f"{len(value)} characters; the register keeps at most {limit} here", column, row)
        resolved = (resolve(record.primary_owner, "primary_owner", row, file, errors),
                    resolve(record.supporting_owner, "supporting_owner", row, file, errors),
                    resolve(record.approval_authority, "approval_authority", row, file, errors),
                    resolve(record.evidence_custodian, "evidence_custodian", row, file, errors))
        if resolved[0] is not None and resolved[0] == resolved[2]:
            error("the approval authority may not be the item's primary owner", "approval_authority", row)
        kind, status = KINDS[record.kind._value_], STATUSES[record.status._value_]
        if status == accepted and kind == assessment_poam:
            error("an assessment POA&M item cannot be risk accepted (R-FIND-5, R-CLOSE-1)", "status", row)
        start, due = record.start_date, record.scheduled_completion
        if start and due and due < start:
            error("the scheduled completion is before the start date", "scheduled_completion", row)
        if match is None:
            # An update's evidence and closeout clock are the stored item's, which its services check.
            if (status == closed or status == ready) and not record.evidence.strip():
                error(f"{Status(status).label.lower()} without evidence; say what shows the fix (or where it "
                      "lives) in the evidence column, or import the item as open", "evidence", row)
            if conditional is not None and status != closed and status != accepted and not completion_allowed(
                    record.kind, due, conditional):
                error(f"R-CLOSE-1: scheduled completion {due.isoformat()} is after the closeout deadline "
                      f"{closeout_deadline(conditional).isoformat()}", "scheduled_completion", row)
        if len(errors) > before or first is None:
            continue
        family = first.family
        plan = Plan(record, row, requirements, objectives, title, resolved, kind, status, family, item=match)
        if match is None and external:
            ours = OUR_ID.match(external.upper())
            if ours and ours[1] == family and external.upper() not in kept:
                plan.identifier = external.upper()
                kept.add(plan.identifier)
        plans.append(plan)
    return plans
