"""Scopes, assessments and the determination of each requirement in an assessment."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from punchlist.audit import chain, locking
from punchlist.core.catalog import PARTIAL_CREDIT
from punchlist.core.closeout import closeout_deadline, completion_allowed
from punchlist.core.records import RecordKind
from punchlist.orgs.permissions import require

from ..errors import ConflictError, InvalidChange, WorkflowError
from ..models import (
    Assessment,
    AssessmentKind,
    Determination,
    Kind,
    PoamItem,
    RequirementStatus,
    Scope,
    Status,
)
from ._common import requirement_ids, writing

OPEN_STATUSES = (Status.DRAFT, Status.OPEN, Status.IN_PROGRESS, Status.READY_FOR_VERIFICATION)


def create_scope(actor, organization, *, name: str, description: str = "", cui_locations: str = "") -> Scope:
    require(actor, "register.manage_assessment", organization)
    if not (name or "").strip():
        raise InvalidChange("a scope needs a name")
    with writing(organization) as head:
        scope = Scope.objects.create(organization=organization, name=name.strip(), description=description,
                                     cui_locations=cui_locations)
        chain.record(organization=organization, actor=actor, action="create_scope", obj=scope, head=head,
                     after={"name": scope.name, "description": description, "cui_locations": cui_locations})
    return scope


def _assessment_snapshot(assessment: Assessment) -> dict:
    return chain.jsonable({
        "title": assessment.title, "level": assessment.level, "kind": assessment.kind,
        "assessed_on": assessment.assessed_on, "scope": assessment.scope_id,
        "conditional_status_date": assessment.conditional_status_date,
        "is_the_assessment_poam": assessment.is_the_assessment_poam, "version": assessment.version,
        "official_marked_by": assessment.official_marked_by_id, "official_marked_at": assessment.official_marked_at,
        "recorded_score": assessment.recorded_score, "earned_status": assessment.earned_status,
    })


def _locked_assessment(assessment: Assessment, version: int | None) -> Assessment:
    return locking.locked(Assessment.objects.all(), assessment, version, refuse=_assessment_conflict)


def _assessment_conflict(fresh: Assessment, expected: int) -> ConflictError:
    changes, by = locking.changes_since(Assessment, fresh.pk, expected)
    return ConflictError(fresh, expected, changes, by, subject=f"the assessment {fresh}")


def create_assessment(actor, organization, *, assessed_on: date, level: int = 2, kind: str = AssessmentKind.SELF,
                      scope: Scope | None = None, title: str = "", conditional_status_date: date | None = None,
                      is_the_assessment_poam: bool = False) -> Assessment:
    require(actor, "register.manage_assessment", organization)
    if level not in (1, 2):
        raise InvalidChange(f"level {level!r}: Punchlist assesses CMMC Level 1 or Level 2")
    if kind not in AssessmentKind.values:
        raise InvalidChange(f"kind {kind!r} is not one of {', '.join(AssessmentKind.values)}")
    if scope is not None and scope.organization_id != organization.pk:
        raise InvalidChange("the scope belongs to another organization")
    if level == 1 and conditional_status_date is not None:
        raise InvalidChange("R-POAM-1: Level 1 has no Conditional status; a POA&M is never allowed at Level 1")
    with writing(organization) as head:
        if is_the_assessment_poam:
            Assessment.objects.filter(organization=organization, is_the_assessment_poam=True).update(
                is_the_assessment_poam=False)
        assessment = Assessment.objects.create(
            organization=organization, assessed_on=assessed_on, level=level, kind=kind, scope=scope, title=title,
            conditional_status_date=conditional_status_date, is_the_assessment_poam=is_the_assessment_poam)
        chain.record(organization=organization, actor=actor, action="create_assessment", obj=assessment,
                     head=head, after=_assessment_snapshot(assessment))
    return assessment


def update_assessment(actor, assessment: Assessment, *, reason: str = "", version: int | None = None,
                      **changes) -> Assessment:
    """Change an assessment's title, level, kind, date, scope, or whether it is the organization's
    assessment POA&M (only one is). The Conditional date has its own service (set_conditional_date).
    Refused (ConflictError) if someone changed the assessment since the caller read ``version``."""
    allowed = {"title", "level", "kind", "assessed_on", "scope", "is_the_assessment_poam"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidChange(f"these fields are not changed through update_assessment: {', '.join(sorted(unknown))}")
    organization = assessment.organization
    require(actor, "register.manage_assessment", assessment)
    if changes.get("level", assessment.level) not in (1, 2):
        raise InvalidChange(f"level {changes['level']!r}: Punchlist assesses CMMC Level 1 or Level 2")
    if changes.get("kind", assessment.kind) not in AssessmentKind.values:
        raise InvalidChange(f"kind {changes['kind']!r} is not one of {', '.join(AssessmentKind.values)}")
    scope = changes.get("scope")
    if scope is not None and scope.organization_id != organization.pk:
        raise InvalidChange("the scope belongs to another organization")
    with writing(organization) as head:
        fresh = _locked_assessment(assessment, version)
        if changes.get("level") == 1 and fresh.conditional_status_date is not None:
            raise InvalidChange("R-POAM-1: Level 1 has no Conditional status; clear the Conditional date first")
        before = _assessment_snapshot(fresh)
        if changes.get("is_the_assessment_poam"):
            Assessment.objects.filter(organization=organization, is_the_assessment_poam=True).exclude(
                pk=fresh.pk).update(is_the_assessment_poam=False)
        for name, value in changes.items():
            setattr(fresh, name, value)
        locking.bump(fresh)
        fresh.save()
        after = _assessment_snapshot(fresh)
        changed = [k for k in after if after[k] != before[k]]
        chain.record(organization=organization, actor=actor, action="update_assessment", obj=fresh, head=head,
                     before={k: before[k] for k in changed}, after={k: after[k] for k in changed}, reason=reason)
    for field in Assessment._meta.concrete_fields:
        setattr(assessment, field.attname, getattr(fresh, field.attname))
    return assessment


def set_conditional_date(actor, assessment: Assessment, conditional_date: date | None, *,
                         reason: str = "", version: int | None = None) -> Assessment:
    """Record the Conditional CMMC Status Date (R-CLOSE-3). Refused while an open assessment POA&M item under
    this assessment is scheduled past the 180-day closeout it sets (R-CLOSE-1), naming those items."""
    organization = assessment.organization
    require(actor, "register.manage_assessment", assessment)
    with writing(organization) as head:
        fresh = _locked_assessment(assessment, version)
        if fresh.level == 1 and conditional_date is not None:
            raise InvalidChange("R-POAM-1: Level 1 has no Conditional status")
        if fresh.conditional_status_date is not None and conditional_date != fresh.conditional_status_date \
                and not (reason or "").strip():
            raise WorkflowError("the Conditional status date is the CMMC Status Date (R-CLOSE-3); changing it "
                                "needs a reason")
        _check_items_fit(fresh, conditional_date)
        before = _assessment_snapshot(fresh)
        fresh.conditional_status_date = conditional_date
        locking.bump(fresh)
        fresh.save(update_fields=["conditional_status_date", "version"])
        chain.record(organization=organization, actor=actor, action="set_conditional_date", obj=fresh, head=head,
                     before={"conditional_status_date": before["conditional_status_date"],
                             "version": before["version"]},
                     after={"conditional_status_date": chain.jsonable(conditional_date),
                            "version": fresh.version}, reason=reason)
    assessment.conditional_status_date, assessment.version = conditional_date, fresh.version
    return assessment


def _check_items_fit(assessment: Assessment, conditional_date: date | None) -> None:
    """R-CLOSE-1: refused while an open assessment POA&M item under the assessment is scheduled past the
    180-day closeout the date sets, naming those items."""
    governed = PoamItem.objects.filter(organization_id=assessment.organization_id, kind=Kind.ASSESSMENT_POAM,
                                       status__in=OPEN_STATUSES)
    if assessment.is_the_assessment_poam:
        governed = governed.filter(assessment__isnull=True) | governed.filter(assessment=assessment)
    else:
        governed = governed.filter(assessment=assessment)
    late = [item for item in governed.order_by("identifier")
            if not completion_allowed(RecordKind.ASSESSMENT_POAM, item.scheduled_completion, conditional_date)]
    if late:
        names = ", ".join(f"{i.identifier} ({i.scheduled_completion.isoformat()})" for i in late[:10])
        raise WorkflowError(
            f"R-CLOSE-1: {len(late)} open assessment POA&M item(s) are scheduled after the closeout deadline "
            f"{closeout_deadline(conditional_date).isoformat()}: {names}{', ...' if len(late) > 10 else ''}; "
            "bring their dates forward first")


def set_requirement_status(actor, assessment: Assessment, requirement: str, determination: str, *,
                           partial: bool = False, implementation: str | None = None,
                           version: int | None = None) -> RequirementStatus:
    """Record one requirement's determination (R-FIND-1) and, optionally, its implementation statement.

    ``version`` is the determination's version the writer read (0: none was recorded yet); given, the
    write is refused (ConflictError) if someone recorded or changed it since.
    """
    require(actor, "register.manage_assessment", assessment)
    (requirement_id,) = requirement_ids([requirement])
    if determination not in Determination.values:
        raise InvalidChange(f"determination {determination!r} is not one of {', '.join(Determination.values)}")
    if partial and requirement_id not in PARTIAL_CREDIT:
        raise InvalidChange(f"R-SCORE-2: only {' and '.join(PARTIAL_CREDIT)} have a partial (3-point) case, not "
                            f"{requirement_id}")
    if partial and determination != Determination.NOT_MET:
        raise InvalidChange("R-SCORE-2: the partial case is a NOT MET determination")
    with writing(assessment.organization) as head:
        status = (RequirementStatus.objects.select_for_update()
                  .filter(assessment=assessment, requirement=requirement_id).first())
        current = status.version if status is not None else 0
        if version is not None and int(version) != current:
            raise _status_conflict(assessment, requirement_id, status, int(version))
        return write_requirement_status(actor, assessment, requirement_id, determination, head=head,
                                        partial=partial, implementation=implementation)


def write_requirement_status(actor, assessment: Assessment, requirement_id: str, determination: str, *, head,
                             partial: bool = False, implementation: str | None = None,
                             reason: str = "") -> RequirementStatus:
    """The write itself, inside the caller's transaction (a closure and an objective's determination record
    the requirement in the same step as their own change). A requirement is MET only when every objective
    recorded for it is (NIST SP 800-171A). Bumps the determination's version (punchlist.audit.locking)."""
    from ..models import ObjectiveStatus

    if determination == Determination.MET:
        open_objectives = list(ObjectiveStatus.objects.filter(
            assessment=assessment, requirement=requirement_id, determination=Determination.NOT_MET)
            .order_by("objective").values_list("objective", flat=True))
        if open_objectives:
            raise WorkflowError(f"{requirement_id} is MET only when every assessment objective is; "
                                f"{', '.join(open_objectives)} {'is' if len(open_objectives) == 1 else 'are'} "
                                "recorded NOT MET")
    status = (RequirementStatus.objects.select_for_update()
              .filter(assessment=assessment, requirement=requirement_id).first())
    before = None
    if status is None:
        status = RequirementStatus(assessment=assessment, requirement=requirement_id, version=0)
    else:
        before = {"determination": status.determination, "partial": status.partial,
                  "implementation": status.implementation}
    status.determination = determination
    status.partial = partial
    if implementation is not None:
        status.implementation = implementation
    status.updated_at = timezone.now()
    status.updated_by = actor
    locking.bump(status)
    status.save()
    after = {"determination": status.determination, "partial": status.partial,
             "implementation": status.implementation}
    if before is not None:
        changed = [k for k in after if after[k] != before[k]]
        before, after = {k: before[k] for k in changed}, {k: after[k] for k in changed}
        before["version"] = status.version - 1
    after["version"] = status.version
    chain.record(organization=assessment.organization, actor=actor, action="set_requirement_status",
                 obj=status, subject=requirement_id, before=before, after=after, head=head, reason=reason)
    return status


def _status_conflict(assessment: Assessment, requirement_id: str, status: RequirementStatus | None,
                     expected: int) -> ConflictError:
    subject = f"the determination of {requirement_id} in {assessment}"
    if status is None:  # cannot happen through the services (nothing deletes one); said plainly all the same
        return ConflictError(RequirementStatus(version=0), expected, {}, [], subject=subject)
    changes, by = locking.changes_since(RequirementStatus, status.pk, expected)
    return ConflictError(status, expected, changes, by, subject=subject)
