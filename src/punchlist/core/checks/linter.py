"""The assessor's eye over a POA&M: one pass over the items, then the findings about the file as a whole.

Speed matters (``punchlist lint`` runs over 100,000 items and must cost little beside reading the file): every
item is visited once by one function that reads its fields into locals and tests the cheap conditions inline;
judgements of texts that recur (requirement ids, owners, remediations, weaknesses) are cached; messages are
built only when something is found.
"""

from __future__ import annotations

import gc
from collections import Counter
from datetime import date
from operator import attrgetter

from .. import metrics
from ..catalog import Catalog, PoamEligibility, load_catalog
from ..records import ItemStatus, Poam, PoamItem, RecordKind
from . import messages
from .file_checks import FileTally, file_findings
from .evidence import names_no_artefact
from .findings import LintFinding, new_finding
from .owners import judge_owner
from .remediation import vague_remediation
from .thresholds import MILESTONE_SPAN_DAYS
from .weakness import blended_reason, says_no_encryption

_CLOSED = ItemStatus.CLOSED
_RISK_ACCEPTED = ItemStatus.RISK_ACCEPTED
_ASSESSMENT = RecordKind.ASSESSMENT_POAM
_ELIGIBLE = PoamEligibility.YES
_CONDITIONAL = PoamEligibility.CONDITIONAL
_UNSEEN = object()
_BLANK = object()
_by_check = attrgetter("check")
_row_of = attrgetter("row")
_FIRST_DAY = date.min
_LAST_DAY = date.max


def lint(poam: Poam, *, as_of: date, level: int = 2) -> list[LintFinding]:
    """Every finding an assessor would raise on this POA&M: file-level findings first, then by row and check.

    ``level`` is the CMMC level the POA&M serves: at Level 1 no POA&M is permitted at all (R-POAM-1).
    """
    if level not in (1, 2):
        raise ValueError(f"level must be 1 or 2, not {level!r}")
    tally = FileTally(poam.fields)
    # A lint creates a finding per problem and a cache entry per text, none of them in a reference cycle; left
    # on, the cycle collector would walk the whole POA&M again and again as they pile up (a third of the time
    # on 100,000 items). It is paused for the pass and restored as it was.
    collecting = gc.isenabled()
    gc.disable()
    try:
        findings = _check_items(_in_row_order(poam.items), poam.fields, as_of, level, load_catalog(), tally,
                                poam.departed)
    finally:
        if collecting:
            gc.enable()
    file_level = file_findings(tally)
    file_level.sort(key=_by_check)
    return file_level + findings


def _in_row_order(items: list[PoamItem]) -> list[PoamItem]:
    """Items by row (items without one after those with one, in their order); a read file is already so."""
    rows = list(map(_row_of, items))  # looked at in C: no Python loop over the items
    if None not in rows and rows == sorted(rows):
        return items
    return sorted(items, key=lambda item: (item.row is None, item.row or 0))


def _check_items(items: list[PoamItem], fields: frozenset[str], as_of: date, level: int, catalog: Catalog,
                 tally: FileTally, departed: frozenset[str] = frozenset()) -> list[LintFinding]:
    """The findings on each item, by item and, within one item, by check.

    One loop with everything it needs in locals: a function call and the attribute look-ups to set it up
    would cost more per item than most of the checks. The common case goes first and short: one requirement
    that any POA&M may hold, every date in its place. Each item's findings go straight onto the list and are
    sorted in place when there are several (stable: several findings of one check keep their order). The
    counts about the file are gathered in lists and counted once, at the end.
    """
    findings: list[LintFinding] = []
    append = findings.append
    new = new_finding
    out_of_order = messages.out_of_order
    quote = messages.quote
    find = catalog.find
    resolved: dict[str, object] = {}  # requirement text -> Requirement, None (unknown) or _BLANK
    plain: dict[str, object] = {}  # requirement text -> a Requirement any POA&M may hold at this level
    owners_seen: dict[str, tuple[str | None, str]] = {}  # owner as written -> judge_owner's verdict
    overdue: dict[date, str] = {}  # the messages of overdue and stale items, by the day they depend on
    stale: dict[date, str] = {}
    ids = tally.ids
    open_owners: list[str] = []  # each open item's primary owner, as written; judged once each at the end
    open_dates: list[date] = []  # each dated open item's scheduled completion
    add_owner = open_owners.append
    add_date = open_dates.append
    long_without_milestone_column = closed_without_evidence_column = 0
    stale_before = metrics.stale_before(as_of)  # updated before this: more than STALE_DAYS ago
    has_milestones = "milestones" in fields
    has_evidence = "evidence" in fields
    # A field the source has no column for is spoken of once, for the whole file (file_checks).
    need_id = "id" in fields
    need_requirements = "requirements" in fields
    need_weakness = "weakness" in fields
    need_remediation = "remediation" in fields
    need_owner = "primary_owner" in fields
    need_scheduled = "scheduled_completion" in fields
    need_resources = "resources" in fields
    level1 = level == 1

    for item in items:
        first = len(findings)
        item_id = item.id or None
        row = item.row
        status = item.status
        # Identity, not ItemStatus.is_open: an Enum's __hash__ and properties are Python calls.
        is_open = status is not _CLOSED and status is not _RISK_ACCEPTED
        weakness = item.weakness
        blended = blended_reason(weakness) if weakness else None

        # unknown-requirement, blended-item, not-poam-eligible ----------------------------------------------
        requirements = item.requirements
        if len(requirements) == 1 and requirements[0] in plain:
            named = 1  # one requirement, known, that the POA&M may hold: nothing to say about it
            if blended:
                append(new("blended-item", item_id, row, messages.blended([f"has a weakness that {blended}"])))
            if item.kind is _ASSESSMENT:
                if level1:
                    append(new("not-poam-eligible", item_id, row, messages.LEVEL1_POAM))
                if status is _RISK_ACCEPTED:
                    append(new("risk-accepted", item_id, row, messages.RISK_ACCEPTED))
        else:
            known = []
            unknown = []
            for text in requirements:
                requirement = resolved.get(text, _UNSEEN)
                if requirement is _UNSEEN:
                    requirement = resolved[text] = find(text) if text and not text.isspace() else _BLANK
                    if requirement is not None and requirement is not _BLANK and (
                            requirement.poam_eligibility is _ELIGIBLE):
                        plain[text] = requirement
                if requirement is None:
                    if text not in unknown:
                        unknown.append(text)
                        append(new("unknown-requirement", item_id, row,
                                   messages.unknown_requirement(catalog, text)))
                elif requirement is not _BLANK and requirement not in known:
                    known.append(requirement)
            named = len(known) + len(unknown)
            if named > 1 or blended:
                reasons = []
                if named > 1:
                    names = [requirement.cmmc_id for requirement in known] + unknown
                    reasons.append(f"holds {len(names)} requirements ({', '.join(names)})")
                if blended:
                    reasons.append(f"has a weakness that {blended}")
                append(new("blended-item", item_id, row, messages.blended(reasons)))
            # R-CLOSE-4: an operational plan of action holds temporary deficiencies of MET requirements.
            if item.kind is _ASSESSMENT:
                if level1:
                    append(new("not-poam-eligible", item_id, row, messages.LEVEL1_POAM))
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
                        append(new("not-poam-eligible", item_id, row, messages.not_eligible(requirement)))
                if status is _RISK_ACCEPTED:
                    append(new("risk-accepted", item_id, row, messages.RISK_ACCEPTED))

        # vague-remediation, generic-owner -----------------------------------------------------------------------
        remediation = item.remediation
        if remediation:
            reason = vague_remediation(remediation)
            if reason:
                append(new("vague-remediation", item_id, row, messages.vague_remediation(remediation, reason)))
        owner = item.primary_owner
        if owner:
            verdict = owners_seen.get(owner)
            if verdict is None:
                verdict = owners_seen[owner] = judge_owner(owner)
            if verdict[0]:
                append(new("generic-owner", item_id, row, messages.generic_owner(owner, verdict[0])))

        # dates-out-of-order, overdue, overdue-milestone, missing-milestones, stale-item -------------------------
        start = item.start_date
        scheduled = item.scheduled_completion
        completed = item.completion_date
        updated = item.last_updated
        if start and scheduled and start > scheduled:
            append(new("dates-out-of-order", item_id, row,
                       out_of_order(f"starts on {start}, after its scheduled completion on {scheduled}")))
        if completed:
            if start and completed < start:
                append(new("dates-out-of-order", item_id, row,
                           out_of_order(f"was completed on {completed}, before it started on {start}")))
            if completed > as_of:
                append(new("dates-out-of-order", item_id, row,
                           out_of_order(f"records a completion on {completed}, after {as_of}")))
        if updated and updated > as_of:
            append(new("dates-out-of-order", item_id, row, out_of_order(f"was last updated on {updated}, after {as_of}")))
        milestones = item.milestones
        if milestones:
            late = None
            earliest = start or _FIRST_DAY  # a milestone's due date belongs between these
            latest = scheduled or _LAST_DAY
            late_before = as_of if is_open else _FIRST_DAY  # no date is before date.min: a closed item is not late
            for milestone in milestones:
                due = milestone.due
                if due:
                    if due > latest or due < earliest:
                        if due > latest:
                            append(new("dates-out-of-order", item_id, row, out_of_order(
                                f"has milestone '{quote(milestone.description, 40)}' due on {due}, after the item's "
                                f"scheduled completion on {scheduled}")))
                        if due < earliest:
                            append(new("dates-out-of-order", item_id, row, out_of_order(
                                f"has milestone '{quote(milestone.description, 40)}' due on {due}, before the item "
                                f"starts on {start}")))
                    if due < late_before and milestone.done_on is None:
                        if late is None:
                            late = [milestone]
                        else:
                            late.append(milestone)
                done = milestone.done_on
                if done and done > as_of:
                    append(new("dates-out-of-order", item_id, row, out_of_order(
                        f"has milestone '{quote(milestone.description, 40)}' done on {done}, after {as_of}")))
            if late:
                append(new("overdue-milestone", item_id, row,
                           messages.overdue_milestone(late[0].description, late[0].due, len(late) - 1)))
        if is_open:
            if scheduled:
                if scheduled < as_of:
                    message = overdue.get(scheduled)
                    if message is None:
                        message = overdue[scheduled] = messages.overdue((as_of - scheduled).days, scheduled)
                    append(new("overdue", item_id, row, message))
                if not milestones:
                    begin = start if start and start > as_of else (start or as_of)
                    span = (scheduled - begin).days
                    if span > MILESTONE_SPAN_DAYS:
                        if has_milestones:
                            append(new("missing-milestones", item_id, row,
                                       messages.missing_milestones(span, begin, scheduled, MILESTONE_SPAN_DAYS)))
                        else:
                            long_without_milestone_column += 1
                add_date(scheduled)
            if updated and updated < stale_before:
                message = stale.get(updated)
                if message is None:
                    message = stale[updated] = messages.stale((as_of - updated).days, updated)
                append(new("stale-item", item_id, row, message))
            if owner:
                add_owner(owner)
            if departed:
                for role, name in (("primary owner", owner), ("supporting owner", item.supporting_owner),
                                   ("approval authority", item.approval_authority)):
                    if name and name in departed:
                        append(new("departed-person", item_id, row, messages.departed_person(role, name)))

        # closed-without-evidence, closed-with-open-milestones ---------------------------------------------------
        elif status is _CLOSED:
            evidence = item.evidence
            if not evidence:
                if has_evidence:
                    append(new("closed-without-evidence", item_id, row, messages.CLOSED_WITHOUT_EVIDENCE))
                else:
                    closed_without_evidence_column += 1
            elif names_no_artefact(evidence):
                append(new("closed-without-evidence", item_id, row, messages.evidence_names_no_artefact(evidence)))
            if milestones:
                undone = [milestone for milestone in milestones if milestone.done_on is None]
                if undone:
                    append(new("closed-with-open-milestones", item_id, row, messages.closed_with_open_milestones(
                        len(undone), len(milestones), undone[0].description, undone[0].due)))

        # missing-field, duplicate-id ----------------------------------------------------------------------------
        if item_id is None:
            if need_id:
                append(new("missing-field", item_id, row, messages.missing_field("id")))
        elif item_id in ids:
            append(new("duplicate-id", item_id, row, messages.duplicate_id(item_id, ids[item_id])))
        else:
            ids[item_id] = row
        if not (named and weakness and remediation and owner and scheduled and item.resources):
            if not named and need_requirements:
                append(new("missing-field", item_id, row, messages.missing_field("requirements")))
            if not weakness and need_weakness:
                append(new("missing-field", item_id, row, messages.missing_field("weakness")))
            if not remediation and need_remediation:
                append(new("missing-field", item_id, row, messages.missing_field("remediation")))
            if not owner and need_owner:
                append(new("missing-field", item_id, row, messages.missing_field("primary_owner")))
            # A closed item with its completion date has done without its plan date.
            if not scheduled and need_scheduled and not (status is _CLOSED and completed):
                append(new("missing-field", item_id, row, messages.missing_field("scheduled_completion")))
            if not item.resources and need_resources:
                append(new("missing-field", item_id, row, messages.missing_field("resources")))
        if len(findings) - first > 1:
            findings[first:] = sorted(findings[first:], key=_by_check)

    # The open items' owners, counted by how each is written, then by key: one verdict look-up per owner.
    tally.owned_open = len(open_owners)
    owners = tally.owners = Counter()  # named owners by key, in order of first appearance (ties: the first)
    owner_names = tally.owner_names = {}  # each as first written
    for owner, count in Counter(open_owners).items():
        reason, owner_key = owners_seen[owner]
        if reason is None:
            owners[owner_key] += count
            if owner_key not in owner_names:
                owner_names[owner_key] = owner
    tally.dates = Counter(open_dates)
    tally.dated_open = len(open_dates)
    tally.long_without_milestone_column = long_without_milestone_column
    tally.closed_without_evidence_column = closed_without_evidence_column
    return findings
