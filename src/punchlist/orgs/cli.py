"""`punchlist org set-ssp HREF`: name the organization's OSCAL SSP, which its OSCAL POA&M then imports
(``import-ssp``). Administrators only (``orgs.services.set_ssp_href`` checks), audited with the reason given.

Added to the CLI with ``add_commands(commands)``, the shape of ``punchlist.register.cli``, whose options
(--data-dir, --org, --user) and error handling it shares.
"""

from __future__ import annotations

from punchlist.register.cli import EXIT_OK, CommandError, _actor, _common, _guard, _organization, _start


def add_commands(commands) -> None:
    org = commands.add_parser("org", help="the organization's settings: set-ssp",
                              description="Change the organization's settings (administrators only; audited).")
    actions = org.add_subparsers(dest="action", required=True, metavar="ACTION")
    ssp = actions.add_parser(
        "set-ssp", help="name the organization's OSCAL SSP, which its OSCAL POA&M imports",
        description="Name where the organization's OSCAL system security plan is (a URL, or a path relative to "
                    "where the POA&M is kept): the OSCAL POA&M export then names it in import-ssp. An empty "
                    "HREF ('') says there is none in OSCAL, and the export says so as FedRAMP's no-oscal-ssp "
                    "resource.")
    _common(ssp)
    ssp.add_argument("href", metavar="HREF", help="the SSP's URL or relative path; '' for none")
    ssp.add_argument("--reason", default="", help="why, for the audit trail")
    ssp.set_defaults(run=run_set_ssp)


@_guard
def run_set_ssp(args) -> int:
    _start(args)
    from punchlist.orgs.services import OrganizationError, set_ssp_href

    organization = _organization(args)
    actor = _actor(args, organization)
    try:
        set_ssp_href(actor, organization, args.href, reason=args.reason)
    except OrganizationError as exc:
        raise CommandError(str(exc)) from None
    said = organization.ssp_href or "none (no OSCAL SSP)"
    print(f"the OSCAL SSP of {organization.name}: {said}")
    return EXIT_OK
