"""Builders for tests of a managed-service provider's portfolio (the page, its CSV file and the API): a
provider with its administrator, and clients made through the New client service, with items and a
self-assessment when a test needs figures."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from punchlist.core import records
from punchlist.core.catalog import load_catalog
from punchlist.orgs import services as org_services
from punchlist.orgs.models import Invitation, Role
from punchlist.register.imports import import_assessment

from . import Team, make_item, make_team


def make_provider(name: str = "Shield MSP", slug: str = "msp") -> Team:
    """A team whose organization is a provider (its administrator marked it one)."""
    team = make_team(name, slug)
    org_services.make_provider(team.admin, team.org)
    return team


def make_client(provider: Team, name: str, *, items: int = 0):
    """A client of ``provider`` made by its administrator; with ``items``, a coordinator, owner and approver
    join it, it gets that many items (the first overdue) and a self-assessment with 3.1.8 NOT MET."""
    client, _ = org_services.create_client(provider.admin, provider.org, name=name)
    if items:
        staff = make_team(f"{name} staff", f"staff{client.pk}")
        for person, role in ((staff.coordinator, Role.COORDINATOR), (staff.owner, Role.OWNER),
                             (staff.approver, Role.APPROVER)):
            org_services.invite_member(provider.admin, client, person.username, role)
            org_services.accept_invitation(person, Invitation.objects.get(organization=client,
                                                                          username=person.username))
        staff.org, staff.admin = client, provider.admin
        for n in range(items):
            make_item(staff, scheduled_in_days=n * 10 - 5, start_date=timezone.localdate() - timedelta(days=30))
        results = [records.RequirementResult(r.id, records.Determination.NOT_MET if r.id == "3.1.8"
                                             else records.Determination.MET, implementation="How")
                   for r in load_catalog()]
        import_assessment(provider.admin, client, results, assessed_on=timezone.localdate(), file="sa.xlsx")
    return client


def forget_figures() -> None:
    """Figures kept in the process (the portfolio's and the register's) belong to one test's database."""
    from punchlist.reports import portfolio
    from punchlist.web import queries

    portfolio.forget()
    queries.forget()
