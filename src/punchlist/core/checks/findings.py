"""What a check reports, and the catalogue of checks the CLI lists in ``--help``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LintFinding:
    """One thing an assessor would object to.

    ``item`` is the item's id (None for a finding about the whole file, or for an item that has no id);
    ``row`` is where the item came from (None for a finding about the whole file).
    """

    check: str
    item: str | None
    row: int | None
    message: str


# The twelve original codes first, then the extra checks. Codes are a public interface: the CLI, the
# JSON output and the web app filter on them, so they never change once released.
CHECKS: dict[str, str] = {
    "unknown-requirement": "a requirement id that is not one of the 110 NIST SP 800-171 Rev 2 requirements",
    "not-poam-eligible": "a requirement that may not be on the POA&M at this level (R-POAM-1, R-POAM-3, R-POAM-4)",
    "vague-remediation": "remediation that does not say what will be done, to what, and how it will be shown",
    "generic-owner": "a primary owner that is a team, department or placeholder instead of a named person",
    "owner-concentration": "one person is primary owner of most open items",
    "uniform-dates": "(nearly) every open item has the same scheduled completion date",
    "missing-milestones": "an open item planned over more than 90 days without milestones (R-CONT-3, R-CONT-4)",
    "blended-item": "several problems or requirements in one item instead of one problem per item",
    "closed-without-evidence": "a closed item with no evidence of the fix",
    "dates-out-of-order": "dates that contradict each other or lie in the future",
    "overdue": "an open item past its scheduled completion date",
    "missing-field": "an item lacking a field an assessor needs (R-CONT-3, R-CONT-4)",
    "duplicate-id": "two or more items with the same id",
    "risk-accepted": "an assessment POA&M item marked risk accepted: a NOT MET requirement stays NOT MET (R-FIND-5)",
    "overdue-milestone": "a milestone of an open item past its due date and not done",
    "stale-item": "an open item not updated for more than 30 days (R-CONT-3: the plan is kept up to date)",
    "closed-with-open-milestones": "a closed item with milestones neither done nor dropped",
    "departed-person": "an open item whose owner or approval authority no longer belongs to the organization",
}


# A frozen dataclass's __init__ sets each field through object.__setattr__, which costs about five times a plain
# assignment; a messy POA&M of 100,000 items yields over 100,000 findings. The checks build findings through the
# slot descriptors instead: the same frozen object, made three times faster (tests compare the two).
_new = object.__new__
_set_check = LintFinding.check.__set__  # type: ignore[attr-defined]
_set_item = LintFinding.item.__set__  # type: ignore[attr-defined]
_set_row = LintFinding.row.__set__  # type: ignore[attr-defined]
_set_message = LintFinding.message.__set__  # type: ignore[attr-defined]


def new_finding(check: str, item: str | None, row: int | None, message: str) -> LintFinding:
    """``LintFinding(check, item, row, message)``, built faster."""
    finding = _new(LintFinding)
    _set_check(finding, check)
    _set_item(finding, item)
    _set_row(finding, row)
    _set_message(finding, message)
    return finding
