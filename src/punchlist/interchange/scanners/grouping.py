"""A scan's findings grouped into POA&M items an assessor accepts: one item per weakness (a plugin, an NVT, a
STIG rule), the hosts it was found on as the item's assets, never one item per host and finding.

Each item gets its NIST SP 800-171 Rev 2 requirement: a vulnerability found by a scanner is a matter of flaw
remediation (3.14.1) and of vulnerability scanning and remediation (3.11.2); a STIG rule names the SP 800-53
controls its CCIs correlate to (DISA's CCI list), which the import's usual derivation (``interchange.derive``,
NIST's Appendix D) leads to Rev 2 requirements for the person to confirm. Severity comes from CVSS (v3 before
v2) or the STIG category; the due date from the organization's remediation policy, counted from the day the
finding was first seen.

What the register remembers of earlier scans (``History``) is given by the caller: interchange holds no
register state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from punchlist.core.cci import read_cci
from punchlist.core.records import Poam, PoamItem, Severity

from .report import STIG, ScanReport

VULNERABILITY_REQUIREMENTS = ("3.14.1", "3.11.2")
STIG_FALLBACK = "CM-6"
# The remediation policy when the organization has set none: days from first seen to the due date.
DEFAULT_POLICY = {Severity.CRITICAL: 30, Severity.HIGH: 30, Severity.MODERATE: 90, Severity.LOW: 180}
# The fields a scanner's item carries: an update by the next scan compares these and no other (never the
# status, which the scan history moves through the workflow, nor people, who are the register's).
FIELDS = frozenset({"id", "requirements", "title", "weakness", "severity", "remediation", "source", "assets",
                    "cves", "source_identifier", "start_date", "scheduled_completion"})


@dataclass
class History:
    """What the register knows of a weakness from earlier scans: per (key, host), the day first seen; per key,
    the hosts it is still open on."""

    first_seen: dict[tuple[str, str], date] = field(default_factory=dict)
    open_hosts: dict[str, set[str]] = field(default_factory=dict)


def found_pairs(report: ScanReport) -> dict[tuple[str, str], int]:
    """Each (weakness, host) the report found, and in how many results (ports, CVE rows)."""
    pairs: dict[tuple[str, str], int] = {}
    for pair in report.found:
        pairs[pair] = pairs.get(pair, 0) + 1
    return pairs


def to_poam(report: ScanReport, *, history: History | None = None, policy: dict | None = None,
            today: date | None = None) -> Poam:
    """The report's items, in the order their weaknesses were first met."""
    history = history or History()
    policy = policy or DEFAULT_POLICY
    seen_on = report.scanned_on or today or date.today()
    hosts_of: dict[str, list[str]] = {}
    for key, host in found_pairs(report):
        hosts_of.setdefault(key, []).append(host)
    notes = list(report.notes)
    rev5: dict[str, str] = {}
    items = []
    for position, (key, hosts) in enumerate(hosts_of.items(), 1):
        weakness = report.weaknesses[key]
        first = min([history.first_seen.get((key, host), seen_on) for host in hosts])
        # the hosts found now, and those still open from earlier scans on hosts this scan did not look at
        elsewhere = {host for host in history.open_hosts.get(key, ()) if host not in report.hosts
                     or (key, host) in report.unreviewed}
        assets = sorted(set(hosts) | elsewhere)
        if report.scanner == STIG:
            requirements = []
            for cci in weakness.cci:
                reading = read_cci(cci)
                requirements += [c for c in reading.controls if c not in requirements]
                if reading.note:
                    rev5.setdefault(reading.cci, reading.note)
            if not requirements:  # a rule without CCIs is a configuration setting (SP 800-53 CM-6)
                requirements = [STIG_FALLBACK]
            why = (f"CCI {', '.join(weakness.cci)}" if weakness.cci
                   else f"no CCI given: read as {STIG_FALLBACK}, configuration settings")
        else:
            requirements, why = list(VULNERABILITY_REQUIREMENTS), ""
        severity = weakness.severity
        due = first + timedelta(days=policy[severity]) if severity is not None else None
        lines = [weakness.description] if weakness.description else []
        lines.append(f"Found by {report.label} ({weakness.reference}"
                     + (f", {weakness.rating}" if weakness.rating else "")
                     + (f"; {why}" if why else "")
                     + f") on {len(assets)} host(s); first seen {first.day} {first:%b %Y}.")
        items.append(PoamItem(
            id=key, requirements=requirements or [], title=weakness.title[:300], weakness="\n\n".join(lines),
            severity=severity, remediation=weakness.solution, source=f"{report.label} scan",
            assets="\n".join(assets), cves=", ".join(weakness.cves), source_identifier=weakness.reference,
            start_date=first, scheduled_completion=due, row=position))
    notes += rev5.values()
    if report.details:
        notes.append(f"{report.details} finding(s) carry their own output for their host (plugin output, finding "
                     "details); the items do not copy it: the scan file, kept as the evidence, holds it")
    if report.informational:
        notes.append(f"{report.informational} informational result(s) "
                     + ("included" if report.include_informational else "left out (include them on request)"))
    return Poam(items=items, fields=FIELDS, source=report.file, notes=notes)
