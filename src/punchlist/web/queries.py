"""Reads behind the My work, Register and Assessment screens, each in a fixed number of queries.

The register's default order (``punchlist.core.priority``) and its lint findings (``punchlist.core.checks``)
need every item of the organization, so they are computed once per state of the register and kept in this
process (``register_index``): the next request that finds the same state filters and pages the kept rows and
renders one page. The state is named by the organization's audit chain head, which every write moves in the
same transaction as the write itself (services rule: no write without its audit event), by the names of its
members (owners are judged by name) and by the day (overdue and stale depend on it).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Q

from punchlist.audit.chain import GENESIS, chain_key
from punchlist.audit.models import AuditEvent, ChainHead
from punchlist.core import records
from punchlist.core.catalog import load_catalog
from punchlist.core.checks import CHECKS, LintFinding, lint
from punchlist.core.priority import Tier, risk_order
from punchlist.orgs.models import Membership
from punchlist.register import mapping
from punchlist.register.models import Milestone, PoamItem, Status

OPEN_STATUSES = tuple(str(s) for s in mapping.OPEN_STATUSES)
OPEN = frozenset(OPEN_STATUSES)
PAGE_SIZE = 50


# --- people -----------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Person:
    pk: int
    name: str


def members(organization) -> list[Person]:
    """The organization's people by name, in one query."""
    rows = (Membership.objects.for_organization(organization)
            .values_list("user_id", "user__first_name", "user__last_name", "user__username"))
    people = [Person(pk, f"{first} {last}".strip() or username) for pk, first, last, username in rows]
    people.sort(key=lambda p: (p.name.lower(), p.pk))
    return people


# --- the register index --------------------------------------------------------------------------------------

@dataclass(slots=True)
class Row:
    """One item as the register lists it, with its place in the risk order and its findings."""

    pk: int
    identifier: str
    family: str
    requirements: tuple[str, ...]
    title: str
    status: str  # Status value, "in_progress"
    severity: str  # Severity value or ""
    kind: str
    owner_ids: tuple[int, ...]  # primary, then supporting
    approver_id: int | None
    owner: str  # the primary owner's name
    due: date | None
    tier: Tier
    reason: str
    rank: int  # position in the risk order
    findings: list[LintFinding] = field(default_factory=list)
    checks: frozenset[str] = frozenset()  # the findings' check codes
    text: str = ""  # lower-case text that free-text search looks in
    original_id: str = ""  # the id the item had in the file it came from ("V-1"), when not ours
    why: str = ""  # why it sits where it does in the risk order, in plain words (core.priority.explain)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN




@dataclass(slots=True)
class RegisterIndex:
    version: tuple
    as_of: date
    rows: list[Row]  # in risk order
    file_findings: list[LintFinding]  # about the register as a whole (owner concentration, uniform dates)
    people: list[Person]
    html: dict[int, str] = field(default_factory=dict)  # rows as the register writes them, by item pk
    with_findings: int = 0  # how many rows have findings

    def by_pk(self) -> dict[int, Row]:
        return {row.pk: row for row in self.rows}


_CACHE: OrderedDict[int, RegisterIndex] = OrderedDict()
_CACHE_LOCK = threading.Lock()
# What a process keeps: the indexes of the organizations last looked at, up to this many items in all (an index
# costs about 3 KB per item with its findings and written rows: 30,000 items, about 100 MB per worker).
CACHE_ITEMS = 30_000


def _version(organization, people: list[Person], as_of: date) -> tuple:
    head = (ChainHead.objects.filter(key=chain_key(organization)).values_list("last_seq", "last_hash").first()
            or (0, GENESIS))
    names = hashlib.sha256("\n".join(f"{p.pk}\t{p.name}" for p in people).encode()).hexdigest()
    return (organization.pk, *head, names, as_of)


# Writes that leave every item, milestone and piece of evidence as it was (an assessment's determinations, the
# organization's people): the index stays good across them. Any other kind of write rebuilds it.
NOT_ABOUT_ITEMS = frozenset({"register.assessment", "register.requirementstatus", "register.scope",
                             "register.importprofile", "orgs.membership", "orgs.organization"})
EVENTS_LOOKED_AT = 200


def _unchanged_items(organization, kept: tuple, version: tuple) -> bool:
    """Whether the writes since ``kept`` (same chain, same day, same names) all left the items alone: one
    query over the audit events after the kept head, which must still be the event it was (same hash)."""
    if kept[0] != version[0] or kept[3:] != version[3:] or not 0 < kept[1] < version[1]:
        return False
    events = list(AuditEvent.objects.filter(chain=chain_key(organization), seq__gte=kept[1]).order_by("seq")
                  .values_list("seq", "hash", "object_type")[:EVENTS_LOOKED_AT + 1])
    if len(events) > EVENTS_LOOKED_AT or not events or events[0][:2] != (kept[1], kept[2]):
        return False
    return all(object_type in NOT_ABOUT_ITEMS for _, _, object_type in events[1:])


def register_index(organization, *, as_of: date | None = None, people: list[Person] | None = None
                   ) -> RegisterIndex:
    """Every item of the organization in risk order with its findings: two queries when the register has not
    changed since it was last computed here, three when only writes that leave the items alone happened since
    (an assessment's determinations, say), eight when it has to be computed again."""
    from django.utils import timezone

    as_of = as_of or timezone.localdate()
    people = members(organization) if people is None else people
    version = _version(organization, people, as_of)
    with _CACHE_LOCK:
        index = _CACHE.get(organization.pk)
        if index is not None and index.version == version:
            _CACHE.move_to_end(organization.pk)
            return index
    if index is not None and _unchanged_items(organization, index.version, version):
        index.version = version
        return index
    index = _build_index(organization, version, as_of, people)
    with _CACHE_LOCK:
        _CACHE[organization.pk] = index
        _CACHE.move_to_end(organization.pk)
        while len(_CACHE) > 1 and sum(len(kept.rows) for kept in _CACHE.values()) > CACHE_ITEMS:
            _CACHE.popitem(last=False)
    return index


def forget(organization=None) -> None:
    """Drop the kept index of one organization, or of all."""
    with _CACHE_LOCK:
        if organization is None:
            _CACHE.clear()
        else:
            _CACHE.pop(organization.pk, None)


def _build_index(organization, version: tuple, as_of: date, people: list[Person]) -> RegisterIndex:
    items = PoamItem.objects.for_organization(organization)
    poam = mapping.to_poam(items)
    extra = {identifier: rest for identifier, *rest in
             items.values_list("identifier", "pk", "family", "primary_owner_id", "supporting_owner_id",
                               "approval_authority_id")}
    findings = lint(poam, as_of=as_of)
    by_item: dict[str, list[LintFinding]] = {}
    file_level = []
    for finding in findings:
        if finding.item is None:
            file_level.append(finding)
        else:
            by_item.setdefault(finding.item, []).append(finding)
    catalog = load_catalog()
    cmmc = {r.id: r.cmmc_id.lower() for r in catalog}
    # Enum names looked up once, not per item (an Enum's .name is a descriptor call).
    statuses = {s: s.name.lower() for s in records.ItemStatus}
    severities = {s: s.name.lower() for s in records.Severity}
    severities[None] = ""
    kinds = {k: k.name.lower() for k in records.RecordKind}
    none: list[LintFinding] = []
    no_checks: frozenset[str] = frozenset()
    rows = []
    append = rows.append
    for rank, (record, priority) in enumerate(risk_order(poam.items, catalog, as_of=as_of)):
        identifier = record.id
        pk, family, owner_id, support_id, approver_id = extra[identifier]
        found = by_item.get(identifier, none)
        requirements = tuple(record.requirements)
        text = " ".join((identifier, record.original_id, record.title, record.weakness, record.remediation,
                         record.primary_owner, record.supporting_owner, record.responsible_unit, *requirements,
                         *[cmmc.get(r, "") for r in requirements])).lower()
        if support_id is None:
            owners = () if owner_id is None else (owner_id,)
        else:
            owners = (support_id,) if owner_id is None else (owner_id, support_id)
        append(Row(pk, identifier, family, requirements, record.title, statuses[record.status],
                   severities[record.severity], kinds[record.kind], owners,
                   approver_id, record.primary_owner, record.scheduled_completion, priority.tier, priority.reason,
                   rank, found, frozenset([f.check for f in found]) if found else no_checks, text,
                   record.original_id, priority.why))
    return RegisterIndex(version, as_of, rows, file_level, people,
                         with_findings=len([row for row in rows if row.findings]))


# --- register filters -------------------------------------------------------------------------------------------

DUE_CHOICES = [("", "Any time"), ("overdue", "Overdue"), ("7", "Due in 7 days"), ("30", "Due in 30 days"),
               ("90", "Due in 90 days"), ("none", "No date")]
STATUS_CHOICES = [("", "Any status"), ("active", "Not closed"), *Status.choices]
SORT_CHOICES = [("risk", "Risk"), ("due", "Due date"), ("id", "Identifier")]
# The two records, told apart (R-CLOSE-4): the assessment POA&M, and the operational plan of action (3.12.2).
KIND_CHOICES = [("", "Both kinds"), ("assessment_poam", "Assessment POA&M"),
                ("operational_plan", "Operational plan of action")]


@dataclass
class RegisterFilter:
    """What the register's filter form asks for, read leniently from a GET query: a value that means
    nothing (an unknown family, a malformed date) is dropped and said so in ``problems``."""

    family: str = ""
    requirement: str = ""
    kind: str = ""
    status: str = ""
    severity: str = ""
    owner: int | None = None
    approver: int | None = None
    due: str = ""
    due_before: date | None = None
    finding: str = ""
    q: str = ""
    sort: str = "risk"
    problems: list[str] = field(default_factory=list)

    @classmethod
    def from_query(cls, query) -> RegisterFilter:
        catalog = load_catalog()
        f = cls()
        family = (query.get("family") or "").strip().upper()
        if family in catalog.families:
            f.family = family
        elif family:
            f.problems.append(f"There is no family {family!r}; showing every family.")
        requirement = (query.get("requirement") or "").strip()
        if requirement:
            found = catalog.find(requirement)
            if found is None:
                f.problems.append(f"{requirement!r} is not a NIST SP 800-171 Rev 2 requirement; showing every "
                                  "requirement.")
            else:
                f.requirement = found.id
        kind = query.get("kind") or ""
        if kind in dict(KIND_CHOICES):
            f.kind = kind
        status = query.get("status") or ""
        if status in dict(STATUS_CHOICES):
            f.status = status
        severity = query.get("severity") or ""
        if severity in ("none", "low", "moderate", "high", "critical"):
            f.severity = severity
        owner = (query.get("owner") or "").strip()
        if owner.isdigit():
            f.owner = int(owner)
        approver = (query.get("approver") or "").strip()
        if approver.isdigit():
            f.approver = int(approver)
        due = query.get("due") or ""
        if due in dict(DUE_CHOICES):
            f.due = due
        before = (query.get("due_before") or "").strip()
        if before:
            try:
                f.due_before = date.fromisoformat(before)
            except ValueError:
                f.problems.append(f"{before!r} is not a date like 2026-12-31; the due-before filter is off.")
        finding = query.get("finding") or ""
        if finding == "any" or finding in CHECKS:
            f.finding = finding
        f.q = " ".join((query.get("q") or "").split())[:200]
        sort = query.get("sort") or "risk"
        f.sort = sort if sort in dict(SORT_CHOICES) else "risk"
        return f

    @property
    def active(self) -> bool:
        return any((self.family, self.requirement, self.kind, self.status, self.severity, self.owner, self.approver, self.due,
                    self.due_before, self.finding, self.q))

    def query(self, **changes) -> str:
        """This filter as a URL query (``page`` and others overridden by ``changes``)."""
        from urllib.parse import urlencode

        values = {"family": self.family, "requirement": self.requirement, "kind": self.kind,
                  "status": self.status,
                  "severity": self.severity, "owner": self.owner or "", "approver": self.approver or "",
                  "due": self.due,
                  "due_before": self.due_before.isoformat() if self.due_before else "", "finding": self.finding,
                  "q": self.q, "sort": "" if self.sort == "risk" else self.sort}
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})

    def apply(self, rows: list[Row], today: date) -> list[Row]:
        """The rows that pass every filter, in the asked order: plain Python over the kept rows, one list
        comprehension per filter (no call per row), a few milliseconds for 10,000 items, and the same answers
        on SQLite and PostgreSQL. Without filters, the kept list itself: never change what this returns."""
        open_ = OPEN
        if self.family:
            family = self.family
            rows = [r for r in rows if r.family == family]
        if self.requirement:
            requirement = self.requirement
            rows = [r for r in rows if requirement in r.requirements]
        if self.kind:
            kind = self.kind
            rows = [r for r in rows if r.kind == kind]
        if self.status == "active":
            rows = [r for r in rows if r.status in open_]
        elif self.status:
            status = self.status
            rows = [r for r in rows if r.status == status]
        if self.severity:
            severity = "" if self.severity == "none" else self.severity
            rows = [r for r in rows if r.severity == severity]
        if self.owner:
            owner = self.owner
            rows = [r for r in rows if owner in r.owner_ids]
        if self.approver:
            approver = self.approver
            rows = [r for r in rows if r.approver_id == approver]
        if self.due == "overdue":
            rows = [r for r in rows if r.due is not None and r.due < today and r.status in open_]
        elif self.due == "none":
            rows = [r for r in rows if r.due is None]
        elif self.due:
            limit = today + timedelta(days=int(self.due))
            rows = [r for r in rows if r.due is not None and r.due <= limit and r.status in open_]
        if self.due_before:
            before = self.due_before
            rows = [r for r in rows if r.due is not None and r.due <= before]
        if self.finding == "any":
            rows = [r for r in rows if r.findings]
        elif self.finding:
            check = self.finding
            rows = [r for r in rows if check in r.checks]
        for word in self.q.lower().split():
            rows = [r for r in rows if word in r.text]
        if self.sort == "due":
            rows = sorted(rows, key=lambda r: (r.due is None, r.due or today, r.rank))
        elif self.sort == "id":
            rows = sorted(rows, key=lambda r: r.identifier)
        return rows


# --- My work ------------------------------------------------------------------------------------------------------

DUE_SOON_DAYS = 7  # "due soon" looks a week ahead whatever the weekday, as the reminders do


def due_soon_end(today: date) -> date:
    """The last day of the due-soon window that starts today: a Sunday's list still shows Thursday's
    milestone."""
    return today + timedelta(days=DUE_SOON_DAYS)


@dataclass
class MyWork:
    today: date
    due_soon_end: date
    open_items: list
    overdue_items: list
    overdue_milestones: list
    soon_milestones: list
    approvals: list
    counts: dict


def my_work(organization, user, *, today: date, limit: int | None = None) -> MyWork:
    """One person's work in an organization, each list cut at ``limit`` (a page) with its full count: eight
    queries.

    "Mine" (and "mine to approve") is a subquery over the people columns' own indexes, then narrowed to the
    organization: written beside the organization's filter, SQLite scans every item of the organization.
    """
    from django.db.models import F

    limit = limit or PAGE_SIZE
    items = PoamItem.objects.for_organization(organization)
    mine = PoamItem.objects.filter(Q(primary_owner=user) | Q(supporting_owner=user)).values("pk")
    my_open = items.filter(pk__in=mine, status__in=OPEN_STATUSES)
    waiting = items.filter(pk__in=PoamItem.objects.filter(approval_authority=user).values("pk"),
                           status=Status.READY_FOR_VERIFICATION)
    columns = ("identifier", "title", "status", "severity", "scheduled_completion", "primary_owner_id",
               "supporting_owner_id")
    counts = my_open.aggregate(open=Count("pk"), overdue=Count("pk", filter=Q(scheduled_completion__lt=today)))
    counts["approvals"] = waiting.count()
    milestones = Milestone.objects.filter(item__in=my_open.values("pk"), done_on__isnull=True, due__isnull=False)
    end = due_soon_end(today)
    counts.update(milestones.aggregate(
        overdue_milestones=Count("pk", filter=Q(due__lt=today)),
        soon_milestones=Count("pk", filter=Q(due__gte=today, due__lte=end)),
    ))
    milestone_columns = ("pk", "description", "due", "item__identifier", "item__title")
    by_due = (F("scheduled_completion").asc(nulls_last=True), "identifier")
    approvals = list(waiting.select_related("primary_owner").order_by(*by_due)
                     .only(*columns, "primary_owner__first_name", "primary_owner__last_name",
                           "primary_owner__username")[:limit])
    return MyWork(
        today=today, due_soon_end=end,
        open_items=list(my_open.only(*columns).order_by(*by_due)[:limit]),
        overdue_items=list(my_open.filter(scheduled_completion__lt=today).only(*columns)
                           .order_by("scheduled_completion", "identifier")[:limit]),
        overdue_milestones=list(milestones.filter(due__lt=today).order_by("due", "item__identifier", "position")
                                .values(*milestone_columns)[:limit]),
        soon_milestones=list(milestones.filter(due__gte=today, due__lte=end)
                             .order_by("due", "item__identifier", "position").values(*milestone_columns)[:limit]),
        approvals=approvals,
        counts=counts,
    )


# --- Assessment -----------------------------------------------------------------------------------------------------

def open_items_by_requirement(organization) -> dict[str, int]:
    """How many open items (of either kind) address each requirement: one query."""
    from punchlist.register.models import ItemRequirement

    rows = (ItemRequirement.objects.for_organization(organization).filter(item__status__in=OPEN_STATUSES)
            .values("requirement").annotate(n=Count("item_id", distinct=True)).values_list("requirement", "n"))
    return dict(rows)

