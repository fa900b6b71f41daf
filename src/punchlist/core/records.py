"""Plain records the rules run over: what a spreadsheet row or a database row becomes.

Nothing here knows where a record came from; ``row`` is kept only so that a finding can point back at it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum


class Determination(Enum):
    """An assessor's finding on a requirement (R-FIND-1, R-FIND-2)."""

    MET = "MET"
    NOT_MET = "NOT MET"
    NOT_APPLICABLE = "N/A"

    def __str__(self) -> str:
        return self.value


@dataclass(slots=True)
class RequirementResult:
    """The determination on one requirement, as a self-assessment or an SSP records it."""

    requirement: str  # catalog id, "3.1.1"
    determination: Determination
    # The 3-point case of 3.5.3 (MFA for remote and privileged users only) or 3.13.11 (encryption employed but
    # not FIPS-validated), R-SCORE-2. Ignored on every other requirement.
    partial: bool = False
    # Whether a NOT MET requirement has a plan of action (R-SCORE-4). None: not known, so not applied.
    has_plan: bool | None = None
    implementation: str = ""
    row: int | None = None


class ItemStatus(Enum):
    DRAFT = "draft"
    OPEN = "open"
    IN_PROGRESS = "in progress"
    READY_FOR_VERIFICATION = "ready for verification"
    CLOSED = "closed"
    RISK_ACCEPTED = "risk accepted"

    @property
    def is_open(self) -> bool:
        return self not in (ItemStatus.CLOSED, ItemStatus.RISK_ACCEPTED)

    def __str__(self) -> str:
        return self.value


class RecordKind(Enum):
    """The two records R-CLOSE-4 keeps apart."""

    # A POA&M under 32 CFR 170.21: only eligible requirements, closed out within 180 days (R-CLOSE-1).
    ASSESSMENT_POAM = "assessment POA&M"
    # The 3.12.2 operational plan of action for temporary deficiencies: no remediation clock.
    OPERATIONAL_PLAN = "operational plan of action"

    @property
    def has_closeout_clock(self) -> bool:
        return self is RecordKind.ASSESSMENT_POAM

    def __str__(self) -> str:
        return self.value


class Severity(Enum):
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    def __str__(self) -> str:
        return self.value


_SEVERITY_RANK = {Severity.LOW: 1, Severity.MODERATE: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}


@dataclass(slots=True)
class Milestone:
    description: str
    due: date | None = None
    done_on: date | None = None
    dropped_on: date | None = None  # taken out of the plan, with a reason: no longer open

    @property
    def is_open(self) -> bool:
        return self.done_on is None and self.dropped_on is None


@dataclass(slots=True)
class EvidenceDetail:
    """One piece of evidence as an export lists it: what it shows, and the file (its name, SHA-256 and size) or
    the link where it lives. The file's bytes never travel in a spreadsheet; what identifies them does. An
    export that says more of it (OSCAL) gives the rest of the register's record: who added it and when, who
    keeps it, when it was collected and is to be reviewed, the file's type and the requirements it shows met."""

    description: str
    filename: str = ""
    link: str = ""
    sha256: str = ""
    size: int | None = None
    added_by: str = ""
    added_on: date | None = None
    custodian: str = ""
    collected_on: date | None = None
    review_by: date | None = None
    file_type: str = ""
    requirements: list[str] = field(default_factory=list)
    # Where the export gave the register's own record: its name and where it lives (words, not a link); then
    # ``description`` is the register's words about it, not the text shown to people.
    name: str = ""
    reference: str = ""


@dataclass(slots=True)
class PoamItem:
    """One weakness and the plan to fix it. Text fields hold what was written, stripped; "" when empty."""

    id: str | None = None
    # Requirement ids as written ("AC.L2-3.1.1", "3.1.1[a]"); several in one cell stay several (a finding).
    requirements: list[str] = field(default_factory=list)
    objectives: list[str] = field(default_factory=list)  # the NOT MET objectives, "3.1.1[a]"
    title: str = ""
    weakness: str = ""
    severity: Severity | None = None
    remediation: str = ""
    responsible_unit: str = ""
    primary_owner: str = ""
    supporting_owner: str = ""
    approval_authority: str = ""
    evidence_custodian: str = ""
    resources: str = ""
    source: str = ""  # where the weakness was found: the assessment, a scanner, ...
    start_date: date | None = None
    scheduled_completion: date | None = None
    completion_date: date | None = None
    last_updated: date | None = None
    milestones: list[Milestone] = field(default_factory=list)
    status: ItemStatus = ItemStatus.OPEN
    kind: RecordKind = RecordKind.ASSESSMENT_POAM
    evidence: str = ""
    # What a file says beyond the plan itself, kept so that nothing of it is lost on the way through.
    original_id: str = ""  # the id the item had in the file it first came from ("V-1", "P001")
    assets: str = ""  # assets affected: hosts, devices, FedRAMP's Asset Identifier
    cves: str = ""
    source_identifier: str = ""  # the finding's id at its source: a scanner plugin, a STIG rule, Security Checks
    interim_mitigation: str = ""  # what limits the risk until the fix is in (eMASS Mitigations)
    comments: str = ""
    likelihood: str = ""
    impact: str = ""
    residual_risk: str = ""  # the risk left once mitigated (FedRAMP's Adjusted Risk Rating)
    risk_adjustment: str = ""  # FedRAMP's Risk Adjustment: Yes, No, Pending
    vendor_dependency: bool | None = None  # whether the fix waits on a vendor
    vendor_product: str = ""
    vendor_check_in: date | None = None  # the last time the vendor was asked
    vendor_involvement: str = ""  # what the vendor (or the MSP) does in the fix
    budget_money: Decimal | None = None  # what the fix costs, in the organization's currency
    budget_hours: Decimal | None = None  # and in people's hours
    decision_needed: str = ""  # the decision someone has to take for the fix to go ahead
    touches_cui: bool | None = None  # whether the weakness touches CUI (None: not said); the risk order weighs it
    blocked_by: list[str] = field(default_factory=list)  # ids of the items this one waits on (same register/file)
    evidence_details: list[EvidenceDetail] = field(default_factory=list)  # from an export's evidence list
    row: int | None = None  # where the item came from, for findings that point back at it


@dataclass(slots=True)
class Poam:
    """A POA&M as read: its items and which item fields its source carries at all.

    A check of a field the source has no column for speaks once, for the whole file, not once per item.
    """

    items: list[PoamItem]
    fields: frozenset[str] = frozenset(PoamItem.__slots__)
    source: str = ""
    # The people the items name who no longer belong to the organization, as the items name them. Only a
    # register knows who belongs; a file's POA&M leaves it empty.
    departed: frozenset[str] = frozenset()
    # What a person should know about how the file was read (an id read as another catalog's, a document
    # read although not strictly valid), each said once, for the preview to show.
    notes: list[str] = field(default_factory=list)
    # Per sheet read: which column each field was read from and the columns left unread (JSON-ready dicts;
    # ``punchlist.interchange.report``). Empty for a source without columns.
    columns: list[dict] = field(default_factory=list)
    # Items (by position) whose only controls have no NIST SP 800-171 Rev 2 counterpart: operational plan
    # items that need a requirement chosen, with the control they named (``interchange.derive``).
    needs_requirement: dict[int, str] = field(default_factory=dict)
