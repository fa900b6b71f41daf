"""Milestones as people write them in one cell.

Forms read (one milestone per line, or per "(n)" marker as the FedRAMP template asks):

    (1) 2014/05/23: Milestone description        FedRAMP's "(##) xxxx-xx-xx: Milestone Description"
    2026-01-15 - Deploy Duo to all users          a leading date
    Deploy Duo to all users (due 01/15/2026)      "due", "by", "target" ... or a trailing date
    [x] 2026-01-10: Pilot with IT                 done: "[x]", "(done 2026-01-10)", "Completed 2026-01-10"

A milestone with no date is kept, with ``due=None``: that it has no date is the lint's finding to make.
A "[x]" milestone with no date of its own is taken as done on its due date; with no date at all it cannot
be marked done (``Milestone`` has only ``done_on``).

Milestone cells are mostly unique text, so they are read without running many regexes over each: FedRAMP's
own form by one regex over the whole cell (``_fedramp_form``), the common one-date-per-line cell with
string methods (``_plain_lines``), the rest by one scan for date tokens and string methods for the words
around them. Each quick reading takes only cells it reads exactly as the general one would, and hands any
other to it.
"""

from __future__ import annotations

import re
from datetime import date
from itertools import starmap

from punchlist.core.records import Milestone

from .values import CellError, exact_date, remembered, text

# A numeric date (2026-01-15, 01/15/2026, 1/15/26) or day-month-year (15-Jan-2026, 15 January 2026). Its
# first element is a plain character class, so the regex engine skips to the digits in C instead of trying
# the pattern at every position: milestone cells are mostly unique text and each is scanned once.
# Dots only after a four-digit year (2026.01.15): "3.1.12" is a requirement and "3.0.13" a version.
_NUMERIC_DATE = re.compile(
    r"[0-9](?:[0-9]{3}(?P<iso>[-/.])[0-9]{1,2}(?P=iso)[0-9]{1,2}"
    r"|[0-9]?(?P<us>[-/])[0-9]{1,2}(?P=us)(?:[0-9]{4}|[0-9]{2})"
    r"|[0-9]?(?:st|nd|rd|th)?[-\s](?P<month>[A-Za-z]{3,9})\.?[-\s,]+(?:[0-9]{4}|[0-9]{2}))(?![0-9])")
# Month first (January 15, 2026), looked for only where there is a digit but no numeric date.
_WORDY_DATE = re.compile(r"\b(?P<month>[A-Za-z]{3,9})\.?\s+[0-9]{1,2}(?:st|nd|rd|th)?,?\s+[0-9]{4}(?![0-9])")
_DIGIT = re.compile(r"[0-9]")
_MARKER = re.compile(r"\(\s*[0-9]{1,3}\s*\)")
_BULLET = re.compile(r"(?:[-*\u2022\u00b7]+|\d{1,3}[.)](?!\d))\s*")
_CHECKED = re.compile(r"(?:\[\s*[xX\u2713\u2714]\s*\]|[\u2611\u2705\u2714\u2713])\s*")
_UNCHECKED = re.compile(r"(?:\[\s*\]|\u2610)\s*")
_MONTH_WORDS = frozenset({
    "jan", "january", "feb", "february", "mar", "march", "apr", "april", "may", "jun", "june", "jul", "july",
    "aug", "august", "sep", "sept", "september", "oct", "october", "nov", "november", "dec", "december",
})

# Words before a date that say what the date is; longest first, so that "done on" wins over "on".
# "complete" is not among them: "Rollout complete 2027-02-20" names the milestone (the state it reaches), and
# says nothing of its being reached.
_DONE_WORDS = ("completed on", "finished on", "closed on", "done on", "completed", "finished", "closed", "done")
_DUE_WORDS = ("scheduled for", "planned for", "target date", "due on", "due by", "scheduled", "planned",
              "target", "deadline", "due", "eta", "by")
_DONE_ALONE = ("completed", "complete", "finished", "done")
_DATE_WORDS = _DONE_WORDS + _DUE_WORDS
_OPENING = " \t:;,-\u2013\u2014([@"  # between a word and its date: "due: ", "(done ", "by - "
_CLOSING = " \t)].;,"
_EDGES = " \t:;,-\u2013\u2014"


def parse_milestones(value) -> list[Milestone]:
    """The milestones in one cell; new Milestone objects each time, so no two items share one."""
    written = value if type(value) is str else text(value)
    if not written:
        return []
    if written[0] == "(" and (fedramp := _fedramp_form(written)) is not None:
        return fedramp
    found = _SEEN.get(written)
    if found is None:
        found = _parse(written)
    return list(starmap(Milestone, found))


@remembered
def _parse(written: str) -> tuple[tuple[str, date | None, date | None], ...]:
    plain = _plain_lines(written)
    if plain is not None:
        return plain
    milestones = []
    for number, entry in enumerate(_entries(written), start=1):
        try:
            milestones.append(_milestone(entry))
        except CellError as error:
            raise CellError(f"milestone {number} ({entry!r}): {error}") from None
    return tuple(milestones)


_SEEN = _parse.seen


# FedRAMP's form, which its template asks for and Punchlist's own exports write, a milestone per line:
#     (1) 2026-01-15: Deploy Duo to all users
#     (2) 2026-02-01: Enforce Duo for remote access (done 2026-01-30)
# One regex finds every line's parts, such that the general reading (``_entries``, then ``_iso_prefixed``)
# would take them exactly so: a description of printable ASCII without brackets (no "(n)" marker or
# "[done" hides in it), which neither starts nor ends, before any full stops, with what that reading strips
# from its edges (so it is not empty). With no double space in the cell nothing would be collapsed. What else
# that reading looks at (another date, a closing "due" or "done") is checked per line with string methods,
# and a cell with any other line (a wrapped description, a blank line) goes the general way. Such cells are
# mostly unique, so they are read afresh rather than remembered: reading one costs little more than
# remembering it would.
_DAY = r"([0-9]{4}-[0-9]{2}-[0-9]{2})"
_TEXT = r"\x20-\x27\x2a-\x5a\x5c\x5e-\x7e"  # printable ASCII but ()[]
_FIRST = r"\x21-\x27\x2a\x2b\x2e-\x39\x3c-\x5a\x5c\x5e-\x7e"  # nor " ,-:;"
_LAST = r"\x21-\x27\x2a\x2b\x2f-\x39\x3c-\x5a\x5c\x5e-\x7e"  # nor " ,-.:;"
_FEDRAMP_LINE = re.compile(  # groups: due, description, "[" (or "" for "(done"), done
    rf"^\([0-9]{{1,3}}\) {_DAY}: ([{_FIRST}](?:[{_TEXT}]*[{_LAST}])?\.*)"
    rf"(?: (?:(\[)|\()done {_DAY}(?(3)\]|\)))?$",
    re.MULTILINE,
)
# The last letters of the words that say what a date is, and the full stop a description may end with: a
# description ending otherwise ends with none of those words.
_DATE_WORD_ENDS = "".join(sorted({word[-1] for word in _DATE_WORDS} | {word[-1].upper() for word in _DATE_WORDS})) + "."


def _fedramp_form(written: str) -> list[Milestone] | None:
    """The cell read as FedRAMP's "(n) yyyy-mm-dd: description" lines, or None where it needs more."""
    found = _FEDRAMP_LINE.findall(written)
    if len(found) != written.count("\n") + 1 or "  " in written:
        return None  # a line that is not of the form, or spaces the general reading would collapse
    dates = _TOKEN_DATES.get
    slash_or_stop = "/" in written or "." in written  # looked for once in the cell, not in each description
    milestones = []
    try:
        for written_due, description, _, written_done in found:
            due = dates(written_due) or _token_date(written_due)
            done_on = (dates(written_done) or _token_date(written_done)) if written_done else None
            if ("-" in description or slash_or_stop) and _DATE_LIKE.search(description):
                return None  # another date in the text
            if description[-1] in _DATE_WORD_ENDS and description.rstrip(".").lower().endswith(_DATE_WORDS):
                return None  # "... due", "... done": the general reading says what the date is
            milestones.append(Milestone(description, due, done_on))
    except CellError:
        return None  # the general reading names the milestone and says why
    return milestones


# The form most cells take: one milestone per line, each with one numeric date at its start or its end,
#     2026-01-15: Deploy Duo to all users        Deploy Duo to all users - 01/15/2026
# is read with string methods, a line at a time; milestone cells are mostly unique text, and regexes over
# each cost more than the rest of the mapping. Anything else (markers, numbering, "due"/"done" words, a
# second date, a date in words) is left to the general reading below.
_DATE_TEXT = re.compile(r"[0-9]{4}([-/.])[0-9]{1,2}\1[0-9]{1,2}|[0-9]{1,2}([-/])[0-9]{1,2}\2(?:[0-9]{4}|[0-9]{2})")
_DATE_LIKE = re.compile(r"[0-9]([-/])[0-9]{1,2}\1[0-9]|[0-9]{4}\.[0-9]{1,2}\.[0-9]")
_TOKEN_DATES: dict[str, date | None] = {}
_NOT_A_DATE = object()
_CHECKBOXES = "[\u2610\u2611\u2705\u2714\u2713"
_SPECIAL_FIRST = _CHECKBOXES + "-*\u20220123456789"


def _token_date(token: str) -> date | None:
    """The date a whole token is ("2026-01-15"), or None; CellError for a date-shaped non-date (13/45/2026)."""
    found = _TOKEN_DATES.get(token, _NOT_A_DATE)
    if found is _NOT_A_DATE:
        found = exact_date(token) if _DATE_TEXT.fullmatch(token) else None
        if len(_TOKEN_DATES) >= 65536:
            _TOKEN_DATES.clear()
        _TOKEN_DATES[token] = found
    return found


def _plain_lines(written: str):
    """The cell read a line at a time, or None where it needs the general reading."""
    if written.lstrip().startswith("(") or "\n" not in written and ";" in written:
        return None  # "(1) ..." markers (their text may wrap onto the next line); "Buy; Deploy" on one line
    token_dates = _TOKEN_DATES
    milestones = []
    try:
        for line in written.splitlines():
            line = line.strip()
            if not line:
                continue
            first = line[0]
            if first in _SPECIAL_FIRST:
                if first in _CHECKBOXES:
                    return None  # "[x] ...": the general reading says when it was done
                if first in "-*\u2022":
                    line = line[1:].lstrip()
                    if not line:
                        continue
                elif line[1:4].lstrip("0123456789")[:1] in (".", ")"):
                    number, _, line = line.partition(" ")  # "1. Buy licences", "2) Deploy"
                    if not number[:-1].isdigit() or not line:
                        return None
            head, _, last = line.rpartition(" ")
            due = token_dates.get(last, _NOT_A_DATE)
            if due is _NOT_A_DATE:
                due = _token_date(last.strip("()[]")) if head and last[-1] in "0123456789)]" else None
            if due is not None and head:
                description = head.rstrip(_OPENING)
                tail = description[-14:].lower()
                if tail.endswith(_DATE_WORDS) and _ending(tail, _DATE_WORDS):
                    return None  # "... (due 2026-01-15)", "... completed 2026-01-10"
            else:
                first, _, rest = line.partition(" ")
                if first[0].isdigit():
                    first = first.rstrip(":,-\u2013\u2014")
                    due = token_dates.get(first, _NOT_A_DATE)
                    if due is _NOT_A_DATE:
                        due = _token_date(first)
                if due is not None:
                    description = rest.lstrip(_EDGES)
                elif _DIGIT.search(line):
                    return None  # numbering, or a date in words ("March 1, 2026")
                else:
                    description = line
                if description.lower().rstrip(_CLOSING).endswith(_DONE_ALONE):
                    return None  # "2026-01-15: Pilot - done"
            if ("-" in description or "/" in description or "." in description) and _DATE_LIKE.search(description):
                return None  # a second date
            milestones.append((description, due, None))
    except CellError:
        return None  # the general reading says which milestone and why
    return tuple(milestones)


def _entries(written: str) -> list[str]:
    """One string per milestone, its lines joined: FedRAMP's descriptions wrap onto the next line.

    "(n)" markers split the cell only where it starts with one, as FedRAMP's "(1) ... (2) ..." does: in
    "Deploy (2) firewalls" the "(2)" is a count.
    """
    stripped = written.lstrip()
    if stripped[:1] == "(" and _MARKER.match(stripped):
        parts = _MARKER.split(stripped)
    elif "\n" in written:
        parts = written.splitlines()
    else:
        parts = written.split(";")
    entries = []
    for part in parts:
        part = part.strip()
        if part:
            if "\n" in part or "  " in part or "\t" in part:
                part = " ".join(part.split())
            entries.append(part)
    return entries


def _iso_prefixed(entry: str) -> tuple[str, date | None, date | None] | None:
    """FedRAMP's own form and the one Punchlist writes, read without the general loop:
    "2026-01-15: Deploy Duo", optionally ending "(done 2026-01-10)" or "[done 2026-01-10]". None otherwise."""
    if len(entry) < 12 or entry[4] != "-" or entry[7] != "-" or entry[10] != ":":
        return None
    due = _token_date(entry[:10])
    if due is None:
        return None
    description, done_on = entry[11:], None
    if description.endswith((")", "]")) and len(description) > 17:
        tail = description[-17:]  # "(done 2026-01-10)"
        if tail[:6] in ("(done ", "[done ") and tail[-1] == (")" if tail[0] == "(" else "]"):
            done_on = _token_date(tail[6:16])
            if done_on is None:
                return None
            description = description[:-17]
    if _DATE_LIKE.search(description) or not description.strip(_EDGES):
        return None  # another date in the text: the general reading decides what it is
    lowered = description.lower().rstrip(_CLOSING)
    if lowered.endswith(_DATE_WORDS) or lowered.endswith(_DONE_ALONE):
        return None
    return description.strip(_EDGES), due, done_on


def _milestone(entry: str) -> tuple[str, date | None, date | None]:
    if (fast := _iso_prefixed(entry)) is not None:
        return fast
    done = False
    first = entry[0]
    if first in "-*\u2022\u00b7" or (first.isdigit() and entry[1:4].strip("0123456789")[:1] in (".", ")")):
        if match := _BULLET.match(entry):  # "- ", "* ", "1. ", "2) "
            entry = entry[match.end():]
    if entry[:1] in ("[", "\u2610", "\u2611", "\u2705", "\u2714", "\u2713"):
        if match := _CHECKED.match(entry):
            done, entry = True, entry[match.end():]
        elif match := _UNCHECKED.match(entry):
            entry = entry[match.end():]
    first_date = _NUMERIC_DATE.search(entry)
    if first_date is not None and not done:
        simple = _one_plain_date(entry, first_date)
        if simple is not None:
            return simple
    due = done_on = None
    tokens = _date_tokens(entry, first_date)
    if tokens:
        pieces = []
        position = 0
        last = len(tokens) - 1
        for number, (start, end) in enumerate(tokens):
            before = entry[position:start]
            written = entry[start:end]
            lead = before.rstrip(_OPENING)
            opened = "(" in before[len(lead):] or "[" in before[len(lead):]
            if (word := _ending(lead, _DONE_WORDS)) and done_on is None:
                done_on = exact_date(written)
            elif (word := _ending(lead, _DUE_WORDS)) and due is None:
                due = exact_date(written)
            elif due is None and ((position == 0 and not lead.strip(_EDGES)) or
                                  (number == last and not entry[end:].strip(_CLOSING))):
                due, word = exact_date(written), ""  # a leading or trailing date is the due date
            else:
                found = exact_date(written)
                due = due or found  # a date mid-sentence, the only one given: the text keeps it
                pieces.append(before + written)
                position = end
                continue
            kept = lead[:len(lead) - len(word)].rstrip(_EDGES)
            if kept.endswith(("(", "[")):
                kept, opened = kept[:-1], True
            pieces.append(kept)
            position = end
            if opened:  # skip the bracket closing "(due 01/15/2026)"
                rest = entry[end:].lstrip()
                if rest[:1] in (")", "]"):
                    position = len(entry) - len(rest) + 1
        pieces.append(entry[position:])
        entry = " ".join(piece.strip(_EDGES) for piece in pieces if piece.strip(_EDGES))
    if done_on is None:
        lowered = entry.lower().rstrip(_CLOSING)
        if lowered.endswith(_DONE_ALONE):
            word = _ending(lowered, _DONE_ALONE)
            if word and _said_done(lowered, word):
                done, entry = True, entry[:len(lowered) - len(word)].rstrip(_OPENING)
    if done and done_on is None:
        done_on = due  # "[x]" with no date of its own: done by its due date is the best that is known
    return entry.strip(_EDGES), due, done_on


def _one_plain_date(entry: str, match: re.Match) -> tuple[str, date | None, date | None] | None:
    """The commonest forms, read without the general loop: one numeric date, leading or trailing, with no
    "due"/"done" word before it: "2026-01-15: Deploy Duo", "Deploy Duo - 2026-01-15". None otherwise."""
    start, end = match.span()
    if match["month"] is not None or _NUMERIC_DATE.search(entry, end) is not None:
        return None
    if start == 0:
        description = entry[end:].strip(_EDGES)
    elif entry[start - 1] in "0123456789/.-" or entry[end:].strip(_CLOSING):
        return None
    else:
        description = entry[:start].rstrip(_OPENING)
        if description.lower().endswith(_DATE_WORDS):
            return None  # "... (due 2026-01-15)", "... completed 2026-01-10": the general reading
        if description.endswith(("(", "[")):
            description = description[:-1].rstrip(_EDGES)
    if description.lower().rstrip(_CLOSING).endswith(_DONE_ALONE):
        return None  # "2026-01-15: Pilot - done"
    due = exact_date(match[0])
    return description.strip(_EDGES), due, None


def _date_tokens(entry: str, match: re.Match | None) -> list[tuple[int, int]]:
    """Where the dates are (``match``: the first numeric one): digits not glued to digits or separators
    before them, and real month names."""
    tokens = []
    search = _NUMERIC_DATE.search
    while match is not None:
        start = match.start()
        if (start == 0 or entry[start - 1] not in "0123456789/.-") and (
                match["month"] is None or match["month"].lower() in _MONTH_WORDS):
            tokens.append((start, match.end()))
        match = search(entry, match.end())
    if not tokens and _DIGIT.search(entry):
        tokens = [(m.start(), m.end()) for m in _WORDY_DATE.finditer(entry) if m["month"].lower() in _MONTH_WORDS]
    return tokens


def _said_done(lowered: str, word: str) -> bool:
    """Whether a closing "done"/"completed" says the milestone was reached: "done" does ("Pilot done"); the
    others only set off as a status ("Pilot - completed", "Pilot (complete)"), not as part of the milestone's
    name ("2027-02-20 rollout complete" is the plan to complete the rollout)."""
    if word == "done":
        return True
    before = lowered[:len(lowered) - len(word)].rstrip(" \t")
    return before == "" or before[-1] in "-\u2013\u2014:;,([|"


def _ending(lowered_or_text: str, words: tuple[str, ...]) -> str:
    """The word of ``words`` that ``lowered_or_text`` ends with as a whole word, or ""."""
    lowered = lowered_or_text.lower()
    if not lowered.endswith(words):
        return ""
    for word in words:
        if lowered.endswith(word):
            before = len(lowered) - len(word) - 1
            if before < 0 or not lowered[before].isalnum():
                return word
    return ""


# eMASS's "Milestone Status" and the words people put in its place: a milestone is done or it is not.
_STATE_WORDS = {
    **dict.fromkeys(("completed", "complete", "done", "closed", "finished", "met", "achieved"), True),
    **dict.fromkeys(("pending", "ongoing", "open", "planned", "not started", "in progress", "started",
                     "delayed", "late", "overdue", "on track", "scheduled", "not completed", "incomplete",
                     "not met"), False),
}


def milestone_states(value) -> tuple[bool, ...]:
    """Whether each milestone of a row is done, from its status column: one status a line (one per milestone of
    the row's milestone cell, as its Milestone ID lines are), or one for them all; () for a blank cell."""
    written = value if type(value) is str else text(value)
    lines = [" ".join(line.replace("_", " ").split()).strip(" .").lower() for line in written.splitlines()]
    states = []
    for line in filter(None, lines):
        line = line.split(":", 1)[-1].strip() if ":" in line and line.split(":", 1)[0].strip().isdigit() else line
        state = _STATE_WORDS.get(line)
        if state is None:
            raise CellError(f"{line!r} is not a milestone status: write Completed for a milestone reached, or "
                            "Pending (one status a line, one line a milestone)")
        states.append(state)
    return tuple(states)
