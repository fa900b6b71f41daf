"""SPRS scoring and CMMC Level 2 status from a set of requirement determinations.

The score is a pure function of the recorded results (R-SCORE-*), recomputed every time and never stored:
another tool's stored score silently drifted from its statuses (formats.md, "Status side effects").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum

from .catalog import (
    MAX_SCORE,
    PARTIAL_CREDIT,
    PLAN_OF_ACTION_REQUIREMENT,
    SSP_REQUIREMENT,
    Catalog,
    PoamEligibility,
    Requirement,
    load_catalog,
)
from .records import Determination, RequirementResult

CONDITIONAL_THRESHOLD = 88  # R-POAM-2: score / 110 >= 0.8
MIN_SCORE = -203  # R-SCORE-5


class Level2(Enum):
    FINAL = "final"  # every requirement MET or N/A (R-POAM-5)
    CONDITIONAL = "conditional"  # >= 88 and every NOT MET requirement POA&M-eligible (R-POAM-2..5)
    NOT_ELIGIBLE = "not eligible"
    NO_SCORE = "no score"  # no SSP, so no assessment can be completed (R-SCORE-3)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Deduction:
    """A NOT MET requirement: what it costs and whether a POA&M may hold it."""

    requirement: Requirement
    points: int
    partial: bool  # the 3-point case of 3.5.3 or 3.13.11 (R-SCORE-2)
    eligible: bool
    why_ineligible: str  # "" when eligible; otherwise the rule that excludes it
    unanswered: bool = False  # not in the input at all: counted NOT MET, and said so
    derived: bool = False  # 3.12.2 made NOT MET by R-SCORE-4


@dataclass(frozen=True, slots=True)
class Path:
    """What it would take to reach a Conditional status (or better)."""

    # Requirements that must be implemented before any Conditional status: no POA&M may hold them.
    implement_first: tuple[Deduction, ...]
    score_after_first: int | None
    # Where the score is still below 88: the fewest further requirements whose implementation reaches it.
    then_implement: tuple[Deduction, ...]
    score_then: int | None


@dataclass(slots=True)
class ScoreReport:
    score: int | None
    level2: Level2
    level1_met: bool  # all 17 Level 1 requirements MET or N/A; a Level 1 POA&M is never allowed (R-POAM-1)
    not_met: list[Deduction]
    blocking: list[Deduction]
    path: Path
    reasons: list[str] = field(default_factory=list)  # why the verdict is what it is, citing rule ids

    @property
    def unanswered(self) -> list[Deduction]:
        return [d for d in self.not_met if d.unanswered]


def deduction_points(requirement: Requirement, partial: bool) -> int:
    """R-SCORE-1/2/3: the requirement's weight, 3 in the partial case of 3.5.3 and 3.13.11, 0 for 3.12.4."""
    if partial and requirement.id in PARTIAL_CREDIT:
        return PARTIAL_CREDIT[requirement.id]
    return requirement.weight or 0


def poam_eligibility(requirement: Requirement, partial: bool) -> tuple[bool, str]:
    """Whether a NOT MET requirement may sit on a Level 2 POA&M, and if not, why (R-POAM-3, R-POAM-4)."""
    eligibility = requirement.poam_eligibility
    if eligibility is PoamEligibility.YES:
        return True, ""
    if eligibility is PoamEligibility.CONDITIONAL:
        if partial:
            return True, ""
        return False, (
            "R-POAM-3: 3.13.11 may be on a POA&M only where encryption is employed but not FIPS-validated; "
            "with no encryption at all it may not"
        )
    if requirement.id in _NAMED_EXCLUSIONS:
        return False, "R-POAM-4: named in 32 CFR 170.21(a)(2)(iii) as never allowed on a POA&M"
    return False, f"R-POAM-3: its point value ({requirement.weight}) is greater than 1"


_NAMED_EXCLUSIONS = frozenset({"3.1.20", "3.1.22", "3.12.4", "3.10.3", "3.10.4", "3.10.5"})


def _combine(results: Iterable[RequirementResult], catalog: Catalog) -> dict[str, RequirementResult]:
    """One result per requirement; where the input holds several, NOT MET wins (R-FIND-1)."""
    combined: dict[str, RequirementResult] = {}
    for result in results:
        requirement = catalog.get(result.requirement)
        current = combined.get(requirement.id)
        if current is None or _worse(result, current):
            combined[requirement.id] = result
    return combined


_RANK = {Determination.NOT_APPLICABLE: 0, Determination.MET: 1, Determination.NOT_MET: 2}


def _worse(new: RequirementResult, old: RequirementResult) -> bool:
    if _RANK[new.determination] != _RANK[old.determination]:
        return _RANK[new.determination] > _RANK[old.determination]
    # Both NOT MET: the full deduction is worse than the partial case.
    return old.partial and not new.partial


def score(results: Iterable[RequirementResult], catalog: Catalog | None = None) -> ScoreReport:
    """Score a self-assessment and say what Level 2 status it supports.

    Requirements absent from ``results`` are NOT MET: MET needs evidence (R-FIND-1), and the report lists
    them as unanswered so that nobody mistakes a gap in the file for a finding.
    """
    catalog = catalog or load_catalog()
    by_id = _combine(results, catalog)
    not_met: list[Deduction] = []
    reasons: list[str] = []
    for requirement in catalog:
        result = by_id.get(requirement.id)
        if result is not None and result.determination is not Determination.NOT_MET:
            continue
        partial = bool(result and result.partial and requirement.id in PARTIAL_CREDIT)
        eligible, why = poam_eligibility(requirement, partial)
        not_met.append(Deduction(requirement, deduction_points(requirement, partial), partial, eligible, why,
                                 unanswered=result is None))

    # R-SCORE-4: a NOT MET requirement with no plan of action makes 3.12.2 NOT MET too.
    unplanned = [d for d in not_met
                 if (r := by_id.get(d.requirement.id)) is not None and r.has_plan is False]
    if unplanned and all(d.requirement.id != PLAN_OF_ACTION_REQUIREMENT for d in not_met):
        plan = catalog.get(PLAN_OF_ACTION_REQUIREMENT)
        eligible, why = poam_eligibility(plan, False)
        not_met.append(Deduction(plan, deduction_points(plan, False), False, eligible, why, derived=True))
        not_met.sort(key=lambda d: d.requirement.order)
        reasons.append(
            f"R-SCORE-4: {len(unplanned)} NOT MET requirement(s) have no plan of action "
            f"({', '.join(d.requirement.id for d in unplanned[:5])}{', ...' if len(unplanned) > 5 else ''}), "
            "so 3.12.2 is NOT MET as well (-3)"
        )

    unanswered = [d for d in not_met if d.unanswered]
    if unanswered:
        reasons.append(
            f"R-FIND-1: {len(unanswered)} requirement(s) have no determination in the input and are counted "
            "NOT MET"
        )
    blocking = [d for d in not_met if not d.eligible]
    level1_met = not any(d.requirement.level1_id for d in not_met)
    no_ssp = any(d.requirement.id == SSP_REQUIREMENT for d in not_met)

    value: int | None = MAX_SCORE - sum(d.points for d in not_met)
    if no_ssp:
        value = None
        level2 = Level2.NO_SCORE
        reasons.append(
            "R-SCORE-3: 3.12.4 (System Security Plan) is NOT MET; without an up-to-date SSP the assessment "
            "cannot be completed, so there is no score"
        )
    elif not not_met:
        level2 = Level2.FINAL
        reasons.append("R-POAM-5: all 110 requirements are MET or N/A: Final Level 2 status")
    elif value >= CONDITIONAL_THRESHOLD and not blocking:
        level2 = Level2.CONDITIONAL
        reasons.append(
            f"R-POAM-2: the score {value} is at least {CONDITIONAL_THRESHOLD}, and R-POAM-5: every one of the "
            f"{len(not_met)} NOT MET requirements may be on a POA&M: Conditional Level 2 status, to be closed "
            "out within 180 days (R-CLOSE-1)"
        )
    else:
        level2 = Level2.NOT_ELIGIBLE
        if value < CONDITIONAL_THRESHOLD:
            reasons.append(f"R-POAM-2: the score {value} is below {CONDITIONAL_THRESHOLD}")
        if blocking:
            reasons.append(
                f"R-POAM-5: {len(blocking)} NOT MET requirement(s) may not be on a POA&M "
                f"({', '.join(d.requirement.id for d in blocking)})"
            )
    if not level1_met:
        reasons.append("R-POAM-1: a Level 1 requirement is NOT MET, and Level 1 never allows a POA&M")
    return ScoreReport(value, level2, level1_met, not_met, blocking, _path(not_met, blocking, no_ssp), reasons)


def _path(not_met: list[Deduction], blocking: list[Deduction], no_ssp: bool) -> Path:
    """The shortest way to a Conditional status: the ineligible first, then the largest deductions.

    Implementing a requirement gives back exactly its deduction, independently of the others, so taking the
    largest deductions first reaches 88 with the fewest requirements.
    """
    total = sum(d.points for d in not_met)
    after_first = MAX_SCORE - total + sum(d.points for d in blocking)
    rest = sorted((d for d in not_met if d.eligible), key=lambda d: (-d.points, d.requirement.order))
    then: list[Deduction] = []
    running = after_first
    for deduction in rest:
        if running >= CONDITIONAL_THRESHOLD:
            break
        then.append(deduction)
        running += deduction.points
    return Path(tuple(blocking), after_first, tuple(then), running)


def describe(deduction: Deduction) -> str:
    """A one-line account of a deduction, for people."""
    requirement = deduction.requirement
    text = f"{requirement.cmmc_id} {requirement.title}: -{deduction.points}"
    if deduction.partial:
        text += " (partial, R-SCORE-2)"
    if deduction.unanswered:
        text += " (no determination in the input)"
    if deduction.derived:
        text += " (R-SCORE-4: NOT MET requirements without a plan of action)"
    return text
