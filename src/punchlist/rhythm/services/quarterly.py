"""The quarterly validation: every closed item is checked again (its evidence still there, intact by its
SHA-256 and current by its review-by date); a validator signs each off, and a failed one is reopened with
the reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Prefetch

from punchlist.audit import chain
from punchlist.orgs.permissions import require
from punchlist.register.errors import InvalidChange, WorkflowError
from punchlist.register.models import Evidence, PoamItem, Status
from punchlist.register.services._common import today, writing
from punchlist.register.services.evidence import file_problem
from punchlist.register.services.workflow import reopen_item

from ..models import Outcome, QuarterlyValidation
from ..periods import quarter_label, quarter_of


@dataclass
class ItemCheck:
    """What the checks found on one closed item, and this quarter's validation of it, if any."""

    item: PoamItem
    findings: list[dict] = field(default_factory=list)  # one per piece: name, state, detail
    problems: list[str] = field(default_factory=list)  # what stops a sign-off, in words
    validation: QuarterlyValidation | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def pending(self) -> bool:
        return self.validation is None


def closed_items(organization):
    return PoamItem.objects.for_organization(organization).filter(status=Status.CLOSED)


def with_evidence(items):
    """Items with their own and their linked evidence, in three queries whatever their number."""
    pieces = Evidence.objects.select_related("custodian").order_by("added_at", "pk")
    return items.prefetch_related(Prefetch("evidence", queryset=pieces),
                                  Prefetch("linked_evidence", queryset=pieces))


def check_item(item: PoamItem, as_of: date, cache: dict | None = None) -> ItemCheck:
    """Re-hash the item's files and look at its review-by dates (``item`` as given by ``with_evidence``)."""
    check = ItemCheck(item)
    pieces = {piece.pk: piece for piece in [*item.evidence.all(), *item.linked_evidence.all()]}
    if not pieces:
        check.problems.append("it has no evidence at all")
    for piece in pieces.values():
        state, detail = "ok", ""
        if piece.file:
            found = file_problem(piece.file.name, piece.sha256, cache)
            if found is not None:
                state, detail = found
                check.problems.append(f"evidence “{piece.name}” is {state}: {detail}")
        else:
            state, detail = "reference", f"kept outside the vault ({piece.reference}): look that it is still there"
        if piece.review_by is None:
            check.problems.append(f"evidence “{piece.name}” has no review-by date; set one after looking at it")
            state = state if state != "ok" else "no review-by date"
        elif piece.review_by < as_of:
            check.problems.append(f"evidence “{piece.name}” was due for review on {piece.review_by.isoformat()}; "
                                  "review it and set a new review-by date")
            state = state if state not in ("ok", "reference") else "out of date"
        check.findings.append({"evidence": piece.pk, "name": piece.name, "state": state, "detail": detail,
                               "sha256": piece.sha256, "review_by": piece.review_by.isoformat()
                               if piece.review_by else None})
    return check


def current_validations(organization, quarter: date) -> dict[int, QuarterlyValidation]:
    """Each item's latest validation this quarter (the caller drops those older than the item's closure)."""
    latest: dict[int, QuarterlyValidation] = {}
    for validation in (QuarterlyValidation.objects.for_organization(organization).filter(quarter=quarter)
                       .select_related("validator").order_by("validated_at", "pk")):
        latest[validation.item_id] = validation
    return latest


def _still_counts(validation: QuarterlyValidation | None, item: PoamItem) -> QuarterlyValidation | None:
    """A validation made before the item's latest closure is about a closure that no longer stands."""
    if validation is None or (item.verified_at is not None and validation.validated_at < item.verified_at):
        return None
    return validation


def checks(organization, items, as_of: date) -> list[ItemCheck]:
    """Checks of ``items`` (closed items of the organization, e.g. one page), each file hashed once."""
    quarter = quarter_of(as_of)
    validations = current_validations(organization, quarter)
    cache: dict = {}
    result = []
    for item in with_evidence(items):
        check = check_item(item, as_of, cache)
        check.validation = _still_counts(validations.get(item.pk), item)
        result.append(check)
    return result


def validate_item(actor, item: PoamItem, *, passed: bool, reason: str = "") -> QuarterlyValidation:
    """Sign a closed item off for this quarter, or fail it: a failed item is reopened with the reason."""
    organization = item.organization
    as_of = today()
    quarter = quarter_of(as_of)
    label = quarter_label(quarter)
    reason = (reason or "").strip()
    with writing(organization) as head:
        fresh = PoamItem.objects.select_for_update().select_related("organization").get(pk=item.pk)
        require(actor, "rhythm.validate_item", fresh)
        if fresh.status != Status.CLOSED:
            raise WorkflowError(f"{fresh.identifier} is {fresh.get_status_display().lower()}; the quarterly "
                                "validation checks closed items")
        done = _still_counts(current_validations(organization, quarter).get(fresh.pk), fresh)
        if done is not None:
            raise WorkflowError(f"{fresh.identifier} was already {done.get_outcome_display().lower()} for {label} "
                                f"by {done.validator.username} on {done.validated_at:%Y-%m-%d}")
        check = check_item(with_evidence(PoamItem.objects.filter(pk=fresh.pk)).get(), as_of)
        if passed and check.problems:
            raise WorkflowError(f"{fresh.identifier} cannot be signed off for {label}: "
                                f"{'; '.join(check.problems)}. Fail it, and it is reopened with the reason.")
        if not passed and not reason:
            raise InvalidChange(f"failing {fresh.identifier} needs a reason: it is reopened with it")
        validation = QuarterlyValidation.objects.create(
            organization=organization, item=fresh, quarter=quarter, validator=actor,
            outcome=Outcome.PASSED if passed else Outcome.FAILED, reason=reason, findings=check.findings)
        chain.record(organization=organization, actor=actor,
                     action="validate_item" if passed else "fail_validation", obj=validation,
                     subject=fresh.identifier, head=head, reason=reason,
                     after={"quarter": label, "outcome": validation.outcome, "findings": check.findings})
        if not passed:
            # Its own transaction nests in this one: the failure and the reopening stand or fall together.
            reopen_item(actor, fresh, reason=f"Quarterly validation {label} failed: {reason}")
    return validation
