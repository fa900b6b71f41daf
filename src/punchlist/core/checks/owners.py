"""Is a primary owner one accountable person (R-CONT-3: "the owner accountable")?

A team ("IT Dept", "Security"), an outside firm ("MSP", "Acme IT Services LLC") or a placeholder ("TBD") makes
nobody in particular answerable for the date. A person is named when any part of the cell names one:
"Marcus Lee, IT Operations Lead", "Jane Doe (IT)", "m.lee@example.com".

Single-officer role titles (CISO, ISSO, FSO, "IT Manager", "Security Lead") are *not* flagged: each is held by
exactly one person at a time, who is accountable and can be interviewed (R-CONT-5), and small contractors
routinely write the role because people change. Collective words ("Management", "Admins", "Staff") are flagged.
"""

from __future__ import annotations

import re
from functools import lru_cache

PLACEHOLDERS = frozenset(
    {"tbd", "tba", "tbc", "n/a", "na", "none", "unknown", "unassigned", "pending", "?", "-", "x", "owner", "todo"}
)

# Words that name a single accountable office: whoever holds it is one person (see the module docstring).
OFFICER_WORDS = frozenset(
    """ciso vciso cio cto ceo cfo coo cso cmo isso issm iso fso dpo president vp manager director officer lead
    head chief coordinator supervisor principal controller""".split()
)

# Words that describe a group, a function or an organisation, never a person.
GENERIC_WORDS = frozenset(
    """it dept dept. department departments team teams group groups security cybersecurity cyber infosec
    information admin admins administration administrator administrators sysadmin sysadmins helpdesk help
    desk service services servicedesk support msp mssp vendor vendors management tbd tba staff operations ops
    devops secops itops infrastructure network networking engineering engineer engineers hr human resources
    finance accounting legal compliance facilities facility physical office center centre soc noc contractor
    contractors consultant consultants provider providers third party thirdparty 3rd outsourced managed
    external internal all everyone users user employees employee personnel people company organization
    organisation org corporate leadership executive executives board the and of for to a tier level desktop
    contracts purchasing procurement program project projects quality qa governance risk grc audit data
    system systems application applications app apps cloud server servers technology technologies tech
    solutions consulting partner partners provider dev development it's its our shared""".split()
)

# Words that mark an organisation's name when something else names it ("Acme IT Services LLC"); on their own,
# with only generic words ("IT Services"), they describe a department.
ORGANISATION_WORDS = frozenset(
    """inc llc llp pllc lp ltd corp corporation co company gmbh plc services solutions consulting technologies
    partners associates group""".split()
)

_NOT_A_NAME = GENERIC_WORDS | PLACEHOLDERS  # with numbers ("Tier 2"), the words of a generic owner

_SEGMENTS = re.compile(r"\s+[-\u2013\u2014]\s+|[,;/|()\[\]<>]|\s+&\s+|\s+and\s+", re.IGNORECASE)
# What besides a comma could part segments; without any, splitting at commas is the same and five times cheaper.
_OTHER_SEPARATORS = re.compile(r"[-\u2013\u2014;/|()\[\]<>&]|\sand\s")
_EMAIL = re.compile(r"^[\w.+'-]+@[\w-]+(?:\.[\w-]+)+$")
_LOCAL_PART_WORDS = re.compile(r"[a-z]+")
_WORDS = re.compile(r"[a-z0-9][a-z0-9'\u2019]*")


@lru_cache(maxsize=1 << 12)
def judge_owner(owner: str) -> tuple[str | None, str]:
    """(why the owner is not a named person or None, a key that identifies the owner for counting).

    Cached: a POA&M has a handful of owners repeated over every row. A large one has hundreds of different
    "Name, Title" cells, judged once each: those made only of ASCII letters, spaces and commas (no other
    separator, no "and", no full stop, no e-mail address) skip the regular expressions, which would find
    exactly their words and segments (``test_checks``: both readings agree).
    """
    return _judge(" ".join(owner.split()).lower(), quick=True)


def _judge(lowered: str, quick: bool) -> tuple[str | None, str]:
    """``judge_owner`` of a cell already made single-spaced and lower case; ``quick``: plain cells are split
    with string methods."""
    if lowered.strip(" .") in PLACEHOLDERS:
        return "is a placeholder, not a person", lowered
    letters = lowered.replace(" ", "").replace(",", "")
    plain = quick and letters.isalpha() and letters.isascii() and " and " not in lowered
    if plain:
        segments = [segment.strip(" ") for segment in lowered.split(",")]
    else:
        split = _SEGMENTS.split(lowered) if _OTHER_SEPARATORS.search(lowered) else lowered.split(",")
        segments = [segment.strip(" .'\"") for segment in split]
    kinds = []
    for segment in segments:
        if not segment:
            continue
        words = segment.split(" ") if plain else _WORDS.findall(segment)
        kind = _segment_kind(segment, words)
        if kind in ("person", "officer"):
            return None, " ".join(words)
        if kind == "email-person":
            return None, segment
        kinds.append(kind)
    if not kinds:
        return "is a placeholder, not a person", lowered
    if "organisation" in kinds:
        return "is a company, not a person", lowered
    if "email-generic" in kinds:
        return "is a shared mailbox, not a person", lowered
    return "is a team or department, not a person", lowered


def _segment_kind(segment: str, words: list[str]) -> str:
    """What one part of an owner cell names; ``words`` are its words (``_WORDS``)."""
    if "@" in segment and _EMAIL.match(segment):
        local = _LOCAL_PART_WORDS.findall(segment.split("@", 1)[0])
        if local and all(word in GENERIC_WORDS or word in PLACEHOLDERS for word in local):
            return "email-generic"  # it@, security@, help.desk@
        return "email-person"
    if not words:
        return "placeholder"
    if not OFFICER_WORDS.isdisjoint(words):
        return "officer"
    if all(word in _NOT_A_NAME or word.isdigit() for word in words):
        return "generic"
    if not ORGANISATION_WORDS.isdisjoint(words):
        return "organisation"
    return "person"
