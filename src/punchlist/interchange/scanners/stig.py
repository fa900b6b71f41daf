"""DISA STIG Viewer checklists: ``.ckl`` (XML, STIG Viewer 2) and ``.cklb`` (JSON, STIG Viewer 3).

A checklist is one asset's review against one or more STIGs. A rule marked Open is a finding (the weakness:
its Vuln ID, ``V-71849``); Not a Finding and Not Applicable are rules checked and passed; Not Reviewed is
neither, and closes nothing. The category gives the severity: CAT I (high) high, CAT II (medium) moderate,
CAT III (low) low. Each rule's CCIs lead to the SP 800-53 controls the item's requirement is derived from.
"""

from __future__ import annotations

import json
from pathlib import Path

from punchlist.core.records import Severity
from punchlist.errors import InputError

from .report import STIG, ScanReport, Weakness
from .xmlread import elements, squeeze, text

CKL = "STIG Viewer checklist (.ckl)"
CKLB = "STIG Viewer checklist (.cklb)"
_CATEGORY = {"high": (Severity.HIGH, "CAT I"), "medium": (Severity.MODERATE, "CAT II"),
             "low": (Severity.LOW, "CAT III")}
_STATUS = {"open": "open", "notafinding": "passed", "not_a_finding": "passed", "not_applicable": "passed",
           "notapplicable": "passed", "not_reviewed": "unreviewed", "notreviewed": "unreviewed"}


def _asset(label: str, names: list[str], report: ScanReport) -> str:
    host = next((name.strip() for name in names if name and name.strip()), "")
    if not host:
        host = Path(label).stem
        report.notes.append(f"the checklist names no host (host name, IP address or FQDN): its asset is called "
                            f"{host!r}, after the file")
    return host


def _rule(report: ScanReport, host: str, values: dict, status: str, where: str) -> None:
    vuln = values.get("vuln_num", "").strip()
    if not vuln:
        raise InputError("not a readable STIG checklist: a rule has no Vuln ID", file=report.file, column=where)
    state = _STATUS.get(status.strip().lower().replace(" ", "_"))
    if state is None:
        raise InputError(f"rule {vuln}: {status!r} is not a checklist status (Open, NotAFinding, Not_Applicable, "
                         "Not_Reviewed)", file=report.file, column=where)
    key = f"{STIG}:{vuln}"
    severity, category = _CATEGORY.get(values.get("severity", "").strip().lower(), (None, ""))
    if state == "open" and severity is None:
        raise InputError(f"rule {vuln}: {values.get('severity', '')!r} is not a STIG severity (high, medium, low)",
                         file=report.file, column=where)
    override = values.get("severity_override", "").strip().lower()
    if override and state == "open":
        if override not in _CATEGORY:
            raise InputError(f"rule {vuln}: the severity override {override!r} is not a STIG severity (high, "
                             "medium, low)", file=report.file, column=where)
        why = values.get("severity_justification", "").strip()
        severity, overridden = _CATEGORY[override]
        category = f"{overridden}, overridden from {category}" + (f": {why}" if why else "")
    if values.get("details", "").strip() and state == "open":
        report.details += 1
    if state == "passed":
        report.passed.add((key, host))
        return
    if state == "unreviewed":
        report.unreviewed.add((key, host))
        return
    weakness = report.weaknesses.get(key)
    if weakness is None:
        version, title = values.get("rule_ver", "").strip(), values.get("rule_title", "").strip()
        rule = values.get("rule_id", "").strip()
        weakness = Weakness(key, f"{version}: {title}" if version and title else (title or vuln),
                            f"STIG {vuln}" + (f" ({rule})" if rule else ""),
                            description=squeeze(values.get("vuln_discuss", "")),
                            solution=squeeze(values.get("fix_text", "")), cci=list(values.get("cci", [])))
        report.weaknesses[key] = weakness
    weakness.rate(severity, category)
    report.found.append((key, host))


def _finish(report: ScanReport) -> ScanReport:
    if report.unreviewed:
        report.notes.append(f"{len(report.unreviewed)} rule(s) not reviewed: neither findings nor fixed")
    return report


def read_ckl(path, label: str, *, include_informational: bool = False) -> ScanReport:
    report = ScanReport(STIG, label)
    host = None
    names: list[str] = []
    vulns = 0
    first = True
    for event, element in elements(path, label, CKL):
        tag = element.tag
        if event == "start":
            if first and tag != "CHECKLIST":
                raise InputError(f"not a {CKL}: its root element is <{tag}>, not <CHECKLIST>", file=label)
            first = False
            continue
        if tag in ("HOST_NAME", "HOST_FQDN", "HOST_IP"):
            names.append(text(element))
        elif tag == "ASSET":
            host = _asset(label, names, report)
            report.add_host(host)
        elif tag == "SI_DATA" and text(element, "SID_NAME") == "title" and not report.name:
            report.name = text(element, "SID_DATA")
        elif tag == "VULN":
            vulns += 1
            if host is None:
                raise InputError(f"not a readable {CKL}: a VULN comes before the ASSET", file=label)
            values: dict = {"cci": []}
            for data in element.iter("STIG_DATA"):
                name, value = text(data, "VULN_ATTRIBUTE").lower(), text(data, "ATTRIBUTE_DATA")
                if name == "cci_ref":
                    if value:
                        values["cci"].append(value)
                else:
                    values.setdefault(name, value)
            values["severity_override"] = text(element, "SEVERITY_OVERRIDE")
            values["severity_justification"] = text(element, "SEVERITY_JUSTIFICATION")
            values["details"] = text(element, "FINDING_DETAILS") + text(element, "COMMENTS")
            _rule(report, host, values, text(element, "STATUS"), f"/CHECKLIST/STIGS/iSTIG/VULN[{vulns}]")
            element.clear()
    if first:
        raise InputError(f"not a {CKL}: the file holds no XML element", file=label)
    if host is None:
        raise InputError(f"not a readable {CKL}: it has no ASSET", file=label)
    return _finish(report)


def read_cklb(path, label: str, *, include_informational: bool = False) -> ScanReport:
    try:
        with open(path, encoding="utf-8-sig") as handle:
            document = json.load(handle)
    except UnicodeDecodeError as error:
        raise InputError(f"not a {CKLB}: the text is not UTF-8 (byte {error.start})", file=label) from None
    except json.JSONDecodeError as error:
        raise InputError(f"not a {CKLB}: line {error.lineno}, column {error.colno}: {error.msg}", file=label,
                         row=error.lineno) from None
    except RecursionError:
        raise InputError(f"not a {CKLB}: nested too deeply", file=label) from None
    if not isinstance(document, dict) or not isinstance(document.get("stigs"), list):
        raise InputError(f"not a {CKLB}: expected a JSON object with a 'stigs' list", file=label)
    report = ScanReport(STIG, label, name=str(document.get("title") or ""))
    target = document.get("target_data") if isinstance(document.get("target_data"), dict) else {}
    host = _asset(label, [str(target.get(k) or "") for k in ("host_name", "ip_address", "fqdn")], report)
    report.add_host(host)
    for s, stig in enumerate(document["stigs"]):
        rules = stig.get("rules") if isinstance(stig, dict) else None
        if not isinstance(rules, list):
            raise InputError(f"not a {CKLB}: /stigs/{s} has no 'rules' list", file=label, column=f"/stigs/{s}")
        for r, rule in enumerate(rules):
            where = f"/stigs/{s}/rules/{r}"
            if not isinstance(rule, dict):
                raise InputError(f"not a {CKLB}: {where} is not an object", file=label, column=where)
            ccis = rule.get("ccis") or []
            values = {"vuln_num": str(rule.get("group_id") or ""), "severity": str(rule.get("severity") or ""),
                      "rule_ver": str(rule.get("rule_version") or ""), "rule_title": str(rule.get("rule_title") or ""),
                      "rule_id": str(rule.get("rule_id") or ""), "vuln_discuss": str(rule.get("discussion") or ""),
                      "fix_text": str(rule.get("fix_text") or ""),
                      "details": str(rule.get("finding_details") or "") + str(rule.get("comments") or ""),
                      "cci": [str(c) for c in ccis] if isinstance(ccis, list) else []}
            _rule(report, host, values, str(rule.get("status") or ""), where)
    return _finish(report)
