"""OpenVAS / Greenbone (GVM) XML reports: ``report/report/results/result``, read as a stream.

A result is one finding: its NVT's ``oid`` the weakness, its ``host`` (the address) the host. The report's
own ``host`` entries name every host the scan covered, found on or not. Log and debug results (severity 0)
are informational; results an override marked "False Positive" are left out, and counted.
"""

from __future__ import annotations

from datetime import date

from punchlist.errors import InputError

from .report import OPENVAS, ScanReport, Weakness, number, severity_of_cvss
from .xmlread import elements, squeeze, text

WHAT = "OpenVAS / Greenbone XML report"
_ROOTS = ("report", "get_reports_response")


def read_openvas(path, label: str, *, include_informational: bool = False) -> ScanReport:
    report = ScanReport(OPENVAS, label)
    stack: list[str] = []
    results = false_positives = 0
    results_element = None
    for event, element in elements(path, label, WHAT):
        tag = element.tag
        if event == "start":
            if not stack and tag not in _ROOTS:
                raise InputError(f"not an {WHAT}: its root element is <{tag}>, not <report>", file=label)
            if tag == "results":
                results_element = element
            stack.append(tag)
            continue
        stack.pop()
        parent = stack[-1] if stack else ""
        if tag == "result" and parent == "results":
            results += 1
            if _result(report, element, results, include_informational) == "false positive":
                false_positives += 1
            element.clear()
            if results_element is not None:
                results_element.remove(element)
        elif tag == "host" and parent == "report":
            report.add_host(text(element, "ip"))
        elif tag == "scan_start" and report.scanned_on is None:
            report.scanned_on = _day(text(element))
        elif tag == "name" and parent == "task" and not report.name:
            report.name = text(element)
    if results == 0 and not report.hosts:
        raise InputError(f"the {WHAT} holds no result and no host: nothing was scanned", file=label)
    if false_positives:
        report.notes.append(f"{false_positives} result(s) marked False Positive in OpenVAS were left out")
    return report


def _result(report: ScanReport, element, position: int, include_informational: bool) -> str:
    where = f"/report/report/results/result[{position}]"
    host_element = element.find("host")
    host = (host_element.text or "").strip() if host_element is not None else ""
    nvt = element.find("nvt")
    oid = (nvt.get("oid") or "").strip() if nvt is not None else ""
    if not host or not oid:
        raise InputError(f"not a readable {WHAT}: result {position} has no {'host' if not host else 'NVT oid'}",
                         file=report.file, column=where)
    report.add_host(host)
    threat = text(element, "threat").lower()
    score = number(text(element, "severity"))
    raw = text(element, "severity")
    if threat == "false positive" or raw.startswith("-1"):
        return "false positive"
    key = f"{OPENVAS}:{oid}"
    severity = severity_of_cvss(score) if score is not None else None
    if severity is None or threat in ("log", "debug"):
        report.informational += 1
        if not include_informational:
            report.passed.add((key, host))
            return "informational"
        severity = None
    weakness = report.weaknesses.get(key)
    if weakness is None:
        tags = _tags(text(nvt, "tags"))
        cves = [ref.get("id", "").strip() for ref in nvt.iter("ref") if (ref.get("type") or "").lower() == "cve"]
        weakness = Weakness(key, text(nvt, "name") or f"OpenVAS NVT {oid}", f"OpenVAS NVT {oid}",
                            description="\n\n".join(squeeze(tags[n]) for n in ("summary", "insight", "impact")
                                                    if tags.get(n)),
                            solution=squeeze(tags.get("solution", "")), cves=[c for c in cves if c])
        report.weaknesses[key] = weakness
    weakness.rate(severity, f"OpenVAS severity {score:g}" if score is not None else "")
    report.found.append((key, host))
    if text(element, "description"):
        report.details += 1
    return "found"


def _tags(value: str) -> dict[str, str]:
    """An NVT's ``summary=...|insight=...|solution=...`` tags."""
    found = {}
    for part in value.split("|"):
        name, _, rest = part.partition("=")
        if name.strip():
            found[name.strip()] = rest.strip()
    return found


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None
