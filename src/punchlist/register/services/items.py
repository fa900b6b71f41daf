"""Writes to POA&M items: creation, edits under optimistic locking, due dates and the status workflow.

draft -> open -> in progress -> ready for verification -> closed, and back with a reason.
"""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from punchlist.audit import chain, locking
from punchlist.core.catalog import load_catalog
from punchlist.core.closeout import closeout_deadline, completion_allowed
from punchlist.core.records import RecordKind
from punchlist.orgs.permissions import require

from ..details import EDITABLE, clean_detail
from ..errors import ConflictError, InvalidChange, WorkflowError
from ..models import (
    IDENTIFIER_PREFIX,
    Assessment,
    ItemRequirement,
    ItemSequence,
    Kind,
    PoamItem,
    Severity,
    Status,
)
from ._common import PERSON_ROLES, check_person, objective_ids, requirement_ids, writing
from .eligibility import check_poam_eligible

PEOPLE = ("primary_owner", "supporting_owner", "approval_authority", "evidence_custodian")
TEXT_FIELDS = ("title", "weakness", "severity", "remediation", "interim_mitigation", "responsible_unit",
               "resources", "source")
# What an item's owners may change; people, kind, requirements and assessment are the coordinator's.
OWNER_FIELDS = frozenset(TEXT_FIELDS + ("objectives", "start_date", "scheduled_completion") + EDITABLE)
MANAGER_FIELDS = frozenset(PEOPLE + ("kind", "assessment", "requirements"))
SNAPSHOT_FIELDS = ("identifier", "kind", "status", "assessment", "requirements", "objectives") + TEXT_FIELDS + \
    PEOPLE + ("start_date", "scheduled_completion", "original_scheduled_completion", "completion_date",
              "verified_by", "verified_at", "version") + EDITABLE

# How far along the workflow each status is; a move to a lower rank is a move back and needs a reason.
RANK = {Status.DRAFT: 0, Status.OPEN: 1, Status.IN_PROGRESS: 2, Status.READY_FOR_VERIFICATION: 3,
        Status.CLOSED: 4, Status.RISK_ACCEPTED: 4}


# --- reading helpers ------------------------------------------------------------------------------------

def snapshot(item: PoamItem, requirements: list[str] | None = None) -> dict:
    """The item's fields as the audit trail records them (people and assessment by primary key)."""
    values = {}
    for name in SNAPSHOT_FIELDS:
        if name == "requirements":
            values[name] = requirements if requirements is not None else list(
                item.requirement_links.order_by("position").values_list("requirement", flat=True))
        elif name in PEOPLE or name in ("assessment", "verified_by"):
            values[name] = getattr(item, f"{name}_id")
        else:
            values[name] = getattr(item, name)
    return chain.jsonable(values)


def diff(before: dict, after: dict) -> tuple[dict, dict]:
    changed = [k for k in after if before.get(k) != after[k]]
    return {k: before.get(k) for k in changed}, {k: after[k] for k in changed}


def governing_assessment(item: PoamItem) -> Assessment | None:
    """The assessment whose Conditional date runs the item's closeout clock: its own, else the one marked as
    the organization's assessment POA&M."""
    if item.assessment_id:
        return Assessment.objects.get(pk=item.assessment_id)
    return Assessment.objects.filter(organization_id=item.organization_id, is_the_assessment_poam=True).first()


def check_closeout(item: PoamItem, completion: date | None, what: str = "the scheduled completion") -> None:
    """R-CLOSE-1: under a Conditional status, an assessment POA&M item must be done within 180 days."""
    assessment = governing_assessment(item)
    conditional = assessment.conditional_status_date if assessment else None
    if not completion_allowed(RecordKind[item.kind.upper()], completion, conditional):
        raise WorkflowError(
            f"R-CLOSE-1: {what} {completion.isoformat()} is after the closeout deadline "
            f"{closeout_deadline(conditional).isoformat()} (180 days after the Conditional status date "
            f"{conditional.isoformat()} of {assessment}); an assessment POA&M item must be closed out by then"
        )


# --- locking --------------------------------------------------------------------------------------------

def _locked(actor, item: PoamItem, version: int | None) -> PoamItem:
    """The item's row, locked for this transaction, if nobody changed it since the caller read ``version``.

    Only members learn of a conflict (which lists the new values); what they may change is checked after,
    on the locked row.
    """
    require(actor, "register.view_item", item)
    return locking.locked(PoamItem.objects.select_related("organization"), item, version, refuse=_conflict)


def _conflict(fresh: PoamItem, expected: int) -> ConflictError:
    """What changed since ``expected``, read back from the audit trail's after-values."""
    changes, by = locking.changes_since(PoamItem, fresh.pk, expected)
    return ConflictError(fresh, expected, changes, by)


def _save(actor, item: PoamItem, fresh: PoamItem, before: dict, *, action: str, head, reason: str = "",
          requirements: list[str] | None = None) -> PoamItem:
    """Bump the version, store, write the audit event and bring the caller's instance up to date."""
    locking.bump(fresh)
    fresh.updated_at = timezone.now()
    fresh.save()
    after = snapshot(fresh, requirements)
    old, new = diff(before, after)
    chain.record(organization=fresh.organization, actor=actor, action=action, obj=fresh,
                 subject=fresh.identifier, before=old, after=new, reason=reason, head=head)
    for field in PoamItem._meta.concrete_fields:
        setattr(item, field.attname, getattr(fresh, field.attname))
    return item


# --- creation and edits ---------------------------------------------------------------------------------

def _next_identifier(organization, family: str, kind: str = Kind.ASSESSMENT_POAM) -> str:
    """The next number of the kind's own sequence: POAM-AC-004 for the assessment POA&M, OPA-AC-002 for the
    operational plan of action. An identifier never changes afterwards, whatever happens to the item."""
    prefix = IDENTIFIER_PREFIX[kind]
    sequence, _ = ItemSequence.objects.get_or_create(organization=organization, prefix=prefix, family=family)
    sequence = ItemSequence.objects.select_for_update().get(pk=sequence.pk)
    while True:
        sequence.last_number += 1
        identifier = f"{prefix}-{family}-{sequence.last_number:03d}"
        if not PoamItem.objects.filter(organization=organization, identifier=identifier).exists():
            break
    sequence.save(update_fields=["last_number"])
    return identifier


def _clean_value(name: str, value):
    if name in EDITABLE:
        return clean_detail(name, value)
    if name in TEXT_FIELDS:
        value = (value or "").strip()
        if name == "severity" and value and value not in Severity.values:
            raise InvalidChange(f"severity {value!r} is not one of {', '.join(Severity.values)}")
        if name == "title" and not value:
            raise InvalidChange("an item needs a title")
    if name == "kind" and value not in Kind.values:
        raise InvalidChange(f"kind {value!r} is not one of {', '.join(Kind.values)}")
    return value


def _check_people(organization, values: dict) -> None:
    for name in PEOPLE:
        if name in values:
            check_person(organization, values[name], name, PERSON_ROLES[name])
    owner, authority = values.get("primary_owner"), values.get("approval_authority")
    if owner is not None and authority is not None and owner.pk == authority.pk:
        raise InvalidChange(SAME_OWNER_AND_AUTHORITY)


def _check_item_people(item: PoamItem, changed: dict) -> None:
    """Changed people must be members in a fitting role; the resulting owner and authority must differ."""
    for name, user in changed.items():
        check_person(item.organization, user, name, PERSON_ROLES[name])
    owner = changed.get("primary_owner", item.primary_owner)
    authority = changed.get("approval_authority", item.approval_authority)
    if owner is not None and authority is not None and owner.pk == authority.pk:
        raise InvalidChange(SAME_OWNER_AND_AUTHORITY)


SAME_OWNER_AND_AUTHORITY = ("the approval authority may not be the item's primary owner: closure is verified "
                            "by someone other than the person who did the work (AG L2 3.12.2, R-CONT-3)")


def create_item(actor, organization, *, requirements, title: str, kind: str = Kind.ASSESSMENT_POAM,
                status: str = Status.DRAFT, assessment: Assessment | None = None, objectives=(),
                start_date: date | None = None, scheduled_completion: date | None = None,
                milestones=(), **fields) -> PoamItem:
    """A new item, numbered POAM-<FAMILY>-NNN (assessment POA&M) or OPA-<FAMILY>-NNN (operational plan of
    action) within the organization. An assessment POA&M item is refused for a requirement that may never be
    on a POA&M (R-POAM-3/4)."""
    require(actor, "register.add_item", organization)
    unknown = set(fields) - set(TEXT_FIELDS) - set(PEOPLE) - set(EDITABLE) - {"external_id"}
    if unknown:
        raise InvalidChange(f"unknown item field(s): {', '.join(sorted(unknown))}")
    if status not in (Status.DRAFT, Status.OPEN):
        raise WorkflowError("a new item starts as draft or open; later statuses are reached through the workflow")
    ids = requirement_ids(requirements)
    if not ids:
        raise InvalidChange("an item addresses at least one requirement")
    if assessment is not None and assessment.organization_id != organization.pk:
        raise InvalidChange("the assessment belongs to another organization")
    values = {name: _clean_value(name, fields.get(name, "")) for name in TEXT_FIELDS if name != "title"}
    values["title"] = _clean_value("title", title)
    values |= {name: _clean_value(name, fields[name]) for name in EDITABLE if name in fields}
    values["external_id"] = (fields.get("external_id") or "").strip()[:100]
    people = {name: fields.get(name) for name in PEOPLE}
    _check_people(organization, {k: v for k, v in people.items() if v is not None})
    if start_date and scheduled_completion and scheduled_completion < start_date:
        raise InvalidChange("the scheduled completion is before the start date")
    with writing(organization) as head:
        item = PoamItem(
            organization=organization, assessment=assessment, kind=_clean_value("kind", kind), status=status,
            family=load_catalog().get(ids[0]).family, objectives=objective_ids(objectives, ids),
            start_date=start_date, scheduled_completion=scheduled_completion,
            original_scheduled_completion=scheduled_completion, created_by=actor, **values, **people,
        )
        check_closeout(item, scheduled_completion)
        check_poam_eligible(item.kind, ids, governing_assessment(item))
        item.identifier = _next_identifier(organization, item.family, item.kind)
        item.save(force_insert=True)
        ItemRequirement.objects.bulk_create(
            ItemRequirement(item=item, requirement=r, position=i) for i, r in enumerate(ids))
        chain.record(organization=organization, actor=actor, action="create_item", obj=item,
                     subject=item.identifier, after=snapshot(item, ids), head=head)
        from .milestones import _add_milestone  # one transaction for the item and its milestones
        for position, milestone in enumerate(milestones):
            description, due = (milestone, None) if isinstance(milestone, str) else milestone
            _add_milestone(actor, item, description, due, position, head)
    return item


def update_item(actor, item: PoamItem, *, version: int | None = None, reason: str = "", **changes) -> PoamItem:
    """Change fields of an item the actor read at ``version`` (default: the instance's own).

    Refused with ConflictError if someone else saved the item in between, naming what they changed.
    """
    unknown = set(changes) - OWNER_FIELDS - MANAGER_FIELDS
    if unknown:
        raise InvalidChange(f"these fields are not changed through update_item: {', '.join(sorted(unknown))}")
    with writing(item.organization) as head:
        fresh = _locked(actor, item, version)
        require(actor, "register.change_item", fresh)
        if set(changes) & MANAGER_FIELDS:
            require(actor, "register.manage_item", fresh)
        before = snapshot(fresh)
        requirements = None
        if "requirements" in changes:
            requirements = requirement_ids(changes.pop("requirements"))
            if not requirements:
                raise InvalidChange("an item addresses at least one requirement")
            ItemRequirement.objects.filter(item=fresh).delete()
            ItemRequirement.objects.bulk_create(
                ItemRequirement(item=fresh, requirement=r, position=i) for i, r in enumerate(requirements))
        current_requirements = requirements or before["requirements"]
        if "objectives" in changes:
            changes["objectives"] = objective_ids(changes["objectives"], current_requirements)
        if "assessment" in changes and changes["assessment"] is not None \
                and changes["assessment"].organization_id != fresh.organization_id:
            raise InvalidChange("the assessment belongs to another organization")
        _check_item_people(fresh, {name: changes[name] for name in PEOPLE if name in changes})
        due = changes.pop("scheduled_completion", fresh.scheduled_completion)
        for name, value in changes.items():
            setattr(fresh, name, _clean_value(name, value))
        if fresh.start_date and due and due < fresh.start_date:
            raise InvalidChange("the scheduled completion is before the start date")
        _move_due(fresh, due, reason)
        check_closeout(fresh, fresh.scheduled_completion)
        if {"kind", "assessment"} & set(changes) or requirements is not None:
            # Refused when the change makes the item an assessment POA&M item for an ineligible requirement;
            # an older item that already was one is found by the official marking (mark_official_poam).
            check_poam_eligible(fresh.kind, current_requirements, governing_assessment(fresh),
                                already=(before["kind"], before["requirements"]))
        return _save(actor, item, fresh, before, action="update_item", head=head, reason=reason,
                     requirements=requirements)


def _move_due(item: PoamItem, new: date | None, reason: str) -> None:
    """A scheduled completion moved later (or removed) needs a reason; the first one set becomes the
    original, which never changes afterwards, so slips stay countable."""
    old = item.scheduled_completion
    if new == old:
        return
    if old is not None and (new is None or new > old) and not (reason or "").strip():
        raise WorkflowError(
            f"{item.identifier}: moving the scheduled completion from {old.isoformat()} to "
            f"{new.isoformat() if new else 'no date'} is a slip and needs a reason"
        )
    item.scheduled_completion = new
    if item.original_scheduled_completion is None:
        item.original_scheduled_completion = new


def change_due_date(actor, item: PoamItem, new_date: date | None, *, reason: str = "",
                    version: int | None = None) -> PoamItem:
    with writing(item.organization) as head:
        fresh = _locked(actor, item, version)
        require(actor, "register.change_item", fresh)
        before = snapshot(fresh)
        if fresh.start_date and new_date and new_date < fresh.start_date:
            raise InvalidChange("the scheduled completion is before the start date")
        _move_due(fresh, new_date, reason)
        check_closeout(fresh, fresh.scheduled_completion)
        return _save(actor, item, fresh, before, action="change_due_date", head=head, reason=reason)
