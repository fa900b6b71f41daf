"""The assessor's eye over a POA&M: one pass over the items, then the findings about the file as a whole.

Speed matters (``punchlist lint`` runs over 100,000 items and must cost little beside reading the file): every
item is visited once by one function that reads its fields into locals and tests the cheap conditions inline;
judgements of texts that recur (requirement ids, owners, remediations, weaknesses) are cached; messages are
built only when something is found.
"""

from __future__ import annotations

import gc
from datetime import date
from operator import attrgetter

from ..catalog import Catalog, PoamEligibility, load_catalog
from ..records import ItemStatus, Poam, PoamItem, RecordKind
from . import messages
from .file_checks import FileTally, file_findings
from .findings import LintFinding, new_finding
from .owners import judge_owner
from .remediation import vague_remediation
from .thresholds import MILESTONE_SPAN_DAYS, STALE_DAYS
from .weakness import blended_reason, says_no_encryption

_CLOSED = ItemStatus.CLOSED
_RISK_ACCEPTED = ItemStatus.RISK_ACCEPTED
_ASSESSMENT = RecordKind.ASSESSMENT_POAM
_ELIGIBLE = PoamEligibility.YES
_CONDITIONAL = PoamEligibility.CONDITIONAL
_UNSEEN = object()
_BLANK = object()
_by_check = attrgetter("check")


class _Run:
    """What one lint run knows besides the item in hand."""

    __slots__ = (
        "as_of", "level", "catalog", "resolved", "tally", "has_milestones", "has_evidence",
        "need_id", "need_requirements", "need_weakness", "need_remediation", "need_owner", "need_scheduled",
        "need_resources",
    )

    def __init__(self, poam: Poam, as_of: date, level: int, catalog: Catalog):
        fields = poam.fields
        self.as_of = as_of
        self.level = level
        self.catalog = catalog
        self.resolved: dict[str, object] = {}  # requirement text -> Requirement, None (unknown) or _BLANK
        self.tally = FileTally(fields)
        self.has_milestones = "milestones" in fields
        self.has_evidence = "evidence" in fields
        # A field the source has no column for is spoken of once, for the whole file (file_checks).
        self.need_id = "id" in fields
        self.need_requirements = "requirements" in fields
        self.need_weakness = "weakness" in fields
        self.need_remediation = "remediation" in fields
        self.need_owner = "primary_owner" in fields
        self.need_scheduled = "scheduled_completion" in fields
        self.need_resources = "resources" in fields


def lint(poam: Poam, *, as_of: date, level: int = 2) -> list[LintFinding]:
    """Every finding an assessor would raise on this POA&M: file-level findings first, then by row and check.

    ``level`` is the CMMC level the POA&M serves: at Level 1 no POA&M is permitted at all (R-POAM-1).
    """
    if level not in (1, 2):
        raise ValueError(f"level must be 1 or 2, not {level!r}")
    run = _Run(poam, as_of, level, load_catalog())
    # A lint creates a finding per problem and a cache entry per text, none of them in a reference cycle; left
    # on, the cycle collector would walk the whole POA&M again and again as they pile up (a third of the time
    # on 100,000 items). It is paused for the pass and restored as it was.
    collecting = gc.isenabled()
    gc.disable()
    try:
        findings: list[LintFinding] = []
        for item in _in_row_order(poam.items):
            found = _check_item(item, run)
            if found:
                if len(found) > 1:
                    found.sort(key=_by_check)  # stable: several findings of one check keep their order
                findings += found
    finally:
        if collecting:
            gc.enable()
    file_level = file_findings(run.tally)
    file_level.sort(key=_by_check)
    return file_level + findings


def _in_row_order(items: list[PoamItem]) -> list[PoamItem]:
    """Items by row (items without one after those with one, in their order); a read file is already so."""
    previous = -1
    for item in items:
        row = item.row
        if row is None or row < previous:
            return sorted(items, key=lambda item: (item.row is None, item.row or 0))
        previous = row
    return items


def _check_item(item: PoamItem, run: _Run) -> list[LintFinding]:
    found: list[LintFinding] = []
    item_id = item.id or None
    row = item.row

    def add(check: str, message: str) -> None:
        found.append(new_finding(check, item_id, row, message))

    status = item.status
    # Identity, not ItemStatus.is_open: an Enum's __hash__ and properties are Python calls, dear at 100,000 items.
    is_open = status is not _CLOSED and status is not _RISK_ACCEPTED
    weakness = item.weakness

    # unknown-requirement, blended-item, not-poam-eligible --------------------------------------------------
    known = []
    unknown = []
    resolved = run.resolved
    for text in item.requirements:
        requirement = resolved.get(text, _UNSEEN)
        if requirement is _UNSEEN:
            requirement = resolved[text] = run.catalog.find(text) if text and not text.isspace() else _BLANK
        if requirement is None:
            if text not in unknown:
                unknown.append(text)
                add("unknown-requirement", messages.unknown_requirement(run.catalog, text))
        elif requirement is not _BLANK and requirement not in known:
            known.append(requirement)
    blended = blended_reason(weakness) if weakness else None
    if len(known) + len(unknown) > 1 or blended:
        reasons = []
        if len(known) + len(unknown) > 1:
            names = [requirement.cmmc_id for requirement in known] + unknown
            reasons.append(f"holds {len(names)} requirements ({', '.join(names)})")
        if blended:
            reasons.append(f"has a weakness that {blended}")
        add("blended-item", messages.blended(reasons))
    # R-CLOSE-4: an operational plan of action holds temporary deficiencies of MET requirements, not a POA&M.
    if item.kind is _ASSESSMENT:
        if run.level == 1:
            add("not-poam-eligible", messages.LEVEL1_POAM)
        else:
            for requirement in known:
                eligibility = requirement.poam_eligibility
                if eligibility is _ELIGIBLE:
                    continue
                # 3.13.11 is eligible when encryption is employed but not FIPS-validated (R-POAM-3).
                if eligibility is _CONDITIONAL and not (
                    says_no_encryption(weakness) or says_no_encryption(item.title)
                ):
                    continue
                add("not-poam-eligible", messages.not_eligible(requirement))
        if status is _RISK_ACCEPTED:
            add("risk-accepted", messages.RISK_ACCEPTED)

    # vague-remediation, generic-owner ---------------------------------------------------------------------------
    remediation = item.remediation
    if remediation:
        reason = vague_remediation(remediation)
        if reason:
            add("vague-remediation", messages.vague_remediation(remediation, reason))
    owner = item.primary_owner
    if owner:
        reason, owner_key = judge_owner(owner)
        if reason:
            add("generic-owner", messages.generic_owner(owner, reason))
    else:
        reason = owner_key = None

    # dates-out-of-order, overdue, overdue-milestone, missing-milestones, stale-item -----------------------------
    as_of = run.as_of
    start = item.start_date
    scheduled = item.scheduled_completion
    completed = item.completion_date
    updated = item.last_updated
    out_of_order = messages.out_of_order
    if start and scheduled and start > scheduled:
        add("dates-out-of-order", out_of_order(f"starts on {start}, after its scheduled completion on {scheduled}"))
    if completed:
        if start and completed < start:
            add("dates-out-of-order", out_of_order(f"was completed on {completed}, before it started on {start}"))
        if completed > as_of:
            add("dates-out-of-order", out_of_order(f"records a completion on {completed}, after {as_of}"))
    if updated and updated > as_of:
        add("dates-out-of-order", out_of_order(f"was last updated on {updated}, after {as_of}"))
    milestones = item.milestones
    if milestones:
        _check_milestones(item, milestones, is_open, as_of, add)
    if is_open:
        if scheduled:
            if scheduled < as_of:
                add("overdue", messages.overdue((as_of - scheduled).days, scheduled))
            if not milestones:
                begin = start if start and start > as_of else (start or as_of)
                span = (scheduled - begin).days
                if span > MILESTONE_SPAN_DAYS:
                    if run.has_milestones:
                        message = messages.missing_milestones(span, begin, scheduled, MILESTONE_SPAN_DAYS)
                        add("missing-milestones", message)
                    else:
                        run.tally.long_without_milestone_column += 1
        if updated and (as_of - updated).days > STALE_DAYS:
            add("stale-item", messages.stale((as_of - updated).days, updated))
        tally = run.tally
        if owner:
            tally.owned_open += 1
            if reason is None:
                tally.owners[owner_key] = tally.owners.get(owner_key, 0) + 1
                tally.owner_names.setdefault(owner_key, owner)
        if scheduled:
            tally.dated_open += 1
            tally.dates[scheduled] = tally.dates.get(scheduled, 0) + 1

    # closed-without-evidence ------------------------------------------------------------------------------------
    elif status is _CLOSED and not item.evidence:
        if run.has_evidence:
            add("closed-without-evidence", messages.CLOSED_WITHOUT_EVIDENCE)
        else:
            run.tally.closed_without_evidence_column += 1

    # missing-field, duplicate-id ----------------------------------------------------------------
    if item_id is None:
        if run.need_id:
            add("missing-field", messages.missing_field("id"))
    else:
        ids = run.tally.ids
        if item_id in ids:
            add("duplicate-id", messages.duplicate_id(item_id, ids[item_id]))
        else:
            ids[item_id] = row
    if not known and not unknown and run.need_requirements:
        add("missing-field", messages.missing_field("requirements"))
    if not weakness and run.need_weakness:
        add("missing-field", messages.missing_field("weakness"))
    if not remediation and run.need_remediation:
        add("missing-field", messages.missing_field("remediation"))
    if not owner and run.need_owner:
        add("missing-field", messages.missing_field("primary_owner"))
    # A closed item with its completion date has done without its plan date.
    if not scheduled and run.need_scheduled and not (status is _CLOSED and completed):
        add("missing-field", messages.missing_field("scheduled_completion"))
    if not item.resources and run.need_resources:
        add("missing-field", messages.missing_field("resources"))
    return found


def _check_milestones(item, milestones, is_open, as_of, add) -> None:
    start = item.start_date
    scheduled = item.scheduled_completion
    late = []
    for milestone in milestones:
        due = milestone.due
        done = milestone.done_on
        if due:
            if scheduled and due > scheduled:
                add(
                    "dates-out-of-order",
                    messages.out_of_order(
                        f"has milestone '{messages.quote(milestone.description, 40)}' due on {due}, after the item's "
                        f"scheduled completion on {scheduled}"
                    ),
                )
            if start and due < start:
                add(
                    "dates-out-of-order",
                    messages.out_of_order(
                        f"has milestone '{messages.quote(milestone.description, 40)}' due on {due}, before the item "
                        f"starts on {start}"
                    ),
                )
            if is_open and done is None and due < as_of:
                late.append(milestone)
        if done and done > as_of:
            add(
                "dates-out-of-order",
                messages.out_of_order(
                    f"has milestone '{messages.quote(milestone.description, 40)}' done on {done}, after {as_of}"
                ),
            )
    if late:
        add("overdue-milestone", messages.overdue_milestone(late[0].description, late[0].due, len(late) - 1))
