"""The portfolio: a provider's client organizations side by side, one plain row each.

The one read behind the portfolio page, its CSV export (and any other reader: an API, a command): each
client's SPRS score and its move since the last monthly snapshot, the Level 2 verdict, the closeout countdown,
its open, overdue and stale items, what falls due next and when the last monthly review was held.

Which clients a person sees (``visible_clients``): a provider's administrators see every client's figures; its
other members only the clients they are members of themselves. Nobody outside the provider sees the list.

The cost is a fixed number of queries whatever the number of clients: the clients with their snapshot and
review (one query), their audit chain heads (one), then, for the clients whose register changed since it was
last summed up here, at most seven queries over all of them at once. A client's figures depend only on its
register and the day, so they are kept in this process by the head of the client's audit chain, which every
write moves in the same transaction (as the register's index is, ``punchlist.web.queries``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Exists, Max, Min, OuterRef, Q, Subquery

from punchlist.audit.chain import GENESIS, organization_chain_key
from punchlist.audit.models import ChainHead
from punchlist.core import metrics
from punchlist.core.closeout import closeout
from punchlist.core.scoring import score
from punchlist.orgs.models import Membership, Organization, Role
from punchlist.orgs.permissions import role_of
from punchlist.register import mapping
from punchlist.register.details import updated_before_in_sql
from punchlist.register.models import Assessment, ItemRequirement, Milestone, PoamItem, RequirementStatus
from punchlist.rhythm.models import ManagementReview, ScoreSnapshot
from punchlist.rhythm.periods import month_of

OPEN_STATUSES = tuple(str(status) for status in mapping.OPEN_STATUSES)
DUE_SOON_DAYS = 14  # "due soon" as the leadership report's "what is due" looks ahead
NO_VERDICT = "no assessment"


@dataclass(frozen=True, slots=True)
class Figures:
    """What a client's register says on a day: kept per state of its audit chain."""

    score: int | None  # None: no assessment yet, or no score (no SSP)
    verdict: str  # the Level 2 verdict ("conditional"), NO_VERDICT without an assessment
    conditional_date: date | None
    closeout_deadline: date | None
    closeout_days_left: int | None  # negative once expired
    open_items: int
    overdue: int
    stale: int
    due_soon: int  # completions and milestones falling due in the next DUE_SOON_DAYS days
    next_deadline: date | None  # the first completion or milestone due from today on
    next_deadline_what: str  # "POA-3 scheduled completion" or "POA-3 milestone: Buy the tokens"


@dataclass(frozen=True, slots=True)
class ClientRow:
    pk: int
    name: str
    slug: str
    is_member: bool  # the person may open the client's own pages
    score: int | None
    previous_score: int | None  # the last monthly snapshot before this month
    previous_month: date | None
    verdict: str
    conditional_date: date | None
    closeout_deadline: date | None
    closeout_days_left: int | None
    open_items: int
    overdue: int
    stale: int
    due_soon: int
    next_deadline: date | None
    next_deadline_what: str
    last_review: date | None

    @property
    def trend(self) -> int | None:
        """Points gained (positive) or lost since the last monthly snapshot."""
        if self.score is None or self.previous_score is None:
            return None
        return self.score - self.previous_score


# --- who sees which clients ------------------------------------------------------------------------------------------

def sees_every_client(user, provider) -> bool:
    return role_of(user, provider) is Role.ADMIN


def visible_clients(provider, user):
    """The clients of ``provider`` whose figures ``user`` may see (least privilege: a provider's staff see the
    clients they are members of, its administrators all). Empty for anyone outside the provider."""
    clients = Organization.objects.filter(provider=provider)
    role = role_of(user, provider)
    if role is None or not provider.is_provider:
        return clients.none()
    if role is not Role.ADMIN:
        clients = clients.filter(Exists(Membership.objects.filter(organization=OuterRef("pk"), user=user)))
    return clients


# --- the rows ------------------------------------------------------------------------------------------------------

def portfolio(provider, user, *, as_of: date) -> list[ClientRow]:
    """Every client ``user`` may see, by name, with its figures on ``as_of``."""
    month = month_of(as_of)
    snapshots = ScoreSnapshot.objects.filter(organization=OuterRef("pk"), month__lt=month).order_by("-month")
    reviews = ManagementReview.objects.filter(organization=OuterRef("pk"), held_on__lte=as_of)
    clients = list(visible_clients(provider, user).order_by("name", "pk").annotate(
        is_member=Exists(Membership.objects.filter(organization=OuterRef("pk"), user=user)),
        previous_score=Subquery(snapshots.values("score")[:1]),
        previous_month=Subquery(snapshots.values("month")[:1]),
        last_review=Subquery(reviews.order_by().values("organization").annotate(last=Max("held_on"))
                             .values("last")[:1]),
    ).values("pk", "name", "slug", "is_member", "previous_score", "previous_month", "last_review"))
    if not clients:
        return []
    figures = client_figures([client["pk"] for client in clients], as_of)
    return [ClientRow(pk=c["pk"], name=c["name"], slug=c["slug"], is_member=c["is_member"],
                      previous_score=c["previous_score"], previous_month=c["previous_month"],
                      last_review=c["last_review"], **_as_dict(figures[c["pk"]]))
            for c in clients]


def _as_dict(figures: Figures) -> dict:
    return {name: getattr(figures, name) for name in Figures.__slots__}


# --- the figures, kept by the state of each client's register ------------------------------------------------------

_KEPT: OrderedDict[int, tuple[tuple, Figures]] = OrderedDict()
_KEPT_LOCK = threading.Lock()
KEPT_CLIENTS = 5_000  # a row is a few hundred bytes


def forget(organization=None) -> None:
    with _KEPT_LOCK:
        if organization is None:
            _KEPT.clear()
        else:
            _KEPT.pop(organization.pk, None)


def client_figures(organization_ids: list[int], as_of: date) -> dict[int, Figures]:
    """The figures of these organizations on ``as_of``: one query when none of them changed since they were
    last computed here, at most eight otherwise, whatever the number of organizations. On a new day, a register
    that has not changed keeps its score and Conditional status date; only what depends on the day (the items
    and milestones' figures) is counted again."""
    keys = {organization_chain_key(pk): pk for pk in organization_ids}
    heads = {keys[key]: (seq, digest) for key, seq, digest in
             ChainHead.objects.filter(key__in=list(keys)).values_list("key", "last_seq", "last_hash")}
    versions = {pk: (*heads.get(pk, (0, GENESIS)), as_of) for pk in organization_ids}
    found: dict[int, Figures] = {}
    unchanged: dict[int, Figures] = {}  # the register as it was, on another day
    with _KEPT_LOCK:
        for pk, version in versions.items():
            kept = _KEPT.get(pk)
            if kept is None:
                continue
            if kept[0] == version:
                found[pk] = kept[1]
                _KEPT.move_to_end(pk)
            elif kept[0][:2] == version[:2]:
                unchanged[pk] = kept[1]
    missing = [pk for pk in organization_ids if pk not in found]
    if missing:
        computed = _compute(missing, as_of, unchanged)
        found.update(computed)
        with _KEPT_LOCK:
            for pk, figures in computed.items():
                _KEPT[pk] = (versions[pk], figures)
                _KEPT.move_to_end(pk)
            while len(_KEPT) > KEPT_CLIENTS:
                _KEPT.popitem(last=False)
    return found


def _compute(organization_ids: list[int], as_of: date, unchanged: dict[int, Figures]) -> dict[int, Figures]:
    """Queries for every organization at once: assessments, determinations and planned requirements (the
    score, skipped for the registers in ``unchanged``), two over the open items and two over their
    milestones."""
    scored = [pk for pk in organization_ids if pk not in unchanged]
    latest, runs_clock = _assessments(scored) if scored else ({}, {})
    scores = _scores(scored, latest)
    for pk, figures in unchanged.items():
        scores[pk] = (figures.score, figures.verdict)
        if figures.conditional_date is not None:
            runs_clock[pk] = (None, figures.conditional_date, None)
    counts = _item_figures(organization_ids, as_of)
    milestones = _milestone_figures(organization_ids, as_of)
    out = {}
    for pk in organization_ids:
        value, verdict = scores.get(pk, (None, NO_VERDICT))
        clock_assessment = runs_clock.get(pk)
        clock = closeout(clock_assessment[1], as_of) if clock_assessment else None
        tally = counts.get(pk, _Tally())
        soon, first, first_what = milestones.get(pk, (0, None, ""))
        next_deadline, next_what = tally.next_deadline, tally.next_what
        if first is not None and (next_deadline is None or first < next_deadline):
            next_deadline, next_what = first, first_what
        out[pk] = Figures(
            score=value, verdict=verdict,
            conditional_date=clock.conditional_date if clock else None,
            closeout_deadline=clock.deadline if clock else None,
            closeout_days_left=clock.days_left if clock else None,
            open_items=tally.open, overdue=tally.overdue, stale=tally.stale, due_soon=tally.due_soon + soon,
            next_deadline=next_deadline, next_deadline_what=next_what)
    return out


def _assessments(organization_ids):
    """Each organization's latest assessment (what its score is) and the one whose Conditional status date
    runs the closeout clock (``rhythm.agenda.closeout_assessment``: the marked one, else the latest dated)."""
    latest: dict[int, int] = {}
    runs_clock: dict[int, tuple[int, date, bool]] = {}
    rows = (Assessment.objects.filter(organization_id__in=organization_ids).order_by("-assessed_on", "-pk")
            .values_list("pk", "organization_id", "conditional_status_date", "is_the_assessment_poam"))
    for pk, organization_id, conditional, marked in rows:
        latest.setdefault(organization_id, pk)
        if conditional is not None:
            kept = runs_clock.get(organization_id)
            if kept is None or (marked and not kept[2]):
                runs_clock[organization_id] = (pk, conditional, marked)
    return latest, runs_clock


def _scores(organization_ids, latest: dict[int, int]) -> dict[int, tuple[int | None, str]]:
    """The latest assessment's SPRS score and Level 2 verdict, R-SCORE-4 applied from the register
    (``mapping.score_assessment``, for every organization at once)."""
    if not latest:
        return {}
    planned: dict[int, set[str]] = defaultdict(set)
    for organization_id, requirement in (
            ItemRequirement.objects.filter(item__organization_id__in=organization_ids,
                                           item__status__in=OPEN_STATUSES)
            .values_list("item__organization_id", "requirement").order_by().distinct()):
        planned[organization_id].add(requirement)
    by_assessment: dict[int, list] = defaultdict(list)
    for row in (RequirementStatus.objects.filter(assessment_id__in=list(latest.values())).order_by()
                .values_list("assessment_id", "requirement", "determination", "partial")):
        by_assessment[row[0]].append(row[1:])
    out = {}
    for organization_id, assessment_id in latest.items():
        plan = planned.get(organization_id, set())
        report = score(mapping.result_of(requirement, determination, partial, plan)
                       for requirement, determination, partial in by_assessment.get(assessment_id, ()))
        out[organization_id] = (report.score, str(report.level2))
    return out


@dataclass(slots=True)
class _Tally:
    open: int = 0
    overdue: int = 0
    stale: int = 0
    due_soon: int = 0
    next_deadline: date | None = None
    next_what: str = ""


def _item_figures(organization_ids, as_of: date) -> dict[int, _Tally]:
    """Open, overdue and stale items and the next completion due, counted as the register and the lint count
    them, in two queries whatever the number of items: overdue is ``metrics.is_overdue`` (a scheduled
    completion before today), stale is a status date as records give it (``details.last_updated``) before
    ``metrics.stale_before``, both written as SQL."""
    tallies: dict[int, _Tally] = {}
    soon_end = as_of + timedelta(days=DUE_SOON_DAYS)
    items = PoamItem.objects.filter(organization_id__in=organization_ids, status__in=OPEN_STATUSES).order_by()
    coming = Q(scheduled_completion__gte=as_of)
    for row in items.values("organization_id").annotate(
            open=Count("pk"), overdue=Count("pk", filter=Q(scheduled_completion__lt=as_of)),
            stale=Count("pk", filter=updated_before_in_sql(metrics.stale_before(as_of))),
            due_soon=Count("pk", filter=coming & Q(scheduled_completion__lte=soon_end)),
            next_deadline=Min("scheduled_completion", filter=coming)):
        tallies[row["organization_id"]] = _Tally(open=row["open"], overdue=row["overdue"], stale=row["stale"],
                                                 due_soon=row["due_soon"], next_deadline=row["next_deadline"])
    nexts = {tally.next_deadline for tally in tallies.values() if tally.next_deadline is not None}
    if nexts:
        for organization_id, due, identifier in (
                items.filter(scheduled_completion__in=nexts).order_by("organization_id", "identifier")
                .values_list("organization_id", "scheduled_completion", "identifier")):
            tally = tallies[organization_id]
            if due == tally.next_deadline and not tally.next_what:
                tally.next_what = f"{identifier} scheduled completion"
    return tallies


def _milestone_figures(organization_ids, as_of: date) -> dict[int, tuple[int, date | None, str]]:
    """Per organization: undone milestones of open items falling due in the next DUE_SOON_DAYS days, and the
    first one due from today on (two queries)."""
    soon_end = as_of + timedelta(days=DUE_SOON_DAYS)
    milestones = Milestone.objects.filter(item__organization_id__in=organization_ids,
                                          item__status__in=OPEN_STATUSES, done_on=None, dropped_on=None,
                                          due__gte=as_of).order_by()
    out: dict[int, tuple[int, date | None, str]] = {
        row["item__organization_id"]: (row["soon"], row["first"], "")
        for row in milestones.values("item__organization_id").annotate(
            soon=Count("pk", filter=Q(due__lte=soon_end)), first=Min("due"))}
    firsts = {first for _, first, _ in out.values()}
    if firsts:
        for organization_id, due, identifier, description in (
                milestones.filter(due__in=firsts)
                .order_by("item__organization_id", "item__identifier", "position", "pk")
                .values_list("item__organization_id", "due", "item__identifier", "description")):
            soon, first, what = out[organization_id]
            if due == first and not what:
                out[organization_id] = (soon, first, f"{identifier} milestone: {description}")
    return out


# --- filters and order --------------------------------------------------------------------------------------------

VERDICT_CHOICES = (("", "Any verdict"), ("final", "Final"), ("conditional", "Conditional"),
                   ("not eligible", "Not eligible"), ("no score", "No score"), (NO_VERDICT, "No assessment"))
ATTENTION_CHOICES = (("", "All clients"), ("overdue", "With overdue items"), ("stale", "With stale items"),
                     ("closeout", "Closeout within 90 days or expired"))
SORT_CHOICES = (("name", "Name"), ("score", "SPRS score, lowest first"), ("closeout", "Closeout, soonest first"),
                ("overdue", "Overdue items, most first"), ("stale", "Stale items, most first"),
                ("deadline", "Next deadline, soonest first"), ("review", "Last review, oldest first"))
CLOSEOUT_SOON_DAYS = 90  # the first mark of the closeout countdown's warnings (core.closeout.WARNING_DAYS)


@dataclass(frozen=True)
class PortfolioFilter:
    verdict: str = ""
    attention: str = ""
    q: str = ""
    sort: str = "name"

    @classmethod
    def from_query(cls, query) -> PortfolioFilter:
        """From a GET query: unknown values are ignored (a hand-edited address shows every client)."""
        verdict = query.get("verdict", "")
        attention = query.get("attention", "")
        sort = query.get("sort", "name")
        return cls(verdict=verdict if verdict in dict(VERDICT_CHOICES) else "",
                   attention=attention if attention in dict(ATTENTION_CHOICES) else "",
                   q=(query.get("q") or "").strip()[:100],
                   sort=sort if sort in dict(SORT_CHOICES) else "name")

    def query(self) -> str:
        from urllib.parse import urlencode

        return urlencode({name: value for name, value in
                          (("verdict", self.verdict), ("attention", self.attention), ("q", self.q),
                           ("sort", "" if self.sort == "name" else self.sort)) if value})

    def apply(self, rows: list[ClientRow]) -> list[ClientRow]:
        if self.verdict:
            rows = [row for row in rows if row.verdict == self.verdict]
        if self.attention == "overdue":
            rows = [row for row in rows if row.overdue]
        elif self.attention == "stale":
            rows = [row for row in rows if row.stale]
        elif self.attention == "closeout":
            rows = [row for row in rows
                    if row.closeout_days_left is not None and row.closeout_days_left <= CLOSEOUT_SOON_DAYS]
        for word in self.q.casefold().split():
            rows = [row for row in rows if word in row.name.casefold() or word in row.slug]
        key = SORT_KEYS.get(self.sort)
        return sorted(rows, key=key) if key else rows


_LAST = date.max


SORT_KEYS = {
    "score": lambda row: (row.score is None, row.score or 0, row.name.casefold()),
    "closeout": lambda row: (row.closeout_days_left is None, row.closeout_days_left or 0, row.name.casefold()),
    "overdue": lambda row: (-row.overdue, row.name.casefold()),
    "stale": lambda row: (-row.stale, row.name.casefold()),
    "deadline": lambda row: (row.next_deadline or _LAST, row.name.casefold()),
    "review": lambda row: (row.last_review is not None, row.last_review or _LAST, row.name.casefold()),
}


__all__ = ["ClientRow", "Figures", "PortfolioFilter", "client_figures", "forget", "portfolio", "sees_every_client",
           "visible_clients"]
