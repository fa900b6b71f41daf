"""`punchlist remind`: send each owner what is due and overdue, the coordinators their weekly digest, and
the closeout clock's warnings, by SMTP through Django's mail backend (PUNCHLIST_EMAIL_*). Run it from cron
as often as wished: a reminder that went out is never sent again.

punchlist.cli adds it with ``add_commands(commands)``; the command returns its exit status.
"""

from __future__ import annotations

import sys
from datetime import date

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def add_commands(commands) -> None:
    remind = commands.add_parser(
        "remind", help="send the reminders that are due by email (safe to run from cron at any rate)",
        description="Send each owner the POA&M items and milestones they own that are due within a week or "
                    "overdue, each coordinator a weekly digest, and everyone concerned the closeout clock's "
                    "warnings at 90, 60 and 30 days. Each reminder is sent once, however often this runs. "
                    "Mail goes through PUNCHLIST_EMAIL_HOST / _PORT / _USER / _PASSWORD / _TLS.")
    remind.add_argument("--data-dir", default=None, help="the register's folder (default: PUNCHLIST_DATA_DIR "
                                                         "or ~/.local/share/punchlist)")
    remind.add_argument("--org", default=None, metavar="SLUG", help="only this organization (default: all)")
    remind.add_argument("--as-of", type=date.fromisoformat, default=None, metavar="DATE",
                        help="judge what is due as of this day (default: today)")
    remind.add_argument("--dry-run", action="store_true", help="print what would be sent; send and record nothing")
    remind.set_defaults(run=run_remind)


def run_remind(args) -> int:
    from punchlist import bootstrap

    try:
        bootstrap.setup(args.data_dir)
    except bootstrap.RegisterMissing as exc:
        print(f"punchlist remind: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    from django.conf import settings

    from punchlist.orgs.models import Organization

    from .services.reminders import send_reminders

    organization = None
    if args.org:
        organization = Organization.objects.filter(slug=args.org).first()
        if organization is None:
            known = ", ".join(Organization.objects.values_list("slug", flat=True)) or "none"
            print(f"punchlist remind: no organization {args.org!r}; these exist: {known}", file=sys.stderr)
            return EXIT_BAD_INPUT
    try:
        result = send_reminders(organization, as_of=args.as_of, dry_run=args.dry_run)
    except OSError as exc:
        print(f"punchlist remind: cannot reach the mail server {settings.EMAIL_HOST}:{settings.EMAIL_PORT} "
              f"({exc}); nothing more was sent, and what was not sent goes out on the next run", file=sys.stderr)
        return EXIT_FAILED
    verb = "would send" if args.dry_run else "sent"
    for mail, reminders in result.sent:
        print(f"{verb} {mail.kind} mail to {mail.recipient.username} <{mail.recipient.email}>: "
              f"{len(reminders)} reminder{'s' if len(reminders) != 1 else ''}")
        if args.dry_run:
            print("    " + mail.body(reminders).rstrip().replace("\n", "\n    "))
    for username in result.no_email:
        print(f"not sent: {username} has reminders but no email address", file=sys.stderr)
    for failure in result.failed:
        print(f"not sent: {failure}", file=sys.stderr)
    print(f"{len(result.sent)} mail{'s' if len(result.sent) != 1 else ''} {verb} ({result.reminders} "
          f"reminder{'s' if result.reminders != 1 else ''}); {result.already_sent} sent before")
    return EXIT_FAILED if result.failed else EXIT_OK
