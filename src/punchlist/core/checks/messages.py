"""What each finding says: what is wrong, what good looks like, and the rule behind it.

Kept apart from the checks so that the wording can be reviewed in one place; the functions are called only when
a check has found something, so they may take their time.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from ..catalog import Catalog, PoamEligibility, Requirement

NAMED_EXCLUSIONS = frozenset({"3.1.20", "3.1.22", "3.12.4", "3.10.3", "3.10.4", "3.10.5"})  # R-POAM-4

GOOD_REMEDIATION = (
    "a concrete action, its object and the record that will show it, e.g. 'Deploy Duo MFA to all 42 remote "
    "and privileged accounts; enforce via Entra conditional access; export the enrolment report as evidence', "
    "or 'Marcus Lee reviews the SIEM authentication log every Monday and records the review in the weekly "
    "log-review ticket'"
)
GOOD_OWNER = "one named person, e.g. 'Marcus Lee, IT Operations Lead'"

# The fields an assessor needs on every item (R-CONT-3, R-CONT-4): attribute -> (label, why, what good looks like).
REQUIRED_FIELDS = {
    "id": ("id", "Milestones, evidence and the closeout refer to an item by its id.", "a unique id, e.g. POAM-AC-001"),
    "requirements": (
        "requirement",
        "Without it nobody can tell which NOT MET requirement the item answers (R-CONT-5).",
        "the Rev 2 requirement, e.g. AC.L2-3.1.1, with its NOT MET objectives",
    ),
    "weakness": (
        "weakness",
        "A plan of action starts from the deficiency it corrects (R-CONT-1 [a]).",
        "what is wrong and where, e.g. 'MFA is not enforced for the 42 remote and privileged accounts'",
    ),
    "remediation": ("remediation", "The plan must say how the requirement will be met (R-CONT-2).", GOOD_REMEDIATION),
    "primary_owner": ("primary owner", "The plan names the owner accountable (R-CONT-3).", GOOD_OWNER),
    "scheduled_completion": (
        "scheduled completion date",
        "A POA&M sets a completion date per item (R-CONT-3, R-CONT-4).",
        "the date the fix will be verified, worked back from the milestones",
    ),
    "resources": (
        "resources",
        "A POA&M details the resources required (R-CONT-4).",
        "the people, money and tools, e.g. '16 h of Marcus Lee; 45 Duo licences at $3/user/month'",
    ),
}

_LOOKS_800_53 = re.compile(r"(?i)^\s*(?:nist\s*)?(?:sp\s*)?(?:800-53\s*)?[a-z]{2}-\d+(?:\s*\(\d+\))?\s*$")
_LOOKS_REV3 = re.compile(r"^\s*0\d\.\d{2}\.\d{2}")
_PREFIXED = re.compile(r"(?i)^\s*[a-z]{2}\s*\.\s*l\s*[12]\s*-\s*(3\s*\.\s*\d{1,2}\s*\.\s*\d{1,2})")


def quote(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


@lru_cache(maxsize=1024)
def unknown_requirement(catalog: Catalog, text: str) -> str:
    hint = ""
    prefixed = _PREFIXED.match(text)
    if prefixed and catalog.find(prefixed.group(1)) is not None:
        hint = f" Its family prefix does not match {catalog.find(prefixed.group(1)).cmmc_id}."
    elif _LOOKS_800_53.match(text):
        hint = " It looks like a NIST SP 800-53 control; CMMC Level 2 assesses the 800-171 Rev 2 requirements."
    elif _LOOKS_REV3.match(text):
        hint = " It looks like a Rev 3 id; CMMC still assesses Rev 2 (R-STD-4)."
    return (
        f"'{quote(text, 40)}' is not one of the 110 NIST SP 800-171 Rev 2 requirements that CMMC Level 2 assesses "
        f"(R-STD-1).{hint} Good: the Rev 2 id of the NOT MET requirement, e.g. 'AC.L2-3.1.1' or '3.1.1'."
    )


LEVEL1_POAM = (
    "A POA&M is not permitted at any time for Level 1 self-assessments (R-POAM-1): Level 1 is met only when every "
    "one of its requirements is fully implemented. Good: implement the requirement before affirming Level 1, and "
    "track the work outside a Level 1 POA&M."
)


@lru_cache(maxsize=256)
def not_eligible(requirement: Requirement) -> str | None:
    """Why R-POAM-3/R-POAM-4 keep this requirement off a Level 2 POA&M, or None when they do not."""
    name = f"{requirement.cmmc_id} ({requirement.title})"
    good = " Good: implement it before the assessment; no POA&M can carry it."
    if requirement.poam_eligibility is PoamEligibility.YES:
        return None
    if requirement.poam_eligibility is PoamEligibility.CONDITIONAL:
        return (
            f"The item says encryption is not employed at all; {name} without encryption is worth 5 points and may "
            "not be on a POA&M. Only encryption that is employed but not FIPS-validated may (R-POAM-3). Good: "
            "encrypt now (e.g. BitLocker on every laptop holding CUI) and put only the FIPS validation on the POA&M."
        )
    if requirement.id in NAMED_EXCLUSIONS:
        return (
            f"{name} is one of the six requirements that may never be on a POA&M (R-POAM-4); while it is NOT MET "
            f"there is no Conditional Level 2 status (R-POAM-5).{good}"
        )
    if requirement.id == "3.5.3":
        return (
            f"{name} may not be on a POA&M, even with MFA for remote and privileged users only: it is worth 3 or 5 "
            f"points and no POA&M item may be worth more than 1 (R-POAM-3).{good}"
        )
    return (
        f"{name} is worth {requirement.weight} points and no POA&M item may be worth more than 1 (R-POAM-3); "
        f"while it is NOT MET there is no Conditional Level 2 status (R-POAM-5).{good}"
    )


def blended(reasons: list[str]) -> str:
    return (
        f"The item {' and '.join(reasons)}. One problem per item lets each be owned, dated and closed on its own "
        "evidence (R-CONT-3: specific steps per weakness). Good: one item per requirement and problem, e.g. 'MFA is "
        "not enforced for the 42 remote and privileged accounts' on IA.L2-3.5.3 alone."
    )


def vague_remediation(remediation: str, reason: str) -> str:
    return (
        f"Remediation '{quote(remediation)}' {reason}: an assessor cannot tell what will be done, to what, or how it "
        f"will be shown (R-CONT-2, R-CONT-3). Good: {GOOD_REMEDIATION}."
    )


def generic_owner(owner: str, reason: str) -> str:
    return (
        f"Primary owner '{quote(owner, 40)}' {reason}: nobody in particular is accountable for the date (R-CONT-3: "
        f"the owner accountable). Good: {GOOD_OWNER}; teams and providers belong in the supporting owner."
    )


def out_of_order(what: str) -> str:
    return (
        f"The item {what}. Dates that contradict each other make the plan unreliable to an assessor (R-CONT-3). "
        "Good: start <= milestones <= scheduled completion, and nothing done after the day of the review."
    )


def overdue(days: int, scheduled: date) -> str:
    return (
        f"The item is open {plural(days, 'day')} past its scheduled completion on {scheduled}. Good: finish it, or "
        "set a new date with the reason it slipped and keep the original date visible (R-CONT-3: the plan is "
        "updated as it proceeds)."
    )


def overdue_milestone(description: str, due: date, more: int) -> str:
    others = f" (and {more} more)" if more else ""
    return (
        f"Milestone '{quote(description, 40)}' was due on {due}{others} and is not marked done. Good: record the date "
        "it was done, or re-plan it with the reason for the slip (R-CONT-3: milestones to measure progress)."
    )


def missing_milestones(span: int, begin: date, scheduled: date, limit: int) -> str:
    return (
        f"The item is planned over {span} days (from {begin} to {scheduled}) with no milestones. A plan longer than "
        f"{limit} days needs interim milestones with dates to measure progress (R-CONT-3, R-CONT-4). Good: e.g. "
        "'Pilot on IT laptops by 15 Mar; all laptops by 30 Apr; enrolment report filed by 7 May'."
    )


def stale(days: int, last_updated: date) -> str:
    return (
        f"The item is open and was last updated {days} days ago ({last_updated}). A plan of action is maintained as "
        "remediation proceeds (R-CONT-3). Good: a weekly owner update of progress, next step and blockers."
    )


CLOSED_WITHOUT_EVIDENCE = (
    "The item is closed but records no evidence of the fix. Closure is verified by a separate reviewer (R-CONT-3) "
    "and the artefacts are kept six years (R-AFF-3). Good: the evidence or where it lives, e.g. 'Duo enrolment "
    "report 2025-03-14, SharePoint /Evidence/IA.L2-3.5.3'."
)

def evidence_names_no_artefact(evidence: str) -> str:
    return (
        f"The item is closed on evidence '{quote(evidence, 40)}', which says the work was done but names nothing an "
        "assessor could open or re-run. Closure is verified on evidence by a separate reviewer (R-CONT-3) and the "
        "artefacts are kept six years (R-AFF-3). Good: the evidence or where it lives, e.g. 'Duo enrolment report "
        "2025-03-14, SharePoint /Evidence/IA.L2-3.5.3'."
    )


def closed_with_open_milestones(open_count: int, total: int, first: str, due) -> str:
    when = f", due {due}" if due else ""
    return (
        f"The item is closed, but {open_count} of its {total} milestones {'is' if open_count == 1 else 'are'} "
        f"neither done nor dropped (first: '{quote(first, 40)}'{when}). A closure rests on the planned work "
        "being done (R-CONT-3: milestones to measure progress). Good: record each milestone's done date, or drop "
        "it with the reason, before the item closes."
    )


def departed_person(role: str, name: str) -> str:
    return (
        f"The item's {role}, {name}, no longer belongs to the organization: nobody answers for "
        f"{'the item' if role != 'approval authority' else 'approving its closure'} (R-CONT-3: a named, "
        "accountable owner). Good: hand the item to a current member, as is asked when a person is removed."
    )


RISK_ACCEPTED = (
    "The item is marked risk accepted, but a requirement not implemented is NOT MET whatever the POA&M says "
    "(R-FIND-5), and an assessment POA&M item must be closed within 180 days (R-CLOSE-1). Good: a dated plan to "
    "implement it, or an enduring exception documented in the SSP (R-FIND-3)."
)


@lru_cache(maxsize=16)
def missing_field(attribute: str) -> str:
    label, why, good = REQUIRED_FIELDS[attribute]
    return f"The item has no {label}. {why} Good: {good}."


def missing_column(attribute: str) -> str:
    label, why, good = REQUIRED_FIELDS[attribute]
    return f"The file has no {label} column. {why} Good: a {label} on every item: {good}."


def duplicate_id(item_id: str, first_row: int | None) -> str:
    where = f"the item on row {first_row}" if first_row is not None else "an earlier item"
    return (
        f"Id {item_id!r} is also the id of {where}. Milestones, evidence and the closeout refer to items by id. Good: "
        "a unique id per item, e.g. POAM-AC-001, POAM-AC-002."
    )
