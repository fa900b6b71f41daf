"""Register rows to ``punchlist.core`` records, so that scoring, eligibility, closeout and lint run on
stored data exactly as they run on a spreadsheet. Nothing here decides anything."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Prefetch

from punchlist.core import records
from punchlist.core.scoring import ScoreReport, score

from .details import DETAILS, last_updated
from .models import Assessment, Evidence, ItemBlocker, Milestone, PoamItem, RequirementStatus, Status

OPEN_STATUSES = (Status.DRAFT, Status.OPEN, Status.IN_PROGRESS, Status.READY_FOR_VERIFICATION)


def person(user) -> str:
    """How core records name a person: the full name where known, else the user name."""
    if user is None:
        return ""
    return user.get_full_name().strip() or user.username


def items_for_records(queryset):
    """The item queryset with everything ``to_record`` reads, in a fixed number of queries."""
    return queryset.select_related(
        "primary_owner", "supporting_owner", "approval_authority", "evidence_custodian",
    ).prefetch_related(
        "requirement_links",
        Prefetch("blocker_links",
                 queryset=ItemBlocker.objects.select_related("blocker").order_by("blocker__identifier")),
        Prefetch("milestones", queryset=Milestone.objects.order_by("position", "pk")),
        Prefetch("evidence", queryset=Evidence.objects.order_by("added_at", "pk")),
    )


def to_record(item: PoamItem) -> records.PoamItem:
    return records.PoamItem(
        id=item.identifier,
        requirements=[link.requirement for link in item.requirement_links.all()],
        objectives=list(item.objectives or []),
        title=item.title,
        weakness=item.weakness,
        severity=records.Severity[item.severity.upper()] if item.severity else None,
        remediation=item.remediation,
        responsible_unit=item.responsible_unit,
        primary_owner=person(item.primary_owner),
        supporting_owner=person(item.supporting_owner),
        approval_authority=person(item.approval_authority),
        evidence_custodian=person(item.evidence_custodian),
        resources=item.resources,
        source=item.source,
        start_date=item.start_date,
        scheduled_completion=item.scheduled_completion,
        completion_date=item.completion_date,
        last_updated=last_updated(item.status_date, item.updated_at, item.version),
        milestones=[records.Milestone(m.description, m.due, m.done_on, m.dropped_on) for m in item.milestones.all()],
        status=records.ItemStatus[item.status.upper()],
        kind=records.RecordKind[item.kind.upper()],
        evidence="; ".join(e.name for e in item.evidence.all()),
        original_id=item.external_id if item.external_id != item.identifier else "",
        interim_mitigation=item.interim_mitigation,
        blocked_by=[link.blocker.identifier for link in item.blocker_links.all()],
        **{name: getattr(item, name) for name in DETAILS},
    )


_ITEM_COLUMNS = ("pk", "identifier", "objectives", "title", "weakness", "severity", "remediation",
                 "responsible_unit", "primary_owner_id", "supporting_owner_id", "approval_authority_id",
                 "evidence_custodian_id", "resources", "source", "start_date", "scheduled_completion",
                 "completion_date", "updated_at", "status", "kind", "version", "status_date", "external_id",
                 "interim_mitigation", *DETAILS)


def to_poam(queryset) -> records.Poam:
    """An organization's items as a core Poam, for ``punchlist.core.checks.lint`` and the reports.

    Reads plain rows (six queries, whatever the number of items) instead of model instances: building
    10,000 items with their milestones as Django objects costs several times the lint itself.
    """
    from django.contrib.auth import get_user_model

    from punchlist.orgs.models import Membership

    from .models import ItemRequirement

    rows = list(queryset.values_list(*_ITEM_COLUMNS))
    selected = queryset.values("pk")
    requirements: dict[int, list[str]] = {}
    for item_id, requirement in (ItemRequirement.objects.filter(item__in=selected)
                                 .order_by("item_id", "position").values_list("item_id", "requirement")):
        requirements.setdefault(item_id, []).append(requirement)
    milestones: dict[int, list[records.Milestone]] = {}
    for item_id, description, due, done_on, dropped_on in (
            Milestone.objects.filter(item__in=selected).order_by("item_id", "position", "pk")
            .values_list("item_id", "description", "due", "done_on", "dropped_on")):
        milestones.setdefault(item_id, []).append(records.Milestone(description, due, done_on, dropped_on))
    blocked_by: dict[int, list[str]] = {}
    for item_id, blocker in (ItemBlocker.objects.filter(item__in=selected).order_by("item_id", "blocker__identifier")
                             .values_list("item_id", "blocker__identifier")):
        blocked_by.setdefault(item_id, []).append(blocker)
    evidence: dict[int, list[str]] = {}
    for item_id, name in (Evidence.objects.filter(item__in=selected).order_by("item_id", "added_at", "pk")
                          .values_list("item_id", "name")):
        evidence.setdefault(item_id, []).append(name)
    people_ids = {row[i] for row in rows for i in (8, 9, 10, 11) if row[i] is not None}
    # Who still belongs is asked in the same query (a subquery): the people the items name who have left.
    belongs = Exists(Membership.objects.filter(user=OuterRef("pk"),
                                               organization_id__in=queryset.values("organization_id")))
    names, departed = {}, set()
    for pk, first, last, username, member in (get_user_model().objects.filter(pk__in=people_ids)
                                              .annotate(member=belongs)
                                              .values_list("pk", "first_name", "last_name", "username", "member")):
        names[pk] = f"{first} {last}".strip() or username
        if not member:
            departed.add(names[pk])
    statuses, kinds = records.ItemStatus, records.RecordKind
    severities = {s.name.lower(): s for s in records.Severity}
    items = [
        records.PoamItem(
            id=identifier, requirements=requirements.get(pk, []), objectives=list(objectives or []), title=title,
            weakness=weakness, severity=severities.get(severity), remediation=remediation,
            responsible_unit=unit, primary_owner=names.get(owner, ""), supporting_owner=names.get(support, ""),
            approval_authority=names.get(authority, ""), evidence_custodian=names.get(custodian, ""),
            resources=resources, source=source, start_date=start, scheduled_completion=scheduled,
            completion_date=completion, last_updated=last_updated(status_date, updated, version),
            milestones=milestones.get(pk, []), status=statuses[status.upper()], kind=kinds[kind.upper()],
            evidence="; ".join(evidence.get(pk, ())), original_id=external if external != identifier else "",
            interim_mitigation=interim, blocked_by=blocked_by.get(pk, []),
            **dict(zip(DETAILS, details)),
        )
        for (pk, identifier, objectives, title, weakness, severity, remediation, unit, owner, support, authority,
             custodian, resources, source, start, scheduled, completion, updated, status, kind, version, status_date,
             external, interim, *details) in rows
    ]
    return records.Poam(items, source="register", departed=frozenset(departed))


def departed_names(organizations, names: dict[int, str]) -> frozenset[str]:
    """The names (of ``names``: user pk -> name) of the people who belong to none of ``organizations`` (a
    queryset of organization ids, or ids): the items that name them answer to nobody (lint's departed-person)."""
    from punchlist.orgs.models import Membership

    if not names:
        return frozenset()
    members = set(Membership.objects.filter(organization_id__in=organizations, user_id__in=list(names))
                  .values_list("user_id", flat=True))
    return frozenset(name for pk, name in names.items() if pk not in members)


def item_poam(item: PoamItem) -> records.Poam:
    """One item (read with ``items_for_records``) as a core Poam, knowing who of its people has left."""
    people = {user.pk: person(user) for user in (item.primary_owner, item.supporting_owner,
                                                   item.approval_authority, item.evidence_custodian) if user}
    return records.Poam([to_record(item)], source="register",
                        departed=departed_names([item.organization_id], people))


def to_result(status: RequirementStatus, planned: set[str] | None = None) -> records.RequirementResult:
    return result_of(status.requirement, status.determination, status.partial, planned, status.implementation)


def result_of(requirement: str, determination: str, partial: bool, planned: set[str] | None = None,
              implementation: str = "") -> records.RequirementResult:
    """A stored determination as a core result; ``planned`` (the requirements with an open item) says whether
    a NOT MET requirement has a plan (R-SCORE-4). For reads that take the columns without the model."""
    found = records.Determination[determination.upper()]
    has_plan = None
    if planned is not None and found is records.Determination.NOT_MET:
        has_plan = requirement in planned
    return records.RequirementResult(requirement=requirement, determination=found, partial=partial,
                                     has_plan=has_plan, implementation=implementation)


def planned_requirements(organization) -> set[str]:
    """Requirements with an open item of either kind: a plan of action exists for them (R-SCORE-4)."""
    from .models import ItemRequirement

    return set(ItemRequirement.objects.filter(item__organization=organization, item__status__in=OPEN_STATUSES)
               .values_list("requirement", flat=True).order_by().distinct())


def results(assessment: Assessment) -> list[records.RequirementResult]:
    planned = planned_requirements(assessment.organization)
    return [to_result(s, planned) for s in assessment.statuses.all()]


def score_assessment(assessment: Assessment) -> ScoreReport:
    """The SPRS score and Level 2 verdict of a stored assessment, R-SCORE-4 applied from the register."""
    return score(results(assessment))


def lint_organization(organization, *, as_of, level: int = 2, queryset=None):
    """The assessor's eye (``punchlist.core.checks.lint``) over an organization's stored items."""
    from punchlist.core.checks import lint

    queryset = queryset if queryset is not None else PoamItem.objects.for_organization(organization)
    return lint(to_poam(queryset), as_of=as_of, level=level)


def records_from(items: Iterable[PoamItem]) -> list[records.PoamItem]:
    return [to_record(item) for item in items]


__all__ = ["departed_names", "item_poam", "items_for_records", "lint_organization", "person", "planned_requirements",
           "records_from",
           "result_of", "results", "score_assessment", "to_poam", "to_record", "to_result"]
