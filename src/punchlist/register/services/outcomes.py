"""An assessment's outcome (its kind, date, score and the status it earned), the official POA&M, and the
determination of each assessment objective.

The rules are ``punchlist.core``'s: whether a Conditional or Final status may be recorded is what
``core.scoring.score`` says of the determinations recorded (R-POAM-1..5), and what it would take is its path.
"""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from punchlist.audit import chain, locking
from punchlist.core.catalog import load_catalog
from punchlist.core.scoring import CONDITIONAL_THRESHOLD, Level2, ScoreReport
from punchlist.orgs.permissions import require

from .. import mapping
from ..errors import ConflictError, InvalidChange, WorkflowError
from ..models import Assessment, AssessmentKind, Determination, EarnedStatus, Kind, ObjectiveStatus, PoamItem
from .assessments import (
    OPEN_STATUSES,
    _assessment_snapshot,
    _check_items_fit,
    _locked_assessment,
    write_requirement_status,
)
from ._common import writing


class OutcomeRefused(WorkflowError):
    """A status the determinations do not support: ``reasons`` (each citing its rule) and ``would_take``."""

    def __init__(self, status: str, reasons: list[str], would_take: list[str]):
        self.status, self.reasons, self.would_take = status, reasons, would_take
        text = f"a {status} cannot be recorded: " + "; ".join(reasons)
        if would_take:
            text += ". What it would take: " + "; ".join(would_take)
        super().__init__(text)


def what_it_would_take(report: ScoreReport) -> list[str]:
    """``core.scoring``'s path to a Conditional status, in words."""
    path, steps = report.path, []
    if path.implement_first:
        steps.append("implement " + ", ".join(d.requirement.id for d in path.implement_first)
                     + " (no POA&M may hold them, R-POAM-3/4)"
                     + (f", which brings the score to {path.score_after_first}"
                        if path.score_after_first is not None else ""))
    if path.then_implement:
        steps.append(("then " if steps else "") + "implement "
                     + ", ".join(f"{d.requirement.id} (+{d.points})" for d in path.then_implement)
                     + f" to reach {path.score_then} (at least {CONDITIONAL_THRESHOLD}, R-POAM-2)")
    return steps


def conditional_refusal(assessment: Assessment, report: ScoreReport) -> OutcomeRefused | None:
    """Why the determinations recorded do not support a Conditional status, or None when they do."""
    label = EarnedStatus.CONDITIONAL.label
    if assessment.level == 1:
        return OutcomeRefused(label, ["R-POAM-1: Level 1 has no Conditional status; a POA&M is never allowed "
                                      "at Level 1"], [])
    if report.level2 is Level2.CONDITIONAL:
        return None
    if report.level2 is Level2.FINAL:
        return OutcomeRefused(label, ["R-POAM-5: every requirement is MET or N/A; the status earned is Final"],
                              [])
    reasons = []
    if report.score is None:
        reasons.append("R-SCORE-3: 3.12.4 (System Security Plan) is NOT MET, so there is no score")
    elif report.score < CONDITIONAL_THRESHOLD:
        reasons.append(f"R-POAM-2: the score {report.score} is below {CONDITIONAL_THRESHOLD}")
    if report.blocking:
        reasons.append(f"R-POAM-3/4/5: {len(report.blocking)} NOT MET requirement(s) may not be on a POA&M ("
                       + ", ".join(d.requirement.id for d in report.blocking) + ")")
    if not report.level1_met:
        level1 = [d.requirement.id for d in report.not_met if d.requirement.level1_id]
        reasons.append("R-POAM-1: Level 1 requirement(s) NOT MET (" + ", ".join(level1)
                       + "), and Level 1 never allows a POA&M")
    return OutcomeRefused(label, reasons or [str(r) for r in report.reasons], what_it_would_take(report))


def record_outcome(actor, assessment: Assessment, *, kind: str, assessed_on: date, status: str,
                   score: int | None = None, conditional_date: date | None = None,
                   reason: str = "", version: int | None = None) -> Assessment:
    """Record what an assessment found: its kind, date, score and the status it earned.

    The score is the one the recorded determinations give (a different number is refused: the
    determinations are the record, R-SCORE-*). A Conditional status needs its date and is refused, with the
    reasons and what it would take, unless the determinations support it; a Final status needs every
    requirement MET or N/A (R-POAM-5). A Final status keeps an earlier Conditional date, which stays the
    CMMC Status Date (R-CLOSE-3). Refused (ConflictError) if someone changed the assessment since the caller
    read ``version``.
    """
    require(actor, "register.manage_assessment", assessment)
    if kind not in AssessmentKind.values:
        raise InvalidChange(f"kind {kind!r} is not one of {', '.join(AssessmentKind.values)}")
    if status not in EarnedStatus.values:
        raise InvalidChange(f"status {status!r} is not one of final, conditional or none")
    if assessed_on is None:
        raise InvalidChange("an assessment's outcome needs the date it was assessed")
    if status == EarnedStatus.CONDITIONAL and conditional_date is None:
        raise InvalidChange("a Conditional status needs its date, the CMMC Status Date (R-CLOSE-3)")
    if status != EarnedStatus.CONDITIONAL and conditional_date is not None:
        raise InvalidChange("a Conditional status date goes with a Conditional status only")
    if conditional_date is not None and conditional_date < assessed_on:
        raise InvalidChange("the Conditional status date is before the assessment itself")
    organization = assessment.organization
    with writing(organization) as head:
        fresh = _locked_assessment(assessment, version)
        report = mapping.score_assessment(fresh)
        if score is not None and score != report.score:
            raise WorkflowError(
                f"the determinations recorded give a score of {report.score}, not {score}: the score is "
                "computed from them (R-SCORE-1..5); record the determinations the assessment found")
        if status == EarnedStatus.CONDITIONAL:
            refusal = conditional_refusal(fresh, report)
            if refusal is not None:
                raise refusal
            _check_items_fit(fresh, conditional_date)
        elif status == EarnedStatus.FINAL:
            final = report.level1_met if fresh.level == 1 else report.level2 is Level2.FINAL
            if not final:
                open_ = [d.requirement.id for d in report.not_met
                         if fresh.level == 2 or d.requirement.level1_id]
                raise OutcomeRefused(EarnedStatus.FINAL.label, [
                    f"R-POAM-5: a Final status needs every requirement MET or N/A; {len(open_)} are NOT MET ("
                    + ", ".join(open_[:10]) + (", ..." if len(open_) > 10 else "") + ")"],
                    what_it_would_take(report) if fresh.level == 2 else [])
        before = _assessment_snapshot(fresh)
        new_date = fresh.conditional_status_date if status == EarnedStatus.FINAL else conditional_date
        if fresh.conditional_status_date is not None and new_date != fresh.conditional_status_date \
                and not (reason or "").strip():
            raise WorkflowError("the Conditional status date is the CMMC Status Date (R-CLOSE-3); changing or "
                                "clearing it needs a reason")
        fresh.kind, fresh.assessed_on, fresh.earned_status = kind, assessed_on, status
        fresh.recorded_score = report.score
        fresh.conditional_status_date = new_date
        fresh.outcome_recorded_by, fresh.outcome_recorded_at = actor, timezone.now()
        locking.bump(fresh)
        fresh.save()
        after = _assessment_snapshot(fresh)
        changed = [k for k in after if after[k] != before[k]]
        chain.record(organization=organization, actor=actor, action="record_outcome", obj=fresh, head=head,
                     before={k: before[k] for k in changed}, after={k: after[k] for k in changed},
                     reason=reason)
    for field in Assessment._meta.concrete_fields:
        setattr(assessment, field.attname, getattr(fresh, field.attname))
    return assessment


def mark_official_poam(actor, assessment: Assessment, *, reason: str = "", version: int | None = None) -> Assessment:
    """Mark this assessment's POA&M as the organization's official one, the one handed to the assessor
    (who and when recorded; any other assessment loses the mark). Refused while an open assessment POA&M item
    it governs is for a requirement that may never be on a POA&M (R-POAM-3/4), or (ConflictError) if someone
    changed the assessment since the caller read ``version``."""
    require(actor, "register.manage_assessment", assessment)
    organization = assessment.organization
    if assessment.level == 1:
        raise WorkflowError("R-POAM-1: a Level 1 assessment has no POA&M")
    with writing(organization) as head:
        fresh = _locked_assessment(assessment, version)
        items = (PoamItem.objects.filter(organization=organization, kind=Kind.ASSESSMENT_POAM,
                                         status__in=OPEN_STATUSES)
                 .filter(assessment__isnull=True) | PoamItem.objects.filter(
                     organization=organization, kind=Kind.ASSESSMENT_POAM, status__in=OPEN_STATUSES,
                     assessment=fresh))
        from .eligibility import ineligible_requirements

        bad = []
        for item in items.prefetch_related("requirement_links").order_by("identifier"):
            found = ineligible_requirements([link.requirement for link in item.requirement_links.all()], fresh)
            if found:
                bad.append(f"{item.identifier} ({', '.join(found)})")
        if bad:
            raise WorkflowError(
                "R-POAM-3/4: these assessment POA&M items are for requirements that may never be on a POA&M: "
                + ", ".join(bad) + "; make them operational plan of action items (remediation work) first")
        before = _assessment_snapshot(fresh)
        Assessment.objects.filter(organization=organization, is_the_assessment_poam=True).exclude(
            pk=fresh.pk).update(is_the_assessment_poam=False, official_marked_by=None, official_marked_at=None)
        fresh.is_the_assessment_poam = True
        fresh.official_marked_by, fresh.official_marked_at = actor, timezone.now()
        locking.bump(fresh)
        fresh.save(update_fields=["is_the_assessment_poam", "official_marked_by", "official_marked_at", "version"])
        after = _assessment_snapshot(fresh)
        changed = [k for k in after if after[k] != before[k]]
        chain.record(organization=organization, actor=actor, action="mark_official_poam", obj=fresh, head=head,
                     before={k: before[k] for k in changed}, after={k: after[k] for k in changed}, reason=reason)
    for field in Assessment._meta.concrete_fields:
        setattr(assessment, field.attname, getattr(fresh, field.attname))
    return assessment


def set_objective_status(actor, assessment: Assessment, objective: str, determination: str, *,
                         version: int | None = None) -> ObjectiveStatus:
    """Record one assessment objective's determination; the requirement follows in the same step: NOT MET
    as soon as one objective is, MET once every objective is MET or N/A (N/A when all are N/A).

    ``version`` is the determination's version the writer read (0: none was recorded yet); given, the write
    is refused (ConflictError) if someone recorded or changed it since, as for a requirement's."""
    require(actor, "register.manage_assessment", assessment)
    catalog = load_catalog()
    found = catalog.objective(objective)
    if found is None:
        raise InvalidChange(f"{objective!r} is not a NIST SP 800-171A assessment objective such as 3.1.1[a]")
    if determination not in Determination.values:
        raise InvalidChange(f"determination {determination!r} is not one of {', '.join(Determination.values)}")
    with writing(assessment.organization) as head:
        row = (ObjectiveStatus.objects.select_for_update()
               .filter(assessment=assessment, objective=found.id).first())
        current = row.version if row is not None else 0
        if version is not None and int(version) != current:
            raise _objective_conflict(assessment, found.id, row, int(version))
        before = {"determination": row.determination, "version": row.version} if row is not None else None
        if row is None:
            row = ObjectiveStatus(assessment=assessment, objective=found.id, requirement=found.requirement,
                                  version=0)
        row.determination, row.updated_at, row.updated_by = determination, timezone.now(), actor
        locking.bump(row)
        row.save()
        chain.record(organization=assessment.organization, actor=actor, action="set_objective_status", obj=row,
                     subject=found.id, before=before,
                     after={"determination": determination, "version": row.version}, head=head)
        _follow_objectives(actor, assessment, found.requirement, head)
    return row


def _objective_conflict(assessment: Assessment, objective: str, row: ObjectiveStatus | None,
                        expected: int) -> ConflictError:
    subject = f"the determination of {objective} in {assessment}"
    if row is None:  # nothing deletes one; said plainly all the same
        return ConflictError(ObjectiveStatus(version=0), expected, {}, [], subject=subject)
    changes, by = locking.changes_since(ObjectiveStatus, row.pk, expected)
    return ConflictError(row, expected, changes, by, subject=subject)


def _follow_objectives(actor, assessment: Assessment, requirement: str, head) -> None:
    """The requirement's determination from its objectives', where they decide it."""
    from ..models import RequirementStatus

    recorded = dict(ObjectiveStatus.objects.filter(assessment=assessment, requirement=requirement)
                    .values_list("objective", "determination"))
    objectives = [o.id for o in load_catalog().objectives(requirement)]
    current = RequirementStatus.objects.filter(assessment=assessment, requirement=requirement).first()
    if Determination.NOT_MET in recorded.values():
        target = Determination.NOT_MET
    elif all(o in recorded for o in objectives):
        values = set(recorded.values())
        target = Determination.NOT_APPLICABLE if values == {Determination.NOT_APPLICABLE} else Determination.MET
    else:
        return  # not every objective determined yet, none NOT MET: the requirement stays as recorded
    if current is not None and current.determination == target:
        return
    partial = bool(current and current.partial and target == Determination.NOT_MET)
    write_requirement_status(actor, assessment, requirement, target, head=head, partial=partial,
                             reason="follows its assessment objectives")


def objective_statuses(assessment: Assessment) -> dict[str, dict[str, str]]:
    """The objectives' determinations recorded in an assessment, by requirement: one query."""
    recorded: dict[str, dict[str, str]] = {}
    for requirement, objective, determination in ObjectiveStatus.objects.filter(assessment=assessment) \
            .values_list("requirement", "objective", "determination"):
        recorded.setdefault(requirement, {})[objective] = determination
    return recorded
