"""What a scanner's report or a STIG checklist says, whatever its format: the weaknesses it found, once each,
and the hosts each was found on.

A weakness (a Nessus plugin, an OpenVAS NVT, a STIG rule) is kept once however many hosts it was found on:
a report of 10,000 findings over 500 hosts holds a few hundred weaknesses' texts, not 10,000 copies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from punchlist.core.records import Severity
from punchlist.errors import InputError

NESSUS, OPENVAS, STIG = "nessus", "openvas", "stig"
HOST_LENGTH = 255  # what the register keeps of a host's name (a DNS name has at most 253 characters)
SCANNERS = {NESSUS: "Nessus", OPENVAS: "OpenVAS / Greenbone", STIG: "STIG checklist"}


@dataclass(slots=True)
class Weakness:
    """One plugin, NVT or rule, as the report describes it."""

    key: str  # "nessus:19506", "openvas:1.3.6.1.4.1.25623.1.0.100111", "stig:V-71849": the item's id
    title: str
    reference: str  # what it is at its source, in words: "Nessus plugin 19506"
    severity: Severity | None = None  # the highest of its findings; None: informational only
    rating: str = ""  # where the severity came from: "CVSS v3 9.8", "CAT I"
    description: str = ""
    solution: str = ""
    cves: list[str] = field(default_factory=list)
    cci: list[str] = field(default_factory=list)  # a STIG rule's CCIs, as written

    def rate(self, severity: Severity | None, rating: str) -> None:
        """Keep the highest severity met among the weakness's findings."""
        if severity is not None and (self.severity is None or severity.rank > self.severity.rank):
            self.severity, self.rating = severity, rating


@dataclass(slots=True)
class ScanReport:
    """A report as read. ``found`` holds (weakness key, host) pairs; informational ones only where asked for
    with ``include_informational``; ``informational`` counts those left out."""

    scanner: str  # NESSUS, OPENVAS or STIG
    file: str
    name: str = ""  # the scan's (or checklist's) own name
    scanned_on: date | None = None
    hosts: dict[str, None] = field(default_factory=dict)  # every host the scan covered, found on or not, in order
    weaknesses: dict[str, Weakness] = field(default_factory=dict)
    found: list[tuple[str, str]] = field(default_factory=list)
    # (key, host) a checklist leaves not reviewed: neither found nor gone
    unreviewed: set[tuple[str, str]] = field(default_factory=set)
    # (key, host) the report says are not there (a rule checked and passed, a result left out as informational)
    passed: set[tuple[str, str]] = field(default_factory=set)
    informational: int = 0
    include_informational: bool = False
    details: int = 0  # findings with per-host output (plugin output, finding details), which items do not copy
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return SCANNERS[self.scanner]

    def add_host(self, host: str) -> None:
        if host and host not in self.hosts:
            if len(host) > HOST_LENGTH:
                raise InputError(f"a host is named in {len(host):,} characters ({host[:40]!r}...); a host name "
                                 f"has at most {HOST_LENGTH}", file=self.file)
            self.hosts[host] = None


def severity_of_cvss(score: float) -> Severity | None:
    """NVD's bands: 9.0 and over critical, 7.0 high, 4.0 medium, above 0 low; 0 is informational."""
    if score >= 9.0:
        return Severity.CRITICAL
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MODERATE
    if score > 0:
        return Severity.LOW
    return None


def number(text: str | None) -> float | None:
    try:
        value = float((text or "").strip())
    except ValueError:
        return None
    return value if 0 <= value <= 10 else None


def rated(cvss3: str | None, cvss2: str | None, fallback: Severity | None, fallback_words: str):
    """The severity and what it came from: CVSS v3 where given, else v2, else the scanner's own rating."""
    for version, text in (("v3", cvss3), ("v2", cvss2)):
        score = number(text)
        if score is not None and score > 0:
            return severity_of_cvss(score), f"CVSS {version} {score:g}"
    return fallback, fallback_words
