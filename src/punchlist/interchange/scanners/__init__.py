"""Vulnerability scanners' reports and STIG checklists read as POA&M items: Nessus (v2 XML and CSV), OpenVAS /
Greenbone XML, DISA STIG Viewer checklists (.ckl, .cklb).

Every file passes the upload guards first (``guards.check_upload`` says which of these it is, by content);
XML is read through defusedxml, a piece at a time. ``read_scan`` gives the report (``ScanReport``: weaknesses
once each, the (weakness, host) pairs found, the hosts covered); ``grouping.to_poam`` makes its items.
"""

from __future__ import annotations

import os

from punchlist.errors import InputError

from .. import guards
from .grouping import DEFAULT_POLICY, History, to_poam
from .nessus_csv import read_nessus_csv
from .nessus_xml import read_nessus_xml
from .openvas import read_openvas
from .report import ScanReport, Weakness
from .stig import read_ckl, read_cklb

READERS = {"NESSUS": read_nessus_xml, "NESSUS_CSV": read_nessus_csv, "OPENVAS": read_openvas, "CKL": read_ckl,
           "CKLB": read_cklb}

__all__ = ["DEFAULT_POLICY", "History", "ScanReport", "Weakness", "read_scan", "scan_kind", "to_poam"]


def scan_kind(path: str | os.PathLike, *, label: str | None = None, limits: guards.Limits = guards.UPLOAD_LIMITS):
    """The scanner format of the file (a key of ``READERS``), or None for any other file the guards pass. A
    workbook (a zip or OLE file) is answered None from its first bytes, its parts left for its own reader's
    guards to expand."""
    try:
        with open(path, "rb") as handle:
            start = handle.read(8)
    except OSError:
        start = b""
    if start.startswith((b"PK", guards._OLE)):
        return None
    kind = guards.check_upload(path, label=label or os.fspath(path), limits=limits)
    return kind if kind in guards.SCANNER_KINDS else None


def read_scan(path: str | os.PathLike, *, label: str | None = None, limits: guards.Limits = guards.UPLOAD_LIMITS,
              include_informational: bool = False) -> ScanReport:
    """The report in a scanner's file, after the upload guards; InputError naming the file and the place for
    anything unreadable, and for a file that is no scanner report at all."""
    label = label or os.fspath(path)
    kind = guards.check_upload(path, label=label, limits=limits)
    reader = READERS.get(kind)
    if reader is None:
        raise InputError(f"it is {guards.describe(kind)}, not a scanner report or STIG checklist", file=label)
    try:
        report = reader(path, label, include_informational=include_informational)
    except RecursionError:
        raise InputError("nested too deeply to be a scanner report", file=label) from None
    report.include_informational = include_informational
    return report
