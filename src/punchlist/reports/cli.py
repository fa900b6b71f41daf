"""`punchlist report leadership|review|readiness|package --format pdf|html|zip --out FILE`.

Added to the CLI with ``add_commands(commands)``, the shape of ``punchlist.register.cli``, whose options
(--data-dir, --org, --user) and error handling it shares. Progress goes to stderr: a 10,000-item register takes
seconds, and the person at the terminal sees which step it is at.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from punchlist.register.cli import EXIT_OK, CommandError, _actor, _common, _guard, _organization, _start

REPORTS = ("leadership", "review", "readiness", "package")
FORMATS = {"leadership": ("pdf", "html"), "review": ("pdf", "html"), "readiness": ("pdf", "html"),
           "package": ("zip",)}


def add_commands(commands) -> None:
    report = commands.add_parser(
        "report", help="write a report: leadership, monthly review, readiness (PDF or HTML), or the assessor "
                       "package (zip)",
        description="Write one of the organization's reports to FILE: the leadership report, the monthly "
                    "management review pack or the Level 2 readiness report, as PDF or HTML (charts included, "
                    "the organization, date and marking on every page); or the assessor package, one zip with "
                    "the workbook, the OSCAL POA&M (JSON and XML), the evidence files, an evidence index with hashes and the audit trail's "
                    "verification result. The file is written whole or not at all.")
    _common(report)
    report.add_argument("report", choices=REPORTS)
    report.add_argument("--format", default=None, choices=("pdf", "html", "zip"),
                        help="pdf or html for a report (default pdf), zip for the package")
    report.add_argument("--out", required=True, metavar="FILE", help="the file to write")
    report.add_argument("--as-of", type=date.fromisoformat, default=None, metavar="DATE",
                        help="judge overdue, due and the closeout countdown as of this day (default: today)")
    report.add_argument("--without-evidence-files", action="store_true",
                        help="package: leave the evidence files out (the index and their SHA-256 stay)")
    report.add_argument("--progress", action="store_true",
                        help="print a progress line on stderr at each step, even when it is not a terminal")
    report.set_defaults(run=run_report)


@_guard
def run_report(args) -> int:
    from punchlist.cli.offline import Progress

    fmt = args.format or FORMATS[args.report][0]
    if fmt not in FORMATS[args.report]:
        raise CommandError(f"the {args.report} report is written as {' or '.join(FORMATS[args.report])}, "
                           f"not {fmt}")
    out = Path(args.out)
    if not out.parent.is_dir():
        raise CommandError(f"--out {args.out}: the folder {out.parent} does not exist")
    progress = Progress(lines=args.progress)
    progress.say("reading the register")
    _start(args)
    from punchlist.orgs.permissions import require

    organization = _organization(args)
    actor = _actor(args, organization)
    require(actor, "register.view_item", organization)
    if args.report == "package":
        from punchlist.reports.package import write_package

        summary = write_package(actor, organization, out, progress=progress.say,
                                evidence_files=not args.without_evidence_files)
        progress.done()
        print(f"assessor package of {organization.name} written to {os.fspath(out)}: {summary.items} item(s), "
              f"{summary.evidence} piece(s) of evidence ({summary.evidence_problems} file problem(s)), audit trail "
              f"{'intact' if summary.audit_intact else 'BROKEN'} ({summary.audit_events} events)")
        return EXIT_OK
    from punchlist.reports import data, render

    snap = data.Snapshot(organization, as_of=args.as_of)
    progress.say(f"computing the {args.report} report")
    html = render.render_html(args.report, snap)
    temporary = out.with_name(out.name + ".part")
    try:
        if fmt == "pdf":
            progress.say("drawing the PDF")
            from weasyprint import HTML

            HTML(string=html).write_pdf(temporary)
        else:
            temporary.write_text(html, encoding="utf-8")
        temporary.replace(out)
    finally:
        temporary.unlink(missing_ok=True)
    progress.done()
    print(f"{render.KINDS[args.report].title} of {organization.name} as of {snap.as_of.isoformat()} written to "
          f"{os.fspath(out)} ({fmt}; {snap.marking})")
    return EXIT_OK
