"""Scanner findings and the remediation policy, as the Item screen's Scan findings and the Remediation policy
page have them, through ``scans.decisions`` and ``scans.policy``: an item's findings host by host, a decision
on them (false positive, operational requirement, open again) with its reason, and the days a finding of each
severity has before its item is due."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from django.http import Http404
from ninja import Query, Router, Schema
from pydantic import Field

from punchlist.orgs.permissions import require
from punchlist.register.models import PoamItem
from punchlist.scans.decisions import decide_findings
from punchlist.scans.models import RemediationPolicy, ScanFinding
from punchlist.scans.policy import FIELDS, MOST_DAYS, policy_of, set_policy

from .auth import organization
from .errors import ApiError, responses

router = Router(tags=["scans"])
LIMIT = 500


class ScanFindingOut(Schema):
    key: str  # the weakness, "nessus:19506" or "stig:V-71849"
    host: str
    state: str  # open, fixed (not found by a later scan), false_positive, operational
    first_seen: date
    last_seen: date
    last_scan: str  # the file of the last scan that reported it
    decided_by: str | None
    decided_at: datetime | None
    reason: str


class ScanFindingPage(Schema):
    findings: list[ScanFindingOut]
    total: int
    next_cursor: str | None  # pass as ?cursor= for the next page; null on the last


class DecisionIn(Schema):
    decision: Literal["false_positive", "operational", "open"]
    reason: str = Field(min_length=1, max_length=2000)  # kept with the decision, in the audit trail
    hosts: list[str] | None = Field(default=None, max_length=10_000)  # null: every host of the item


class DecisionOut(Schema):
    changed: list[ScanFindingOut]  # the findings whose state changed (none: they were so already, or fixed)


class Policy(Schema):
    critical_days: int = Field(ge=1, le=MOST_DAYS)
    high_days: int = Field(ge=1, le=MOST_DAYS)
    moderate_days: int = Field(ge=1, le=MOST_DAYS)
    low_days: int = Field(ge=1, le=MOST_DAYS)


class PolicyOut(Policy):
    is_default: bool  # nobody changed it
    updated_at: datetime | None
    updated_by: str | None


def _name(user) -> str | None:
    if user is None:
        return None
    return f"{user.first_name} {user.last_name}".strip() or user.username


def _finding(f: ScanFinding) -> dict:
    return {"key": f.key, "host": f.host, "state": f.state, "first_seen": f.first_seen, "last_seen": f.last_seen,
            "last_scan": f.last_scan.file_name, "decided_by": _name(f.decided_by), "decided_at": f.decided_at,
            "reason": f.reason}


def _item(request, slug: str, identifier: str) -> PoamItem:
    org = organization(request, slug)
    item = PoamItem.objects.for_organization(org).filter(identifier=identifier).first()
    if item is None:
        raise Http404(f"No item {identifier} in this organization")
    item.organization = org
    return item


@router.get("/organizations/{slug}/items/{identifier}/scan-findings", response=responses(200, ScanFindingPage),
            summary="An item's scan findings, host by host")
def list_scan_findings(request, slug: str, identifier: str, cursor: str = Query("", max_length=20),
                       limit: int = Query(200, ge=1, le=LIMIT)):
    """When each was first and last seen, by which scan, and any decision on it, by host."""
    item = _item(request, slug, identifier)
    require(request.user, "scans.view_findings", item)
    if cursor and not cursor.isdigit():
        raise ApiError(400, "invalid", "cursor is not one this API gave; start again without it")
    start = int(cursor or 0)
    rows = ScanFinding.objects.filter(item=item).select_related("last_scan", "decided_by").order_by("host", "key")
    total = rows.count()
    page = list(rows[start:start + limit])
    end = start + len(page)
    return {"findings": [_finding(f) for f in page], "total": total,
            "next_cursor": str(end) if end < total else None}


@router.post("/organizations/{slug}/items/{identifier}/scan-findings/decision",
             response=responses(200, DecisionOut), summary="Decide on an item's scan findings, with the reason")
def decide_scan_findings(request, slug: str, identifier: str, data: DecisionIn):
    """A false positive (the scanner is wrong about the host), an operational requirement (real, and kept on
    purpose), or open again (a decision taken back), on the hosts named or all of the item's. A finding so
    decided no longer holds up the item's closure nor reopens it when a scan reports it again. A
    coordinator's or an administrator's."""
    item = _item(request, slug, identifier)
    require(request.user, "scans.decide_finding", item)
    hosts = None
    if data.hosts is not None:
        hosts = [host for host in data.hosts if host.strip()] or None  # none named: every host, as on the web
    changed = decide_findings(request.user, item, decision=data.decision, reason=data.reason, hosts=hosts)
    fresh = {f.pk: f for f in ScanFinding.objects.filter(pk__in=[f.pk for f in changed])
             .select_related("last_scan", "decided_by")}
    return {"changed": [_finding(fresh[f.pk]) for f in changed]}


def _policy(org) -> dict:
    days = policy_of(org)
    stored = RemediationPolicy.objects.for_organization(org).select_related("updated_by").first()
    return {**{FIELDS[severity]: value for severity, value in days.items()},
            "is_default": stored is None or stored.updated_by is None,
            "updated_at": stored.updated_at if stored is not None and stored.updated_by is not None else None,
            "updated_by": _name(stored.updated_by) if stored is not None else None}


@router.get("/organizations/{slug}/remediation-policy", response=responses(200, PolicyOut),
            summary="How many days a scan finding of each severity has")
def read_remediation_policy(request, slug: str):
    """Counted from the day the finding was first seen; every member reads it."""
    return _policy(organization(request, slug))


@router.put("/organizations/{slug}/remediation-policy", response=responses(200, PolicyOut),
            summary="Change the remediation policy")
def change_remediation_policy(request, slug: str, data: Policy):
    """A coordinator's or an administrator's. Items already made keep their due dates; the next scan's new
    findings are due by the new policy."""
    org = organization(request, slug)
    require(request.user, "scans.change_policy", org)
    values = data.dict()
    set_policy(request.user, org, {severity: values[name] for severity, name in FIELDS.items()})
    return _policy(org)

