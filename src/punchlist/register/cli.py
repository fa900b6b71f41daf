"""The register's commands for the `punchlist` CLI: init, import, items, verify.

The CLI (punchlist.cli) adds them with ``add_commands(commands)``, the same ``register(commands)`` shape as its
offline commands; each parsed command runs with ``args.run(args)`` and returns the exit status. Score and lint
of stored data are ``punchlist.register.mapping.score_assessment`` and ``lint_organization``, for the CLI's
own `score` / `lint` printers.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from datetime import date

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT = 0, 1, 2


def add_commands(commands) -> None:
    init = commands.add_parser("init", help="create a register: a new organization and its first admin",
                               description="Create (or reuse) the register in the data folder (SQLite by "
                                           "default, PUNCHLIST_DATABASE_URL otherwise), then a new organization "
                                           "and its first administrator. The password is read from "
                                           "PUNCHLIST_ADMIN_PASSWORD, or asked for on a terminal.")
    _common(init, org=False)
    init.add_argument("--org", required=True, metavar="NAME", help="the organization's name")
    init.add_argument("--admin", required=True, metavar="USERNAME", help="its first administrator")
    init.add_argument("--email", default="")
    init.set_defaults(run=run_init)

    load = commands.add_parser("import", help="import a POA&M or a self-assessment into the register: all "
                                              "rows or none",
                               description="Read FILE (XLSX, XLS, ODS or CSV) and add its items (or, with "
                                           "--assessment, its determinations) to the organization in one "
                                           "transaction. Every problem is listed with its row and column, and "
                                           "then nothing is written.")
    _common(load)
    load.add_argument("file", metavar="FILE")
    load.add_argument("--assessment", action="store_true", help="FILE is a self-assessment, not a POA&M")
    load.add_argument("--assessed-on", type=date.fromisoformat, default=None, metavar="DATE",
                      help="the assessment's date (default: today)")
    load.add_argument("--create-people", action="store_true",
                      help="add people named in FILE who are not members yet, without sign-in")
    load.set_defaults(run=run_import)

    items = commands.add_parser("items", help="list the organization's POA&M items")
    _common(items)
    items.add_argument("--status", action="append", default=None, help="only items in this status (repeatable)")
    items.add_argument("--format", choices=["text", "json"], default="text")
    items.set_defaults(run=run_items)

    verify = commands.add_parser("verify", help="check the audit trail's hash chain; exit 1 if it is broken")
    _common(verify)
    verify.set_defaults(run=run_verify)


def _common(parser, org: bool = True) -> None:
    parser.add_argument("--data-dir", default=None, help="the register's folder (default: PUNCHLIST_DATA_DIR "
                                                         "or ~/.local/share/punchlist)")
    if not org:
        return
    parser.add_argument("--org", dest="org", default=None, metavar="SLUG",
                        help="which organization (needed when the register holds several)")
    parser.add_argument("--user", default=os.environ.get("PUNCHLIST_USER"), metavar="USERNAME",
                        help="who is acting, for permissions and the audit trail (default: PUNCHLIST_USER, "
                             "else the organization's only administrator)")


def _start(args, create: bool = False):
    from punchlist import bootstrap

    bootstrap.setup(args.data_dir, create=create)


class CommandError(Exception):
    pass


def _organization(args):
    from punchlist.orgs.models import Organization

    if args.org:
        org = Organization.objects.filter(slug=args.org).first()
        if org is None:
            raise CommandError(f"no organization {args.org!r}; these exist: "
                               f"{', '.join(Organization.objects.values_list('slug', flat=True)) or 'none'}")
        return org
    orgs = list(Organization.objects.all()[:2])
    if len(orgs) != 1:
        raise CommandError("the register holds several organizations; name one with --org SLUG" if orgs
                           else "the register holds no organization yet; create one with `punchlist init`")
    return orgs[0]


def _actor(args, organization):
    from django.contrib.auth import get_user_model

    from punchlist.orgs.models import Membership, Role

    if args.user:
        user = get_user_model().objects.filter(username=args.user).first()
        if user is None:
            raise CommandError(f"no user {args.user!r}")
        return user
    admins = list(Membership.objects.filter(organization=organization, role=Role.ADMIN).select_related("user")[:2])
    if len(admins) != 1:
        raise CommandError(f"{organization.name} has several administrators; say who is acting with --user")
    return admins[0].user


def _guard(run):
    def wrapped(args) -> int:
        from punchlist.errors import InputError
        from punchlist.orgs.permissions import PermissionDenied

        try:
            return run(args)
        except (CommandError, PermissionDenied) as exc:
            print(f"punchlist {args.command}: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        except InputError as exc:
            print(str(exc), file=sys.stderr)
            return EXIT_BAD_INPUT
    wrapped.__name__ = run.__name__
    return wrapped


@_guard
def run_init(args) -> int:
    from punchlist import bootstrap

    folder = bootstrap.setup(args.data_dir, create=True)
    password = os.environ.get("PUNCHLIST_ADMIN_PASSWORD")
    if password is None and sys.stdin.isatty():
        password = getpass.getpass(f"password for {args.admin}: ")
    from punchlist.orgs.services import OrganizationError

    try:
        org, admin = bootstrap.init(organization=args.org, admin_username=args.admin, admin_password=password,
                                    email=args.email)
    except OrganizationError as exc:
        raise CommandError(str(exc)) from exc
    print(f"register in {folder}: organization {org.name} ({org.slug}), administrator {admin.username}"
          + ("" if admin.has_usable_password() else " (no password yet: sign-in disabled)"))
    return EXIT_OK


@_guard
def run_import(args) -> int:
    _start(args)
    from punchlist.interchange import read_assessment, read_poam
    from punchlist.register.imports import import_assessment, import_poam

    organization = _organization(args)
    actor = _actor(args, organization)
    label = os.path.basename(args.file)
    if args.assessment:
        results = read_assessment(args.file)
        assessment = import_assessment(actor, organization, results, file=label,
                                       assessed_on=args.assessed_on or date.today())
        print(f"{len(results)} determinations imported into assessment {assessment.pk} of {organization.name}")
    else:
        result = import_poam(actor, organization, read_poam(args.file), file=label,
                             create_people=args.create_people)
        print(f"{result} into {organization.name}")
    return EXIT_OK


@_guard
def run_items(args) -> int:
    _start(args)
    from punchlist.register.models import PoamItem, Status

    organization = _organization(args)
    actor = _actor(args, organization)
    items = PoamItem.objects.restrict(actor, organization).select_related("primary_owner").prefetch_related(
        "requirement_links")
    if args.status:
        wanted = {s.replace(" ", "_").lower() for s in args.status}
        unknown = wanted - set(Status.values)
        if unknown:
            raise CommandError(f"unknown status {', '.join(sorted(unknown))}; use one of {', '.join(Status.values)}")
        items = items.filter(status__in=wanted)
    rows = [{"id": i.identifier, "requirements": [link.requirement for link in i.requirement_links.all()],
             "title": i.title, "status": i.status, "kind": i.kind,
             "owner": (i.primary_owner.get_full_name() or i.primary_owner.username) if i.primary_owner else None,
             "scheduled_completion": i.scheduled_completion.isoformat() if i.scheduled_completion else None}
            for i in items.order_by("identifier")]
    if args.format == "json":
        print(json.dumps({"organization": organization.slug, "items": rows}, indent=2))
    else:
        for row in rows:
            print(f"{row['id']:<14} {row['status']:<24} {row['scheduled_completion'] or '-':<11} "
                  f"{', '.join(row['requirements']):<16} {row['owner'] or '-':<20} {row['title']}")
        print(f"{len(rows)} item(s)")
    return EXIT_OK


@_guard
def run_verify(args) -> int:
    _start(args)
    from punchlist.audit.chain import verify_chain

    organization = _organization(args) if args.org else None
    result = verify_chain(organization)
    print(str(result))
    return EXIT_OK if result.intact else EXIT_FINDINGS
