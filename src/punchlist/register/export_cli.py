"""`punchlist export`: the organization's POA&M as the Punchlist workbook, the FedRAMP template filled in, CSV
or OSCAL POA&M (JSON or NIST's XML).

Added to the CLI with ``add_commands(commands)``, the shape of ``punchlist.register.cli``, whose options
(--data-dir, --org, --user) and error handling it shares.
"""

from __future__ import annotations

import logging
import os

from .cli import EXIT_OK, CommandError, _actor, _common, _guard, _organization, _start
from .export_formats import EXPORT_FORMATS, OSCAL_VERSION, OSCAL_VERSIONS

FORMATS = tuple(EXPORT_FORMATS)
# The web's security log (punchlist.web.accounts), where every file that leaves through a browser is written
# too (3.3.1): an export holds the register's CUI, whoever takes it.
security_log = logging.getLogger("punchlist.security")


def add_commands(commands) -> None:
    export = commands.add_parser(
        "export", help="write the organization's POA&M: workbook, filled FedRAMP template, CSV or OSCAL (JSON or XML)",
        description="Write the organization's POA&M items to FILE: the assessor-ready Punchlist workbook, the "
                    "FedRAMP POA&M template (give the template's file with --template) filled in, CSV (UTF-8 "
                    "with BOM, for Excel) or OSCAL POA&M (JSON, or XML with --format oscal-xml). Every export says "
                    "'Internal tracking document' unless a person has marked an assessment's POA&M official "
                    "(punchlist assessment official) and the file holds the assessment POA&M alone. One kind of "
                    "item unless --kind both; open items unless --closed. The file is written whole or not at all.")
    _common(export)
    export.add_argument("--format", required=True, choices=FORMATS)
    export.add_argument("--kind", default="assessment_poam", choices=("assessment_poam", "operational_plan", "both"),
                        help="the assessment POA&M (default), the operational plan of action (3.12.2), or both")
    export.add_argument("--closed", action="store_true", help="include closed (and risk-accepted) items")
    export.add_argument("--out", required=True, metavar="FILE", help="the file to write")
    export.add_argument("--template", default=None, metavar="FILE",
                        help="the FedRAMP POA&M template to fill (--format fedramp)")
    export.add_argument("--oscal-version", default=OSCAL_VERSION, choices=OSCAL_VERSIONS,
                        help=f"the OSCAL version the document declares (--format oscal or oscal-xml; default "
                             f"{OSCAL_VERSION})")
    export.add_argument("--system", default=None, metavar="NAME",
                        help="the system the POA&M covers (default: the assessment's scope, else the "
                             "organization)")
    export.set_defaults(run=run_export)


@_guard
def run_export(args) -> int:
    if args.format == "fedramp" and not args.template:
        raise CommandError("--format fedramp fills the FedRAMP POA&M template: give its file with --template FILE")
    if args.template and args.format != "fedramp":
        raise CommandError("--template is for --format fedramp only")
    _start(args)
    from punchlist.register.export_formats import write_export
    from punchlist.register.exports import build_export

    organization = _organization(args)
    actor = _actor(args, organization)
    export = build_export(actor, organization, system=args.system, kind=args.kind, include_closed=args.closed)
    poam, context = export.poam, export.context
    out = args.out
    write_export(export, args.format, out, oscal_version=args.oscal_version, template=args.template)
    security_log.info("exported: username=%r org=%s file=%r format=%s items=%d via=cli", actor.get_username(),
                      organization.slug, os.path.abspath(out), args.format, len(poam.items))
    print(f"{len(poam.items)} item(s) of {organization.name} written to {os.fspath(out)} ({args.format}; "
          f"{context.marking})")
    return EXIT_OK

