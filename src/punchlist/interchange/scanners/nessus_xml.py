"""Nessus v2 XML (``.nessus``): ``NessusClientData_v2/Report/ReportHost/ReportItem``, read as a stream.

Each ReportItem is one finding: its ``pluginID`` the weakness, its ReportHost the host. A host's results are
forgotten once read (the host's element is cleared), so memory holds the weaknesses, not the file. The
per-host ``plugin_output`` is not kept: the scan file itself is the evidence and stays where it is.
"""

from __future__ import annotations

from datetime import datetime

from punchlist.core.records import Severity
from punchlist.errors import InputError

from .report import NESSUS, ScanReport, Weakness, rated
from .xmlread import elements, squeeze, text

WHAT = "Nessus v2 XML report"
_LEVELS = {"4": Severity.CRITICAL, "3": Severity.HIGH, "2": Severity.MODERATE, "1": Severity.LOW, "0": None}
_WORDS = {"4": "Nessus critical", "3": "Nessus high", "2": "Nessus medium", "1": "Nessus low", "0": "Nessus info"}


def read_nessus_xml(path, label: str, *, include_informational: bool = False) -> ScanReport:
    report = ScanReport(NESSUS, label)
    element = None
    hosts_read = 0
    started = None
    # End events only (half the parser's calls): a host's results are read once its ReportHost is complete, and
    # the host is then emptied, so that memory holds one host's results at a time.
    for _, element in elements(path, label, WHAT, events=("end",)):
        tag = element.tag
        if tag == "ReportHost":
            hosts_read += 1
            host = (element.get("name") or "").strip()
            if not host:
                raise InputError(f"not a readable {WHAT}: ReportHost number {hosts_read} has no name",
                                 file=label, column=f"/NessusClientData_v2/Report/ReportHost[{hosts_read}]")
            report.add_host(host)
            properties = element.find("HostProperties")
            if started is None and properties is not None:
                started = next((_day(text(tag)) for tag in properties.iter("tag")
                                if tag.get("name") == "HOST_START"), None)
            for item in element.iterfind("ReportItem"):
                _item(report, item, host, hosts_read, include_informational)
            element.clear()
        elif tag == "Policy":
            element.clear()
        elif tag == "Report":
            report.name = (element.get("name") or "").strip()
    root = element  # the last element to end is the document's root
    if root is None:
        raise InputError(f"not a {WHAT}: the file holds no XML element", file=label)
    if root.tag != "NessusClientData_v2":
        raise InputError(f"not a {WHAT}: its root element is <{root.tag}>, not <NessusClientData_v2>", file=label)
    if not hosts_read:
        raise InputError(f"the {WHAT} holds no ReportHost: no host was scanned", file=label)
    report.scanned_on = started
    return report


def _item(report: ScanReport, element, host: str, host_number: int, include_informational: bool) -> None:
    plugin = (element.get("pluginID") or "").strip()
    level = (element.get("severity") or "").strip()
    if not plugin.isdigit() or level not in _LEVELS:
        where = f"/NessusClientData_v2/Report/ReportHost[{host_number}] ({host})"
        what = "no pluginID" if not plugin else (f"pluginID {plugin!r} is not a number" if not plugin.isdigit()
                                                  else f"severity {level!r} is not 0 to 4")
        raise InputError(f"not a readable {WHAT}: a ReportItem of host {host!r} has {what}", file=report.file,
                         column=where)
    key = f"{NESSUS}:{plugin}"
    if level == "0":
        report.informational += 1
        if not include_informational:
            report.passed.add((key, host))
            return
    weakness = report.weaknesses.get(key)
    if weakness is None:
        title = (element.get("pluginName") or text(element, "plugin_name") or f"Nessus plugin {plugin}").strip()
        synopsis, description = squeeze(text(element, "synopsis")), squeeze(text(element, "description"))
        weakness = Weakness(key, title, f"Nessus plugin {plugin}",
                            description="\n\n".join(part for part in (synopsis, description) if part),
                            solution=squeeze(text(element, "solution")),
                            cves=[text(cve) for cve in element.iter("cve") if text(cve)])
        report.weaknesses[key] = weakness
    severity, rating = rated(text(element, "cvss3_base_score"), text(element, "cvss_base_score"),
                             _LEVELS[level], _WORDS[level])
    weakness.rate(severity, rating)
    report.found.append((key, host))
    if text(element, "plugin_output"):
        report.details += 1


def _day(value: str):
    """Nessus's "Tue Mar 22 14:54:47 2022"."""
    try:
        return datetime.strptime(" ".join(value.split()), "%a %b %d %H:%M:%S %Y").date()
    except ValueError:
        return None
