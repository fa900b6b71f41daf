"""`punchlist import FILE` for a scanner's report or a STIG checklist (``register.cli`` hands it over), and
`punchlist finding` for a person's decision on findings (false positive, operational requirement)."""

from __future__ import annotations

EXIT_OK = 0


def run_scan_import(args, organization, actor, label: str, progress, derive) -> int:
    """Read the scan, show or import its items and record its findings (``importing``); ``derive`` is the
    register CLI's confirmation of requirements derived from 800-53 ids (a STIG rule's CCIs lead to them)."""
    from punchlist.register.cli import CommandError
    from punchlist.interchange.scanners import read_scan

    from .importing import import_scan, scan_poam

    if args.mapping or args.map or args.header_row is not None or args.sheet is not None or args.reopen:
        raise CommandError("--mapping, --map, --header-row, --sheet and --reopen are for a POA&M file; a scanner's "
                           "report names its fields itself, and an item whose finding comes back is reopened")
    report = read_scan(args.file, label=label, include_informational=args.include_informational)
    poam = scan_poam(organization, report)
    progress.say(f"checking {len(poam.items):,} items from {len(report.found):,} findings")
    derived = derive(args, poam, label)
    result, outcome = import_scan(actor, organization, report, poam, path=args.file, file=label,
                                  write=not args.check)
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
