"""What every export shares: who it is for, its marking, and the columns of an item row.

The workbook's item sheets and the CSV file carry the same columns (``ITEM_COLUMNS``), so a person who
opens either sees the same thing, and a reader that knows one knows the other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone

from punchlist.core.catalog import load_catalog
from punchlist.core.records import Poam, PoamItem

from .cells import milestone_lines
from .details import DETAIL_FIELDS, DETAIL_PARSERS, show_amount
from .values import text

MARKING_INTERNAL = "Internal tracking document"
MARKING_ASSESSMENT = "POA&M for the CMMC assessment"


@dataclass(frozen=True, slots=True)
class ExportContext:
    """Who an export is for and when it was made; score and verdict only when the caller has them."""

    organization: str
    system: str
    generated_at: datetime
    # True only for the POA&M handed to the assessor; every other export is an internal tracking document.
    for_assessment: bool = False
    score: int | None = None
    verdict: str | None = None
    document_version: str = "1.0"
    # OSCAL: the system's identifier and, where there is one, the OSCAL SSP this POA&M belongs to.
    system_id: str | None = None
    ssp_href: str | None = None
    # What OSCAL UUIDs are derived from: the organization's name unless the caller has a key that survives a
    # rename (the register passes one), so that re-exports keep every UUID.
    uuid_key: str | None = None

    @property
    def marking(self) -> str:
        return MARKING_ASSESSMENT if self.for_assessment else MARKING_INTERNAL

    @property
    def identity(self) -> str:
        return self.uuid_key or self.organization

    @property
    def generated_utc(self) -> datetime:
        """A naive timestamp is taken as UTC: OSCAL needs a time zone, and guessing local time is worse."""
        moment = self.generated_at
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc)

    @property
    def banner(self) -> str:
        """The marking line as the CSV file and the top row of every sheet show it."""
        stamp = self.generated_utc.strftime("%Y-%m-%d %H:%M UTC")
        return f"{self.marking} | {self.organization} | {self.system} | generated {stamp}"


@dataclass(frozen=True, slots=True)
class EvidenceEntry:
    """One piece of evidence for an item: what it shows, where it lives and its hash when known, and what the
    register keeps of it (who added it and when, its custodian, when it was collected and is to be reviewed,
    the type the vault recognised, the requirements it shows met). An item's text alone is one entry."""

    description: str
    href: str | None = None
    filename: str | None = None
    sha256: str | None = None
    media_type: str | None = None
    size: int | None = None
    added_by: str | None = None
    added_on: date | None = None
    custodian: str | None = None
    collected_on: date | None = None
    review_by: date | None = None
    file_type: str | None = None
    requirements: tuple[str, ...] = ()
    # The register's own record, for a reader that recreates it: its name, where it lives when that is words
    # rather than a link, and the words about it (``description`` is these put together for a person).
    name: str | None = None
    reference: str | None = None
    note: str | None = None


EvidenceMap = Mapping[str, Sequence[EvidenceEntry]]


def evidence_for(item: PoamItem, evidence: EvidenceMap | None) -> list[EvidenceEntry]:
    """The entries passed for this item, else one entry holding the item's evidence text."""
    if evidence is not None and item.id is not None and item.id in evidence:
        return list(evidence[item.id])
    return [EvidenceEntry(description=item.evidence)] if item.evidence else []


# (field of PoamItem or a derived value, header). Headers use the names people and the readers know.
ITEM_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "POAM ID"),
    ("requirements", "Requirements"),
    ("objectives", "NOT MET Objectives"),
    ("title", "Weakness Name"),
    ("weakness", "Weakness Description"),
    ("severity", "Severity"),
    ("status", "Status"),
    ("kind", "Record Type"),  # the name the POA&M reader knows (columns.py)
    ("remediation", "Remediation Plan"),
    ("milestones", "Milestones"),
    ("responsible_unit", "Responsible Unit"),
    ("primary_owner", "Primary Owner"),
    ("supporting_owner", "Supporting Owner"),
    ("approval_authority", "Approval Authority"),
    ("evidence_custodian", "Evidence Custodian"),
    ("resources", "Resources Required"),
    ("source", "Weakness Source"),
    ("start_date", "Start Date"),
    ("scheduled_completion", "Scheduled Completion Date"),
    ("completion_date", "Completion Date"),
    ("last_updated", "Last Updated"),
    ("evidence", "Evidence"),
    # What a file said beyond the plan, kept whole (details.py); headers the readers know.
    ("original_id", "Original ID"),
    ("assets", "Assets Affected"),
    ("cves", "CVE"),
    ("source_identifier", "Weakness Source Identifier"),
    ("interim_mitigation", "Interim Mitigation"),
    ("likelihood", "Likelihood"),
    ("impact", "Impact"),
    ("residual_risk", "Residual Risk"),
    ("risk_adjustment", "Risk Adjustment"),
    ("vendor_dependency", "Vendor Dependency"),
    ("vendor_product", "Vendor Dependent Product Name"),
    ("vendor_check_in", "Last Vendor Check-in Date"),
    ("vendor_involvement", "Vendor Involvement"),
    ("budget_money", "Budget Amount"),
    ("budget_hours", "Budget Hours"),
    ("decision_needed", "Decision Needed"),
    ("touches_cui", "Touches CUI"),
    ("blocked_by", "Blocked By"),
    ("comments", "Comments"),
)
ITEM_HEADERS = tuple(header for _, header in ITEM_COLUMNS)
DATE_FIELDS = frozenset({"start_date", "scheduled_completion", "completion_date", "last_updated", "vendor_check_in"})
TEXT_FIELDS = frozenset({
    "id", "requirements", "objectives", "title", "weakness", "remediation", "milestones",
    "responsible_unit", "primary_owner", "supporting_owner", "approval_authority", "evidence_custodian",
    "resources", "source", "evidence", "vendor_dependency", "budget_money", "budget_hours", "touches_cui",
    "blocked_by",
    *(name for name in DETAIL_FIELDS if DETAIL_PARSERS[name] is text),
})

ROLES: tuple[tuple[str, str], ...] = (
    ("primary_owner", "Primary owner"),
    ("supporting_owner", "Supporting owner"),
    ("approval_authority", "Approval authority"),
    ("evidence_custodian", "Evidence custodian"),
)


def item_values(item: PoamItem) -> list:
    """One item as the values of ITEM_COLUMNS: text as written, dates as dates, None where empty.

    Kept as one flat function because it runs once per item of a 50,000-item export.
    """
    return [
        item.id,
        ", ".join(item.requirements) or None,
        ", ".join(item.objectives) or None,
        item.title or None,
        item.weakness or None,
        item.severity.value if item.severity else None,
        item.status.value,
        item.kind.value,
        item.remediation or None,
        milestone_lines(item.milestones) or None,
        item.responsible_unit or None,
        item.primary_owner or None,
        item.supporting_owner or None,
        item.approval_authority or None,
        item.evidence_custodian or None,
        item.resources or None,
        item.source or None,
        item.start_date,
        item.scheduled_completion,
        item.completion_date,
        item.last_updated,
        item.evidence or None,
        item.original_id or None,
        item.assets or None,
        item.cves or None,
        item.source_identifier or None,
        item.interim_mitigation or None,
        item.likelihood or None,
        item.impact or None,
        item.residual_risk or None,
        item.risk_adjustment or None,
        None if item.vendor_dependency is None else ("Yes" if item.vendor_dependency else "No"),
        item.vendor_product or None,
        item.vendor_check_in,
        item.vendor_involvement or None,
        show_amount(item.budget_money) or None,
        show_amount(item.budget_hours) or None,
        item.decision_needed or None,
        None if item.touches_cui is None else ("Yes" if item.touches_cui else "No"),
        ", ".join(item.blocked_by) or None,
        item.comments or None,
    ]


def family_of(item: PoamItem) -> str:
    """The family of the item's first known requirement: counts by family need one family per item."""
    catalog = load_catalog()
    for text in item.requirements:
        requirement = catalog.find(text)
        if requirement is not None:
            return requirement.family
    return "?"


def split_open_closed(poam: Poam) -> tuple[list[PoamItem], list[PoamItem]]:
    open_items, closed_items = [], []
    for item in poam.items:
        (open_items if item.status.is_open else closed_items).append(item)
    return open_items, closed_items
