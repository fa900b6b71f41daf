"""Nessus CSV exports: Nessus's own ("Plugin ID", "Host", "Risk", ...) and Tenable.sc's ("Plugin", "IP Address",
"Severity", ...). One row is one finding (Nessus repeats a finding's row once per CVE); rows are read one at a
time."""

from __future__ import annotations

import csv
from pathlib import Path
from datetime import datetime

from punchlist.core.records import Severity
from punchlist.errors import InputError

from .. import guards
from ..sources import _text_encoding
from .report import NESSUS, ScanReport, Weakness, rated
from .xmlread import squeeze

WHAT = "Nessus CSV export"
# field -> the headers (lower case) that hold it, first found wins
HEADERS = {
    "plugin": ("plugin id", "plugin"),
    "name": ("name", "plugin name"),
    "host": ("host", "ip address", "dns name", "netbios name"),
    "risk": ("risk", "risk factor", "severity"),
    "cvss3": ("cvss v3.0 base score", "cvss v3 base score", "cvss3 base score"),
    "cvss2": ("cvss v2.0 base score", "cvss v2 base score", "cvss base score", "cvss"),
    "cve": ("cve",),
    "synopsis": ("synopsis",),
    "description": ("description",),
    "solution": ("solution",),
    "seen": ("last observed", "last seen"),
    "output": ("plugin output", "plugin text"),
}
_RISKS = {"critical": Severity.CRITICAL, "high": Severity.HIGH, "medium": Severity.MODERATE,
          "moderate": Severity.MODERATE, "low": Severity.LOW, "none": None, "info": None, "informational": None}


def looks_like_nessus_csv(head: str) -> bool:
    """Whether the first line of a CSV file is a Nessus export's header row. A POA&M of one's own that lists
    scanner findings with a requirement column ("Control", "Requirement") is a POA&M, read as one."""
    from ..columns import REQUIREMENT_NAMES
    from ..values import key

    first = next(csv.reader([head.splitlines()[0] if head.splitlines() else ""]), [])
    names = {cell.strip().lower() for cell in first}
    if {key(name) for name in names} & {key(name) for name in REQUIREMENT_NAMES}:
        return False
    return bool(names & {"plugin id", "plugin"}) and bool(names & set(HEADERS["host"])) \
        and bool(names & set(HEADERS["risk"]))


def read_nessus_csv(path, label: str, *, include_informational: bool = False) -> ScanReport:
    report = ScanReport(NESSUS, label)
    encoding, _, _ = _text_encoding(Path(path))
    latest = None
    with open(path, encoding=encoding, errors="replace", newline="") as stream:
        rows = csv.reader(stream)
        number = 1
        try:
            header = next(rows, None)
            if not header:
                raise InputError(f"not a {WHAT}: the file holds no header row", file=label)
            lowered = [cell.strip().lower() for cell in header]
            place = {name: next((lowered.index(h) for h in names if h in lowered), None)
                     for name, names in HEADERS.items()}
            for needed in ("plugin", "host", "risk"):
                if place[needed] is None:
                    raise InputError(f"not a {WHAT}: no {' or '.join(repr(h) for h in HEADERS[needed][:2])} "
                                     "column in the header row", file=label, row=1)

            for number, row in enumerate(rows, 2):
                if not any(cell.strip() for cell in row):
                    continue

                def cell(name, row=row):
                    index = place[name]
                    return row[index].strip() if index is not None and index < len(row) else ""

                plugin, host, risk = cell("plugin"), cell("host"), cell("risk").lower()
                if not plugin.isdigit():
                    raise InputError(f"the plugin id {plugin!r} is not a number", file=label, row=number,
                                     column=header[place["plugin"]])
                if not host:
                    raise InputError("no host given", file=label, row=number, column=header[place["host"]])
                if risk not in _RISKS and risk:
                    raise InputError(f"{cell('risk')!r} is not a Nessus risk (Critical, High, Medium, Low, None)",
                                     file=label, row=number, column=header[place["risk"]])
                report.add_host(host)
                key = f"{NESSUS}:{plugin}"
                seen = _day(cell("seen"))
                if seen and (latest is None or seen > latest):
                    latest = seen
                fallback = _RISKS.get(risk)
                if fallback is None:
                    report.informational += 1
                    if not include_informational:
                        report.passed.add((key, host))
                        continue
                weakness = report.weaknesses.get(key)
                if weakness is None:
                    weakness = Weakness(key, cell("name") or f"Nessus plugin {plugin}", f"Nessus plugin {plugin}",
                                        description="\n\n".join(squeeze(cell(n)) for n in ("synopsis", "description")
                                                                if cell(n)),
                                        solution=squeeze(cell("solution")))
                    report.weaknesses[key] = weakness
                for cve in cell("cve").replace(";", ",").split(","):
                    if cve.strip() and cve.strip() not in weakness.cves:
                        weakness.cves.append(cve.strip())
                severity, rating = rated(cell("cvss3"), cell("cvss2"), fallback, f"Nessus {risk or 'info'}")
                weakness.rate(severity, rating)
                report.found.append((key, host))
                if cell("output"):
                    report.details += 1
        except csv.Error as error:
            raise guards.csv_error(error, label, number + 1) from None
    report.scanned_on = latest
    return report


def _day(value: str):
    """Tenable.sc's "Jan 5, 2021 10:24:08 MST" (the zone is left aside: a day is kept)."""
    words = value.split()
    if len(words) < 3:
        return None
    try:
        return datetime.strptime(" ".join(words[:3]), "%b %d, %Y").date()
    except ValueError:
        return None
