"""`punchlist remind`: each owner is told what they own that is due soon or overdue, the coordinators get a
weekly digest, and everyone concerned hears the closeout clock at 90, 60 and 30 days (and at expiry).

Safe to run from cron as often as wished: every reminder has a key, and the key goes into the ledger
(``SentReminder``, unique) in the same transaction as the mail leaves, so a reminder is sent once. Two runs
at the same moment queue on the organization's audit lock and the unique key; a mail that fails to send
rolls its keys back, so the next run tries again.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError
from django.db.models import Q
from django.urls import NoReverseMatch, reverse

from punchlist.audit import chain
from punchlist.core.closeout import WARNING_DAYS
from punchlist.orgs.models import Membership, Organization, Role
from punchlist.register.mapping import person
from punchlist.register.models import Kind, Milestone, PoamItem, Status
from punchlist.register.services._common import today, writing

from ..models import SentReminder
from ..periods import month_of, week_of
from ..queries import unupdated_items

DUE_SOON_DAYS = 7
OWNER_STATUSES = (Status.OPEN, Status.IN_PROGRESS)
SUBJECT = "[Punchlist] "


@dataclass
class Reminder:
    key: str
    line: str


@dataclass
class Mail:
    """One mail to one person: its reminders (only those not sent before go out)."""

    organization: Organization
    recipient: object
    kind: str  # "owner", "digest" or "closeout"
    subject: str
    intro: str
    reminders: list[Reminder] = field(default_factory=list)
    outro: str = ""

    def body(self, reminders: list[Reminder]) -> str:
        lines = [f"Hello {person(self.recipient)},", "", self.intro, ""]
        lines += [f"- {r.line}" for r in reminders]
        if self.outro:
            lines += ["", self.outro]
        lines += ["", f"-- Punchlist, for {self.organization.name}"]
        return "\n".join(lines) + "\n"


@dataclass
class Result:
    sent: list[tuple[Mail, list[Reminder]]] = field(default_factory=list)
    no_email: list[str] = field(default_factory=list)  # user names with reminders but no address
    failed: list[str] = field(default_factory=list)  # "user: why"
    already_sent: int = 0

    @property
    def reminders(self) -> int:
        return sum(len(r) for _, r in self.sent)


def _link(name: str, *args) -> str:
    if not settings.PUNCHLIST_SITE_URL:
        return ""
    try:
        return settings.PUNCHLIST_SITE_URL + reverse(f"web:{name}", args=args)
    except NoReverseMatch:
        return ""


def _when(due: date, as_of: date) -> tuple[str, str]:
    days = (due - as_of).days
    if days < 0:
        return "overdue", f"overdue since {due.isoformat()} ({-days} day{'s' if days != -1 else ''})"
    if days == 0:
        return "due", "due today"
    return "due", f"due {due.isoformat()} (in {days} day{'s' if days != 1 else ''})"


def _owner_mails(organization, as_of: date) -> list[Mail]:
    horizon = as_of + timedelta(days=DUE_SOON_DAYS)
    mails: dict[int, Mail] = {}

    def mail_for(user) -> Mail:
        if user.pk not in mails:
            mails[user.pk] = Mail(organization, user, "owner",
                                  f"{SUBJECT}{organization.name}: what you own is due",
                                  "These POA&M items and milestones you own are due soon or overdue:",
                                  outro=_with_link("Your weekly update", "review_weekly", organization.slug))
        return mails[user.pk]

    items = (PoamItem.objects.for_organization(organization)
             .filter(status__in=OWNER_STATUSES, scheduled_completion__lte=horizon)
             .select_related("primary_owner", "supporting_owner").order_by("scheduled_completion", "identifier"))
    for item in items:
        state, when = _when(item.scheduled_completion, as_of)
        link = _link("item", organization.slug, item.identifier)
        for owner in {o.pk: o for o in (item.primary_owner, item.supporting_owner) if o is not None}.values():
            mail_for(owner).reminders.append(Reminder(
                f"item-{state}:{item.pk}:{item.scheduled_completion.isoformat()}:u{owner.pk}",
                f"{item.identifier} {item.title}: completion {when}" + (f" {link}" if link else "")))
    milestones = (Milestone.objects.for_organization(organization)
                  .filter(item__status__in=OWNER_STATUSES, done_on=None, due__lte=horizon)
                  .select_related("item__primary_owner", "item__supporting_owner").order_by("due", "pk"))
    for milestone in milestones:
        state, when = _when(milestone.due, as_of)
        item = milestone.item
        for owner in {o.pk: o for o in (item.primary_owner, item.supporting_owner) if o is not None}.values():
            mail_for(owner).reminders.append(Reminder(
                f"milestone-{state}:{milestone.pk}:{milestone.due.isoformat()}:u{owner.pk}",
                f"{item.identifier} milestone “{milestone.description}”: {when}"))
    return list(mails.values())


def _with_link(label: str, name: str, *args) -> str:
    link = _link(name, *args)
    return f"{label}: {link}" if link else ""


def _managers(organization) -> list:
    """The coordinators, or the administrators where there is no coordinator."""
    memberships = list(Membership.objects.filter(organization=organization, user__is_active=True,
                                                 role__in=[Role.COORDINATOR, Role.ADMIN])
                       .select_related("user").order_by("user__pk"))
    coordinators = [m.user for m in memberships if m.role == Role.COORDINATOR]
    return coordinators or [m.user for m in memberships]


def _digest_mails(organization, as_of: date, managers: list) -> list[Mail]:
    if not managers:
        return []
    items = PoamItem.objects.for_organization(organization)
    working = items.filter(status__in=OWNER_STATUSES)
    overdue = list(working.filter(scheduled_completion__lt=as_of).order_by("scheduled_completion")
                   .values_list("identifier", "scheduled_completion"))
    soon = list(working.filter(scheduled_completion__gte=as_of,
                               scheduled_completion__lte=as_of + timedelta(days=DUE_SOON_DAYS))
                .order_by("scheduled_completion").values_list("identifier", "scheduled_completion"))
    late_milestones = (Milestone.objects.for_organization(organization)
                       .filter(item__status__in=OWNER_STATUSES, done_on=None, due__lt=as_of).count())
    waiting = items.filter(status=Status.READY_FOR_VERIFICATION).count()
    not_updated = list(unupdated_items(organization, as_of).values_list("identifier", flat=True)[:21])
    not_updated_count = unupdated_items(organization, as_of).count()
    week = week_of(as_of)

    def listing(rows) -> str:
        shown = ", ".join(f"{i} ({d.isoformat()})" for i, d in rows[:20])
        return shown + (f" and {len(rows) - 20} more" if len(rows) > 20 else "")

    lines = [f"{len(overdue)} item{'s' if len(overdue) != 1 else ''} overdue"
             + (f": {listing(overdue)}" if overdue else ""),
             f"{len(soon)} item{'s' if len(soon) != 1 else ''} due within {DUE_SOON_DAYS} days"
             + (f": {listing(soon)}" if soon else ""),
             f"{late_milestones} milestone{'s' if late_milestones != 1 else ''} overdue",
             f"{waiting} item{'s' if waiting != 1 else ''} waiting for verification",
             f"{not_updated_count} open item{'s' if not_updated_count != 1 else ''} not updated this week"
             + (f": {', '.join(not_updated[:20])}" + (" and more" if not_updated_count > 20 else "")
                if not_updated else "")]
    mails = []
    for manager in managers:
        mail = Mail(organization, manager, "digest",
                    f"{SUBJECT}{organization.name}: POA&M digest for the week of {week.isoformat()}",
                    f"The POA&M of {organization.name} as of {as_of.isoformat()}:",
                    outro=_with_link("This month's review", "review_monthly", organization.slug))
        # One digest a week: the lines are the digest's content, the key is the week's.
        mail.reminders.append(Reminder(f"digest:{organization.pk}:{week.isoformat()}:u{manager.pk}",
                                       "\n- ".join(lines)))
        mails.append(mail)
    return mails


def _closeout_mails(organization, as_of: date, managers: list) -> list[Mail]:
    from ..agenda import closeout_assessment, closeout_status

    status = closeout_status(organization, as_of)
    if status is None or not status["open_items"]:
        return []
    mark = "expired" if status["expired"] else status["warning"]
    if mark is None:
        return []
    assessment = closeout_assessment(organization)
    items = (PoamItem.objects.for_organization(organization)
             .filter(kind=Kind.ASSESSMENT_POAM, status__in=[*OWNER_STATUSES, Status.READY_FOR_VERIFICATION]))
    if not assessment.is_the_assessment_poam:
        items = items.filter(assessment=assessment)
    people = {user.pk: user for user in managers}
    owners = get_user_model().objects.filter(Q(pk__in=items.values("primary_owner"))
                                             | Q(pk__in=items.values("supporting_owner")), is_active=True)
    people.update({user.pk: user for user in owners})
    if mark == "expired":
        line = (f"The POA&M closeout deadline {status['deadline']} has passed with {status['open_items']} item(s) "
                "still open: the Conditional status has expired (R-CLOSE-1).")
        subject = f"{SUBJECT}{organization.name}: the POA&M closeout deadline has passed"
    else:
        line = (f"{status['days_left']} days left until the POA&M closeout deadline {status['deadline']} "
                f"(180 days after the Conditional status date {status['conditional_date']}); "
                f"{status['open_items']} item(s) still open. Without a closeout by then the Conditional status "
                "expires (R-CLOSE-1).")
        subject = f"{SUBJECT}{organization.name}: {mark} days to the POA&M closeout deadline"
    mails = []
    for user in people.values():
        mail = Mail(organization, user, "closeout", subject, "The closeout clock:",
                    outro=_with_link("This month's review", "review_monthly", organization.slug))
        key = f"closeout:{organization.pk}:{status['conditional_date']}:{mark}:u{user.pk}"
        mail.reminders.append(Reminder(key, line))
        mails.append(mail)
    return mails


def plan(organization, as_of: date) -> list[Mail]:
    """Every mail the organization's state calls for today, before the ledger removes what went out."""
    managers = _managers(organization)
    return [*_closeout_mails(organization, as_of, managers), *_owner_mails(organization, as_of),
            *_digest_mails(organization, as_of, managers)]


def send_reminders(organization=None, *, as_of: date | None = None, dry_run: bool = False,
                   connection=None) -> Result:
    """Send what is due (for one organization, or all), each reminder once; also take the month's score
    snapshot for the management review. With ``dry_run`` nothing is sent or recorded."""
    from .monthly import take_snapshot

    as_of = as_of or today()
    organizations = [organization] if organization is not None else list(Organization.objects.order_by("pk"))
    result = Result()
    connection = connection or get_connection()
    opened = False
    try:
        for org in organizations:
            if not dry_run and month_of(as_of) == month_of(today()):
                take_snapshot(org, month=as_of)  # the month's score, for the management review
            mails = plan(org, as_of)
            sent = _already_sent(org, [r.key for m in mails for r in m.reminders])
            for mail in mails:
                new = [r for r in mail.reminders if r.key not in sent]
                result.already_sent += len(mail.reminders) - len(new)
                if not new or not mail.recipient.is_active:
                    continue
                if not mail.recipient.email:
                    result.no_email.append(mail.recipient.username)
                    continue
                message = EmailMessage(mail.subject, mail.body(new), settings.DEFAULT_FROM_EMAIL,
                                       [mail.recipient.email], connection=connection)
                if dry_run:
                    result.sent.append((mail, new))
                    continue
                if not opened:
                    connection.open()
                    opened = True
                try:
                    _send(org, mail, new, message)
                except IntegrityError:  # another run sent these in the meantime
                    result.already_sent += len(new)
                    continue
                except smtplib.SMTPException as exc:
                    result.failed.append(f"{mail.recipient.username} <{mail.recipient.email}>: {exc}")
                    continue
                result.sent.append((mail, new))
    finally:
        if opened:
            connection.close()
    return result


def _already_sent(organization, keys: list[str], batch: int = 500) -> set[str]:
    """The keys the ledger holds, asked in batches (a large register plans many thousands)."""
    found: set[str] = set()
    for start in range(0, len(keys), batch):
        found.update(SentReminder.objects.for_organization(organization)
                     .filter(key__in=keys[start:start + batch]).values_list("key", flat=True))
    return found


def _send(organization, mail: Mail, reminders: list[Reminder], message: EmailMessage) -> None:
    with writing(organization) as head:
        SentReminder.objects.bulk_create([SentReminder(key=r.key, organization=organization,
                                                       recipient=mail.recipient, kind=mail.kind)
                                          for r in reminders])
        chain.record(organization=organization, actor=None, action="send_reminder", head=head,
                     object_type=SentReminder._meta.label_lower, subject="",
                     after={"to": mail.recipient.username, "kind": mail.kind, "subject": mail.subject,
                            "reminders": [r.key for r in reminders]})
        message.send()  # inside the transaction: a failure rolls the ledger back, for the next run


__all__ = ["DUE_SOON_DAYS", "WARNING_DAYS", "Mail", "Reminder", "Result", "plan", "send_reminders"]
