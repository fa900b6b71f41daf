"""Ids from other catalogs read as the NIST SP 800-171 Rev 2 requirements they lead to.

A POA&M that comes from FedRAMP, eMASS or an OSCAL document names NIST SP 800-53 controls (``AC-2``,
``ac-2.1``, ``AC-2 (1)``); one written against SP 800-171 Rev 3 names ``03.01.01``; a CMMC one names
``AC.L2-3.1.1``. Punchlist assesses Rev 2, so each id is read here as the Rev 2 requirement(s) it leads to,
with the way it got there said in plain words, so that a person confirms or changes the choice:

- a Rev 2 id or a CMMC id names its requirement exactly (``catalog.find``);
- an SP 800-53 control leads to the requirements NIST SP 800-171 Rev 2 Appendix D derives from it
  (``data/nist-800-171r2-to-800-53.csv``, Rev 4 ids). An enhancement that the table does not list is read
  through its base control, and said so. Appendix D is informational (NIST's word), not an equivalence, and
  some of its rows come from a merged table cell shared by several requirements, so every such reading is to
  be confirmed. A control with no 800-171 counterpart (``PE-13``, ``SA-9``) leads to none: its item is
  operational work that still needs a requirement, not a refused file.
- a Rev 3 id is named as one, and leads to the Rev 2 requirement of the same number where there is one, to
  be confirmed (Rev 3 withdrew, merged and added requirements; the numbers of the rest carried over).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from .catalog import load_catalog

APPENDIX_D = "nist-800-171r2-to-800-53.csv"

# Scheme names, as said to a person.
REV2 = "NIST SP 800-171 Rev 2"
CMMC = "CMMC"
REV3 = "NIST SP 800-171 Rev 3"
SP800_53 = "NIST SP 800-53"

_800_53 = re.compile(
    r"""^\s*(?:nist\s*(?:sp\s*)?800-53\s*(?:r(?:ev)?\.?\s*[45]\s*)?[:\s]\s*)?   # optional "NIST SP 800-53 Rev 4"
    (?P<family>[a-z]{2})\s*-\s*0*(?P<number>\d{1,2})                       # AC-2, ac-02
    (?:\s*(?:\(\s*0*(?P<enhancement>\d{1,2})\s*\)|\.0*(?P<dotted>\d{1,2})))? # (1), " (1)", OSCAL's ".1"
    (?:_smt[\w.]*|_obj[\w.]*)?                                              # OSCAL part ids: ac-2_smt.a
    \s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_REV3 = re.compile(r"^\s*(?:(?:nist\s*)?(?:sp\s*)?800-171\s*r(?:ev)?\.?\s*3\s*)?0(?P<family>3)\.(?P<a>\d{2})\.(?P<b>\d{2})"
                   r"(?:\.[a-z](?:\.\d+)?)?\s*$", re.IGNORECASE)
_CMMC = re.compile(r"^\s*[a-z]{2}\s*\.\s*l\s*[12]\s*-", re.IGNORECASE)
# The families SP 800-53 has (Rev 4 and Rev 5); two letters outside them are not a control id.
FAMILIES_800_53 = frozenset("AC AT AU CA CM CP IA IR MA MP PE PL PM PS PT RA SA SC SI SR".split())


@dataclass(frozen=True, slots=True)
class ControlReading:
    """How one written id leads to Rev 2 requirements."""

    written: str
    scheme: str | None  # REV2, CMMC, REV3, SP800_53; None when the id is none of them
    control: str  # the id in its own scheme, written the standard way ("AC-2(1)", "03.01.01", "3.1.1")
    requirements: tuple[str, ...]  # the Rev 2 requirement ids it leads to, in catalog order
    exact: bool  # the id names its requirement(s) itself; False: derived, to be confirmed by a person
    note: str  # how it got there, in plain words ("" when exact)

    @property
    def recognised(self) -> bool:
        return self.scheme is not None


def normalize_800_53(text: str) -> str | None:
    """``ac-2.1``, ``AC-02 (01)``, ``ac-2_smt.a`` -> ``AC-2(1)``; None when ``text`` is no SP 800-53 id."""
    match = _800_53.match(text or "")
    if not match or match["family"].upper() not in FAMILIES_800_53:
        return None
    base = f"{match['family'].upper()}-{int(match['number'])}"
    enhancement = match["enhancement"] or match["dotted"]
    return f"{base}({int(enhancement)})" if enhancement else base


@cache
def appendix_d() -> dict[str, tuple[str, ...]]:
    """SP 800-53 Rev 4 control -> the Rev 2 requirements Appendix D derives from it, in catalog order."""
    text = resources.files(__package__).joinpath("data", APPENDIX_D).read_text("utf-8")
    derived: dict[str, list[str]] = {}
    for row in csv.DictReader(text.splitlines()):
        for control in filter(None, (part.strip() for part in row["nist_800_53_rev4"].split(";"))):
            derived.setdefault(normalize_800_53(control) or control, []).append(row["requirement"])
    order = {r.id: r.order for r in load_catalog()}
    return {control: tuple(sorted(set(ids), key=order.__getitem__)) for control, ids in derived.items()}


@lru_cache(maxsize=4096)
def read_control(written: str) -> ControlReading:
    """The Rev 2 requirement(s) that ``written`` leads to, and how (see the module's docstring)."""
    text = (written or "").strip()
    requirement = load_catalog().find(text)
    if requirement is not None:
        scheme = CMMC if _CMMC.match(text) else REV2
        return ControlReading(written, scheme, requirement.id, (requirement.id,), True, "")
    if match := _REV3.match(text):
        rev3 = f"03.{match['a']}.{match['b']}"
        same = load_catalog().find(f"3.{int(match['a'])}.{int(match['b'])}")
        if same is None:
            return ControlReading(written, REV3, rev3, (), False,
                                  f"{rev3} is a {REV3} id, and {REV2} has no requirement of the same number: "
                                  "choose the requirement")
        return ControlReading(written, REV3, rev3, (same.id,), False,
                              f"{rev3} is a {REV3} id; {REV2} {same.id} has the same number: confirm it is "
                              "the same requirement")
    control = normalize_800_53(text)
    if control is None:
        return ControlReading(written, None, text, (), False,
                              f"{text!r} is not an id of {REV2}, {CMMC}, {REV3} or {SP800_53}")
    table = appendix_d()
    if control in table:
        ids = table[control]
        return ControlReading(written, SP800_53, control, ids, False,
                              f"{SP800_53} {control} leads to {_and(ids)} (NIST SP 800-171 Rev 2 Appendix D): "
                              "confirm")
    base = control.split("(", 1)[0]
    if base != control and base in table:
        ids = table[base]
        return ControlReading(written, SP800_53, control, ids, False,
                              f"{SP800_53} {control} is not in NIST SP 800-171 Rev 2 Appendix D; its base "
                              f"control {base} leads to {_and(ids)}: confirm")
    return ControlReading(written, SP800_53, control, (), False,
                          f"{SP800_53} {control} has no NIST SP 800-171 Rev 2 counterpart (Appendix D): the "
                          "item is operational work that needs a requirement chosen")


def _and(ids: tuple[str, ...]) -> str:
    return ids[0] if len(ids) == 1 else ", ".join(ids[:-1]) + " and " + ids[-1]
