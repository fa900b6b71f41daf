"""Assessments: the determinations, the SPRS score and Level 2 verdict recomputed from them (never stored),
and what it would take to reach a Conditional status; recording a determination as the Assessment screen does."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from ninja import Router

from punchlist.core.catalog import load_catalog
from punchlist.core.closeout import closeout_deadline
from punchlist.orgs.permissions import require
from punchlist.register import mapping, services
from punchlist.register.models import Assessment, RequirementStatus

from . import schemas
from .auth import organization
from .errors import ApiError, responses
from .locking import IfMatch, etag, if_match

router = Router(tags=["assessments"])
SUMMARY_FIELDS = ("pk", "title", "level", "kind", "assessed_on", "conditional_status_date",
                  "is_the_assessment_poam", "version")


def _summary(a) -> dict:
    return {"id": a.pk, "title": a.title, "level": a.level, "kind": a.kind, "assessed_on": a.assessed_on,
            "conditional_status_date": a.conditional_status_date,
            "is_the_assessment_poam": a.is_the_assessment_poam, "version": a.version}


@router.get("/organizations/{slug}/assessments", response=responses(200, list[schemas.AssessmentSummary]),
            summary="The organization's assessments, latest first")
def list_assessments(request, slug: str):
    org = organization(request, slug)
    return [_summary(a) for a in Assessment.objects.for_organization(org).only(*SUMMARY_FIELDS)]


def _assessment(org, pk: int) -> Assessment:
    found = (Assessment.objects.for_organization(org)
             .prefetch_related(Prefetch("statuses", queryset=RequirementStatus.objects.order_by("requirement")))
             .filter(pk=pk).first())
    if found is None:
        raise Http404(f"No assessment #{pk} in this organization")
    found.organization = org
    return found


def _deduction(d) -> dict:
    return {"requirement": d.requirement.id, "title": d.requirement.title, "points": d.points,
            "partial": d.partial, "eligible": d.eligible, "why_ineligible": d.why_ineligible,
            "unanswered": d.unanswered, "derived": d.derived}


def detail(assessment) -> dict:
    report = mapping.score_assessment(assessment)
    path = report.path
    catalog = load_catalog()
    order = {r.id: i for i, r in enumerate(catalog)}
    statuses = sorted(assessment.statuses.all(), key=lambda s: order.get(s.requirement, len(order)))
    return {
        **_summary(assessment),
        "score": report.score, "verdict": report.level2.value, "reasons": list(report.reasons),
        "not_met": [_deduction(d) for d in report.not_met],
        "what_it_would_take": services.what_it_would_take(report),
        "path": {"implement_first": [d.requirement.id for d in path.implement_first],
                 "score_after_first": path.score_after_first,
                 "then_implement": [d.requirement.id for d in path.then_implement], "score_then": path.score_then},
        "closeout_deadline": closeout_deadline(assessment.conditional_status_date)
        if assessment.conditional_status_date else None,
        "determinations": [{"requirement": s.requirement, "determination": s.determination, "partial": s.partial,
                            "implementation": s.implementation, "version": s.version} for s in statuses],
        "earned_status": assessment.earned_status, "recorded_score": assessment.recorded_score,
    }


@router.get("/organizations/{slug}/assessments/{pk}", response=responses(200, schemas.Assessment),
            summary="An assessment with its determinations, score, verdict and what it would take")
def read_assessment(request, response: HttpResponse, slug: str, pk: int):
    """Its version is also the ETag, which recording the outcome or marking the official POA&M names."""
    org = organization(request, slug)
    assessment = _assessment(org, pk)
    response["ETag"] = etag(assessment.version)
    return detail(assessment)


@router.post("/organizations/{slug}/assessments/{pk}/outcome", response=responses(200, schemas.Assessment),
             summary="Record what an assessment found: its kind, date, score and the status it earned")
def record_outcome(request, response: HttpResponse, slug: str, pk: int, data: schemas.OutcomeIn,
                   if_match_header: IfMatch = ""):
    """A coordinator's or an administrator's. The score is the determinations' (another is refused); a
    Conditional status needs its date and the determinations' support, a Final one every requirement MET or
    N/A; a refusal lists its reasons and what it would take. If-Match names the assessment's version."""
    org = organization(request, slug)
    assessment = _assessment(org, pk)
    require(request.user, "register.manage_assessment", assessment)
    version = if_match(request)
    try:
        services.record_outcome(request.user, assessment, kind=data.kind, assessed_on=data.assessed_on,
                                status=data.status, score=data.score, conditional_date=data.conditional_date,
                                reason=data.reason, version=version)
    except services.OutcomeRefused as exc:
        raise ApiError(400, "invalid", str(exc), problems=[*exc.reasons, *(f"What it would take: {step}"
                                                                           for step in exc.would_take)]) from None
    fresh = _assessment(org, pk)
    response["ETag"] = etag(fresh.version)
    return detail(fresh)


@router.post("/organizations/{slug}/assessments/{pk}/official", response=responses(200, schemas.Assessment),
             summary="Mark this assessment's POA&M as the official one, handed to the assessor")
def mark_official(request, response: HttpResponse, slug: str, pk: int, data: schemas.OfficialIn,
                  if_match_header: IfMatch = ""):
    """Any other assessment loses the mark. Refused while an open assessment POA&M item it governs is for a
    requirement that may never be on a POA&M (R-POAM-3/4). If-Match names the assessment's version."""
    org = organization(request, slug)
    assessment = _assessment(org, pk)
    require(request.user, "register.manage_assessment", assessment)
    version = if_match(request)
    services.mark_official_poam(request.user, assessment, reason=data.reason, version=version)
    fresh = _assessment(org, pk)
    response["ETag"] = etag(fresh.version)
    return detail(fresh)


@router.put("/organizations/{slug}/assessments/{pk}/requirements/{requirement}",
            response=responses(200, schemas.Determination), summary="Record a requirement's determination")
def record_determination(request, response: HttpResponse, slug: str, pk: int, requirement: str,
                         data: schemas.DeterminationIn,
        if_match_header: IfMatch = ""):
    """If-Match names the determination's version as read (``"0"`` when none was recorded yet); a coordinator's
    or an administrator's."""
    org = organization(request, slug)
    assessment = _assessment(org, pk)
    require(request.user, "register.manage_assessment", assessment)
    found = load_catalog().find(requirement)
    if found is None:
        raise Http404(f"{requirement!r} is not a NIST SP 800-171 Rev 2 requirement")
    status = services.set_requirement_status(request.user, assessment, found.id, data.determination,
                                             partial=data.partial, implementation=data.implementation,
                                             version=if_match(request))
    response["ETag"] = etag(status.version)
    return {"requirement": status.requirement, "determination": status.determination, "partial": status.partial,
            "implementation": status.implementation, "version": status.version}
