"""Risk order of POA&M items: what to fix first.

An assessor, and an attacker, cares first about CUI that is exposed, then about the foundations other
requirements stand on, then about the rest; minor and documentation-only items come last, and finished items
after every open one. Pure Python over ``records.PoamItem``, so the register, the reports and the CLI order
items the same way. Each item's place comes with a reason in words, shown beside it.

Tiers, from the catalog and the item's severity:

1. CUI exposure: the item is critical, or (unless its severity is low) it addresses a requirement that
   protects CUI directly: the requirement's text names CUI, it is a Media Protection (MP) requirement, or
   32 CFR 170.21(a)(2)(iii) names it "(CUI Data)" (R-POAM-4); documentation-only requirements excepted.
2. Dependency: a requirement other requirements rely on (``DEPENDENCIES``): 3.12.4 first, since without an
   SSP there is no score at all (R-SCORE-3), then the cryptography, MFA, identities, baselines and logs that
   whole families are built on. Whatever the severity: the work behind them waits on these.
3. Everything else.
   A low-severity item of a CUI requirement is here too.
4. Minor: low severity, or a documentation-only requirement (``DOCUMENTATION``).
5. Done: closed or risk accepted.

The gap counts, not only the requirement: an item marked as touching CUI is judged as CUI exposure (a low one as
"other"), and within its tier ranks above the same item not marked; words of the weakness that name critical or
high vulnerabilities ("14 critical vulnerabilities unpatched") count as that severity when the recorded one is
lower or missing (``WORD_SIGNALS``).

Within a tier: the dependency's rank (tier 2), then severity (unknown counts as moderate), then touching CUI, then
the points the requirement costs the SPRS score, then the scheduled completion (overdue first, undated last),
then the id.

Blocking: an open item that blocks open items (they name it in ``blocked_by``) ranks with the highest-ranked
item it blocks, directly before it, whatever its own tier; a closed or risk-accepted blocker blocks nothing.

Each item's ``why`` says in plain words why it sits where it does: "High severity · touches CUI · blocks OPA-AC-003
and POAM-SI-007 · due in 9 days".
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from datetime import date
from enum import IntEnum
from typing import NamedTuple

from .catalog import Catalog, Requirement, load_catalog
from .records import ItemStatus, PoamItem, Severity


class Tier(IntEnum):
    CUI_EXPOSURE = 1
    DEPENDENCY = 2
    OTHER = 3
    MINOR = 4
    DONE = 5

    @property
    def label(self) -> str:
        return _TIER_LABELS[self]


_TIER_LABELS = {
    Tier.CUI_EXPOSURE: "CUI exposure",
    Tier.DEPENDENCY: "Dependency",
    Tier.OTHER: "Other",
    Tier.MINOR: "Minor",
    Tier.DONE: "Done",
}

# 32 CFR 170.21(a)(2)(iii) names these "(CUI Data)" though their text does not say CUI (R-POAM-4).
CUI_DATA = frozenset({"3.1.20", "3.10.3", "3.10.4", "3.10.5"})
CUI_FAMILIES = frozenset({"MP"})

# Requirements that others rely on, most fundamental first, with what relies on them.
DEPENDENCIES: dict[str, str] = {
    "3.12.4": "without a System Security Plan there is no score at all (R-SCORE-3), and every other "
              "requirement is described in it",
    "3.13.11": "the FIPS-validated cryptography that 3.1.13, 3.1.17, 3.1.19, 3.8.6, 3.13.8 and 3.13.16 rely on",
    "3.5.3": "the multifactor authentication that privileged, network and remote access (3.1.12, 3.7.5) "
             "rely on",
    "3.5.1": "the identities every access control (3.1.x) and audit record (3.3.2) relies on",
    "3.5.2": "the authentication every access control (3.1.x) relies on",
    "3.1.1": "the list of authorized users and devices that 3.1.2 to 3.1.7 build on",
    "3.4.1": "the baseline configuration and inventory that 3.4.2 to 3.4.9 build on",
    "3.3.1": "the audit logs that 3.3.2 to 3.3.9 and 3.14.6/3.14.7 work from",
    "3.13.1": "the boundary that 3.13.2 to 3.13.6 refine",
    "3.12.2": "the plans of action every NOT MET requirement needs (R-SCORE-4)",
    "3.11.1": "the risk assessment that 3.11.2 and 3.11.3 prioritize by",
}
_DEPENDENCY_RANK = {requirement: rank for rank, requirement in enumerate(DEPENDENCIES)}

# Requirements whose items are documentation or notices rather than protection.
DOCUMENTATION = frozenset({"3.1.9"})

_SEVERITY_ORDER = {Severity.CRITICAL: 0, Severity.HIGH: 1, None: 2, Severity.MODERATE: 2, Severity.LOW: 3}
_NO_DATE = date.max.toordinal() + 1

# Words of an item's title or weakness that say how bad the gap is, with the severity they count as and how the
# explanation says it. "No critical vulnerabilities" and the like say nothing.
_NOT = r"(?<!\bno )(?<!\bzero )(?<!\bnot )"
WORD_SIGNALS: tuple[tuple[re.Pattern, Severity, str], ...] = (
    (re.compile(_NOT + r"\bcritical[- ](?:severity )?(?:vulnerabilit|cves?\b|patch|finding|flaw|exploit)",
                re.IGNORECASE), Severity.CRITICAL, "critical vulnerabilities"),
    (re.compile(r"\b(?:actively|known)[- ]exploited\b|\bkev\b", re.IGNORECASE), Severity.CRITICAL,
     "known exploited vulnerabilities"),
    (re.compile(_NOT + r"\bhigh[- ](?:severity |risk )?(?:vulnerabilit|cves?\b|finding)", re.IGNORECASE),
     Severity.HIGH, "high vulnerabilities"),
)
_SEVERITY_WORDS = {Severity.CRITICAL: "Critical severity", Severity.HIGH: "High severity",
                   Severity.MODERATE: "Moderate severity", Severity.LOW: "Low severity"}


class Priority(NamedTuple):
    """Where an item stands: its tier, the tier's reason, the key that sorts the most urgent first, and why it
    sits there in plain words (``explain``). A named tuple: ten thousand of them are made for one register,
    several times faster than a frozen dataclass."""

    tier: Tier
    reason: str
    key: tuple
    why: str = ""


def cui_exposed(requirement: Requirement) -> bool:
    """Whether the requirement protects CUI itself (3.1.9's notices only name the CUI rules)."""
    if requirement.id in DOCUMENTATION:
        return False
    return (requirement.id in CUI_DATA or requirement.family in CUI_FAMILIES or "CUI" in requirement.text
            or "CUI" in requirement.title)


_HINTS = re.compile(r"vulnerab|cve|exploit|kev|finding|patch|flaw", re.IGNORECASE)


def word_signal(*texts: str) -> tuple[Severity, str] | None:
    """The severity the words of an item name, and how to say it: ("critical vulnerabilities" ...) or None.
    Most texts name no vulnerability at all: one quick search says so before the signals are tried."""
    texts = [text for text in texts if text and _HINTS.search(text)]
    for pattern, severity, words in WORD_SIGNALS:
        for text in texts:
            if pattern.search(text):
                return severity, words
    return None


def _judge(requirement_texts: tuple[str, ...], severity: Severity | None, is_open: bool, touches_cui: bool,
           catalog: Catalog) -> tuple[Tier, str, int, int]:
    """(tier, reason, dependency rank, points) for an item's requirements, severity (the recorded one or the
    one its words name, whichever is worse) and its touching CUI."""
    if not is_open:
        return Tier.DONE, "closed or risk accepted", 0, 0
    known = [r for r in (catalog.find(text) for text in requirement_texts if text) if r is not None]
    points = max((r.weight or 0 for r in known), default=0)
    if severity is Severity.CRITICAL:
        return Tier.CUI_EXPOSURE, "critical severity", 0, points
    exposed = [r for r in known if cui_exposed(r)]
    if exposed and severity is not Severity.LOW:
        names = ", ".join(r.id for r in exposed)
        return Tier.CUI_EXPOSURE, f"protects CUI directly ({names}: {exposed[0].title})", 0, points
    if touches_cui and severity is not Severity.LOW:
        return Tier.CUI_EXPOSURE, "touches CUI", 0, points
    dependencies = sorted((r for r in known if r.id in DEPENDENCIES), key=lambda r: _DEPENDENCY_RANK[r.id])
    if dependencies:
        first = dependencies[0]
        return Tier.DEPENDENCY, f"{first.id} is a foundation: {DEPENDENCIES[first.id]}", \
            _DEPENDENCY_RANK[first.id], points
    if severity is Severity.LOW:
        if exposed:  # a CUI requirement's low finding is still more than a minor one
            return Tier.OTHER, f"low severity, but protects CUI ({exposed[0].id})", 0, points
        if touches_cui:
            return Tier.OTHER, "low severity, but touches CUI", 0, points
        return Tier.MINOR, "low severity", 0, points
    if known and all(r.id in DOCUMENTATION for r in known):
        return Tier.MINOR, f"documentation ({known[0].id} {known[0].title})", 0, points
    return Tier.OTHER, "", 0, points


def _worse(recorded: Severity | None, named: tuple[Severity, str] | None) -> Severity | None:
    if named is None:
        return recorded
    return named[0] if _SEVERITY_ORDER[named[0]] < _SEVERITY_ORDER[recorded] else recorded


def prioritize(item: PoamItem, catalog: Catalog | None = None, *, as_of: date | None = None) -> Priority:
    """One item's priority, on its own (its blocking needs the other items: ``risk_order`` for many)."""
    return risk_order([item], catalog, as_of=as_of)[0][1]


def risk_order(items: Iterable[PoamItem], catalog: Catalog | None = None, *, as_of: date | None = None
               ) -> list[tuple[PoamItem, Priority]]:
    """The items, most urgent first, each with its priority and why. Judgements are shared by the items that
    have the same requirements, severity, words, CUI mark and openness (thousands of items, a few hundred
    combinations). ``as_of`` (today) lets the explanation say how far off each due date is."""
    catalog = catalog or load_catalog()
    judged: dict[tuple, tuple[Tier, str, int, int]] = {}
    severity_order = _SEVERITY_ORDER
    closed, accepted = ItemStatus.CLOSED, ItemStatus.RISK_ACCEPTED
    items = list(items)
    keys, named_by, opens = [], [], []
    for item in items:
        status = item.status
        is_open = status is not closed and status is not accepted
        named = word_signal(item.title, item.weakness) if is_open else None
        severity = _worse(item.severity, named)
        touches = bool(item.touches_cui)
        signature = (tuple(item.requirements), severity, is_open, touches)
        judgement = judged.get(signature)
        if judgement is None:
            judgement = judged[signature] = _judge(*signature, catalog)
        tier, reason, rank, points = judgement
        due = item.scheduled_completion
        keys.append((tier.value, rank, severity_order[severity], 0 if touches and is_open else 1, -points,
                     due.toordinal() if due else _NO_DATE, 0, item.id or "", reason))
        named_by.append(named)
        opens.append(is_open)
    blocks = _blocks(items, opens)
    if blocks:
        keys = _lifted(items, keys, blocks)
    heads: dict[tuple, str] = {}
    ranked = []
    for n, (item, key) in enumerate(zip(items, keys)):
        signature = (item.severity, named_by[n], key[8], bool(item.touches_cui), opens[n])
        head = heads.get(signature)
        if head is None:
            head = heads[signature] = _head(*signature)
        ranked.append((item, Priority(Tier(key[0]), key[8], key[:8],
                                      _why(head, [items[b].id for b in blocks.get(n, ())], item, as_of,
                                           opens[n]))))
    ranked.sort(key=lambda pair: pair[1].key)
    return ranked


def _blocks(items: list[PoamItem], opens: list[bool]) -> dict[int, list[int]]:
    """By position: the open items each open item blocks (they name it in ``blocked_by``)."""
    if not any(item.blocked_by for item in items):
        return {}
    position = {item.id: n for n, item in enumerate(items) if item.id}
    blocks: dict[int, list[int]] = {}
    for n, item in enumerate(items):
        if not opens[n]:
            continue
        for name in item.blocked_by:
            blocker = position.get(name)
            if blocker is not None and blocker != n and opens[blocker] and n not in blocks.get(blocker, ()):
                blocks.setdefault(blocker, []).append(n)
    return blocks


def _lifted(items: list[PoamItem], keys: list[tuple], blocks: dict[int, list[int]]) -> list[tuple]:
    """Each blocker's key raised to sit directly before the highest-ranked item it blocks (through chains of
    blocking), where that is higher than its own. A cycle (which the register refuses, but a file may hold) is
    cut where it closes."""
    done: dict[int, tuple] = {}
    visiting: set[int] = set()

    def effective(n: int) -> tuple:
        if n in done:
            return done[n]
        visiting.add(n)
        best = keys[n]
        for blocked in blocks.get(n, ()):
            if blocked in visiting:
                continue
            theirs = effective(blocked)
            lifted = (*theirs[:6], theirs[6] - 1, keys[n][7], keys[n][8])
            if lifted[:8] < best[:8]:
                best = lifted
        visiting.discard(n)
        done[n] = best
        return best

    limit = sys.getrecursionlimit()
    if len(items) + 100 > limit:
        sys.setrecursionlimit(len(items) + 100)
    try:
        return [effective(n) if n in blocks else key for n, key in enumerate(keys)]
    finally:
        sys.setrecursionlimit(limit)


def _short(reason: str) -> str:
    """A tier's reason without its explanation: "3.12.4 is a foundation", "protects CUI directly (3.13.16)"."""
    head = reason.split(":", 1)[0]
    return head + ")" if head.count("(") > head.count(")") else head


def explain(item: PoamItem, named: tuple[Severity, str] | None, reason: str, blocks: list[str],
            as_of: date | None, is_open: bool) -> str:
    """Why an item sits where it does, in a few plain words joined by " · "."""
    return _why(_head(item.severity, named, reason, bool(item.touches_cui), is_open), blocks, item, as_of, is_open)


def _head(severity: Severity | None, named: tuple[Severity, str] | None, reason: str, touches: bool,
          is_open: bool) -> str:
    """The part of the explanation that items of the same judgement share (made once per judgement)."""
    if not is_open:
        return "Closed or risk accepted: after every open item"
    parts = []
    if severity is not None:
        parts.append(_SEVERITY_WORDS[severity])
    elif named is None:
        parts.append("severity not recorded")
    if named is not None:
        parts.append(f"the weakness names {named[1]}")
    if reason and reason not in ("critical severity", "low severity", "touches CUI", "low severity, but touches CUI"):
        parts.append(_short(reason))
    if touches:
        parts.append("touches CUI")
    text = " · ".join(parts)
    return text[0].upper() + text[1:]


def _why(head: str, blocks: list[str], item: PoamItem, as_of: date | None, is_open: bool) -> str:
    """The shared part, then what is the item's own: what it blocks and how far off it is due."""
    if not is_open:
        return head
    parts = [head]
    if blocks:
        shown = blocks[:3]
        listed = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
        parts.append(f"blocks {listed}" + (f" and {len(blocks) - 3} more" if len(blocks) > 3 else ""))
    if as_of is not None:
        due = item.scheduled_completion
        if due is None:
            parts.append("no due date")
        else:
            days = (due - as_of).days
            parts.append("due today" if days == 0 else f"due in {days} day{'s' if days != 1 else ''}" if days > 0
                         else f"overdue by {-days} day{'s' if days != -1 else ''}")
    return " · ".join(parts)


__all__ = ["CUI_DATA", "DEPENDENCIES", "DOCUMENTATION", "WORD_SIGNALS", "Priority", "Tier", "cui_exposed", "explain",
           "prioritize", "risk_order", "word_signal"]
