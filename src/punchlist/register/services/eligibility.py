"""Which requirements may be held by an assessment POA&M item (R-POAM-3, R-POAM-4), from
``core.scoring.poam_eligibility``: the rule is written once, there."""

from __future__ import annotations

from punchlist.core.catalog import load_catalog
from punchlist.core.scoring import poam_eligibility

from ..errors import WorkflowError
from ..models import Determination, Kind, RequirementStatus


def ineligible_requirements(requirements, assessment=None) -> list[str]:
    """The requirements among ``requirements`` that may never be on a POA&M. 3.13.11 is eligible only in its
    partial case (encryption employed, not FIPS-validated): where the assessment records it NOT MET without
    that case, it is not; where nothing is recorded yet, it is taken at its word."""
    catalog = load_catalog()
    partial = {}
    if assessment is not None:
        partial = dict(RequirementStatus.objects.filter(
            assessment=assessment, requirement__in=list(requirements), determination=Determination.NOT_MET)
            .values_list("requirement", "partial"))
    return [r for r in requirements
            if not poam_eligibility(catalog.get(r), partial.get(r, True))[0]]


def check_poam_eligible(kind: str, requirements, assessment=None, *, already=None) -> None:
    """Refuse an assessment POA&M item for a requirement that may never be on a POA&M: such work is an
    operational plan of action item, remediation done before the assessment. ``already`` (the kind and
    requirements before an edit) limits the refusal to what the edit brings in."""
    if kind != Kind.ASSESSMENT_POAM:
        return
    bad = ineligible_requirements(requirements, assessment)
    if already is not None and already[0] == Kind.ASSESSMENT_POAM:
        bad = [r for r in bad if r not in already[1]]
    if not bad:
        return
    catalog = load_catalog()
    why = "; ".join(f"{r}: {poam_eligibility(catalog.get(r), False)[1]}" for r in bad)
    raise WorkflowError(
        f"{', '.join(bad)} may never be on a POA&M ({why}); record this work as an operational plan of action "
        "item, remediation done before the assessment, never as an assessment POA&M item")
