"""The NIST SP 800-171 Rev 2 catalog as CMMC Level 2 assesses it (R-STD-1).

The data ships with the package (``data/nist-800-171r2.csv``) and is read once. Look-ups accept the forms
people type into spreadsheets: ``3.1.1``, ``AC.L2-3.1.1``, ``ac.l2 - 3.1.1``, ``3.1.1[a]``, ``NIST 3.1.1``.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from enum import Enum
from functools import cache, lru_cache
from importlib import resources

CATALOG_VERSION = "nist-800-171r2"
MAX_SCORE = 110


class PoamEligibility(Enum):
    """Whether a NOT MET requirement may sit on a Level 2 POA&M (R-POAM-3, R-POAM-4)."""

    YES = "yes"
    NO = "no"
    # SC.L2-3.13.11 only: eligible when encryption is employed but not FIPS-validated (R-POAM-3).
    CONDITIONAL = "conditional"


@dataclass(frozen=True, slots=True)
class Requirement:
    id: str  # "3.1.1"
    cmmc_id: str  # "AC.L2-3.1.1"
    family: str  # "AC"
    family_name: str
    kind: str  # "basic" or "derived"
    title: str  # the CMMC practice title
    text: str
    weight: int | None  # DoD Assessment Methodology value; None for 3.12.4 (R-SCORE-3)
    partial_credit: str
    poam_eligibility: PoamEligibility
    level1_id: str | None
    objectives: int
    order: int

    @property
    def has_partial_credit(self) -> bool:
        """Only 3.5.3 and 3.13.11 credit a partial implementation (R-SCORE-2)."""
        return self.id in PARTIAL_CREDIT

    @property
    def sort_key(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.id.split("."))

    def __str__(self) -> str:
        return self.cmmc_id


# R-SCORE-2: the deduction for the partial case of the only two requirements that have one.
PARTIAL_CREDIT = {"3.5.3": 3, "3.13.11": 3}
SSP_REQUIREMENT = "3.12.4"  # R-SCORE-3
PLAN_OF_ACTION_REQUIREMENT = "3.12.2"  # R-SCORE-4

_ID = re.compile(
    r"""^\s*
    (?:(?:nist\s*(?:sp\s*)?(?:800-171\s*(?:r(?:ev)?\.?\s*2)?)?\s*)?)?   # optional "NIST SP 800-171" prefix
    (?:(?P<family>[a-z]{2})\s*\.\s*l\s*(?P<level>[12])\s*-\s*)?          # optional "AC.L2-"
    (?P<id>3\s*\.\s*\d{1,2}\s*\.\s*\d{1,2})                            # the requirement number
    \s*(?:\[\s*[a-z]{1,2}\s*\](?:\s*\[\s*\d+\s*\])?)?                    # optional objective "[a]"
    \s*$""",
    re.IGNORECASE | re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class Objective:
    """One NIST SP 800-171A assessment objective: "3.1.1[a]", what an assessor determines MET or NOT MET."""

    id: str  # "3.1.1[a]"
    requirement: str  # "3.1.1"
    letter: str  # "a"
    text: str

    def __str__(self) -> str:
        return self.id


class UnknownRequirement(KeyError):
    """Raised for an id that is not one of the 110 requirements."""

    def __str__(self) -> str:
        return f"{self.args[0]!r} is not a NIST SP 800-171 Rev 2 requirement"


class Catalog:
    def __init__(self, requirements: list[Requirement]):
        self.requirements = tuple(requirements)
        self._by_id = {r.id: r for r in requirements}
        self.families = tuple(dict.fromkeys(r.family for r in requirements))

    def __iter__(self):
        return iter(self.requirements)

    def __len__(self) -> int:
        return len(self.requirements)

    def __contains__(self, text: object) -> bool:
        return isinstance(text, str) and self.find(text) is not None

    def get(self, text: str) -> Requirement:
        requirement = self.find(text)
        if requirement is None:
            raise UnknownRequirement(text)
        return requirement

    def find(self, text: str) -> Requirement | None:
        """The requirement a typed id names, or None. Cached: the same ids recur on every row."""
        return _find(self, text)

    def family(self, code: str) -> list[Requirement]:
        return [r for r in self.requirements if r.family == code.upper()]

    def objectives(self, requirement: str) -> tuple[Objective, ...]:
        """The requirement's assessment objectives, in NIST SP 800-171A's order (320 in all)."""
        return load_objectives().get(self.get(requirement).id, ())

    def objective(self, text: str) -> Objective | None:
        """The objective a typed id names ("3.1.1[a]", "AC.L2-3.1.1[A]", "3.1.1 [a]"), or None."""
        compact = "".join(str(text).split())
        if "[" not in compact or not compact.endswith("]"):
            return None
        requirement = self.find(compact[:compact.index("[")])
        if requirement is None:
            return None
        letter = compact[compact.index("[") + 1:-1].lower()
        return next((o for o in self.objectives(requirement.id) if o.letter == letter), None)

    @property
    def level1(self) -> list[Requirement]:
        """The 17 Rev 2 requirements that carry the 15 FAR 52.204-21 practices (R-STD-2)."""
        return [r for r in self.requirements if r.level1_id]


@lru_cache(maxsize=4096)
def _find(catalog: Catalog, text: str) -> Requirement | None:
    match = _ID.match(text)
    if not match:
        return None
    number = re.sub(r"\s+", "", match["id"])
    number = ".".join(str(int(part)) for part in number.split("."))
    requirement = catalog._by_id.get(number)
    if requirement is None:
        return None
    family = match["family"]
    if family and family.upper() != requirement.family:
        return None  # "AC.L2-3.5.3" names two different things; refuse rather than guess.
    return requirement


def _weight(value: str) -> int | None:
    return None if value == "NA" else int(value)


@cache
def load_catalog() -> Catalog:
    """The shipped catalog, read once per process."""
    text = resources.files(__package__).joinpath("data", f"{CATALOG_VERSION}.csv").read_text("utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    requirements = [
        Requirement(
            id=row["requirement"],
            cmmc_id=row["cmmc_id"],
            family=row["family"],
            family_name=row["family_name"],
            kind=row["kind"],
            title=row["cmmc_title"],
            text=row["text"],
            weight=_weight(row["dod_weight"]),
            partial_credit=row["partial_credit"],
            poam_eligibility=PoamEligibility(row["poam_allowed_l2"]),
            level1_id=row["level1_id"] or None,
            objectives=int(row["objectives"]),
            order=order,
        )
        for order, row in enumerate(rows)
    ]
    return Catalog(requirements)


@cache
def load_objectives() -> dict[str, tuple[Objective, ...]]:
    """NIST SP 800-171A's 320 assessment objectives by requirement (``data/nist-800-171a-objectives.csv``)."""
    text = resources.files(__package__).joinpath("data", "nist-800-171a-objectives.csv").read_text("utf-8")
    found: dict[str, list[Objective]] = {}
    for row in csv.DictReader(text.splitlines()):
        requirement, letter = row["requirement"], row["objective"]
        found.setdefault(requirement, []).append(
            Objective(f"{requirement}[{letter}]", requirement, letter, row["text"]))
    return {requirement: tuple(objectives) for requirement, objectives in found.items()}
