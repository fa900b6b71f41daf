"""`punchlist export`: the organization's POA&M as the Punchlist workbook, the FedRAMP template filled in, CSV
or OSCAL POA&M (JSON or NIST's XML).

Added to the CLI with ``add_commands(commands)``, the shape of ``punchlist.register.cli``, whose options
(--data-dir, --org, --user) and error handling it shares.
"""

from __future__ import annotations

import logging
import os

from .cli import EXIT_OK, CommandError, _actor, _common, _guard, _organization, _start

FORMATS = ("workbook", "fedramp", "csv", "oscal", "oscal-xml")
# oscal_schema.SCHEMA_VERSIONS and oscal.OSCAL_VERSION (a test keeps them equal): importing those modules
# here would load openpyxl and jsonschema for every `punchlist` command.
OSCAL_VERSIONS = ("1.1.3", "1.2.1")
OSCAL_VERSION = "1.1.3"
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
    from punchlist.register.exports import build_export

    organization = _organization(args)
    actor = _actor(args, organization)
    export = build_export(actor, organization, system=args.system, kind=args.kind, include_closed=args.closed)
    poam, context, evidence = export.poam, export.context, export.evidence
    out = args.out
    if args.format == "workbook":
        from punchlist.interchange.workbook import write_workbook

        write_workbook(poam, context, out, evidence=evidence)
    elif args.format == "fedramp":
        from punchlist.interchange.fedramp import fill_fedramp_template

        fill_fedramp_template(poam, context, args.template, out, evidence=evidence)
    elif args.format == "csv":
        from punchlist.interchange.csv_export import write_csv

        write_csv(poam, context, out)
    else:
        _write_oscal(poam, context, evidence, out, args.oscal_version, xml=args.format == "oscal-xml")
    security_log.info("exported: username=%r org=%s file=%r format=%s items=%d via=cli", actor.get_username(),
                      organization.slug, os.path.abspath(out), args.format, len(poam.items))
    print(f"{len(poam.items)} item(s) of {organization.name} written to {os.fspath(out)} ({args.format}; "
          f"{context.marking})")
    return EXIT_OK


def _write_oscal(poam, context, evidence, out, version: str, *, xml: bool = False) -> None:
    """Write the JSON (or its XML form), having checked the document against NIST's schema where one is
    installed: a document a receiver would refuse is not written."""
    from punchlist.interchange.oscal import poam_to_oscal, write_oscal
    from punchlist.interchange.oscal_xml import write_oscal_xml
    from punchlist.interchange.oscal_schema import OscalSchemaUnavailable, validate_oscal

    if not poam.items:
        raise CommandError("the organization has no items: an OSCAL POA&M needs at least one")
    document = poam_to_oscal(poam, context, oscal_version=version, evidence=evidence)
    try:
        error = validate_oscal(document, version)
    except OscalSchemaUnavailable:
        error = None  # no schema here to check against; the tests check every export against both
    if error is not None:
        raise CommandError(f"the OSCAL export is not valid ({error}); nothing was written")
    if xml:
        write_oscal_xml(poam, context, out, document=document)
    else:
        write_oscal(poam, context, out, oscal_version=version, evidence=evidence)
