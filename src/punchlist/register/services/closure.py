"""Closure and the requirement move together: closing the last open item of a NOT MET requirement records
the requirement MET in the same step, with the closure's evidence linked to it.

Without it, R-SCORE-4 would count the requirement as NOT MET with no plan of action and make 3.12.2 NOT MET
too: a closure that lowers the score (95 became 92). The approver is asked; never silently.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from punchlist.audit import chain, locking
from punchlist.core.catalog import PLAN_OF_ACTION_REQUIREMENT

from ..errors import WorkflowError
from ..models import (
    Assessment,
    Determination,
    Evidence,
    EvidenceRequirement,
    ItemRequirement,
    ObjectiveStatus,
    PoamItem,
    RequirementStatus,
)
from .assessments import OPEN_STATUSES, write_requirement_status


@dataclass(frozen=True, slots=True)
class RequirementMove:
    """A NOT MET requirement whose last open item is this one."""

    assessment: Assessment
    requirement: str


def scored_assessment(item: PoamItem) -> Assessment | None:
    """The assessment whose score a closure moves: the item's own, else the official one, else the latest."""
    if item.assessment_id:
        return Assessment.objects.get(pk=item.assessment_id)
    assessments = Assessment.objects.filter(organization_id=item.organization_id)
    return assessments.filter(is_the_assessment_poam=True).first() or assessments.first()


def moves_with(item: PoamItem) -> list[RequirementMove]:
    """The requirements the assessment records NOT MET for which ``item`` is the last open item (of either
    kind: both are a plan of action, R-SCORE-4)."""
    assessment = scored_assessment(item)
    if assessment is None:
        return []
    requirements = list(ItemRequirement.objects.filter(item=item).values_list("requirement", flat=True))
    not_met = set(RequirementStatus.objects.filter(assessment=assessment, requirement__in=requirements,
                                                   determination=Determination.NOT_MET)
                  .values_list("requirement", flat=True))
    if not not_met:
        return []
    still_planned = set(ItemRequirement.objects.filter(
        item__organization_id=item.organization_id, item__status__in=OPEN_STATUSES, requirement__in=not_met)
        .exclude(item=item).values_list("requirement", flat=True))
    return [RequirementMove(assessment, r) for r in requirements if r in not_met and r not in still_planned]


def refusal(item: PoamItem, moves: list[RequirementMove]) -> WorkflowError:
    ids = ", ".join(m.requirement for m in moves)
    return WorkflowError(
        f"{item.identifier} is the last open item for {ids}, NOT MET in {moves[0].assessment}. Closed, it would "
        f"leave {ids} NOT MET with no plan of action, and R-SCORE-4 would make {PLAN_OF_ACTION_REQUIREMENT} NOT "
        f"MET too (-3): record {ids} MET in the same step (the closure's evidence is linked to it), or keep the "
        "item open until the requirement is met")


def record_met(actor, item: PoamItem, moves: list[RequirementMove], head) -> None:
    """In the closure's transaction: each requirement (and its objectives recorded NOT MET) recorded MET, the
    item's evidence linked to it, each step in the audit trail."""
    evidence = list(item.evidence.all()) + list(item.linked_evidence.all())
    for move in moves:
        for row in ObjectiveStatus.objects.select_for_update().filter(
                assessment=move.assessment, requirement=move.requirement, determination=Determination.NOT_MET):
            row.determination, row.updated_by = Determination.MET, actor
            locking.bump(row)
            row.save(update_fields=["determination", "updated_by", "version"])
            chain.record(organization=item.organization, actor=actor, action="set_objective_status", obj=row,
                         subject=row.objective,
                         before={"determination": Determination.NOT_MET, "version": row.version - 1},
                         after={"determination": Determination.MET, "version": row.version},
                         reason=f"closure of {item.identifier}", head=head)
        _link(actor, item, evidence, move.requirement, head)
        names = ", ".join(e.name for e in evidence)
        current = RequirementStatus.objects.filter(assessment=move.assessment, requirement=move.requirement).first()
        statement = (current.implementation if current else "").strip()
        addition = f"Met: {item.identifier} closed, verified by {actor.get_full_name() or actor.username}" + (
            f"; evidence: {names}" if names else "")
        write_requirement_status(actor, move.assessment, move.requirement, Determination.MET, head=head,
                                 implementation=f"{statement}\n{addition}".strip(),
                                 reason=f"closure of {item.identifier}")


def _link(actor, item: PoamItem, evidence: list, requirement: str, head) -> None:
    """Link each piece of the closure's evidence to the requirement, as ``link_evidence`` records a link: the
    piece's whole list of requirements before and after, and its version bumped (punchlist.audit.locking)."""
    current = defaultdict(list)
    for evidence_id, linked in (EvidenceRequirement.objects.filter(evidence__in=evidence)
                                .values_list("evidence_id", "requirement")):
        current[evidence_id].append(linked)
    new = [e.pk for e in evidence if requirement not in current[e.pk]]
    if not new:
        return
    EvidenceRequirement.objects.bulk_create([EvidenceRequirement(evidence_id=pk, requirement=requirement)
                                             for pk in new])
    for piece in Evidence.objects.select_for_update().filter(pk__in=new).order_by("pk"):
        before = sorted(current[piece.pk])
        locking.bump(piece)
        piece.save(update_fields=["version"])
        chain.record(organization=item.organization, actor=actor, action="link_evidence", obj=piece,
                     subject=item.identifier, head=head,
                     before={"requirements": before, "version": piece.version - 1},
                     after={"requirements": sorted(before + [requirement]), "version": piece.version},
                     reason=f"closure of {item.identifier}")
