"""Managed-service providers: a provider, its clients and the portfolio's figures, through the services, on
SQLite and PostgreSQL. Who sees which client is least privilege: a provider's administrators every client's
figures, its other members their own clients' only, a client's people nothing of the provider's list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from punchlist.audit.models import AuditEvent
from punchlist.core import records
from punchlist.core.catalog import load_catalog
from punchlist.orgs import services as org_services
from punchlist.orgs.models import Invitation, Membership, Organization, Role
from punchlist.orgs.permissions import PermissionDenied
from punchlist.orgs.services import OrganizationError
from punchlist.register.imports import import_assessment
from punchlist.reports import portfolio
from punchlist.rhythm.services import monthly
from punchlist.testing import PASSWORD, make_item, make_team
from punchlist.testing.providers import forget_figures, make_provider
from punchlist.web import queries


@pytest.fixture(autouse=True)
def fresh_portfolio():
    forget_figures()
    yield
    forget_figures()


@pytest.fixture
def provider(db):
    return make_provider()


def _client(provider, name, coordinator=""):
    return org_services.create_client(provider.admin, provider.org, name=name, coordinator=coordinator)


def test_provider_admin_creates_a_client_whose_coordinator_is_invited(provider):
    coordinator = org_services.create_user("cora-client", password=PASSWORD)
    client, invitation = _client(provider, "Acme Machining", coordinator="Cora-Client")
    assert client.provider_id == provider.org.pk and not client.is_provider
    assert Membership.objects.get(organization=client, user=provider.admin).role == Role.ADMIN
    assert (invitation.username, invitation.role, invitation.user) == ("cora-client", Role.COORDINATOR, coordinator)
    assert not Membership.objects.filter(organization=client, user=coordinator).exists()  # until they accept
    org_services.accept_invitation(coordinator, invitation)
    assert Membership.objects.get(organization=client, user=coordinator).role == Role.COORDINATOR
    # Both audit trails say so.
    for organization in (provider.org, client):
        event = AuditEvent.objects.get(organization=organization, action="create_client")
        assert event.after["client_name"] == "Acme Machining" and event.actor_id == provider.admin.pk
    assert AuditEvent.objects.filter(organization=client, action="invite_member").exists()


def test_only_a_provider_administrator_creates_clients(provider, db):
    for person in (provider.coordinator, provider.viewer):
        with pytest.raises(PermissionDenied):
            org_services.create_client(person, provider.org, name="Not Made")
    plain = make_team("Plain Works", "plain")  # an administrator, but of an organization that is no provider
    with pytest.raises(PermissionDenied):
        org_services.create_client(plain.admin, plain.org, name="Not Made")
    assert not Organization.objects.filter(name="Not Made").exists()


def test_a_refused_invitation_creates_no_client(provider):
    _client(provider, "Acme Machining")
    with pytest.raises(OrganizationError, match="exists already"):
        _client(provider, "Acme Machining")
    assert Organization.objects.filter(name="Acme Machining").count() == 1


def test_attach_needs_both_sides_and_one_provider(provider, db):
    other = make_team("Rival Fabrication", "rival")
    with pytest.raises(PermissionDenied):  # the provider's admin is no administrator of the rival
        org_services.attach_client(provider.admin, provider.org, other.org)
    org_services.add_member(other.admin, other.org, org_services.create_user("both", password=PASSWORD),
                            Role.ADMIN)
    both = Membership.objects.get(organization=other.org, user__username="both").user
    org_services.invite_member(provider.admin, provider.org, "both", Role.ADMIN)
    org_services.accept_invitation(both, Invitation.objects.get(username="both"))
    org_services.attach_client(both, provider.org, other.org, reason="signed the contract")
    other.org.refresh_from_db()
    assert other.org.provider_id == provider.org.pk
    assert AuditEvent.objects.get(organization=other.org, action="attach_client").reason == "signed the contract"
    with pytest.raises(OrganizationError, match="already"):
        org_services.attach_client(both, provider.org, other.org)
    with pytest.raises(OrganizationError, match="client of another provider"):
        org_services.make_provider(other.admin, other.org)


def test_a_provider_is_nobody_s_client(provider, db):
    second = make_team("Second MSP", "second")
    org_services.make_provider(second.admin, second.org)
    org_services.invite_member(second.admin, second.org, provider.admin.username, Role.ADMIN)
    org_services.accept_invitation(provider.admin, Invitation.objects.get(username=provider.admin.username))
    with pytest.raises(OrganizationError, match="nobody's client"):
        org_services.attach_client(provider.admin, provider.org, second.org)


def test_who_sees_which_client(provider, db):
    acme, _ = _client(provider, "Acme Machining")
    bolt, _ = _client(provider, "Bolt Works")
    # A provider's coordinator who works for Acme only.
    org_services.invite_member(provider.admin, acme, provider.coordinator.username, Role.COORDINATOR)
    org_services.accept_invitation(provider.coordinator,
                                   Invitation.objects.get(organization=acme, username=provider.coordinator.username))
    today = timezone.localdate()

    def names(user, organization=provider.org):
        return [row.name for row in portfolio.portfolio(organization, user, as_of=today)]

    assert names(provider.admin) == ["Acme Machining", "Bolt Works"]
    assert names(provider.coordinator) == ["Acme Machining"]
    assert names(provider.viewer) == []
    # Acme's own people see nothing of the provider's list, asked through either organization.
    acme_owner = org_services.create_user("acme-own", password=PASSWORD)
    org_services.add_member(provider.admin, acme, acme_owner, Role.OWNER)
    assert names(acme_owner) == [] and names(acme_owner, acme) == []
    assert not acme_owner.has_perm("orgs.view_portfolio", provider.org)
    assert not provider.admin.has_perm("orgs.view_portfolio", acme)  # a client has no portfolio
    # Another provider's administrator sees none of these clients.
    second = make_team("Second MSP", "second")
    org_services.make_provider(second.admin, second.org)
    assert names(second.admin, provider.org) == [] and names(second.admin, second.org) == []


def _staffed(provider, client):
    """People of their own for the client (a coordinator, an owner, an approver), as a Team over it."""
    team = make_team("Acme staff", f"staff{client.pk}")
    for person, role in ((team.coordinator, Role.COORDINATOR), (team.owner, Role.OWNER),
                         (team.approver, Role.APPROVER)):
        org_services.invite_member(provider.admin, client, person.username, role)
        org_services.accept_invitation(person, Invitation.objects.get(organization=client,
                                                                      username=person.username))
    team.org, team.admin = client, provider.admin
    return team


def _assessment(team, not_met=("3.1.8",), on=None):
    catalog = load_catalog()
    results = [records.RequirementResult(r.id, records.Determination.NOT_MET if r.id in not_met
                                         else records.Determination.MET, implementation=f"How {r.id} is met")
               for r in catalog]
    return import_assessment(team.admin, team.org, results, assessed_on=on or timezone.localdate(), file="sa.xlsx")


def test_figures_are_the_register_s(provider, clock):
    """Score, verdict, closeout and the overdue and stale counts of a client are those its own screens give:
    the monthly review's score, the closeout banner's clock, the register's overdue filter and the lint's
    stale-item findings."""
    client, _ = _client(provider, "Acme Machining")
    team = _staffed(provider, client)
    clock.move_to(timezone.now() - timedelta(days=60))
    old = [make_item(team, scheduled_in_days=days) for days in (10, 20, 200)]
    clock.move_to(timezone.now() + timedelta(days=60))
    fresh = make_item(team, scheduled_in_days=5)
    from punchlist.register.services.items import update_item

    worked = make_item(team, scheduled_in_days=None, status_date=timezone.localdate() - timedelta(days=90))
    update_item(team.coordinator, worked, title="Lock accounts after five failed logons, on every host")
    make_item(team, scheduled_in_days=None, status_date=timezone.localdate() - timedelta(days=45))
    assessment = _assessment(team, not_met=("3.1.8", "3.5.3"))
    from punchlist.register.services.assessments import set_conditional_date

    set_conditional_date(provider.admin, assessment, timezone.localdate() - timedelta(days=10))
    today = timezone.localdate()
    [row] = portfolio.portfolio(provider.org, provider.admin, as_of=today)

    from punchlist.rhythm.agenda import closeout_status, score_now

    _, score, verdict = score_now(client)
    assert (row.score, row.verdict) == (score, verdict)
    clock_now = closeout_status(client, today)
    assert (row.conditional_date.isoformat(), row.closeout_deadline.isoformat(), row.closeout_days_left) == (
        clock_now["conditional_date"], clock_now["deadline"], clock_now["days_left"])
    index = queries.register_index(client, as_of=today)
    assert row.overdue == len([r for r in index.rows if "overdue" in r.checks]) == 2
    # Stale: the three untouched for 60 days and the one whose file gave a status date 45 days ago; not the
    # one changed today in the register, whatever its file said.
    assert row.stale == len([r for r in index.rows if "stale-item" in r.checks]) == 4
    assert row.open_items == 6
    assert row.next_deadline == fresh.scheduled_completion
    assert row.next_deadline_what == f"{fresh.identifier} scheduled completion"
    assert row.due_soon == 1
    assert row.last_review is None and row.previous_score is None and row.trend is None


def test_trend_and_last_review(provider, clock):
    client, _ = _client(provider, "Acme Machining")
    team = _staffed(provider, client)
    clock.move_to(timezone.now() - timedelta(days=40))
    _assessment(team, not_met=("3.1.8", "3.1.9", "3.1.10"))
    monthly.take_snapshot(client, actor=provider.admin)
    monthly.record_review(provider.admin, client, held_on=timezone.localdate(), decisions="Keep going",
                          attendees=[provider.admin])
    clock.move_to(timezone.now() + timedelta(days=40))
    _assessment(team, not_met=("3.1.8",))
    today = timezone.localdate()
    [row] = portfolio.portfolio(provider.org, provider.admin, as_of=today)
    before = today - timedelta(days=40)
    assert row.previous_month == before.replace(day=1)
    assert row.trend == row.score - row.previous_score > 0
    assert row.last_review == before


def test_figures_follow_every_write(provider, db):
    """Figures kept in the process are never shown after the client's register changed."""
    client, _ = _client(provider, "Acme Machining")
    today = timezone.localdate()
    [row] = portfolio.portfolio(provider.org, provider.admin, as_of=today)
    assert (row.open_items, row.verdict) == (0, portfolio.NO_VERDICT)
    team = _staffed(provider, client)
    make_item(team, scheduled_in_days=10)
    [row] = portfolio.portfolio(provider.org, provider.admin, as_of=today)
    assert (row.open_items, row.overdue, row.due_soon) == (1, 0, 1)
    [row] = portfolio.portfolio(provider.org, provider.admin, as_of=today + timedelta(days=11))  # another day
    assert (row.open_items, row.overdue, row.due_soon) == (1, 1, 0)


def test_filters_and_order(provider, db):
    names = ["Bolt Works", "Acme Machining", "Cobalt Tools"]
    for name in names:
        _client(provider, name)
    rows = portfolio.portfolio(provider.org, provider.admin, as_of=timezone.localdate())
    assert [r.name for r in rows] == sorted(names)
    chosen = portfolio.PortfolioFilter.from_query({"q": "co", "sort": "review", "verdict": "nonsense"})
    assert chosen.verdict == "" and [r.name for r in chosen.apply(rows)] == ["Cobalt Tools"]
    assert portfolio.PortfolioFilter.from_query({"attention": "overdue"}).apply(rows) == []
    assert [r.name for r in portfolio.PortfolioFilter.from_query({"verdict": "no assessment"}).apply(rows)] == \
        sorted(names)


def test_the_next_deadline_may_be_a_milestone(provider, db):
    from punchlist.register.services import milestones as milestone_services

    client, _ = _client(provider, "Acme Machining")
    team = _staffed(provider, client)
    item = make_item(team, scheduled_in_days=60)
    today = timezone.localdate()
    milestone_services.add_milestone(team.coordinator, item, "Buy the tokens", today + timedelta(days=3))
    milestone_services.add_milestone(team.coordinator, item, "Enrol the staff", today + timedelta(days=30))
    [row] = portfolio.portfolio(provider.org, provider.admin, as_of=today)
    assert (row.next_deadline, row.next_deadline_what) == (today + timedelta(days=3),
                                                           f"{item.identifier} milestone: Buy the tokens")
    assert row.due_soon == 1  # the milestone in three days; the other and the completion are further off


def test_the_sql_stale_rule_is_last_updated_s(team):
    """``details.updated_before_in_sql`` finds exactly the items whose ``last_updated`` is before the day, in
    every case the rule has: no status date, an item as imported, one changed after or before its status date,
    a change on the line's day itself."""
    from datetime import UTC, date, datetime

    from punchlist.register.details import last_updated, updated_before_in_sql
    from punchlist.register.models import PoamItem

    day = date(2026, 10, 1)
    cases = [(None, datetime(2026, 9, 30, 23, 59, tzinfo=UTC), 1),
             (None, datetime(2026, 10, 1, 0, 0, tzinfo=UTC), 3),
             (date(2026, 9, 1), datetime(2026, 11, 1, tzinfo=UTC), 1),
             (date(2026, 9, 1), datetime(2026, 11, 1, tzinfo=UTC), 2),
             (date(2026, 9, 1), datetime(2026, 9, 15, tzinfo=UTC), 2),
             (date(2026, 9, 20), datetime(2026, 9, 5, tzinfo=UTC), 4),
             (date(2026, 10, 1), datetime(2026, 9, 5, tzinfo=UTC), 1),
             (date(2026, 12, 1), datetime(2026, 9, 5, tzinfo=UTC), 2)]
    expected = set()
    for status_date, updated_at, version in cases:
        item = make_item(team)
        PoamItem.objects.filter(pk=item.pk).update(status_date=status_date, updated_at=updated_at, version=version)
        found = last_updated(status_date, updated_at, version)
        if found is not None and found < day:
            expected.add(item.pk)
    matched = set(PoamItem.objects.filter(organization=team.org).filter(updated_before_in_sql(day))
                  .values_list("pk", flat=True))
    assert matched == expected and 0 < len(expected) < len(cases)
