"""What the reports show, read from the register in a fixed number of queries whatever its size.

``Snapshot`` loads an organization's register once, lazily, as plain rows (never one query per item); the
figures below (the headline, the score over time, the burndown, ...) and the views' and reports' own objects in
``sections`` compute from it with ``punchlist.core`` (scoring, closeout, lint, metrics). Views and PDF reports
render what these return and compute nothing themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property

from django.utils import timezone

from punchlist.audit.models import AuditEvent
from punchlist.core import metrics, records
from punchlist.core.checks import CHECKS, LintFinding, lint
from punchlist.core.closeout import Closeout, closeout
from punchlist.core.metrics import MilestoneDates, ScorePoint, Span
from punchlist.core.scoring import Deduction, Level2, ScoreReport, score
from punchlist.interchange.exports import MARKING_ASSESSMENT, MARKING_INTERNAL
from punchlist.register import mapping
from punchlist.register.models import Assessment, Milestone, PoamItem, RequirementStatus
from punchlist.web.words import day

DUE_DAYS = 14  # "what is due in the next 14 days"
LIST_LIMIT = 25  # rows of a list in a report; the counts always cover everything
MONTH = 30  # "since last month"
VERDICTS = {
    Level2.FINAL: "Final Level 2: every requirement is MET or N/A",
    Level2.CONDITIONAL: "Conditional Level 2: eligible, with a POA&M to close out within 180 days",
    Level2.NOT_ELIGIBLE: "Not eligible for Level 2 status yet",
    Level2.NO_SCORE: "No score: the System Security Plan (3.12.4) is NOT MET",
}


@dataclass(frozen=True, slots=True)
class AssessmentRow:
    pk: int
    title: str
    assessed_on: date
    level: int
    kind: str
    conditional_status_date: date | None
    is_the_assessment_poam: bool

    def __str__(self) -> str:
        return self.title or f"Level {self.level} assessment of {day(self.assessed_on)}"


@dataclass(frozen=True, slots=True)
class ItemFacts:
    """What the reports need of an item beyond its core record."""

    pk: int
    created_on: date | None
    original_scheduled_completion: date | None
    assessment_id: int | None


@dataclass(frozen=True, slots=True)
class ReviewRecord:
    month: date
    held_on: date
    decisions: str
    attended: str


class Snapshot:
    """One organization's register as of a day. Each part is read on first use, in one or a few queries."""

    def __init__(self, organization, *, as_of: date | None = None, generated_at: datetime | None = None):
        self.organization = organization
        self.generated_at = generated_at or timezone.now()
        self.as_of = as_of or timezone.localdate(self.generated_at)

    # --- reads ---------------------------------------------------------------------------------------------

    @cached_property
    def assessments(self) -> list[AssessmentRow]:
        """Newest first, as the register orders them (the first is the one `punchlist score` reads)."""
        rows = (Assessment.objects.for_organization(self.organization).order_by("-assessed_on", "-pk")
                .values_list("pk", "title", "assessed_on", "level", "kind", "conditional_status_date",
                             "is_the_assessment_poam", "official_marked_at"))
        # Official only once a person has marked it so (who and when recorded).
        return [AssessmentRow(*row[:6], row[6] and row[7] is not None) for row in rows]

    @cached_property
    def statuses(self) -> dict[int, list[tuple[int, str, str, bool]]]:
        """(pk, requirement, determination, partial) per assessment."""
        found: dict[int, list] = {a.pk: [] for a in self.assessments}
        for pk, assessment_id, requirement, determination, partial in (
                RequirementStatus.objects.for_organization(self.organization)
                .values_list("pk", "assessment_id", "requirement", "determination", "partial")):
            found.setdefault(assessment_id, []).append((pk, requirement, determination, partial))
        return found

    @cached_property
    def planned(self) -> set[str]:
        """Requirements with an open item: a plan of action exists (R-SCORE-4)."""
        return mapping.planned_requirements(self.organization)

    @cached_property
    def items_queryset(self):
        return PoamItem.objects.for_organization(self.organization)

    @cached_property
    def poam(self) -> records.Poam:
        return mapping.to_poam(self.items_queryset)

    @cached_property
    def items(self) -> list[records.PoamItem]:
        return self.poam.items

    @cached_property
    def open_items(self) -> list[records.PoamItem]:
        return metrics.open_items(self.items)

    @cached_property
    def overdue(self) -> list[tuple[records.PoamItem, int]]:
        return metrics.overdue(self.open_items, self.as_of)

    @cached_property
    def facts(self) -> dict[str, ItemFacts]:
        return {identifier: ItemFacts(pk, timezone.localdate(created) if created else None, original, assessment)
                for pk, identifier, created, original, assessment in self.items_queryset.values_list(
                    "pk", "identifier", "created_at", "original_scheduled_completion", "assessment_id")}

    @cached_property
    def milestone_dates(self) -> list[tuple[str, MilestoneDates]]:
        rows = (Milestone.objects.for_organization(self.organization)
                .values_list("item__identifier", "due", "original_due", "done_on"))
        return [(identifier, MilestoneDates(due, original, done)) for identifier, due, original, done in rows]

    @cached_property
    def recorded_changes(self) -> list[tuple[int, metrics.Change]]:
        """Determinations as the audit trail recorded them: (assessment pk, change), oldest first.

        The services name a status by its pk, an import by "assessment:requirement"; an update names only the
        fields it changed, so the state of each requirement is carried forward between events.
        """
        owner = {pk: assessment for assessment, rows in self.statuses.items() for pk, *_ in rows}
        state: dict[tuple[int, str], tuple[str, bool]] = {}
        changes = []
        for at, object_id, subject, after in (
                AuditEvent.objects.for_organization(self.organization)
                .filter(action="set_requirement_status").order_by("seq")
                .values_list("at", "object_id", "subject", "after")):
            assessment = _assessment_of(object_id, owner)
            if assessment is None or not subject or not isinstance(after, dict):
                continue
            key = (assessment, subject)
            determination, partial = state.get(key, (None, False))
            determination = after.get("determination", determination)
            partial = bool(after.get("partial", partial))
            state[key] = (determination, partial)
            if determination is None:
                continue
            try:
                value = records.Determination[determination.upper()]
            except KeyError:
                continue
            changes.append((assessment, metrics.Change(timezone.localdate(at), subject, value, partial)))
        return changes

    @cached_property
    def last_review(self) -> ReviewRecord | None:
        """The latest monthly management review on record (``punchlist.rhythm``), if that app is here."""
        from django.apps import apps

        if not apps.is_installed("punchlist.rhythm"):
            return None
        review_model = apps.get_model("rhythm", "ManagementReview")
        row = (review_model.objects.for_organization(self.organization).order_by("-month", "-pk")
               .values_list("pk", "month", "held_on", "decisions", "other_attendees").first())
        if row is None:
            return None
        pk, month, held_on, decisions, others = row
        names = [f"{first} {last}".strip() or username for first, last, username in
                 review_model.attendees.through.objects.filter(managementreview_id=pk)
                 .order_by("user__last_name", "user__first_name")
                 .values_list("user__first_name", "user__last_name", "user__username")]
        if others:
            names.append(others)
        return ReviewRecord(month, held_on, decisions, ", ".join(names))

    # --- derived -------------------------------------------------------------------------------------------

    @property
    def current(self) -> AssessmentRow | None:
        return self.assessments[0] if self.assessments else None

    @property
    def level(self) -> int:
        return self.current.level if self.current is not None else 2

    @cached_property
    def for_assessment(self) -> bool:
        """The marking follows the exports: the POA&M for the assessment only where one is marked as it."""
        return any(a.is_the_assessment_poam for a in self.assessments)

    @property
    def marking(self) -> str:
        return MARKING_ASSESSMENT if self.for_assessment else MARKING_INTERNAL

    def results(self, assessment: AssessmentRow, *, planned: set[str] | None = None):
        rows = self.statuses.get(assessment.pk, [])
        out = []
        for _pk, requirement, determination, partial in rows:
            value = records.Determination[determination.upper()]
            has_plan = None
            if planned is not None and value is records.Determination.NOT_MET:
                has_plan = requirement in planned
            out.append(records.RequirementResult(requirement, value, partial=partial, has_plan=has_plan))
        return out

    @cached_property
    def score_report(self) -> ScoreReport | None:
        """The latest assessment's score, R-SCORE-4 applied from the items (``mapping.score_assessment``)."""
        if self.current is None:
            return None
        return score(self.results(self.current, planned=self.planned))

    @cached_property
    def lint_findings(self) -> list[LintFinding]:
        """The assessor's eye over every item (what ``mapping.lint_organization`` returns), on the rows read."""
        return lint(self.poam, as_of=self.as_of, level=self.level)

    @cached_property
    def governing(self) -> AssessmentRow | None:
        """The assessment whose Conditional date runs the closeout clock: the one marked as the assessment
        POA&M when it has a date, else the latest with one."""
        marked = [a for a in self.assessments if a.is_the_assessment_poam and a.conditional_status_date]
        if marked:
            return marked[0]
        return next((a for a in self.assessments if a.conditional_status_date), None)


def _assessment_of(object_id: str, owner: dict[int, int]) -> int | None:
    if ":" in object_id:
        head = object_id.split(":", 1)[0]
        return int(head) if head.isdigit() else None
    return owner.get(int(object_id)) if object_id.isdigit() else None


# --- figures --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Countdown:
    assessment: str
    clock: Closeout
    past_deadline: tuple[records.PoamItem, ...]  # open assessment POA&M items scheduled after the deadline

    @property
    def days_past(self) -> int:
        return max(0, -self.clock.days_left)


@dataclass(slots=True)
class Headline:
    organization: str
    as_of: date
    generated_at: datetime
    marking: str
    assessment: str | None
    assessed_on: date | None
    score: int | None
    score_change: int | None  # against the score a month earlier, where one is known
    level2: Level2 | None
    verdict: str
    reasons: list[str]
    items: int
    open: int
    overdue: int
    due_soon: int
    countdown: Countdown | None


@dataclass(frozen=True, slots=True)
class LintGroup:
    check: str
    description: str
    count: int
    examples: tuple[LintFinding, ...]


@dataclass(slots=True)
class Listing:
    """The first rows of a list and how many there are in all."""

    rows: list
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.rows)


def listing(rows: list, limit: int) -> Listing:
    return Listing(rows[:limit], len(rows))


def headline(snap: Snapshot) -> Headline:
    """The figures every view and report opens with (computed once per snapshot)."""
    cached = snap.__dict__.get("_headline")
    if cached is not None:
        return cached
    snap.__dict__["_headline"] = made = _headline(snap)
    return made


def _headline(snap: Snapshot) -> Headline:
    report = snap.score_report
    current = snap.current
    open_items = snap.open_items
    overdue = snap.overdue
    due = due_soon(snap)
    change = None
    if report is not None and report.score is not None:
        earlier = metrics.score_on(score_history(snap)["all"], snap.as_of - timedelta(days=MONTH))
        if earlier is not None and earlier.score is not None:
            change = report.score - earlier.score
    if report is None:
        level2, verdict, reasons = None, "No assessment recorded yet", [
            "Record a self-assessment (punchlist import FILE --assessment) to score the organization."]
    else:
        level2, verdict, reasons = report.level2, VERDICTS[report.level2], list(report.reasons)
    return Headline(
        organization=snap.organization.name, as_of=snap.as_of, generated_at=snap.generated_at,
        marking=snap.marking, assessment=str(current) if current else None,
        assessed_on=current.assessed_on if current else None,
        score=report.score if report else None, score_change=change, level2=level2, verdict=verdict,
        reasons=reasons, items=len(snap.items), open=len(open_items), overdue=len(overdue), due_soon=len(due),
        countdown=countdown(snap),
    )


def due_soon(snap: Snapshot) -> list[metrics.DueEntry]:
    """Scheduled completions and milestones falling due in the next ``DUE_DAYS`` days: the headline's
    figure and the operations view's list are this one list, so they cannot disagree."""
    cached = snap.__dict__.get("_due_soon")
    if cached is None:
        cached = snap.__dict__["_due_soon"] = metrics.due_within(snap.open_items, snap.as_of, DUE_DAYS)
    return cached


def countdown(snap: Snapshot) -> Countdown | None:
    governing = snap.governing
    if governing is None:
        return None
    clock = closeout(governing.conditional_status_date, snap.as_of)
    late = []
    for item in snap.open_items:
        if item.kind is not records.RecordKind.ASSESSMENT_POAM:
            continue
        facts = snap.facts.get(item.id)
        governed = facts is not None and (facts.assessment_id == governing.pk or (
            facts.assessment_id is None and governing.is_the_assessment_poam))
        if governed and item.scheduled_completion is not None and item.scheduled_completion > clock.deadline:
            late.append(item)
    return Countdown(str(governing), clock, tuple(sorted(late, key=lambda i: i.id or "")))


def score_history(snap: Snapshot) -> dict[str, list[ScorePoint]]:
    """The score over time: each earlier assessment's score on its date and the latest assessment's score
    today (the headline's); and the latest assessment's score after each day of recorded changes to its
    determinations (the audit trail). ``all`` merges both, by date."""
    cached = snap.__dict__.get("_history")
    if cached is not None:
        return cached
    per_assessment = []
    for assessment in reversed(snap.assessments):  # oldest first
        results = snap.results(assessment)
        if not results:
            continue
        if assessment is snap.current:
            report = snap.score_report
            per_assessment.append(ScorePoint(snap.as_of, report.score, report.level2, f"{assessment} (now)"))
        else:
            report = score(results)
            per_assessment.append(ScorePoint(assessment.assessed_on, report.score, report.level2, str(assessment)))
    recorded: list[ScorePoint] = []
    if snap.current is not None:
        recorded = [p for p in metrics.score_timeline([c for a, c in snap.recorded_changes if a == snap.current.pk])
                    if p.on <= snap.as_of]
    merged = sorted(per_assessment + recorded, key=lambda p: (p.on, p.label == ""))
    snap.__dict__["_history"] = history = {"assessments": per_assessment, "recorded": recorded, "all": merged}
    return history


def blocking(snap: Snapshot) -> list[Deduction]:
    return list(snap.score_report.blocking) if snap.score_report else []


def burndown(snap: Snapshot, period: str = "week") -> list[metrics.BurndownPoint]:
    spans = []
    still_open = {id(item) for item in snap.open_items}
    for item in snap.items:
        facts = snap.facts.get(item.id)
        opened = facts.created_on if facts else None
        if item.start_date is not None and (opened is None or item.start_date < opened):
            opened = item.start_date
        closed = None
        if id(item) not in still_open:
            closed = item.completion_date or item.last_updated or snap.as_of
        spans.append(Span(opened, item.scheduled_completion, closed))
    before, after = (12, 12) if period == "week" else (6, 6)
    days = metrics.period_starts(snap.as_of, period, before, after)
    return metrics.burndown(spans, days, snap.as_of)


def slip(snap: Snapshot) -> metrics.SlipRate:
    return metrics.slip_rate(dates for _, dates in snap.milestone_dates)


def slipped_milestones(snap: Snapshot) -> list[tuple[str, MilestoneDates]]:
    """Milestones of open items whose due date moved, those moved furthest first."""
    open_ids = {i.id for i in snap.open_items}
    moved = [(identifier, dates) for identifier, dates in snap.milestone_dates
             if identifier in open_ids and dates.original_due is not None and dates.due != dates.original_due]
    moved.sort(key=lambda pair: (-((pair[1].due or pair[1].original_due) - pair[1].original_due).days, pair[0]))
    return moved


def lint_groups(snap: Snapshot, limit: int = 5) -> list[LintGroup]:
    by_check: dict[str, list[LintFinding]] = {}
    for finding in snap.lint_findings:
        by_check.setdefault(finding.check, []).append(finding)
    order = list(CHECKS)
    return [LintGroup(check, CHECKS.get(check, ""), len(found), tuple(found[:limit]))
            for check, found in sorted(by_check.items(),
                                       key=lambda pair: order.index(pair[0]) if pair[0] in order else 99)]


def family_grid(snap: Snapshot) -> list[metrics.FamilyRow]:
    report = snap.score_report
    if report is None:
        return []
    not_applicable = [requirement for _pk, requirement, determination, _p in snap.statuses.get(snap.current.pk, [])
                      if determination == "not_applicable"]
    return metrics.family_grid([d.requirement.id for d in report.not_met], not_applicable, snap.planned)


def ineligible_items(snap: Snapshot) -> list[LintFinding]:
    """Open items that no POA&M may hold, as the assessor's eye finds them (R-POAM-1, R-POAM-3, R-POAM-4).
    A closed item no longer sits on the POA&M: its requirement is implemented (or on its way to being)."""
    still_open = {item.id for item in snap.open_items}
    return [f for f in snap.lint_findings if f.check == "not-poam-eligible" and f.item in still_open]
