"""`punchlist remind` through a real SMTP server started by the tests (aiosmtpd): what owners, coordinators
and everyone concerned by the closeout clock receive, read back from the server; and that nobody gets the
same reminder twice, however often (or however concurrently) it runs."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.db import connections

from punchlist.audit import chain
from punchlist.audit.models import AuditEvent
from punchlist.cli import main
from punchlist.register import services as register
from punchlist.rhythm.models import SentReminder
from punchlist.rhythm.periods import week_of
from punchlist.rhythm.services.reminders import send_reminders
from punchlist.testing import make_item, make_team

TODAY = date.today()


def body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def with_addresses(team):
    for user in team.users.values():
        user.email = f"{user.username}@acme.test"
        user.save(update_fields=["email"])
    return team


@pytest.fixture
def stocked(team):
    """Marcus owns an item due in 3 days with a milestone 2 days late; Olive one overdue since yesterday;
    one more is due in 60 days, which nobody needs telling about yet."""
    with_addresses(team)
    soon = make_item(team, title="Lock accounts", scheduled_in_days=3,
                     milestones=[("Draft the GPO", TODAY - timedelta(days=2))])
    late = make_item(team, requirements=("3.5.4",), title="MFA for remote access", primary_owner=team.owner2,
                     start_date=TODAY - timedelta(days=30))
    register.change_due_date(team.coordinator, late, TODAY - timedelta(days=1), reason="as agreed")
    make_item(team, requirements=("3.3.3",), title="Central log review", scheduled_in_days=60)
    return soon, late


def test_owners_and_the_coordinator_get_their_mail_once(team, stocked, smtp, settings):
    settings.PUNCHLIST_SITE_URL = "https://punchlist.acme.test"
    soon, late = stocked
    result = send_reminders(team.org)
    assert result.failed == [] and result.no_email == []

    (marcus,) = smtp.to("acme-owner@acme.test")
    assert marcus["Subject"] == "[Punchlist] Acme Machining: what you own is due"
    assert marcus["From"] == "punchlist@acme.test"
    text = body(marcus)
    assert f"{soon.identifier} Lock accounts: completion due {soon.scheduled_completion.isoformat()} (in 3 days)" \
        in text
    assert f"{soon.identifier} milestone “Draft the GPO”: overdue since {(TODAY - timedelta(days=2)).isoformat()} " \
           "(2 days)" in text
    assert f"https://punchlist.acme.test/o/acme-machining/items/{soon.identifier}/" in text
    assert "Your weekly update: https://punchlist.acme.test/o/acme-machining/reviews/weekly/" in text
    assert "Central log review" not in text and late.identifier not in text

    (olive,) = smtp.to("acme-owner2@acme.test")
    assert f"{late.identifier} MFA for remote access: completion overdue since" in body(olive)

    (digest,) = smtp.to("acme-coordinator@acme.test")
    assert digest["Subject"] == f"[Punchlist] Acme Machining: POA&M digest for the week of " \
                                f"{week_of(TODAY).isoformat()}"
    assert f"1 item overdue: {late.identifier}" in body(digest)
    assert f"1 item due within 7 days: {soon.identifier}" in body(digest)
    assert "1 milestone overdue" in body(digest) and "3 open items not updated this week" in body(digest)
    assert smtp.to("acme-admin@acme.test") == []  # there is a coordinator: the digest is theirs

    assert len(smtp.messages) == 3 and result.reminders == 4
    assert AuditEvent.objects.for_organization(team.org).filter(action="send_reminder").count() == 3
    assert chain.verify_chain(team.org).intact

    again = send_reminders(team.org)
    assert again.sent == [] and again.already_sent == 4 and len(smtp.messages) == 3


def test_a_new_state_is_a_new_reminder(team, stocked, smtp):
    soon, _ = stocked
    send_reminders(team.org)
    smtp.clear()
    later = TODAY + timedelta(days=4)  # Marcus's item is now overdue; his milestone was already reported
    send_reminders(team.org, as_of=later)
    (marcus,) = smtp.to("acme-owner@acme.test")
    assert body(marcus).count(f"- {soon.identifier}") == 1
    assert f"{soon.identifier} Lock accounts: completion overdue since" in body(marcus)
    assert smtp.to("acme-owner2@acme.test") == []
    new_week = week_of(later) != week_of(TODAY)
    assert len(smtp.to("acme-coordinator@acme.test")) == (1 if new_week else 0)


def test_the_closeout_clock_warns_at_90_60_and_30_days(team, smtp):
    with_addresses(team)
    assessment = register.create_assessment(team.coordinator, team.org, assessed_on=TODAY - timedelta(days=130),
                                            is_the_assessment_poam=True)
    item = make_item(team, scheduled_in_days=50, assessment=assessment)
    register.set_conditional_date(team.coordinator, assessment, TODAY - timedelta(days=120))  # 60 days left
    send_reminders(team.org)
    warned = {address: [m for m in smtp.to(address) if "closeout deadline" in m["Subject"]]
              for address in ("acme-coordinator@acme.test", "acme-owner@acme.test", "acme-owner2@acme.test")}
    assert [len(v) for v in warned.values()] == [1, 1, 0]  # the coordinator and the item's owner
    mail = warned["acme-owner@acme.test"][0]
    assert mail["Subject"] == "[Punchlist] Acme Machining: 60 days to the POA&M closeout deadline"
    deadline = (TODAY + timedelta(days=60)).isoformat()
    assert f"60 days left until the POA&M closeout deadline {deadline}" in body(mail)
    assert "1 item(s) still open" in body(mail) and "R-CLOSE-1" in body(mail)

    smtp.clear()
    send_reminders(team.org, as_of=TODAY + 1 * timedelta(days=1))  # still under 60: said already
    assert [m for _, m in smtp.messages if "closeout" in m["Subject"]] == []
    send_reminders(team.org, as_of=TODAY + timedelta(days=31))  # 29 days left
    subjects = {m["Subject"] for _, m in smtp.messages if "closeout" in m["Subject"]}
    assert subjects == {"[Punchlist] Acme Machining: 30 days to the POA&M closeout deadline"}
    smtp.clear()
    register.add_evidence(team.owner, item, name="gpo.txt", content=b"lockout 5/15\n")
    register.request_closure(team.owner, item)
    register.approve_closure(team.approver, item)
    send_reminders(team.org, as_of=TODAY + timedelta(days=61))  # expired, but nothing is open any more
    assert [m for _, m in smtp.messages if "closeout" in m["Subject"]] == []


def test_a_refused_mail_is_not_recorded_and_goes_out_next_time(team, stocked, smtp):
    smtp.refuse.add("acme-owner@acme.test")
    result = send_reminders(team.org)
    assert len(result.failed) == 1 and result.failed[0].startswith("acme-owner <acme-owner@acme.test>: ")
    assert smtp.to("acme-owner@acme.test") == [] and len(smtp.to("acme-owner2@acme.test")) == 1
    assert not SentReminder.objects.filter(recipient=team.owner).exists()
    smtp.refuse.clear()
    retry = send_reminders(team.org)
    assert [mail.recipient for mail, _ in retry.sent] == [team.owner]
    assert len(smtp.to("acme-owner@acme.test")) == 1


def test_people_without_an_address_are_named(team, stocked, smtp):
    team.owner2.email = ""
    team.owner2.save(update_fields=["email"])
    result = send_reminders(team.org)
    assert result.no_email == ["acme-owner2"]
    assert not SentReminder.objects.filter(recipient=team.owner2).exists()


def test_the_remind_command(team, stocked, smtp, capsys):
    assert main(["remind", "--org", "acme-machining", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would send owner mail to acme-owner <acme-owner@acme.test>: 2 reminders" in out
    assert "3 mails would send (4 reminders); 0 sent before" in out
    assert smtp.messages == [] and not SentReminder.objects.exists()

    assert main(["remind", "--org", "acme-machining"]) == 0
    out = capsys.readouterr().out
    assert "sent digest mail to acme-coordinator <acme-coordinator@acme.test>: 1 reminder" in out
    assert "3 mails sent (4 reminders); 0 sent before" in out and len(smtp.messages) == 3
    assert main(["remind"]) == 0
    assert "0 mails sent (0 reminders); 4 sent before" in capsys.readouterr().out

    assert main(["remind", "--org", "nobody"]) == 2
    assert "no organization 'nobody'; these exist: acme-machining" in capsys.readouterr().err


def test_the_remind_command_says_when_the_mail_server_is_down(team, stocked, settings, capsys):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # the discard port: nothing listens
    assert main(["remind"]) == 1
    assert "cannot reach the mail server 127.0.0.1:9" in capsys.readouterr().err
    assert not SentReminder.objects.exists()


def test_concurrent_runs_send_each_reminder_once(live_db, smtp):
    team = with_addresses(make_team("Acme Machining", "acme"))
    make_item(team, title="Lock accounts", scheduled_in_days=2)
    make_item(team, requirements=("3.5.4",), title="MFA", primary_owner=team.owner2, scheduled_in_days=5)
    errors = []
    barrier = threading.Barrier(3)

    def run():
        try:
            barrier.wait(timeout=30)
            send_reminders(team.org)
        except Exception as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sorted(recipients[0] for recipients, _ in smtp.messages) == [
        "acme-coordinator@acme.test", "acme-owner2@acme.test", "acme-owner@acme.test"]
    assert SentReminder.objects.count() == 3
    assert chain.verify_chain(team.org).intact
