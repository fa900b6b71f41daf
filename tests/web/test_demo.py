"""The demo organization: every role, items in every state, months of history written through the services
at their own dates, a verifiable audit trail; and `punchlist demo` serves it over HTTP."""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from django.db.models import F
from django.utils import timezone

from punchlist.audit.chain import verify_chain
from punchlist.audit.models import AuditEvent
from punchlist.orgs.models import Membership, Role
from punchlist.register.models import Evidence, Milestone, PoamItem, RequirementStatus, Status
from punchlist.web import demo
from punchlist.web.accounts import current_totp_code, totp_secret


@pytest.fixture
def seeded(db):
    return demo.seed()


def test_the_demo_has_every_role(seeded):
    roles = set(Membership.objects.filter(organization=seeded.organization).values_list("role", flat=True))
    assert roles == set(Role.values)
    owners = Membership.objects.filter(organization=seeded.organization, role=Role.OWNER, user__is_active=True)
    assert owners.count() >= 3
    # Everyone signs in with a second factor by default: each has an authenticator, whose secret the demo prints.
    assert set(seeded.secrets) == {person.username for person in demo.PEOPLE}
    for username in seeded.secrets:
        user = Membership.objects.get(organization=seeded.organization, user__username=username).user
        assert totp_secret(user) == seeded.secrets[username]
        assert re.fullmatch(r"\d{6}", current_totp_code(seeded.secrets[username]))


def test_the_demo_has_items_in_every_state_with_milestones_and_evidence(seeded):
    items = PoamItem.objects.for_organization(seeded.organization)
    assert items.count() == 14  # the 12 rows of src/punchlist/examples/ridgeline-poam.csv and two of the demo's own
    statuses = set(items.values_list("status", flat=True))
    assert {Status.OPEN, Status.IN_PROGRESS, Status.READY_FOR_VERIFICATION, Status.CLOSED} <= statuses
    for closed in items.filter(status=Status.CLOSED):
        assert closed.evidence.exists() and closed.verified_by_id not in (None, closed.primary_owner_id)
    assert Milestone.objects.filter(item__organization=seeded.organization, done_on__isnull=False).count() >= 8
    slipped = Milestone.objects.filter(item__organization=seeded.organization).exclude(due=F("original_due"))
    assert slipped.exists()
    assert Evidence.objects.filter(item__organization=seeded.organization).exclude(sha256="").count() >= 4
    assessment = seeded.organization.assessments.get()
    assert assessment.statuses.count() == 110
    assert RequirementStatus.objects.get(assessment=assessment, requirement="3.6.3").determination == "met"


def test_the_history_spans_months_at_its_own_dates(seeded):
    today = timezone.localdate()
    events = AuditEvent.objects.filter(organization=seeded.organization)
    first = events.order_by("seq").first().at
    assert first.date() <= today - timedelta(days=110)
    assert events.order_by("-seq").first().at < timezone.now()
    moments = list(events.order_by("seq").values_list("at", flat=True))
    assert moments == sorted(moments)  # the story never goes back in time
    actions = set(events.values_list("action", flat=True))
    assert {"import_item", "create_item", "change_status", "complete_milestone", "slip_milestone",
            "change_due_date", "add_evidence", "request_closure", "reject_closure", "approve_closure",
            "set_requirement_status", "add_member"} <= actions
    for event in events.filter(action__in=["slip_milestone", "change_due_date", "reject_closure"]):
        assert event.reason.strip()
    closed = PoamItem.objects.get(organization=seeded.organization, identifier="OPA-PS-001")
    approval = events.get(action="approve_closure", subject="OPA-PS-001")
    assert approval.at.date() == closed.completion_date == today - timedelta(days=67)
    assert closed.verified_at == approval.at and closed.created_at.date() == today - timedelta(days=110)
    assert verify_chain(seeded.organization).intact
    # The clock is the real one again.
    assert abs(timezone.now().timestamp() - time.time()) < 60


def test_seeding_again_changes_nothing(seeded):
    events = AuditEvent.objects.count()
    again = demo.seed()
    assert not again.created and again.organization == seeded.organization
    assert again.secrets == seeded.secrets
    assert AuditEvent.objects.count() == events


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_punchlist_demo_serves_over_http(tmp_path):
    port = _free_port()
    folder = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PUNCHLIST_", "DJANGO_"))}
    server = subprocess.Popen([sys.executable, "-m", "punchlist", "demo", "--data-dir", str(folder),
                               "--port", str(port), "--workers", "1"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 300
        page = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5) as response:
                    page = (response.status, response.read().decode())
                    break
            except OSError:
                time.sleep(0.5)
        assert page is not None, f"no answer on port {port}; exit {server.poll()}"
        assert page[0] == 200 and "Sign in to Punchlist" in page[1]
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=60)[0]
    assert server.returncode == 0, output
    assert f"address      http://127.0.0.1:{port}/" in output
    assert "marcus   secret " in output and "dana     secret " in output
    assert demo.PASSWORD in output
    # A worker for large imports and reports ran beside the server, and stopped with it.
    worker = re.search(r"Started `punchlist worker` for large imports and reports \(process (\d+)\)", output)
    assert worker, output
    assert not Path(f"/proc/{worker.group(1)}").exists() or "zombie" in Path(
        f"/proc/{worker.group(1)}/status").read_text().lower()
    assert (folder / "punchlist.sqlite3").is_file() and (folder / demo.MARKER).is_file()

    code = subprocess.run([sys.executable, "-m", "punchlist", "totp", "marcus", "--data-dir", str(folder)],
                          env=env, capture_output=True, text=True)
    assert code.returncode == 0 and re.match(r"\d{6} ", code.stdout), code.stderr
    again = subprocess.run([sys.executable, "-m", "punchlist", "demo", "--data-dir", str(folder), "--no-serve"],
                           env=env, capture_output=True, text=True)
    assert again.returncode == 0 and "Found the demo" in again.stdout, again.stderr


def test_every_closure_of_the_demo_keeps_separation_of_duties(seeded):
    """Each closed item was approved by someone who neither owns it, nor requested the closure, nor added its
    evidence: the rule the services enforce, checked again on what the demo wrote."""
    from punchlist.register.services.separation import approval_conflicts

    closed = PoamItem.objects.for_organization(seeded.organization).filter(status=Status.CLOSED, verified_by__isnull=False)
    assert closed.count() >= 2
    for item in closed:
        assert approval_conflicts(item, item.verified_by) == [], item.identifier


def test_the_demo_register_matches_its_audit_trail(seeded):
    """Four months of history through every service and an import: the replay of the trail finds every row as
    the trail says it is (no false alarm from `punchlist verify`)."""
    from punchlist.register.replay import replay

    assert replay(seeded.organization) == []
    assert verify_chain(seeded.organization).intact


def test_the_printed_totp_command_works_from_any_folder(tmp_path):
    """`make demo` runs in the repository and prints the command for a two-factor code; a person runs it from
    wherever their terminal is (here a sibling folder), so it must name the demo's folder in full."""
    made_in, elsewhere = tmp_path / "clone", tmp_path / "somewhere else"
    made_in.mkdir()
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PUNCHLIST_", "DJANGO_"))}
    shown = subprocess.run([sys.executable, "-m", "punchlist", "demo", "--no-serve"], cwd=made_in, env=env,
                           capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    printed = [line.strip() for line in shown.stdout.splitlines() if " totp marcus" in line]
    assert len(printed) == 1, shown.stdout
    argv = shlex.split(printed[0])
    assert argv[1:3] == ["totp", "marcus"] and "--data-dir" in argv
    code = subprocess.run([sys.executable, "-m", "punchlist", *argv[1:]], cwd=elsewhere, env=env,
                          capture_output=True, text=True)
    assert code.returncode == 0 and re.match(r"\d{6} ", code.stdout), code.stderr

    lost = subprocess.run([sys.executable, "-m", "punchlist", "totp", "marcus"], cwd=elsewhere, env=env,
                          capture_output=True, text=True)
    assert lost.returncode == 2 and "--data-dir" in lost.stderr and "Traceback" not in lost.stderr


def test_the_demo_has_a_provider_whose_portfolio_shows_its_clients(seeded):
    """Priya's managed-service provider runs two small clients of its own; Ridgeline's other people see none
    of it."""
    from django.contrib.auth import get_user_model

    from punchlist.orgs.models import Organization
    from punchlist.reports import portfolio

    harbor = Organization.objects.get(slug=demo.PROVIDER_SLUG)
    people = get_user_model().objects
    rows = portfolio.portfolio(harbor, people.get(username="priya"), as_of=timezone.localdate())
    assert [row.name for row in rows] == sorted(demo.PROVIDER_CLIENTS)
    assert all(row.overdue == 1 and row.verdict == "conditional" and row.previous_score == row.score
               for row in rows)
    assert portfolio.portfolio(harbor, people.get(username="marcus"), as_of=timezone.localdate()) == []
    assert verify_chain(harbor).intact
