"""`punchlist import FILE` for a scanner's report or a STIG checklist (``register.cli`` hands it over), and
`punchlist finding` for a person's decision on findings (false positive, operational requirement)."""

from __future__ import annotations

EXIT_OK = 0


def run_scan_import(args, organization, actor, label: str, progress, derive) -> int:
    """Read the scan, show or import its items and record its findings (``importing``); ``derive`` is the
    register CLI's confirmation of requirements derived from 800-53 ids (a STIG rule's CCIs lead to them)."""
    from punchlist.register.cli import CommandError
    from punchlist.interchange.scanners import read_scan
    from punchlist.register.errors import RegisterError

    from .importing import import_scan, scan_poam

    if args.mapping or args.map or args.header_row is not None or args.sheet is not None or args.reopen:
        raise CommandError("--mapping, --map, --header-row, --sheet and --reopen are for a POA&M file; a scanner's "
                           "report names its fields itself, and an item whose finding comes back is reopened")
    report = read_scan(args.file, label=label, include_informational=args.include_informational)
    poam = scan_poam(organization, report)
    progress.say(f"checking {len(poam.items):,} items from {len(report.found):,} findings")
    derived = derive(args, poam, label)
    try:
        result, outcome = import_scan(actor, organization, report, poam, path=args.file, file=label,
                                      write=not args.check)
    except RegisterError as exc:  # a reopening or a closure request the workflow refused: nothing was written
        raise CommandError(f"{label}: {exc}; nothing was imported") from None
    progress.done()
    for note in poam.notes:
        print(f"{label}: {note}")
    for line in derived:
        print(f"{label}: {line}")
    for line in outcome.lines():
        print(f"{label}: {line}")
    if args.check:
        print(f"{label} would import: {result} into {organization.name}; nothing was written")
    else:
        print(f"{result} into {organization.name}")
    return EXIT_OK


def add_commands(commands) -> None:
    from punchlist.register.cli import _common, _guard

    findings = commands.add_parser(
        "findings", help="list an item's scan findings, or record that they are false positives or operational "
                         "requirements",
        description="List the scan findings of ITEM (its identifier, POAM-... or OPA-...): each host, when first and last "
                    "seen, by which scan, and any decision on it. With --false-positive or --operational (and "
                    "--reason), record that decision on the findings (those on --host, else all), with who "
                    "decided and why: such a finding no longer keeps its item open nor reopens it when the next "
                    "scan reports it. --open takes a decision back.")
    _common(findings)
    findings.add_argument("item", metavar="ITEM")
    decision = findings.add_mutually_exclusive_group()
    decision.add_argument("--false-positive", dest="decision", action="store_const", const="false_positive",
                          help="the scanner is wrong about these hosts")
    decision.add_argument("--operational", dest="decision", action="store_const", const="operational",
                          help="the finding is kept on purpose: an operational requirement")
    decision.add_argument("--open", dest="decision", action="store_const", const="open",
                          help="take a decision back: the findings are open again")
    findings.add_argument("--host", action="append", default=None, metavar="HOST",
                          help="only the finding on HOST (repeatable; default: every host)")
    findings.add_argument("--reason", default="", help="why (required with a decision)")
    findings.set_defaults(run=_guard(run_findings))


def run_findings(args) -> int:
    from punchlist.register.cli import CommandError, _actor, _organization, _start

    _start(args)
    from punchlist.orgs.permissions import require
    from punchlist.register.errors import RegisterError
    from punchlist.register.models import PoamItem

    from .decisions import decide_findings
    from .models import ScanFinding

    organization = _organization(args)
    actor = _actor(args, organization)
    item = PoamItem.objects.for_organization(organization).filter(identifier=args.item.strip().upper()).first()
    if item is None:
        raise CommandError(f"{organization.name} has no item {args.item!r}")
    require(actor, "scans.view_findings", item)
    if args.decision:
        try:
            changed = decide_findings(actor, item, decision=args.decision, reason=args.reason, hosts=args.host)
        except RegisterError as exc:
            raise CommandError(str(exc)) from None
        print(f"{item.identifier}: {len(changed)} finding(s) recorded as {changed[0].get_state_display().lower()}"
              if changed else f"{item.identifier}: nothing to change")
    rows = ScanFinding.objects.for_organization(organization).filter(item=item).select_related(
        "last_scan", "decided_by").order_by("host")
    if not rows:
        print(f"{item.identifier} has no scan findings")
    for finding in rows:
        line = (f"{finding.host}: {finding.get_state_display().lower()}; first seen {_day(finding.first_seen)}, "
                f"last seen {_day(finding.last_seen)} by {finding.last_scan.file_name}")
        if finding.decided_by is not None:
            who = finding.decided_by.get_full_name() or finding.decided_by.username
            line += f"; decided by {who} on {_day(finding.decided_at.date())}: {finding.reason}"
        print(line)
    return EXIT_OK


def _day(day) -> str:
    return f"{day.day} {day:%b %Y}"
