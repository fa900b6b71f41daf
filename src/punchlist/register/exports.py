"""What every export of an organization's POA&M needs from the register, read in a fixed number of queries.

``build_export`` gives the core Poam (``mapping.to_poam``: items, requirements, milestones and the four
people), the evidence of each item (its own, and what was added elsewhere and linked to it) with its
SHA-256, and the ExportContext: who it is for, the marking (the POA&M for the assessment only where an
assessment is marked as the one whose POA&M goes to the assessor, ``Assessment.is_the_assessment_poam``; an
internal tracking document otherwise), and the SPRS score and Level 2 verdict for the summary. The writers
in ``punchlist.interchange`` take it from there.
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass, replace
from datetime import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from punchlist.core import records
from punchlist.core.scoring import score
from punchlist.interchange.exports import EvidenceEntry, ExportContext
from punchlist.orgs.permissions import require

from . import mapping
from .models import Assessment, Evidence, EvidenceRequirement, Kind, PoamItem

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$")


@dataclass(frozen=True, slots=True)
class RegisterExport:
    poam: records.Poam
    context: ExportContext
    evidence: dict[str, list[EvidenceEntry]]  # by item identifier, oldest first


# Which items an export holds: one kind unless asked for both (the assessment POA&M and the operational
# plan of action are two records, R-CLOSE-4).
EXPORT_KINDS = {"assessment_poam": (Kind.ASSESSMENT_POAM,), "operational_plan": (Kind.OPERATIONAL_PLAN,),
                "both": (Kind.ASSESSMENT_POAM, Kind.OPERATIONAL_PLAN)}


def build_export(actor, organization, *, system: str | None = None, generated_at: datetime | None = None,
                 kind: str = "assessment_poam", include_closed: bool = False) -> RegisterExport:
    """The organization's items of ``kind`` ("assessment_poam", "operational_plan" or "both") and their
    context, as the actor may read them (any member may); closed (and risk-accepted) items only when asked.

    Marked "POA&M for the CMMC assessment" only when a person has marked an assessment's POA&M official and
    the export holds assessment POA&M items alone; every other export is an internal tracking document.
    """
    require(actor, "register.view_item", organization)
    if kind not in EXPORT_KINDS:
        raise ValueError(f"kind {kind!r} is not one of {', '.join(EXPORT_KINDS)}")
    items = PoamItem.objects.restrict(actor, organization).filter(kind__in=EXPORT_KINDS[kind])
    if not include_closed:
        items = items.filter(status__in=mapping.OPEN_STATUSES)
    poam = mapping.to_poam(items)
    evidence = _evidence(items)
    for item in poam.items:  # the item's evidence as the exports show it: every entry, in full
        entries = evidence.get(item.id)
        item.evidence = "\n\n".join(entry.description for entry in entries) if entries else ""
    assessment = (Assessment.objects.for_organization(organization).select_related("scope")
                  .order_by("-is_the_assessment_poam", "-assessed_on", "-pk").first())
    context = ExportContext(
        organization=organization.name,
        system=system or (assessment.scope.name if assessment is not None and assessment.scope else "")
        or organization.name,
        generated_at=generated_at or timezone.now(),
        for_assessment=bool(assessment is not None and assessment.is_the_assessment_poam
                            and assessment.official_marked_at is not None and kind == "assessment_poam"),
        uuid_key=f"punchlist-organization-{organization.oscal_seed}",
        ssp_href=organization.ssp_href or None,
    )
    if assessment is not None:
        results = mapping.results(assessment)
        if results:  # an assessment with nothing recorded yet has no score to show
            report = score(results)
            context = replace(context, score=report.score, verdict=report.level2.value)
    return RegisterExport(poam=poam, context=context, evidence=evidence)


_EVIDENCE_FIELDS = ("pk", "name", "file", "sha256", "size", "reference", "description", "added_by_id", "added_at",
                    "custodian_id", "collected_on", "review_by", "file_type")


def _evidence(items) -> dict[str, list[EvidenceEntry]]:
    """Each item's evidence: what was added to it and what was added elsewhere and linked to it (two
    queries, one for the requirements each shows met and one for the names of the people), oldest first."""
    selected = items.values("pk")
    rows = set(Evidence.objects.filter(item__in=selected).values_list("item__identifier", *_EVIDENCE_FIELDS))
    rows.update(Evidence.linked_items.through.objects.filter(poamitem__in=selected).values_list(
        "poamitem__identifier", *(f"evidence__{name}" for name in _EVIDENCE_FIELDS)))
    rows = sorted(rows, key=lambda row: (row[0], row[9], row[1]))  # identifier, added_at, pk
    shown: dict[int, list[str]] = {}
    for evidence, requirement in EvidenceRequirement.objects.filter(
            evidence__in={row[1] for row in rows}).values_list("evidence", "requirement"):
        shown.setdefault(evidence, []).append(requirement)
    people = {pk: f"{first} {last}".strip() or username for pk, first, last, username in
              get_user_model().objects.filter(pk__in={row[8] for row in rows} | {row[10] for row in rows})
              .values_list("pk", "first_name", "last_name", "username")}
    found: dict[str, list[EvidenceEntry]] = {}
    for (identifier, pk, name, file, sha256, size, reference, description, added_by, added_at, custodian,
         collected_on, review_by, file_type) in rows:
        found.setdefault(identifier, []).append(evidence_entry(
            name=name, stored=bool(file), sha256=sha256, size=size, reference=reference, description=description,
            added_by=people.get(added_by), added_on=timezone.localdate(added_at) if added_at else None,
            custodian=people.get(custodian), collected_on=collected_on, review_by=review_by,
            file_type=file_type or None, requirements=tuple(shown.get(pk, ()))))
    return found


def evidence_entry(*, name: str, stored: bool, sha256: str, size: int | None, reference: str, description: str,
                   added_by: str | None, added_on, **kept) -> EvidenceEntry:
    """One piece of evidence as exports show it: a stored file by its name and hash, a link as a link, and
    the words about it in full (an import keeps the file's whole text as the reference and its first 255
    characters as the name, so the name is not said twice)."""
    link = reference if _URL.match(reference) else None
    detail = description or ("" if link else reference)
    if not detail or detail == name:
        text = name
    elif detail.startswith(name):
        text = detail
    else:
        text = f"{name}: {detail}"
    known = stored or bool(sha256)  # a file, kept in the vault or known by its hash from an imported export
    return EvidenceEntry(description=text, href=link, filename=name if known else None, sha256=sha256 or None,
                         media_type=mimetypes.guess_type(name)[0] if known else None, size=size,
                         added_by=added_by, added_on=added_on, name=name,
                         reference=None if link else reference or None, note=description or None, **kept)


__all__ = ["EXPORT_KINDS", "RegisterExport", "build_export", "evidence_entry"]
