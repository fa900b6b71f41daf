"""Nessus v2 XML files made to order, for the tests of scans in a row and the import's benchmark."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

LEVELS = {4: "Critical", 3: "High", 2: "Medium", 1: "Low", 0: "None"}


def nessus_xml(path: str | Path, findings: dict[str, list[int]], *, scanned: date, hosts=None,
               severity=None, text: str = "", output: str = "") -> Path:
    """A Nessus v2 report: per host (in ``findings``, and any others in ``hosts``, scanned with nothing found)
    the plugins found on it. ``severity(plugin)`` gives a plugin's Nessus severity (default 2, medium);
    ``text`` is each item's description (or ``text(plugin)``), ``output`` its plugin output (per host)."""
    severity = severity or (lambda plugin: 2)
    started = f"{scanned:%a %b} {scanned.day:2d} 09:00:00 {scanned.year}"
    path = Path(path)
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" ?>\n<NessusClientData_v2>\n<Policy><policyName>Test</policyName></Policy>\n'
                  '<Report name="Weekly scan">\n')
        for host in list(findings) + [h for h in (hosts or ()) if h not in findings]:
            out.write(f'<ReportHost name={quoteattr(host)}><HostProperties>'
                      f'<tag name="HOST_START">{started}</tag><tag name="host-ip">{escape(host)}</tag>'
                      '</HostProperties>\n')
            for plugin in findings.get(host, ()):
                level = severity(plugin)
                out.write(f'<ReportItem port="443" svc_name="www" protocol="tcp" severity="{level}" '
                          f'pluginID="{plugin}" pluginName="Test weakness {plugin}" pluginFamily="General">'
                          f'<risk_factor>{LEVELS[level]}</risk_factor><synopsis>Weakness {plugin}.</synopsis>'
                          f'<description>{escape(text(plugin) if callable(text) else text)}</description>'
                          f'<solution>Patch {plugin}.</solution>'
                          f'<plugin_output>{escape(output)}</plugin_output></ReportItem>\n')
            out.write("</ReportHost>\n")
        out.write("</Report>\n</NessusClientData_v2>\n")
    return path
