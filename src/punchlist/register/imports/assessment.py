"""Importing a self-assessment: a new assessment with a determination per requirement, all or nothing."""

from __future__ import annotations

from django.utils import timezone

from punchlist.audit import chain
from punchlist.core import records
from punchlist.core.catalog import PARTIAL_CREDIT, load_catalog
from punchlist.dbinsert import insert_rows
from punchlist.errors import InputError, InputErrors
from punchlist.orgs.permissions import require

from ..models import RequirementStatus
from ..services._common import writing
from ..services.assessments import create_assessment


def import_assessment(actor, organization, results: list[records.RequirementResult], *, assessed_on, file: str = "",
                      level: int = 2, kind: str = "self", title: str = "", scope=None):
    """A new assessment with a determination per requirement (R-FIND-1, R-SCORE-2).

    Requirements the file does not answer are left without a status: scoring counts them NOT MET and says
    they were unanswered.
    """
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
    with writing(organization):
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
