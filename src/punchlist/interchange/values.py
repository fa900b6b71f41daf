"""Cell values as spreadsheets hold them, turned into what the core records want.

Every parser takes one cell value as python-calamine or the csv module gives it (str, float, int, bool,
date, datetime) and returns the record's value, or raises ``CellError`` with a message that says what is
accepted. Parsing of text is cached: on a 100,000-row POA&M the same dates, statuses, severities and
requirement lists recur thousands of times, and the cache is what keeps reading close to the bare read.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import lru_cache

from punchlist.core.records import Determination, ItemStatus, RecordKind, Severity


class CellError(ValueError):
    """A cell whose value cannot mean what its column says; the reader adds file, row and column."""


_CACHE_LIMIT = 65536  # distinct cell values remembered per parser; past that the memory is started afresh


def remembered(parse_new):
    """``parse_new`` with its results kept by cell value in ``.seen``, a dict the row mapper reads directly.

    Only results are kept; a value that fails is parsed again, and fails again, where it recurs.
    """
    seen: dict = {}

    def parse(value):
        result = seen.get(value, seen)  # the dict itself marks "not seen": None is a result
        if result is seen:
            result = parse_new(value)
            if len(seen) >= _CACHE_LIMIT:
                seen.clear()
            seen[value] = result
        return result

    parse.seen = seen
    parse.__doc__ = parse_new.__doc__
    parse.__name__ = parse_new.__name__
    return parse


_NOT_ALNUM = re.compile(r"[\W_]+")  # the characters str.isalnum() refuses, exactly


def key(text: str) -> str:
    """Lower-case letters and digits only: "POA&M Status" and "poam_status" compare equal."""
    return _NOT_ALNUM.sub("", text.lower())


# --- text ------------------------------------------------------------------------------------------------

def text(value) -> str:
    """What the cell says, stripped; whole numbers without the ".0" calamine gives them (12345.0 -> "12345")."""
    if type(value) is str:
        return value.strip()
    return _other_text(value)


def _other_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def identifier(value) -> str | None:
    """An item id: text as written, or None when the cell is empty."""
    return text(value) or None


# --- dates -----------------------------------------------------------------------------------------------

# Excel's 1900 date system, counting its phantom 29 February 1900: serial 61 is 1 March 1900.
_EXCEL_EPOCH = date(1899, 12, 30)
# Serials outside these bounds are not dates anyone tracks a POA&M by: a bare year (2026) or a count.
_FIRST_SERIAL = (date(1950, 1, 1) - _EXCEL_EPOCH).days
_LAST_SERIAL = (date(9999, 12, 31) - _EXCEL_EPOCH).days

_MONTHS = {
    name: number
    for number, names in enumerate(
        [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
         ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
         ("oct", "october"), ("nov", "november"), ("dec", "december")],
        start=1,
    )
    for name in names
}
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[ap]\.?m\.?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
_ISO = re.compile(r"(?P<year>\d{4})(?P<sep>[-/.])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})" + _TIME, re.IGNORECASE)
# Month first, with slashes or dashes: 03/01/2026, 3-1-26. Not with dots: 01.03.2026 is day first where it
# is written so, and 3.1.12 is a requirement id.
_US = re.compile(r"(?P<month>\d{1,2})(?P<sep>[-/])(?P<day>\d{1,2})(?P=sep)(?P<year>\d{4}|\d{2})" + _TIME,
                 re.IGNORECASE)
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?[-\s]+([a-z]{3,9})\.?[-\s,]+(\d{4}|\d{2})", re.IGNORECASE)
_MONTH_DAY_YEAR = re.compile(
    r"(?:[a-z]+,\s*)?([a-z]{3,9})\.?[-\s]+(\d{1,2})(?:st|nd|rd|th)?,?[-\s]+(\d{4})", re.IGNORECASE)

DATE_FORMS = "2026-03-01, 03/01/2026 (month first), March 1, 2026, 1-Mar-2026 or an Excel date"


def parse_date(value) -> date | None:
    """A date from a date cell, an Excel serial number or text in a common form; None when empty."""
    kind = type(value)
    if kind is date:
        return value
    if kind is datetime:
        return value.date()
    if kind is str or kind is float or kind is int:
        return _date_from_value(value)
    if value is None:
        return None
    raise CellError(f"{text(value)!r} is not a date; write it as {DATE_FORMS}")


@remembered
def _date_from_value(value: str | float | int) -> date | None:
    if type(value) is not str:
        return _date_from_serial(value, value)
    written = value.strip()
    if not written:
        return None
    if written[0].isdigit() and written.replace(".", "", 1).isdigit():
        return _date_from_serial(float(written), written)  # "45123" or "45123.0"
    return exact_date(written)


def _date_from_serial(serial: float, written) -> date:
    if not _FIRST_SERIAL <= serial <= _LAST_SERIAL:
        raise CellError(f"{text(written)!r} is not a date; write it as {DATE_FORMS}")
    return _EXCEL_EPOCH + timedelta(days=int(serial))


@lru_cache(maxsize=65536)
def exact_date(written: str) -> date:
    """The date that ``written`` (one whole date, no other text) names; CellError otherwise."""
    if match := _US.fullmatch(written):
        month, day = int(match["month"]), int(match["day"])
        if month > 12 and day <= 12:
            raise CellError(
                f"{written!r} is not a date in month/day/year order, the order this reader uses for dates "
                f"written with slashes; write it as {_year(match['year'])}-{day:02d}-{month:02d}")
    try:
        if match := _ISO.fullmatch(written):
            return date(int(match["year"]), int(match["month"]), int(match["day"]))
        if match := _US.fullmatch(written):
            return date(_year(match["year"]), int(match["month"]), int(match["day"]))
        if match := _DAY_MONTH_YEAR.fullmatch(written):
            return date(_year(match[3]), _month(match[2]), int(match[1]))
        if match := _MONTH_DAY_YEAR.fullmatch(written):
            return date(int(match[3]), _month(match[1]), int(match[2]))
    except (ValueError, KeyError):
        pass  # 2026-02-30, "Foo 1, 2026": not a date, said below
    raise CellError(f"{written!r} is not a date; write it as {DATE_FORMS}")


def _year(written: str) -> int:
    """Two-digit years as Excel reads them: 00-29 are 2000-2029, 30-99 are 1930-1999."""
    year = int(written)
    if len(written) == 2:
        year += 2000 if year < 30 else 1900
    return year


def _month(name: str) -> int:
    return _MONTHS[name.lower()]


# --- requirement lists -----------------------------------------------------------------------------------

_LIST_SEPARATORS = re.compile(r"\s*(?:[,;\n/]|\s&\s|\sand\s)\s*", re.IGNORECASE)


def requirement_list(value) -> list[str]:
    """Several requirements in one cell, kept as written: "3.1.1, 3.1.2 and 3.1.3" -> three ids."""
    return list(_requirements(value))


@remembered
def _requirements(value) -> tuple[str, ...]:
    written = text(value)
    return tuple(part for part in _LIST_SEPARATORS.split(written) if part) if written else ()


requirement_list.seen = _requirements.seen  # the row mapper makes its own list from the remembered tuple


# --- enumerations ----------------------------------------------------------------------------------------

def _enum_parser(table: dict[str, object], what: str, accepted: str):
    """A parser of one enumeration: its exact key first, then the words before a " - ", ":" or "(".

    "Open - waiting on vendor" and "Closed (verified)" carry a status followed by a note; the note is
    dropped, not guessed at. A blank cell gives None.
    """

    def parse(value):
        written = text(value)
        if not written:
            return None
        result = table.get(key(written), _MISSING)
        if result is _MISSING:
            head = re.split(r"\s[-\u2013\u2014]\s|[:(\[,]", written, maxsplit=1)[0]
            result = table.get(key(head), _MISSING)
        if result is _MISSING:
            raise CellError(f"{written!r} is not a {what}; use one of: {accepted}")
        return result

    return remembered(parse)


_MISSING = object()


def _table(groups: dict[object, tuple[str, ...]]) -> dict[str, object]:
    return {key(word): value for value, words in groups.items() for word in words}


# POA&M item status. eMASS's four (Ongoing, Risk Accepted, Completed, N/A) are here; "N/A" is closed: the
# item no longer asks for work. "Remediated"/"Fixed" wait for the separate verification R-CONT-3 asks for.
ITEM_STATUS_WORDS: dict[ItemStatus, tuple[str, ...]] = {
    ItemStatus.DRAFT: ("Draft", "Proposed"),
    ItemStatus.OPEN: ("Open", "Planned", "Not Started", "New", "Pending", "Scheduled", "Delayed", "Late",
                      "Overdue", "To Do", "Todo", "Reopened", "Re-opened", "Identified"),
    ItemStatus.IN_PROGRESS: ("In Progress", "Ongoing", "On Going", "In Work", "Underway", "Under Way",
                             "Started", "Work in Progress", "WIP", "Active", "In Remediation",
                             "Remediating"),
    ItemStatus.READY_FOR_VERIFICATION: ("Ready for Verification", "Pending Verification",
                                        "Awaiting Verification", "Ready for Review", "Pending Review",
                                        "Pending Validation", "Ready for Validation", "Remediated", "Fixed",
                                        "Mitigated", "Pending Closure"),
    ItemStatus.CLOSED: ("Closed", "Completed", "Complete", "Done", "Resolved", "Verified", "Implemented",
                        "Closed Verified", "N/A", "NA", "Not Applicable"),
    ItemStatus.RISK_ACCEPTED: ("Risk Accepted", "Accepted", "Accepted Risk", "Risk Acceptance"),
}
item_status = _enum_parser(
    _table(ITEM_STATUS_WORDS), "POA&M status",
    "; ".join(f"{status}: {', '.join(words)}" for status, words in ITEM_STATUS_WORDS.items()))

# DISA STIG categories: CAT I is high, CAT II medium, CAT III low. eMASS adds Very High and Very Low.
SEVERITY_WORDS: dict[Severity | None, tuple[str, ...]] = {
    Severity.LOW: ("Low", "L", "Very Low", "Informational", "Info", "CAT III", "CAT 3", "Category III",
                   "III"),
    Severity.MODERATE: ("Moderate", "Medium", "Med", "Mod", "M", "CAT II", "CAT 2", "Category II", "II"),
    Severity.HIGH: ("High", "H", "CAT I", "CAT 1", "Category I", "I"),
    Severity.CRITICAL: ("Critical", "Crit", "Very High"),
    None: ("N/A", "NA", "None"),
}
severity = _enum_parser(
    _table(SEVERITY_WORDS), "severity",
    "Low, Moderate (Medium), High, Critical (Very High), CAT I, CAT II, CAT III")

# R-CLOSE-4: the assessment POA&M (170.21) versus the 3.12.2 operational plan of action.
KIND_WORDS: dict[RecordKind, tuple[str, ...]] = {
    RecordKind.ASSESSMENT_POAM: ("POA&M", "POAM", "Assessment POA&M", "Assessment", "POA&M Item", "CMMC POA&M",
                                 "Assessment Finding"),
    RecordKind.OPERATIONAL_PLAN: ("Operational Plan of Action", "Operational", "Operational Plan",
                                  "Operational POA", "OPA", "3.12.2", "CA.L2-3.12.2", "Temporary Deficiency"),
}
record_kind = _enum_parser(
    _table(KIND_WORDS), "record type",
    "; ".join(f"{kind}: {', '.join(words)}" for kind, words in KIND_WORDS.items()))

# Self-assessment determinations (R-FIND-1, R-FIND-2). A POA&M does not make a requirement MET (R-FIND-5), so
# "Partially Implemented", "Planned" and "On POA&M" are NOT MET. "Yes"/"No" answer "implemented?".
DETERMINATION_WORDS: dict[Determination, tuple[str, ...]] = {
    Determination.MET: ("MET", "Implemented", "Fully Implemented", "Yes", "Y", "Compliant", "Pass", "Passed",
                        "Satisfied", "Inherited", "Complete", "Completed"),
    Determination.NOT_MET: ("NOT MET", "Not Implemented", "Partially Implemented", "Partial", "Partially Met",
                            "Planned", "No", "N", "Non-Compliant", "Not Compliant", "Noncompliant", "Fail",
                            "Failed", "Not Satisfied", "Other Than Satisfied", "In Progress", "Open",
                            "On POA&M", "POA&M", "Not Started"),
    Determination.NOT_APPLICABLE: ("N/A", "NA", "Not Applicable"),
}
determination = _enum_parser(
    _table(DETERMINATION_WORDS), "requirement status",
    "; ".join(f"{d}: {', '.join(words)}" for d, words in DETERMINATION_WORDS.items()))


# --- yes / no --------------------------------------------------------------------------------------------

_NO = frozenset({"", "no", "n", "false", "0", "none", "0.0"})
_YES = frozenset({"yes", "y", "true", "1", "x", "1.0"})


def partial_flag(value) -> bool:
    """The 3-point case of 3.5.3 / 3.13.11 (R-SCORE-2): any value but blank, no, false or 0."""
    return text(value).lower() not in _NO


def plan_flag(value) -> bool | None:
    """Whether a plan of action exists (R-SCORE-4): yes/no, or the plan or its POA&M id written in."""
    written = text(value).lower()
    if not written:
        return None
    if written in _YES:
        return True
    return written not in _NO
