"""The register's commands for the `punchlist` CLI: init, import, items, verify; and `score` / `lint` without
a FILE, which read the register instead of a spreadsheet.

The CLI (punchlist.cli) adds them with ``add_commands(commands)``, the same ``register(commands)`` shape as its
offline commands; each parsed command runs with ``args.run(args)`` and returns the exit status. The offline
`score` and `lint` take the register's options (``add_register_options``) and hand over to
``run_stored_score`` / ``run_stored_lint`` when no FILE is given: the same printers, the same exit codes, with
the scoring and checking of ``punchlist.register.mapping`` (R-SCORE-4 applied from the stored items).
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from datetime import date

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT = 0, 1, 2
# The fields a column can be mapped to (punchlist.interchange.FIELDS), listed here so that `punchlist import
# --help` needs no import of the readers.
FIELDS = ("requirements", "objectives", "id", "title", "weakness", "remediation", "primary_owner",
          "supporting_owner", "approval_authority", "evidence_custodian", "responsible_unit", "resources", "source",
          "start_date", "scheduled_completion", "completion_date", "last_updated", "milestones", "milestone_due",
          "milestone_done", "milestone_status", "status", "severity", "kind", "evidence",
          # the further details (interchange.details)
          "original_id", "assets", "cves", "source_identifier", "interim_mitigation", "comments", "likelihood",
          "impact", "residual_risk", "risk_adjustment", "vendor_dependency", "vendor_product", "vendor_check_in",
          "vendor_involvement", "budget_money", "budget_hours", "decision_needed", "touches_cui", "blocked_by")


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
                               description="Read FILE (XLSX, XLS, ODS or CSV, OSCAL POA&M, a Nessus, OpenVAS or "
                                           "Greenbone report, a STIG Viewer checklist) and add its items (or, with "
                                           "--assessment, its determinations) to the organization in one "
                                           "transaction. Items the register already holds (the same id as "
                                           "before, or our POAM-... identifier) are updated, through the same "
                                           "checks and audit trail as any edit, with the reason 'updated by "
                                           "import of FILE'. A field changed in the register since the item's "
                                           "last import keeps the register's value, and a closed item stays "
                                           "closed unless named with --reopen; what each item gets and keeps is "
                                           "listed. Every problem is listed with its row and column, and then "
                                           "nothing is written.")
    _common(load)
    load.add_argument("file", metavar="FILE")
    load.add_argument("--assessment", action="store_true", help="FILE is a self-assessment, not a POA&M")
    load.add_argument("--assessed-on", type=date.fromisoformat, default=None, metavar="DATE",
                      help="the assessment's date (default: today)")
    load.add_argument("--create-people", action="store_true",
                      help="add people named in FILE who are not members yet, without sign-in")
    load.add_argument("--progress", action="store_true",
                      help="print a progress line on stderr at each step, even when it is not a terminal")
    load.add_argument("--mapping", metavar="PROFILE",
                      help="read the columns as the organization's saved mapping profile PROFILE says (profiles "
                           "are saved from the web import's preview)")
    load.add_argument("--map", action="append", default=[], metavar="FIELD=HEADER",
                      help="read FIELD from the column headed HEADER (FIELD=#N: the Nth column; FIELD= : leave "
                           "it out), over what the headers and --mapping say; repeatable. Fields: "
                           + ", ".join(FIELDS))
    load.add_argument("--header-row", type=int, default=None, metavar="N",
                      help="the headers are in row N (among the first 20), not wherever they are found")
    load.add_argument("--sheet", default=None, metavar="NAME", help="read the sheet NAME of a workbook")
    load.add_argument("--check", action="store_true",
                      help="check every row as the import would and say what it would do, writing nothing: "
                           "which column each field is read from, the columns left unread, and the 800-171 "
                           "requirements it would derive from 800-53 or Rev 3 ids")
    load.add_argument("--accept-derived", action="store_true",
                      help="take the 800-171 requirements derived from the file's SP 800-53 (or Rev 3) ids as "
                           "shown by --check; without it (or --derive for each such id) such a file is not "
                           "imported")
    load.add_argument("--derive", action="append", default=[], metavar="CONTROL=REQ",
                      help="read the 800-53 (or Rev 3) id CONTROL as these 800-171 requirements (comma-separated; "
                           "empty: none, an operational plan item that needs a requirement); repeatable")
    load.add_argument("--reopen", action="append", default=[], metavar="ITEM",
                      help="reopen the closed item ITEM (its POAM-... identifier or its id in FILE) if FILE says "
                           "it is open; without it a closed item stays closed; repeatable")
    load.add_argument("--include-informational", action="store_true",
                      help="for a scanner's report: make items of its informational results (Nessus severity 0, "
                           "OpenVAS log) too; without it they are left out, and counted")
    load.set_defaults(run=run_import)

    items = commands.add_parser("items", help="list the organization's POA&M items")
    _common(items)
    items.add_argument("--status", action="append", default=None, help="only items in this status (repeatable)")
    items.add_argument("--format", choices=["text", "json"], default="text")
    items.add_argument("--order", choices=["id", "risk"], default="id",
                       help="by identifier (default) or in the register's risk order, each with why it sits there")
    items.set_defaults(run=run_items)

    verify = commands.add_parser("verify", help="check the audit trail's hash chain, re-hash every stored "
                                                "evidence file and name vault files no evidence cites; exit 1 "
                                                "on any of them")
    _common(verify)
    verify.set_defaults(run=run_verify)


def add_register_options(parser) -> None:
    """--data-dir, --org and --user, for commands that can read the register (score and lint without FILE)."""
    _common(parser)


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
        # Nothing here may need Django to be set up: the command itself does that (or fails to).
        from django.core.exceptions import PermissionDenied

        from punchlist.bootstrap import RegisterMissing
        from punchlist.errors import InputError

        try:
            return run(args)
        except (CommandError, PermissionDenied, RegisterMissing) as exc:
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
    from punchlist.cli.offline import Progress

    _start(args)
    from punchlist.interchange import read_assessment, read_poam_file
    from punchlist.register.imports import check_poam, import_assessment, import_poam

    organization = _organization(args)
    actor = _actor(args, organization)
    label = os.path.basename(args.file)
    progress = Progress(lines=args.progress)
    if args.assessment and (args.mapping or args.map or args.header_row is not None or args.sheet is not None
                            or args.check):
        raise CommandError("--mapping, --map, --header-row, --sheet and --check are for a POA&M, not --assessment")
    progress.say(f"reading {label}")
    if args.assessment:
        results = read_assessment(args.file)
        progress.say(f"importing {len(results):,} determinations")
        assessment = import_assessment(actor, organization, results, file=label,
                                       assessed_on=args.assessed_on or date.today())
        progress.done()
        print(f"{len(results)} determinations imported into assessment {assessment.pk} of {organization.name}")
    else:
        from punchlist.interchange.scanners import scan_kind

        if scan_kind(args.file, label=label) is not None:  # a scanner's report or a STIG checklist
            from punchlist.scans.cli import run_scan_import

            return run_scan_import(args, organization, actor, label, progress, _derive)
        mapping = _column_mapping(args, organization, actor)
        # A spreadsheet or OSCAL POA&M JSON, through the upload guards.
        poam = read_poam_file(args.file, mapping=mapping)
        progress.say(f"checking {len(poam.items):,} rows")
        derived = _derive(args, poam, label)
        if args.check:
            from punchlist.interchange import FIELD_LABELS
            from punchlist.interchange.report import columns_text

            result = check_poam(actor, organization, poam, file=label, create_people=args.create_people,
                                reopen=args.reopen)
            progress.done()
            for line in columns_text(poam.columns, FIELD_LABELS):
                print(f"{label}: {line}")
            for line in derived:
                print(f"{label}: {line}")
            print(f"{label} would import: {result} into {organization.name}; nothing was written")
            _print_changes(result)
            return EXIT_OK
        result = import_poam(actor, organization, poam, file=label, create_people=args.create_people,
                             progress=lambda done, total: progress.say(f"written {done:,} of {total:,} rows"),
                             reopen=args.reopen)
        progress.say("committed")
        progress.done()
        print(f"{result} into {organization.name}")
        _print_changes(result)
    return EXIT_OK


def _print_changes(result) -> None:
    """Row by row, what comes in otherwise than the file says; then item by item, each field the import changes
    (old -> new) and each the register keeps, and why."""
    for note in result.operational:
        print(note)
    for identifier, changes in result.changes.items():
        print(f"{identifier}:")
        for change in changes:
            old, new = change.old or "(blank)", change.new or "(blank)"
            if change.kept:
                print(f"  {change.label}: kept {old} (the file says {new}): {change.why}")
            else:
                print(f"  {change.label}: {old} -> {new}")
    kept = result.kept
    if kept:
        print(f"{len(kept)} item(s) keep the register's value of a field the file would change; "
              "--reopen ITEM reopens a closed item the file says is open")


def _derive(args, poam, label: str) -> list[str]:
    """Apply the 800-171 requirements derived from the file's 800-53 / Rev 3 ids (as --derive changes them),
    and say what was derived. A real import needs --accept-derived, or --derive for each such id."""
    from punchlist.interchange import derive

    found = derive.derivations(poam)
    given = {}
    for assignment in args.derive:
        control, equals, requirements = assignment.partition("=")
        if not equals or not control.strip():
            raise CommandError(f"{assignment!r}: give --derive CONTROL=REQ[,REQ] (empty REQ: none)")
        given[control.strip()] = requirements
    chosen = {}
    for control, ids in derive.parse_choices(given, label).items():
        reading = next((d.control for d in found if d.control.upper() == control.upper().replace(" ", "")), None)
        if reading is None:
            raise CommandError(f"--derive {control}: the file names no such control; it names: "
                               f"{', '.join(d.control for d in found) or 'none'}")
        chosen[reading] = ids
    if not found:
        return []
    open_ones = [d for d in found if d.control not in chosen]
    lines = [f"derived, to be confirmed ({len(found)} control(s)):"] + [
        f"  {d.text()}" + (" [chosen: " + (", ".join(chosen[d.control]) or "none") + "]"
                           if d.control in chosen else "") for d in found]
    if open_ones and not args.check and not args.accept_derived:
        raise CommandError("\n".join(lines) + "\nnothing was imported: take these with --accept-derived, or choose "
                           "with --derive CONTROL=REQ[,REQ] (see --check)")
    derive.apply(poam, chosen)
    if args.check and open_ones:
        lines.append("  import with --accept-derived to take them as shown, or --derive CONTROL=REQ[,REQ] to "
                     "choose")
    return lines


def _column_mapping(args, organization, actor):
    """--mapping's saved profile with --map, --header-row and --sheet over it; None when none is given."""
    from punchlist.interchange import ColumnMapping
    from punchlist.orgs.permissions import require
    from punchlist.register.models import ImportProfile
    from punchlist.register.services.profiles import profile_mapping

    mapping = None
    if args.mapping:
        require(actor, "register.add_item", organization)
        profiles = ImportProfile.objects.for_organization(organization)
        profile = profiles.filter(name__iexact=" ".join(args.mapping.split())).first()
        if profile is None:
            names = ", ".join(repr(name) for name in profiles.values_list("name", flat=True))
            raise CommandError(f"{organization.name} has no mapping profile {args.mapping!r}; "
                               + (f"it has: {names}" if names else "it has none yet (save one from the web "
                                                                   "import's preview)"))
        mapping = profile_mapping(profile)
    if args.map or args.header_row is not None or args.sheet is not None:
        given = ColumnMapping.from_assignments(args.map, header_row=args.header_row, sheet=args.sheet)
        mapping = given if mapping is None else mapping.merged(given)
    return mapping


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
    if args.order == "risk":
        rows = _in_risk_order(items, rows)
    if args.format == "json":
        print(json.dumps({"organization": organization.slug, "items": rows}, indent=2))
    else:
        for row in rows:
            print(f"{row['id']:<14} {row['status']:<24} {row['scheduled_completion'] or '-':<11} "
                  f"{', '.join(row['requirements']):<16} {row['owner'] or '-':<20} {row['title']}")
            if "why" in row:
                print(f"{'':<14} {row['tier']}: {row['why']}")
        print(f"{len(rows)} item(s)")
    return EXIT_OK


def _in_risk_order(items, rows: list[dict]) -> list[dict]:
    """The rows in the risk order the register shows (``core.priority``), each with its tier and why."""
    from django.utils import timezone

    from punchlist.core.priority import risk_order
    from punchlist.register import mapping

    by_id = {row["id"]: row for row in rows}
    ordered = []
    for record, priority in risk_order(mapping.to_poam(items).items, as_of=timezone.localdate()):
        row = by_id[record.id]
        row["tier"], row["why"] = priority.tier.label, priority.why
        ordered.append(row)
    return ordered


@_guard
def run_verify(args) -> int:
    _start(args)
    from punchlist.audit.chain import verify_chain

    from punchlist.register.services.evidence import uncited_files, verify_evidence

    from punchlist.audit import checkpoint
    from punchlist.register.replay import replay

    organization = _organization(args) if args.org else None
    result = verify_chain(organization)
    print(str(result))
    # The heads against the checkpoint outside the database: removing the last events and rewinding the head
    # leaves a chain that is intact in itself.
    from punchlist.audit.chain import chain_key

    anchored, notes = checkpoint.compare(keys=[chain_key(organization)] if organization is not None else None)
    for note in notes:
        print(note)
    for key, problem in anchored:
        print(f"audit checkpoint: chain {key}: {problem}")
    print("audit trail matches its checkpoint" if not anchored else
          f"audit trail does NOT match its checkpoint {checkpoint.location()}")
    # The rows against the trail: a row changed without an event is as much tampering as a forged event.
    differences = replay(organization)
    for difference in differences:
        print(f"register {difference}")
    print("register matches its audit trail" if not differences else
          f"{len(differences)} difference(s) between the register and its audit trail")
    # Every stored evidence file is hashed again: a file swapped or edited on disk is as much tampering as an
    # event rewritten in the database.
    problems = verify_evidence(organization)
    for problem in problems:
        print(f"evidence {problem}")
    print("evidence files intact" if not problems else f"{len(problems)} evidence file(s) missing or altered")
    uncited = uncited_files(organization)
    for name in uncited:
        print(f"vault file {name} is cited by no evidence")
    if uncited:
        print(f"{len(uncited)} file(s) in the evidence vault cited by no evidence: left by an upload whose write "
              "failed, or by evidence deleted behind Punchlist's back; look at them, then remove them by hand")
    clean = result.intact and not anchored and not differences and not problems and not uncited
    return EXIT_OK if clean else EXIT_FINDINGS


# --- score and lint of the stored data ------------------------------------------------------------------

@_guard
def run_stored_score(args) -> int:
    """`punchlist score` without FILE: the organization's latest assessment (or --assessment ID)."""
    _start(args)
    from punchlist.cli import offline
    from punchlist.orgs.permissions import require
    from punchlist.register import mapping
    from punchlist.register.models import Assessment

    organization = _organization(args)
    actor = _actor(args, organization)
    require(actor, "register.view_assessment", organization)
    assessments = Assessment.objects.for_organization(organization)
    if args.assessment is not None:
        assessment = assessments.filter(pk=args.assessment).first()
        if assessment is None:
            raise CommandError(f"{organization.name} has no assessment {args.assessment}; it has "
                               f"{', '.join(str(pk) for pk in assessments.values_list('pk', flat=True)) or 'none'}")
    else:
        assessment = assessments.first()  # the latest: ordered by date, then by creation
        if assessment is None:
            raise CommandError(f"{organization.name} has no assessment yet; import one with "
                               "`punchlist import FILE --assessment`")
    report = mapping.score_assessment(assessment)
    if args.format == "json":
        document = offline.score_json(report, None)
        document["columns"] = []  # the register has no columns: every field is its own
        document["register"] = {"organization": organization.slug, "assessment": assessment.pk,
                                "assessed_on": assessment.assessed_on.isoformat(), "level": assessment.level}
        print(json.dumps(document, indent=2))
    else:
        print(offline.score_text(report, f"{organization.name}: {assessment} (assessment {assessment.pk} in the "
                                         "register)"))
    return EXIT_OK


@_guard
def run_stored_lint(args) -> int:
    """`punchlist lint` without FILE: every item of the organization, as an assessor reads them."""
    from punchlist.cli import offline

    progress = offline.Progress()
    progress.say("reading the register")
    _start(args)
    from punchlist.orgs.permissions import require
    from punchlist.register import mapping
    from punchlist.register.models import PoamItem

    organization = _organization(args)
    actor = _actor(args, organization)
    require(actor, "register.view_item", organization)
    count = PoamItem.objects.for_organization(organization).count()
    progress.say(f"checking {count:,} items")
    findings = mapping.lint_organization(organization, as_of=args.as_of or date.today(), level=args.level)
    progress.done()
    if args.format == "json":
        document = {
            "file": None,
            "items": count,
            "findings": [
                {"check": f.check, "item": f.item, "row": f.row, "message": f.message} for f in findings
            ],
            "columns": [],  # the register has no columns: every field is its own
            "register": {"organization": organization.slug},
        }
        json.dump(document, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(offline.lint_text(findings, count, organization.slug, whole="register"))
    return EXIT_FINDINGS if findings else EXIT_OK
