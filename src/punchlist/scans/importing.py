"""A scanner's report imported into the register, and remembered from scan to scan.

The report's items (``interchange.scanners``: one per weakness, its hosts as assets) go through the same
import as any POA&M file (``register.imports.import_poam``: the same checks, preview, conflict rules and audit
trail): an item the register holds, by the weakness's id, is updated, and a field a person changed since is
kept. Around it, in the same transaction, the findings are recorded (``ScanFinding``: weakness and host, first
and last seen, the scan that last saw it), and:

- a finding the scan sees again that a later scan had not found comes back: its item, if closed or waiting for
  verification, is reopened with the reason (before the import updates it);
- a finding open on a host the scan covered that it no longer finds is fixed; an item whose findings are all
  fixed is put forward for closure (ready for verification) with the scan as its evidence. It is not closed:
  closing needs a second person's approval (``register.services.workflow``);
- a host the scan did not cover keeps its findings as they are, and so does a finding a checklist left not
  reviewed; a scan older than what was last seen of a finding says nothing about it;
- the same file imported again (by its SHA-256) is the same scan: nothing changes.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction

from punchlist.audit import chain
from punchlist.audit.models import AuditEvent
from punchlist.core.records import Poam
from punchlist.dbinsert import insert_rows
from punchlist.interchange.poam import PoamStream
from punchlist.interchange.scanners import History, ScanReport, to_poam
from punchlist.interchange.scanners.grouping import found_pairs
from punchlist.orgs.permissions import require
from punchlist.register.errors import RegisterError
from punchlist.register.imports import ImportResult, import_poam
from punchlist.register.models import PoamItem, Status
from punchlist.register.services._common import today
from punchlist.register.services.evidence import add_evidence
from punchlist.register.services.workflow import reject_closure, reopen_item, request_closure

from .models import FindingState, Scan, ScanFinding
from .policy import policy_of

CHUNK = 900  # values per IN (...), under every database's limit on bound parameters
LISTED = 200  # findings named in the audit event and the outcome, per kind
SUBJECT = AuditEvent._meta.get_field("subject").max_length


@dataclass
class ScanOutcome:
    """What the scan did to the findings and items, beside what the import did (``ImportResult``)."""

    scanner: str
    file: str
    scanned_on: date
    hosts: int
    findings: int  # (weakness, host) pairs found
    informational: int  # informational results left out (or included, where asked)
    same_scan: bool = False  # this very file was imported before
    new_findings: int = 0
    seen_again: int = 0
    fixed: list[tuple[str, str, str]] = field(default_factory=list)  # (item, weakness, host)
    returned: list[tuple[str, str, str]] = field(default_factory=list)
    put_forward: list[str] = field(default_factory=list)  # items now ready for verification
    waiting: dict[str, str] = field(default_factory=dict)  # item -> why it could not be put forward
    reopened: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The outcome in words, a line each, for the CLI and the web."""
        said = [f"{self.findings} finding(s) on {self.hosts} host(s) scanned {_day(self.scanned_on)}"
                + (f"; {self.informational} informational result(s)" if self.informational else "")]
        if self.same_scan:
            said.append("this scan was imported before: nothing in it is new")
        said.append(f"{self.new_findings} new finding(s), {self.seen_again} seen again")
        if self.fixed:
            said.append(f"{len(self.fixed)} finding(s) no longer found: "
                        + ", ".join(f"{key} on {host}" for _, key, host in self.fixed[:10])
                        + (" ..." if len(self.fixed) > 10 else ""))
        if self.put_forward:
            said.append(f"put forward for closure, with this scan as evidence: {', '.join(self.put_forward)}")
        for identifier, why in self.waiting.items():
            said.append(f"{identifier}: every finding fixed, this scan added as evidence; not put forward: {why}")
        if self.returned:
            said.append(f"{len(self.returned)} finding(s) found again: "
                        + ", ".join(f"{key} on {host}" for _, key, host in self.returned[:10]))
        if self.reopened:
            said.append(f"reopened, their findings back: {', '.join(self.reopened)}")
        return said

    def as_json(self) -> dict:
        return {"scanner": self.scanner, "file": self.file, "scanned_on": self.scanned_on.isoformat(),
                "hosts": self.hosts, "findings": self.findings, "informational": self.informational,
                "same_scan": self.same_scan, "new_findings": self.new_findings, "seen_again": self.seen_again,
                "fixed": [list(f) for f in self.fixed[:LISTED]], "returned": [list(r) for r in self.returned[:LISTED]],
                "put_forward": self.put_forward, "waiting": self.waiting, "reopened": self.reopened,
                "lines": self.lines()}


def file_digest(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _chunks(values: list):
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def scan_poam(organization, report: ScanReport) -> Poam:
    """The report's items as the register's history makes them: each finding's first sighting (for its due
    date) and the hosts a weakness is still open on (for its assets) from earlier scans."""
    history = History()
    for keys in _chunks(list(report.weaknesses)):
        for key, host, first, state in ScanFinding.objects.for_organization(organization).filter(
                key__in=keys).values_list("key", "host", "first_seen", "state"):
            history.first_seen[(key, host)] = first
            if state == FindingState.OPEN:
                history.open_hosts.setdefault(key, set()).add(host)
    return to_poam(report, history=history, policy=policy_of(organization), today=today())


class _RolledBack(Exception):
    def __init__(self, done):
        self.done = done


def import_scan(actor, organization, report: ScanReport, poam: Poam | PoamStream, *, path, file: str = "",
                write: bool = True, progress=None, keep: int | None = None) -> tuple[ImportResult, ScanOutcome]:
    """Import the scan's items (``poam``, from ``scan_poam``) and record its findings, all or nothing; with
    ``write=False``, what it would do, with nothing kept (the preview). ``path``: the file, whose SHA-256 names
    the scan."""
    require(actor, "register.add_item", organization)
    digest = file_digest(path)
    file = file or os.path.basename(report.file)
    try:
        with transaction.atomic():
            chain.lock(organization)  # as every writer of the organization: two imports of a scan queue up
            scan, same = _scan(actor, organization, report, file, digest)
            pairs = found_pairs(report)
            outcome = ScanOutcome(report.scanner, scan.file_name, scan.scanned_on, len(report.hosts), len(pairs),
                                  report.informational, same_scan=same)
            _reopen_returned(actor, organization, report, scan, pairs, outcome)
            result = import_poam(actor, organization, poam, file=file, progress=progress, keep=keep)
            _record(actor, organization, report, scan, pairs, outcome)
            if not write:
                raise _RolledBack((result, outcome))
    except _RolledBack as rolled:
        return rolled.done
    return result, outcome


def _scan(actor, organization, report: ScanReport, file: str, digest: str) -> tuple[Scan, bool]:
    found = Scan.objects.for_organization(organization).filter(sha256=digest).first()
    if found is not None:
        return found, True
    scan = Scan.objects.create(organization=organization, scanner=report.scanner, file_name=file[:255],
                               name=report.name[:300], scanned_on=report.scanned_on or today(), sha256=digest,
                               hosts=list(report.hosts), imported_by=actor)
    return scan, False


def _day(day: date) -> str:
    """A day as people write it: "5 Jan 2021"."""
    return f"{day.day} {day:%b %Y}"


def _when(scan: Scan) -> str:
    return f"{scan.file_name} of {_day(scan.scanned_on)}"


def _reopen_returned(actor, organization, report: ScanReport, scan: Scan, pairs, outcome: ScanOutcome) -> None:
    """Items closed (or waiting for verification) whose weakness this scan finds again, on a host where a scan
    had fixed it or on a host new to it, go back to work with the reason, before the import updates them. A
    risk-accepted item stays as it is: its risk was accepted, not fixed."""
    finished = (Status.CLOSED.value, Status.READY_FOR_VERIFICATION.value)
    items: dict[str, PoamItem] = {}
    recorded: dict[tuple[str, str], tuple[str, date | None]] = {}
    for keys in _chunks(list(report.weaknesses)):
        for item in PoamItem.objects.for_organization(organization).filter(external_id__in=keys,
                                                                            status__in=finished):
            items.setdefault(item.external_id, item)
    for keys in _chunks(list(items)):
        for key, host, state, fixed_on in ScanFinding.objects.for_organization(organization).filter(
                key__in=keys).values_list("key", "host", "state", "fixed_by__scanned_on"):
            recorded[(key, host)] = (state, fixed_on)
    back: dict[str, list[tuple[str, str]]] = {}
    for key, host in pairs:
        item = items.get(key)
        if item is None:
            continue
        state, fixed_on = recorded.get((key, host), (None, None))
        if state is None:
            if item.completion_date is not None and scan.scanned_on < item.completion_date:
                continue  # a scan from before the closure, imported late
        elif state != FindingState.FIXED or fixed_on is None or fixed_on > scan.scanned_on:
            continue
        back.setdefault(key, []).append((key, host))
    label = report.label
    for key, found in sorted(back.items(), key=lambda entry: items[entry[0]].pk):
        item = items[key]
        reason = (f"found again by the {label} scan {_when(scan)}: "
                  + ", ".join(f"{k} on {host}" for k, host in found[:20]) + (" ..." if len(found) > 20 else ""))
        if item.status == Status.CLOSED:
            reopen_item(actor, item, reason=reason, status=Status.IN_PROGRESS)
        else:
            reject_closure(actor, item, reason=reason, status=Status.IN_PROGRESS)
        outcome.reopened.append(item.identifier)


def _record(actor, organization, report: ScanReport, scan: Scan, pairs, outcome: ScanOutcome) -> None:
    """The findings as this scan saw them: new ones added, those seen again brought up to date, those gone
    from a host it covered fixed; then the items with no finding left open are put forward for closure.

    Ten thousand findings are read as tuples and written as a few statements (``dbinsert`` for the new ones, one
    UPDATE per kind of change for the others), never as a model instance each."""
    keys = list(report.weaknesses)
    items: dict[str, tuple[int, str]] = {}
    existing: dict[tuple[str, str], tuple] = {}
    for chunk in _chunks(keys):
        for pk, identifier, external in PoamItem.objects.for_organization(organization).filter(
                external_id__in=chunk).values_list("pk", "identifier", "external_id"):
            items.setdefault(external, (pk, identifier))
        for row in ScanFinding.objects.for_organization(organization).filter(key__in=chunk).values_list(
                "pk", "key", "host", "state", "first_seen", "last_seen", "last_scan_id", "fixed_by__scanned_on"):
            existing[(row[1], row[2])] = row
    seen_on = scan.scanned_on
    new, seen, returned, earlier = [], [], [], []
    fixed_state, open_state = FindingState.FIXED.value, FindingState.OPEN.value
    for key, host in pairs:
        row = existing.get((key, host))
        if row is None:
            new.append((organization.pk, items[key][0], key, host, seen_on, seen_on, scan.pk, open_state, ""))
            continue
        pk, _, _, state, first_seen, last_seen, last_scan, fixed_on = row
        outcome.seen_again += 1
        if state == fixed_state and fixed_on <= seen_on:
            returned.append(pk)
            outcome.returned.append((items[key][1], key, host))
        if seen_on >= last_seen and last_scan != scan.pk:
            seen.append(pk)
        if first_seen > seen_on:  # an older scan imported late: it saw the finding first
            earlier.append(pk)
    outcome.new_findings = len(new)
    insert_rows(ScanFinding, ("organization", "item", "key", "host", "first_seen", "last_seen", "last_scan", "state",
                              "reason"), new)
    findings = ScanFinding.objects.for_organization(organization)
    for chunk in _chunks(seen):
        findings.filter(pk__in=chunk).update(last_seen=seen_on, last_scan=scan)
    for chunk in _chunks(returned):
        findings.filter(pk__in=chunk).update(state=open_state, fixed_by=None)
    for chunk in _chunks(earlier):
        findings.filter(pk__in=chunk).update(first_seen=seen_on)
    # Open findings on the hosts this scan covered, of its kind of scanner, that it no longer finds.
    fixed: list[tuple[int, int, str, str]] = []  # (finding, item, weakness, host)
    prefix = f"{report.scanner}:"
    for hosts in _chunks(list(report.hosts)):
        for pk, item_id, identifier, key, host, last_seen in findings.filter(
                host__in=hosts, key__startswith=prefix, state=open_state).values_list(
                "pk", "item_id", "item__identifier", "key", "host", "last_seen"):
            if (key, host) in pairs or (key, host) in report.unreviewed or last_seen > seen_on:
                continue
            fixed.append((pk, item_id, key, host))
            outcome.fixed.append((identifier, key, host))
    for chunk in _chunks([f[0] for f in fixed]):
        findings.filter(pk__in=chunk).update(state=fixed_state, fixed_by=scan)
    if new or seen or returned or earlier or fixed:
        head = chain.lock(organization)
        chain.record(organization=organization, actor=actor, action="record_scan", obj=scan,
                     subject=scan.file_name[:SUBJECT], head=head, after={
                         "scanner": report.scanner, "sha256": scan.sha256, "scanned_on": seen_on,
                         "hosts": len(report.hosts), "new": len(new), "seen_again": outcome.seen_again,
                         "fixed": [f"{k} on {h}" for _, k, h in outcome.fixed[:LISTED]],
                         "returned": [f"{k} on {h}" for _, k, h in outcome.returned[:LISTED]]})
    _put_forward(actor, organization, report, scan, fixed, outcome)


def _put_forward(actor, organization, report: ScanReport, scan: Scan, fixed: list[tuple[int, int, str, str]],
                 outcome: ScanOutcome) -> None:
    """Each item whose findings are now all fixed gets the scan as evidence and is put forward for closure."""
    by_item: dict[int, list[tuple[str, str]]] = {}
    for _, item_id, key, host in fixed:
        by_item.setdefault(item_id, []).append((key, host))
    if not by_item:
        return
    still_open = set()
    for chunk in _chunks(list(by_item)):
        still_open |= set(ScanFinding.objects.filter(item_id__in=chunk, state=FindingState.OPEN)
                          .values_list("item_id", flat=True))
    done = sorted(item_id for item_id in by_item if item_id not in still_open)
    for item in (item for chunk in _chunks(done) for item in
                 PoamItem.objects.for_organization(organization).filter(pk__in=chunk).order_by("pk")):
        if item.status not in (Status.OPEN, Status.IN_PROGRESS, Status.DRAFT):
            continue
        findings = by_item[item.pk]
        hosts = ", ".join(sorted({host for _, host in findings}))
        add_evidence(actor, item, name=f"{report.label} scan {_when(scan)}: no longer found"[:255],
                     reference=f"{scan.file_name} (SHA-256 {scan.sha256})",
                     description=f"The {report.label} scan of {_day(scan.scanned_on)} covered {hosts} and no "
                                 f"longer found {findings[0][0]} there.")
        try:
            request_closure(actor, item, note=f"no longer found by the {report.label} scan {_when(scan)}")
        except RegisterError as refused:
            outcome.waiting[item.identifier] = str(refused)
        else:
            outcome.put_forward.append(item.identifier)
