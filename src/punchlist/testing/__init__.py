"""Builders for tests of the register and everything on top of it (web, interchange, reports).

Plain functions that go through the real services, so test data carries real audit events; the pytest
fixtures that use them live in the test folders' conftest modules.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from datetime import date, timedelta

from punchlist.orgs import services as org_services
from punchlist.orgs.models import Organization, Role
from punchlist.register import services
from punchlist.register.models import Kind, PoamItem

PASSWORD = "correct horse battery staple"
TOTP_MARGIN = 5  # seconds a code must have left in its window when a test types it

_last_codes: dict[str, str] = {}


def totp_code(secret: str, margin: float = TOTP_MARGIN) -> str:
    """The code an authenticator app shows now, as a person would type it: one with ``margin`` seconds left in
    its 30-second window (else the next one, waited for), since the server accepts only the current window's
    code and a code typed as the window ends is refused; and never a code already given for this secret in
    this run, which the server would refuse as replayed."""
    import time

    import pyotp

    totp = pyotp.TOTP(secret)
    while True:
        left = totp.interval - time.time() % totp.interval
        if left >= margin and (code := totp.now()) != _last_codes.get(secret):
            _last_codes[secret] = code
            return code
        time.sleep(left + 0.1)


@dataclass
class Team:
    """An organization with one person in each role (and a second owner and approver)."""

    org: Organization
    admin: object
    coordinator: object
    owner: object
    owner2: object
    approver: object
    approver2: object
    viewer: object
    users: dict = field(default_factory=dict)


def make_team(name: str, prefix: str) -> Team:
    admin = org_services.create_user(f"{prefix}-admin", password=PASSWORD, first_name="Ada", last_name=name)
    org = org_services.create_organization(name=name, first_admin=admin)
    users = {"admin": admin}
    for key, role, first in [("coordinator", Role.COORDINATOR, "Cora"), ("owner", Role.OWNER, "Marcus"),
                             ("owner2", Role.OWNER, "Olive"), ("approver", Role.APPROVER, "Priya"),
                             ("approver2", Role.APPROVER, "Paul"), ("viewer", Role.VIEWER, "Vic")]:
        user = org_services.create_user(f"{prefix}-{key}", password=PASSWORD, first_name=first, last_name="Lee")
        org_services.add_member(admin, org, user, role)
        users[key] = user
    return Team(org=org, users=users, **users)


def make_item(team: Team, *, requirements=("3.1.8",), title="Lock accounts after five failed logons",
              kind: str = Kind.ASSESSMENT_POAM, scheduled_in_days: int | None = 60, **fields) -> PoamItem:
    """An open, owned item with an approval authority, created by the coordinator."""
    today = date.today()
    values = {
        "primary_owner": team.owner,
        "approval_authority": team.approver,
        "evidence_custodian": team.owner,
        "weakness": "Domain accounts never lock, whatever the number of failed logons",
        "remediation": "Set the AD lockout policy to 5 attempts / 15 minutes by GPO; keep the GPO report "
                       "as evidence",
        "resources": "Half a day of the Windows administrator",
        "severity": "high",
        "start_date": today,
        "scheduled_completion": today + timedelta(days=scheduled_in_days) if scheduled_in_days else None,
        "status": "open",
    }
    values.update(fields)
    return services.create_item(team.coordinator, team.org, requirements=list(requirements), title=title,
                                kind=kind, **values)


def make_legacy_item(team: Team, *, requirements, **fields) -> PoamItem:
    """An assessment POA&M item for requirements that may never be on a POA&M (3.1.1, 3.12.4, ...), as a
    register holds one from before the services refused it: made for an eligible requirement of the same
    family where there is one, then pointed at ``requirements`` in the database. For tests of what pages and
    checks say about such an item; never a way around the services elsewhere."""
    from punchlist.core.catalog import load_catalog
    from punchlist.register.models import ItemRequirement

    from django.db import transaction

    from punchlist.core.scoring import poam_eligibility
    from punchlist.register.services.items import _next_identifier

    catalog = load_catalog()
    ids = [catalog.get(r).id for r in requirements]
    family = catalog.get(ids[0]).family
    stand_in = next((r.id for r in catalog.family(family) if poam_eligibility(r, False)[0]), "3.1.8")
    item = make_item(team, requirements=[stand_in], **fields)
    with transaction.atomic():
        ItemRequirement.objects.filter(item=item).delete()
        ItemRequirement.objects.bulk_create(ItemRequirement(item=item, requirement=r, position=i)
                                            for i, r in enumerate(ids))
        if family != item.family:
            PoamItem.objects.filter(pk=item.pk).update(
                family=family, identifier=_next_identifier(item.organization, family, item.kind))
    return PoamItem.objects.get(pk=item.pk)


def run_register_command(*argv: str) -> int:
    """``punchlist <argv>`` for the register's commands, in this process and on the test database."""
    from punchlist.register.cli import add_commands

    parser = argparse.ArgumentParser(prog="punchlist")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.run(args)
