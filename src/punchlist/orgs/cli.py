"""`punchlist org ...`: the organization's settings, through ``punchlist.orgs.services`` (permissions and the
audit trail as in the web).

- ``set-ssp HREF``: name the organization's OSCAL SSP, which its OSCAL POA&M then imports (``import-ssp``).
- ``make-provider``: the organization becomes a managed-service provider, with a portfolio of clients.
- ``attach-client CLIENT``: an existing organization becomes a client of the provider (``--org``); the acting
  person administers both.
- ``create-client NAME``: a new client of the provider, its coordinator invited (as the web's New client form).

Added to the CLI with ``add_commands(commands)``, the shape of ``punchlist.register.cli``, whose options
(--data-dir, --org, --user) and error handling it shares.
"""

from __future__ import annotations

from punchlist.register.cli import EXIT_OK, CommandError, _actor, _common, _guard, _organization, _start


def add_commands(commands) -> None:
    org = commands.add_parser("org", help="the organization's settings: set-ssp, make-provider, attach-client, "
                                          "create-client",
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

    provider = actions.add_parser(
        "make-provider", help="make the organization a managed-service provider that runs client organizations",
        description="Mark the organization (--org) as a managed-service provider: its administrators see the "
                    "portfolio of its clients and create new ones in the web. Administrators only; audited.")
    _common(provider)
    provider.add_argument("--reason", default="", help="why, for the audit trail")
    provider.set_defaults(run=run_make_provider)

    attach = actions.add_parser(
        "attach-client", help="put an existing organization under the provider named by --org",
        description="Make the organization CLIENT (its short name) a client of the provider named by --org. The "
                    "person acting (--user) administers both. The client's people never see the provider's "
                    "other clients.")
    _common(attach)
    attach.add_argument("client", metavar="CLIENT", help="the client organization's short name (slug)")
    attach.add_argument("--reason", default="", help="why, for the audit trail")
    attach.set_defaults(run=run_attach_client)

    create = actions.add_parser(
        "create-client", help="create a client organization of the provider named by --org",
        description="Create a client organization run by the provider named by --org: the person acting (--user, "
                    "an administrator of the provider) is its first administrator, and --coordinator (a "
                    "username) is invited as its POA&M coordinator.")
    _common(create)
    create.add_argument("name", metavar="NAME", help="the client's name")
    create.add_argument("--slug", default="", help="its short name in addresses (default: made from the name)")
    create.add_argument("--coordinator", default="", metavar="USERNAME",
                        help="invite this person as the client's POA&M coordinator; they join when they accept")
    create.set_defaults(run=run_create_client)


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


@_guard
def run_make_provider(args) -> int:
    _start(args)
    from punchlist.orgs.services import OrganizationError, make_provider

    organization = _organization(args)
    actor = _actor(args, organization)
    try:
        make_provider(actor, organization, reason=args.reason)
    except OrganizationError as exc:
        raise CommandError(str(exc)) from None
    print(f"{organization.name} is a managed-service provider: its administrators see its clients' portfolio")
    return EXIT_OK


@_guard
def run_attach_client(args) -> int:
    _start(args)
    from punchlist.orgs.models import Organization
    from punchlist.orgs.services import OrganizationError, attach_client

    provider = _organization(args)
    actor = _actor(args, provider)
    client = Organization.objects.filter(slug=args.client).first()
    if client is None:
        raise CommandError(f"no organization {args.client!r}")
    try:
        attach_client(actor, provider, client, reason=args.reason)
    except OrganizationError as exc:
        raise CommandError(str(exc)) from None
    print(f"{client.name} is a client of {provider.name}")
    return EXIT_OK


@_guard
def run_create_client(args) -> int:
    _start(args)
    from punchlist.orgs.services import OrganizationError, create_client

    provider = _organization(args)
    actor = _actor(args, provider)
    try:
        client, invitation = create_client(actor, provider, name=args.name, slug=args.slug,
                                           coordinator=args.coordinator)
    except OrganizationError as exc:
        raise CommandError(str(exc)) from None
    print(f"created {client.name} ({client.slug}), a client of {provider.name}, with {actor.username} as its "
          "administrator" + (f"; {invitation.username} is invited as its POA&M coordinator" if invitation else ""))
    return EXIT_OK
