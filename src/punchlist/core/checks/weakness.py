"""Reading a weakness: does it hold several problems, and does it say encryption is missing altogether?"""

from __future__ import annotations

import re
from functools import lru_cache

# A requirement id written into prose: "3.1.1", "AC.L2-3.1.1", "3.1.1[a]".
_REQUIREMENT_ID = re.compile(r"(?i)(?<![\d.])(?:[a-z]{2}\.l[12]-)?(3\.\d{1,2}\.\d{1,2})(?![\d])")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?;])\s+|\n+")
# Enumeration markers: bullets at the start of a line; "1)", "(1)", "1.", "a)", "(a)" after a boundary.
_MARKER = re.compile(
    r"(?m)(?:^[ \t]*(?P<bullet>[-*\u2022\u25aa\u25e6\u00b7])[ \t]+"
    r"|(?:^|(?<=[\s:;,]))\(?(?P<label>\d{1,2}|[a-hA-H])(?:\)|(?<=\d)\.(?=\s))[ \t]*"
    r"|(?P<inline>[\u2022\u25aa])\s*)"
)
_WORD = re.compile(r"[A-Za-z0-9]+")
# An enumerated part this long describes a problem; shorter parts list the objects of one problem
# ("MFA is missing on: 1) admin01 2) svc-backup").
MIN_PROBLEM_WORDS = 4


def _may_enumerate(text: str) -> bool:
    """A cheap test before the marker regex: a list of two or more needs a line break or an inline bullet, or
    labels "1" and "2" (or "a" and "b") each followed by ")" or "." (see ``_enumerated_problems``)."""
    if "\n" in text or "\u2022" in text or "\u25aa" in text:
        return True
    if ")" not in text and "." not in text:
        return False
    return (("1)" in text or "1." in text) and ("2)" in text or "2." in text)) or (
        ("a)" in text or "A)" in text) and ("b)" in text or "B)" in text))


def blended_reason(text: str) -> str | None:
    """Why a weakness describes several problems, or None when it describes one.

    "MFA is not enforced for remote and privileged accounts" is one problem: an "and" is not a list.
    Enumerations of problem-sized parts, different requirements named in different sentences, and problems
    joined by semicolons, commas or "and also" count ("Logging gap on FS01; policy not reviewed since 2023;
    no SIEM alerting"). Most weaknesses have none of these marks, and are passed by that test alone, without
    the cache: most are unique text, which a cache would only hold on to.
    """
    if not text:
        return None
    # _may_enumerate(text) or "3." in text or a joint, written out: this runs on every item.
    if "\n" in text or "3." in text or (not text.isascii() and ("\u2022" in text or "\u25aa" in text)):
        return _blended_reason(text)
    if (")" in text or "." in text) and (
            (("1)" in text or "1." in text) and ("2)" in text or "2." in text))
            or (("a)" in text or "A)" in text) and ("b)" in text or "B)" in text))):
        return _blended_reason(text)
    if ";" in text or ", " in text or " also " in text:
        return _joined_reason(text)
    return None


@lru_cache(maxsize=1 << 14)
def _blended_reason(text: str) -> str | None:
    if _may_enumerate(text) and _MARKER.search(text):
        problems = _enumerated_problems(text)
        if problems >= 2:
            return f"enumerates {problems} separate problems"
    if "3." in text:
        ids = {match.group(1) for match in _REQUIREMENT_ID.finditer(text)}
        if len(ids) >= 2:
            sentences = [
                frozenset(m.group(1) for m in _REQUIREMENT_ID.finditer(sentence))
                for sentence in _SENTENCE_BREAK.split(text)
            ]
            naming = [found for found in sentences if found]
            if len(naming) >= 2 and len(frozenset().union(*naming)) >= 2:
                return f"describes problems of {len(ids)} requirements ({', '.join(sorted(ids, key=_id_key))})"
    if ";" in text or ", " in text or " also " in text:
        return _joined_reason(text)
    return None


# Problems joined in one sentence: by semicolons, "and also", or commas. A part counts as a problem of its own
# when it is problem-sized and says something is wrong; a part that explains another ("because shared accounts
# are used", "which ...") or lists objects ("interns, and temps") does not.
_JOINTS = (("semicolons", re.compile(r"\s*;\s*")), ("'and also'", re.compile(r"(?i),?\s+(?:and\s+)?also\s+")),
           ("commas", re.compile(r"\s*,\s*(?:and\s+|but\s+)?")))
_PROBLEM = re.compile(
    r"(?i)\b(?:no|not|never|missing|lacks?|lacking|gaps?|without|outdated|out[- ]of[- ]date|unpatched|unsupported|"
    r"unencrypted|unmanaged|unreviewed|untested|undocumented|disabled|expired|none|cannot|can't|isn't|aren't|"
    r"doesn't|don't|hasn't|haven't|wasn't|weren't|fails?\s+to|overdue|end[- ]of[- ]life|eol|default\s+passwords?)\b")
_EXPLAINS = re.compile(r"(?i)^(?:because|since|as|which|who|so|where|when|while|due\s+to|that|whatever|"
                       r"including|e\.g\.|i\.e\.|such\s+as)\b")
MIN_JOINED_WORDS = 3


@lru_cache(maxsize=1 << 14)
def _joined_reason(text: str) -> str | None:
    for name, joint in _JOINTS:
        parts = [part for part in joint.split(text) if part]
        if len(parts) < 2:
            continue
        problems = sum(1 for part in parts if len(_WORD.findall(part)) >= MIN_JOINED_WORDS
                       and not _EXPLAINS.match(part) and _PROBLEM.search(part))
        if problems >= 2:
            return f"joins {problems} separate problems with {name}"
    return None


def _enumerated_problems(text: str) -> int:
    """How many problem-sized parts a list in the text has (0 when the markers do not form a list)."""
    markers = list(_MARKER.finditer(text))
    labels = [m["label"].lower() if m["label"] else "*" for m in markers]
    is_list = labels.count("*") >= 2 or ("1" in labels and "2" in labels) or ("a" in labels and "b" in labels)
    if not is_list:
        return 0
    parts = [text[m.end() : following.start()] for m, following in zip(markers, markers[1:])]
    parts.append(text[markers[-1].end() :])
    return sum(1 for part in parts if len(_WORD.findall(part)) >= MIN_PROBLEM_WORDS)


def _id_key(requirement: str) -> tuple[int, ...]:
    return tuple(int(part) for part in requirement.split("."))


# R-POAM-3: 3.13.11 may be on a POA&M only "if encryption is employed but it is not FIPS-validated".
# These phrases say encryption is not employed at all; "non-FIPS encryption", "no FIPS-validated encryption",
# "not encrypted with a validated module" say it is employed, and do not match.
_NOT_FIPS = r"(?:fips|validated|approved|certified|compliant|cmvp|nist)"
_NO_ENCRYPTION = re.compile(
    rf"""(?ix)
    \bunencrypted\b
    | \b(?:clear|plain)[\s-]?text\b
    | \bno\s+(?:(?!{_NOT_FIPS})[\w-]+\s+){{0,2}}encrypt(?:ion|ed)\b
    | \bnot\s+(?:be(?:ing|en)?\s+)?encrypted\b(?!\s+(?:with|using|by|via|under|in|to)\s+(?:an?\s+|the\s+)?{_NOT_FIPS})
    | \bwithout\s+(?:any\s+)?encrypt(?:ion|ing)\b
    | \bencryption\s+(?:is\s+|was\s+|has\s+been\s+)?(?:not\s+(?:employed|used|enabled|implemented|configured|
        applied|in\s+place|present|turned\s+on|deployed)|disabled|absent|missing|turned\s+off)\b
    | \b(?:does|do|did)\s+not\s+(?:use|employ|support|have|apply)\s+(?:any\s+)?encryption\b
    | \black(?:s|ing)?\s+(?:any\s+)?encryption\b
    | \black\s+of\s+(?:any\s+)?encryption\b
    """
)


@lru_cache(maxsize=1 << 12)
def says_no_encryption(text: str) -> bool:
    """Whether an item's text says encryption is not employed at all (the 5-point case of 3.13.11, R-SCORE-2)."""
    return bool(text) and _NO_ENCRYPTION.search(text) is not None
