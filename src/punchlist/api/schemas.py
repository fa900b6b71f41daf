"""The shapes the API reads and writes. Dates are ISO 8601; people are ``{id, name}``; an item's identifier
("POAM-AC-001") names it in URLs, as on the web."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import Field


class Person(Schema):
    id: int
    name: str


class Organization(Schema):
    slug: str
    name: str
    role: str  # the calling person's role there


class Member(Schema):
    id: int
    username: str
    name: str
    role: str
    version: int  # the membership's, named in If-Match when changing the role


class RoleChange(Schema):
    role: Literal["admin", "coordinator", "owner", "approver", "viewer"]
    reason: str = Field(default="", max_length=2000)


class Finding(Schema):
    check: str
    message: str
    item: str | None = None


class ItemSummary(Schema):
    identifier: str
    original_id: str
    kind: str
    family: str
    requirements: list[str]
    title: str
    status: str
    severity: str
    owner: str
    owner_ids: list[int]
    approver_id: int | None
    due: date | None
    tier: int  # 1 (CUI exposure) to 5 (done): the risk order's tier
    tier_label: str
    reason: str
    findings: list[Finding]


class ItemPage(Schema):
    items: list[ItemSummary]
    total: int  # items matching the filters
    next_cursor: str | None  # pass as ?cursor= for the next page; null on the last


class Milestone(Schema):
    id: int
    description: str
    due: date | None
    original_due: date | None
    done_on: date | None
    dropped_on: date | None
    drop_reason: str
    version: int


class Evidence(Schema):
    id: int
    item: str  # the item it was added to (evidence linked from another item names that one)
    name: str
    reference: str
    description: str
    sha256: str
    size: int | None
    file_type: str
    added_by: str
    added_at: datetime
    collected_on: date | None
    review_by: date | None
    version: int
    download: str | None  # the file's URL in this API; null for a reference


class Event(Schema):
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    reason: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class Item(Schema):
    identifier: str
    external_id: str
    kind: str
    status: str
    family: str
    requirements: list[str]
    objectives: list[str]
    title: str
    weakness: str
    severity: str
    remediation: str
    interim_mitigation: str
    responsible_unit: str
    resources: str
    source: str
    primary_owner: Person | None
    supporting_owner: Person | None
    approval_authority: Person | None
    evidence_custodian: Person | None
    assessment: int | None
    start_date: date | None
    scheduled_completion: date | None
    original_scheduled_completion: date | None
    completion_date: date | None
    verified_by: Person | None
    verified_at: datetime | None
    details: dict[str, Any]  # the further details (status date, assets, CVEs, comments, budget, ...) that are set
    version: int  # also the ETag; send it back as If-Match to change the item
    created_at: datetime
    updated_at: datetime
    moves: list[str]  # the status moves the caller may make now
    milestones: list[Milestone]
    evidence: list[Evidence]
    findings: list[Finding]
    history: list[Event]


Text = Field(default=None, max_length=100_000)


class MilestoneIn(Schema):
    description: str = Field(min_length=1, max_length=2000)
    due: date | None = None


class ItemCreate(Schema):
    requirements: list[str] = Field(min_length=1, max_length=110)
    title: str = Field(min_length=1, max_length=300)
    kind: Literal["assessment_poam", "operational_plan"] = "assessment_poam"
    status: Literal["draft", "open"] = "draft"
    assessment: int | None = None
    objectives: list[str] = Field(default_factory=list, max_length=320)
    weakness: str = Field(default="", max_length=100_000)
    severity: Literal["", "low", "moderate", "high", "critical"] = ""
    remediation: str = Field(default="", max_length=100_000)
    interim_mitigation: str = Field(default="", max_length=100_000)
    responsible_unit: str = Field(default="", max_length=200)
    resources: str = Field(default="", max_length=100_000)
    source: str = Field(default="", max_length=200)
    external_id: str = Field(default="", max_length=100)
    primary_owner: int | None = None
    supporting_owner: int | None = None
    approval_authority: int | None = None
    evidence_custodian: int | None = None
    start_date: date | None = None
    scheduled_completion: date | None = None
    milestones: list[MilestoneIn] = Field(default_factory=list, max_length=100)


class ItemChange(Schema):
    """Only the fields sent are changed. People, kind, requirements and assessment are a coordinator's."""

    title: str | None = Field(default=None, min_length=1, max_length=300)
    weakness: str | None = Text
    severity: Literal["", "low", "moderate", "high", "critical"] | None = None
    remediation: str | None = Text
    interim_mitigation: str | None = Text
    responsible_unit: str | None = Field(default=None, max_length=200)
    resources: str | None = Text
    source: str | None = Field(default=None, max_length=200)
    objectives: list[str] | None = Field(default=None, max_length=320)
    start_date: date | None = None
    scheduled_completion: date | None = None
    comments: str | None = Text
    kind: Literal["assessment_poam", "operational_plan"] | None = None
    requirements: list[str] | None = Field(default=None, min_length=1, max_length=110)
    assessment: int | None = None
    primary_owner: int | None = None
    supporting_owner: int | None = None
    approval_authority: int | None = None
    evidence_custodian: int | None = None
    reason: str = Field(default="", max_length=2000)  # why; needed when the scheduled completion slips


class Move(Schema):
    reason: str = Field(default="", max_length=2000)
    completion_date: date | None = None  # approve: the day the work was done (default today)
    record_met: bool = False  # approve: record the requirement MET in the same step (R-SCORE-4)
    to_status: Literal["open", "in_progress"] | None = None  # reopen: where the item goes back to


class MilestoneDone(Schema):
    done_on: date | None = None


class MilestoneSlip(Schema):
    due: date
    reason: str = Field(min_length=1, max_length=2000)


class MilestoneUndo(Schema):
    reason: str = Field(default="", max_length=2000)  # why the tick was a mistake (kept in the history)


class MilestoneDrop(Schema):
    reason: str = Field(min_length=1, max_length=2000)


class Determination(Schema):
    requirement: str
    determination: str
    partial: bool
    implementation: str
    version: int


class DeductionOut(Schema):
    requirement: str
    title: str
    points: int
    partial: bool
    eligible: bool
    why_ineligible: str
    unanswered: bool
    derived: bool


class AssessmentSummary(Schema):
    id: int
    title: str
    level: int
    kind: str
    assessed_on: date
    conditional_status_date: date | None
    is_the_assessment_poam: bool
    version: int


class Path(Schema):
    implement_first: list[str]
    score_after_first: int | None
    then_implement: list[str]
    score_then: int | None


class Assessment(AssessmentSummary):
    score: int | None
    verdict: str  # final, conditional, not eligible, no score
    reasons: list[str]
    not_met: list[DeductionOut]
    what_it_would_take: list[str]
    path: Path
    closeout_deadline: date | None
    determinations: list[Determination]
    earned_status: str  # the outcome recorded: "final", "conditional", or "" (none yet)
    recorded_score: int | None  # the score when the outcome was recorded


class OutcomeIn(Schema):
    """What an assessment found, as the Assessment screen's Outcome form records it."""

    kind: Literal["self", "c3pao"]
    assessed_on: date
    status: Literal["final", "conditional", ""]  # "" records no status
    score: int | None = Field(default=None, ge=-1000, le=1000)  # if sent, must be the determinations' score
    conditional_date: date | None = None  # the CMMC Status Date; with a Conditional status only
    reason: str = Field(default="", max_length=2000)  # needed to change or clear a Conditional status date


class OfficialIn(Schema):
    reason: str = Field(default="", max_length=2000)


class DeterminationIn(Schema):
    determination: Literal["met", "not_met", "not_applicable"]
    partial: bool = False
    implementation: str | None = Field(default=None, max_length=100_000)
