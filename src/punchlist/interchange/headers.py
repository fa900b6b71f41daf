"""Header cells read the way a person reads them: by their words, not their exact spelling.

"Weakness / Deficiency", "Planned Remediation", "Scheduled Start", "CAP", "POC", "ECD", "Est. Completion",
"Ref. No.", "#", "Control(s)": a header is cut into words (punctuation, slashes and parenthesised notes
ignored, "(s)" and plurals made singular, common abbreviations spelled out, small words dropped), then
compared with the names each field is known by, and failing that with the words that say what a column
holds ("remediation", "deficiency", "start"...) and the words that say it holds something else ("Remediation
Date" is no plan). Where several columns read as one field, their content decides (``columns.settle_columns``).
"""

from __future__ import annotations

import re
from functools import lru_cache

# Abbreviations as header writers use them, spelled out.
ABBREVIATIONS = {
    "cap": "corrective action plan", "poc": "point contact", "ecd": "estimated completion date",
    "est": "estimated", "ref": "reference", "no": "number", "nbr": "number", "num": "number",
    "desc": "description", "descr": "description", "dt": "date", "org": "organization", "dept": "department",
    "req": "requirement", "reqt": "requirement", "sched": "scheduled", "sev": "severity",
    "vuln": "vulnerability", "resp": "responsible", "identifier": "id", "poam": "poam", "mgr": "manager",
    "compl": "completion", "comp": "completion", "approx": "estimated", "eta": "estimated completion date",
}
STOP_WORDS = frozenset({"the", "of", "a", "an", "to", "for", "and", "or", "with", "in", "on", "if", "any",
                        "is", "are", "w", "s", "this", "per"})
_PARENTHESIS = re.compile(r"\([^)]*\)")
_WORD = re.compile(r"[a-z0-9]+")
_POAM = re.compile(r"p\s*o\s*a\s*&\s*m|plan of action (?:and|&) milestones?", re.IGNORECASE)


def _singular(word: str) -> str:
    if word.endswith("sses"):
        return word[:-2]  # "weaknesses", "addresses"
    if len(word) > 3 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) >= 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@lru_cache(maxsize=4096)
def words(text: str, keep_notes: bool = True) -> tuple[str, ...]:
    """The words of a header as they are compared: "Est. Completion Date(s)" -> ("estimated", "completion",
    "date"). ``keep_notes=False`` drops parenthesised notes first: "Status (Open/Closed)"."""
    text = text.replace("(s)", "").replace("(S)", "")
    if not keep_notes:
        text = _PARENTHESIS.sub(" ", text)
    text = _POAM.sub(" poam ", text).replace("#", " number ").lower()
    found: list[str] = []
    for word in _WORD.findall(text):
        for part in ABBREVIATIONS.get(word, word).split():
            part = _singular(part)
            if part not in STOP_WORDS:
                found.append(part)
    return tuple(found)


def phrase(text: str, keep_notes: bool = True) -> str:
    """The words of a header as one string, for comparing whole names: "Point of Contact" == "POC"."""
    return " ".join(words(text, keep_notes))


# (field, words all present, words none present): a header that names no field exactly is read by these.
# The rule with the most words that fit wins; on a tie, the first listed.
Rule = tuple[str, frozenset[str], frozenset[str]]

_NOT_REQUIREMENT = {"family", "name", "title", "text", "implementation", "status", "owner", "objective",
                    "date", "type", "statement", "count", "point", "weight", "value", "score", "level"}
_DATES = {"date", "due", "start", "completion", "completed", "closed", "deadline", "target", "scheduled",
          "update", "updated", "by"}
_MILESTONE_PARTS = {"id", "number", "status", "change", "comment", "count"}


def _rules(*groups) -> tuple[Rule, ...]:
    return tuple((name, frozenset(need.split()), frozenset(avoid))
                 for name, alternatives, avoid in groups for need in alternatives)


POAM_RULES = _rules(
    ("milestone_due", ["milestone due", "milestone scheduled", "milestone target", "milestone estimated",
                       "milestone planned"], {"changed", "change", "status", "comment", "completed"}),
    ("milestone_done", ["milestone completed", "milestone actual", "milestone done"],
     {"change", "status", "comment"}),
    ("milestone_status", ["milestone status", "milestone state"], {"comment", "change", "date"}),
    ("milestones", ["milestone"], _MILESTONE_PARTS | {"date", "due"}),
    ("requirements", ["control", "requirement", "practice", "800 171", "800 53", "cmmc"],
     _NOT_REQUIREMENT | {"security check", "compensating"}),
    ("objectives", ["objective"], {"text", "description"}),
    ("id", ["poam id", "poam number", "item id", "item number", "finding id", "weakness id", "reference",
            "id", "number", "unique"],
     {"control", "requirement", "cve", "milestone", "asset", "cci", "rule", "check", "plugin", "phone",
      "vulnerability", "source", "product", "practice", "contact"}),
    ("severity", ["severity", "risk rating", "risk level", "criticality", "cat"],
     {"adjusted", "residual", "description", "likelihood", "impact", "threat", "adjustment", "mitigated",
      "subjective", "resulting"}),
    ("remediation", ["remediation", "corrective action", "planned action", "mitigation plan", "action plan",
                     "fix", "resolution", "recommended action", "recommendation", "solution", "planned"],
     _DATES | {"owner", "status", "cost", "source", "resource"}),
    ("weakness", ["weakness", "deficiency", "finding", "gap", "vulnerability", "issue", "problem",
                  "description", "observation"],
     {"source", "id", "number", "date", "name", "detector", "owner", "impact", "threat", "status",
      "identification", "identified", "count", "severity", "title", "library", "rule"}),
    ("title", ["title", "name", "summary", "short description", "subject", "headline"],
     {"owner", "contact", "point", "person", "product", "service", "system", "vendor", "control", "asset",
      "practice", "requirement", "family", "file", "approver", "custodian"}),
    ("supporting_owner", ["supporting owner", "secondary", "backup owner", "supporting poc",
                          "supporting point contact"], set()),
    ("approval_authority", ["approval authority", "approver", "approving", "approved by", "authorizing"],
     {"date"}),
    ("evidence_custodian", ["custodian"], set()),
    ("primary_owner", ["owner", "point contact", "responsible person", "responsible individual", "assigned",
                       "assignee", "accountable", "action officer"],
     {"supporting", "secondary", "backup", "evidence", "product", "date", "unit", "organization",
      "office", "department"}),
    ("responsible_unit", ["office", "organization", "department", "unit", "team", "division",
                          "business area", "group"], {"date", "cost"}),
    ("resources", ["resource", "cost", "funding", "budget"], {"date", "type"}),
    ("source", ["source", "detected by", "identified by", "found by", "discovered by"],
     {"id", "number", "date", "detail"}),
    ("scheduled_completion", ["scheduled completion", "due", "target", "estimated completion",
                              "planned completion", "expected completion", "deadline", "scheduled end",
                              "planned end", "scheduled finish", "planned finish", "projected", "fix by", "complete by",
                              "resolve by", "remediate by", "close by", "estimated", "goal"],
     {"start", "milestone", "actual", "status", "cost"}),
    ("completion_date", ["actual completion", "completion date", "completed", "closed date", "closure",
                         "date closed", "resolved", "remediated", "date completed", "actual finish",
                         "actual end", "closed on"],
     {"scheduled", "estimated", "planned", "target", "due", "milestone", "expected", "start", "projected",
      "status"}),
    ("start_date", ["start", "detection date", "date identified", "identified date", "identification date",
                    "discovery", "discovered", "opened", "created", "date found", "date raised", "begin"],
     {"milestone", "source"}),
    ("last_updated", ["updated", "update", "status date", "modified", "reviewed", "review date",
                      "as of"], {"milestone", "vendor"}),
    ("status", ["status", "state", "open closed"], {"date", "milestone", "comment", "vendor", "detail"}),
    ("kind", ["record type", "poam type", "item type", "kind", "plan type"], set()),
    ("evidence", ["evidence", "artifact", "supporting document", "proof"], {"custodian", "owner"}),
)

ASSESSMENT_RULES = _rules(
    ("requirement", ["control", "requirement", "practice", "800 171", "cmmc"],
     _NOT_REQUIREMENT | {"compensating"}),
    ("status", ["status", "determination", "result", "met", "compliant", "compliance", "implemented"],
     {"date", "partial", "partially", "plan", "poam", "implementation"}),
    ("partial", ["partial", "partially", "point case"], set()),
    ("implementation", ["implementation", "how implemented", "ssp"], {"status", "date"}),
    ("has_plan", ["poam", "plan action"], {"date"}),
)


# Words of headers that say the column is about something no field holds (CVSS vectors, CCIs), whatever else
# they say: "CVSS v3 Modified Scope" is not when the item was modified.
NEVER = frozenset({"cvss", "cci", "vector"})


def by_rules(text: str, rules: tuple[Rule, ...]) -> str | None:
    """The field the header's words say it holds, by ``rules``; None when none fits.

    A parenthesised note is read only where the header has no other words: "Authorization Package
    (Authorization Package Name)" is a package, not a name."""
    found = set(words(text, False)) or set(words(text, True))
    if found and not found & NEVER:
        best, best_size = None, 0
        for name, need, avoid in rules:
            if need <= found and not (avoid & found) and len(need) > best_size:
                best, best_size = name, len(need)
        return best
    return None
