"""DISA's Control Correlation Identifiers (CCI-000366) read as the SP 800-53 controls they correlate to.

A STIG checklist names, per rule, the CCIs it checks; DISA's CCI list (``data/cci-to-800-53.csv``, version
2025-01-23) places each on SP 800-53 Rev 4 and Rev 5 controls. Punchlist reaches 800-171 Rev 2 through NIST's
Appendix D, which names Rev 4 controls (``controls.read_control``), so the Rev 4 control is taken. A CCI that
DISA places on a Rev 5 control only (one added in Rev 5, ``SR-3``, or an enhancement Rev 4 lacks) is read
through its base control, and the reading says so, for the person who confirms the requirement.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from .controls import normalize_800_53

CCI_LIST = "cci-to-800-53.csv"
_CCI = re.compile(r"^\s*CCI[-\s]?0*(\d{1,6})\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class CciReading:
    cci: str  # "CCI-000366"
    controls: tuple[str, ...]  # SP 800-53 ids, Rev 4 where DISA names one ("CM-6")
    note: str  # "" when read as DISA's Rev 4 control; else how it was read


def normalize_cci(text: str) -> str | None:
    """``cci-366``, ``CCI-000366`` -> ``CCI-000366``; None when ``text`` is no CCI."""
    match = _CCI.match(text or "")
    return f"CCI-{int(match[1]):06d}" if match else None


@cache
def cci_list() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """CCI -> (its Rev 4 controls, its Rev 5 controls), as DISA's list gives them."""
    text = resources.files(__package__).joinpath("data", CCI_LIST).read_text("utf-8")

    def ids(cell: str) -> tuple[str, ...]:
        return tuple(normalize_800_53(part) or part.strip() for part in cell.split(";") if part.strip())

    return {row["cci"]: (ids(row["nist_800_53_rev4"]), ids(row["nist_800_53_rev5"]))
            for row in csv.DictReader(text.splitlines())}


def read_cci(written: str) -> CciReading:
    """The SP 800-53 controls a CCI leads to, and how."""
    cci = normalize_cci(written) or (written or "").strip()
    rev4, rev5 = cci_list().get(cci, ((), ()))
    if rev4:
        return CciReading(cci, rev4, "")
    if rev5:
        bases = tuple(dict.fromkeys(control.split("(", 1)[0] for control in rev5))
        return CciReading(cci, bases, f"{cci} names only the SP 800-53 Rev 5 control(s) {', '.join(rev5)}; "
                                      f"read through the base control(s) {', '.join(bases)}")
    return CciReading(cci, (), f"{cci} is not in DISA's CCI list (version 2025-01-23): no control to read")
