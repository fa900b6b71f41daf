"""`punchlist assessment outcome` and `punchlist assessment official`: record what an assessment found (its
kind, date, score and the status it earned) and mark its POA&M as the official one, through the same services
and audit trail as the web app. A refused status prints the reasons and what it would take, and exits 2.

Added to the CLI with ``add_commands(commands)``, the shape of ``punchlist.register.cli``.
"""

from __future__ import annotations

from datetime import date

from .cli import EXIT_OK, CommandError, _actor, _common, _guard, _organization, _start

STATUSES = ("none", "final", "conditional")


def add_commands(commands) -> None:
    assessment = commands.add_parser(
        "assessment", help="record an assessment's outcome, or mark its POA&M official",
        description="Record what an assessment found, or mark the POA&M of an assessment as the official one "
                    "(the one handed to the assessor; exports then say 'POA&M for the CMMC assessment').")
    actions = assessment.add_subparsers(dest="action", metavar="ACTION", required=True)
    outcome = actions.add_parser(
        "outcome", help="record the kind, date, score and status an assessment earned",
        description="Record an assessment's outcome. A Conditional status needs --conditional-date and is "
                    "refused, with the reasons and what it would take, unless the recorded determinations "
                    "support it (a score of at least 88, every NOT MET requirement allowed on a POA&M, every "
                    "Level 1 requirement MET). The score is the one the determinations give; another is refused.")
    _common(outcome)
    outcome.add_argument("--assessment", type=int, default=None, metavar="ID",
                         help="the assessment (default: the latest)")
    outcome.add_argument("--kind", choices=("self", "c3pao"), default=None,
                         help="self-assessment or C3PAO assessment (default: as recorded)")
    outcome.add_argument("--date", type=date.fromisoformat, default=None, metavar="DATE",
                         help="the date assessed (default: as recorded)")
    outcome.add_argument("--score", type=int, default=None, help="the SPRS score, checked against the "
                                                                  "determinations")
    outcome.add_argument("--status", choices=STATUSES, required=True, help="the status it earned")
    outcome.add_argument("--conditional-date", type=date.fromisoformat, default=None, metavar="DATE",
                         help="the Conditional status date (the CMMC Status Date) for --status conditional")
    outcome.add_argument("--reason", default="", help="why, when a recorded Conditional date changes")
    outcome.set_defaults(run=run_outcome, format="text")
    official = actions.add_parser("official", help="mark an assessment's POA&M as the official one",
                                  description="Mark the POA&M of an assessment as the official one; who and "
                                              "when are recorded in the audit trail.")
    _common(official)
    official.add_argument("--assessment", type=int, default=None, metavar="ID",
                          help="the assessment (default: the latest)")
    official.set_defaults(run=run_official, format="text")


def _assessment(args, organization):
    from punchlist.register.models import Assessment

    assessments = Assessment.objects.for_organization(organization)
    found = assessments.filter(pk=args.assessment).first() if args.assessment else assessments.first()
    if found is None:
        raise CommandError(f"no assessment {args.assessment}" if args.assessment
                           else f"{organization.name} has no assessment yet; import one with --assessment")
    return found


@_guard
def run_outcome(args) -> int:
    _start(args)
    from punchlist.register import services
    from punchlist.register.errors import RegisterError

    organization = _organization(args)
    actor = _actor(args, organization)
    assessment = _assessment(args, organization)
    try:
        services.record_outcome(actor, assessment, kind=args.kind or assessment.kind,
                                assessed_on=args.date or assessment.assessed_on,
                                status="" if args.status == "none" else args.status, score=args.score,
                                conditional_date=args.conditional_date, reason=args.reason)
    except services.OutcomeRefused as exc:
        lines = [f"refused: {exc.status} cannot be recorded for {assessment}"]
        lines += [f"  - {reason}" for reason in exc.reasons]
        if exc.would_take:
            lines.append("  what it would take:")
            lines += [f"  {n}. {step}" for n, step in enumerate(exc.would_take, 1)]
        raise CommandError("\n".join(lines)) from None
    except RegisterError as exc:
        raise CommandError(str(exc)) from None
    status = assessment.get_earned_status_display()
    when = (f" from {assessment.conditional_status_date.isoformat()}"
            if assessment.earned_status == "conditional" else "")
    print(f"{assessment}: {assessment.get_kind_display()} of {assessment.assessed_on.isoformat()}, score "
          f"{assessment.recorded_score}, {status}{when} (recorded by {actor.get_username()})")
    return EXIT_OK


@_guard
def run_official(args) -> int:
    _start(args)
    from punchlist.register import services
    from punchlist.register.errors import RegisterError

    organization = _organization(args)
    actor = _actor(args, organization)
    assessment = _assessment(args, organization)
    try:
        services.mark_official_poam(actor, assessment)
    except RegisterError as exc:
        raise CommandError(str(exc)) from None
    print(f"the POA&M of {assessment} is now the official one (marked by {actor.get_username()}, "
          f"{assessment.official_marked_at:%Y-%m-%d %H:%M})")
    return EXIT_OK
