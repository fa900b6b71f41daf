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

Within a tier: the dependency's rank (tier 2), then severity (unknown counts as moderate), then the points the
requirement costs the SPRS score, then the scheduled completion (overdue first, undated last), then the id.
"""

from __future__ import annotations

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


class Priority(NamedTuple):
    """Where an item stands: its tier, why in words, and the key that sorts the most urgent first. A named
    tuple: ten thousand of them are made for one register, several times faster than a frozen dataclass."""

    tier: Tier
    reason: str
    key: tuple


def cui_exposed(requirement: Requirement) -> bool:
    """Whether the requirement protects CUI itself (3.1.9's notices only name the CUI rules)."""
    if requirement.id in DOCUMENTATION:
        return False
    return (requirement.id in CUI_DATA or requirement.family in CUI_FAMILIES or "CUI" in requirement.text
            or "CUI" in requirement.title)


def _judge(requirement_texts: tuple[str, ...], severity: Severity | None, is_open: bool,
           catalog: Catalog) -> tuple[Tier, str, int, int]:
    """(tier, reason, dependency rank, points) for an item's requirements and severity."""
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
    dependencies = sorted((r for r in known if r.id in DEPENDENCIES), key=lambda r: _DEPENDENCY_RANK[r.id])
    if dependencies:
        first = dependencies[0]
        return Tier.DEPENDENCY, f"{first.id} is a foundation: {DEPENDENCIES[first.id]}", \
            _DEPENDENCY_RANK[first.id], points
    if severity is Severity.LOW:
        if exposed:  # a CUI requirement's low finding is still more than a minor one
            return Tier.OTHER, f"low severity, but protects CUI ({exposed[0].id})", 0, points
        return Tier.MINOR, "low severity", 0, points
    if known and all(r.id in DOCUMENTATION for r in known):
        return Tier.MINOR, f"documentation ({known[0].id} {known[0].title})", 0, points
    return Tier.OTHER, "", 0, points


def prioritize(item: PoamItem, catalog: Catalog | None = None) -> Priority:
    """One item's priority. ``risk_order`` is the fast way for many items."""
    catalog = catalog or load_catalog()
    tier, reason, rank, points = _judge(tuple(item.requirements), item.severity, item.status.is_open, catalog)
    return Priority(tier, reason, _key(tier, rank, item, points))


def _key(tier: Tier, rank: int, item: PoamItem, points: int) -> tuple:
    due = item.scheduled_completion
    return (int(tier), rank, _SEVERITY_ORDER[item.severity], -points,
            due.toordinal() if due else _NO_DATE, item.id or "")


def risk_order(items: Iterable[PoamItem], catalog: Catalog | None = None) -> list[tuple[PoamItem, Priority]]:
    """The items, most urgent first, each with its priority. Judgements are shared by the items that have
    the same requirements, severity and openness (thousands of items, a few hundred combinations)."""
    catalog = catalog or load_catalog()
    judged: dict[tuple, tuple[Tier, str, int, int]] = {}
    severity_order = _SEVERITY_ORDER
    closed, accepted = ItemStatus.CLOSED, ItemStatus.RISK_ACCEPTED
    ranked = []
    for item in items:
        status = item.status
        severity = item.severity
        signature = (tuple(item.requirements), severity, status is not closed and status is not accepted)
        judgement = judged.get(signature)
        if judgement is None:
            judgement = judged[signature] = _judge(*signature, catalog)
        tier, reason, rank, points = judgement
        due = item.scheduled_completion
        key = (tier.value, rank, severity_order[severity], -points, due.toordinal() if due else _NO_DATE,
               item.id or "")
        ranked.append((item, Priority(tier, reason, key)))
    ranked.sort(key=lambda pair: pair[1].key)
    return ranked


__all__ = ["CUI_DATA", "DEPENDENCIES", "DOCUMENTATION", "Priority", "Tier", "cui_exposed", "prioritize",
           "risk_order"]
