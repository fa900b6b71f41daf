"""What every register service shares: the write transaction, checks of people and requirements, and the
snapshots that go into audit events."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date

from django.db import transaction
from django.utils import timezone

from punchlist.audit import chain
from punchlist.core.catalog import load_catalog
from punchlist.orgs.models import Membership, Role
from punchlist.orgs.permissions import APPROVERS

from ..errors import InvalidChange


def one_line(text: str) -> str:
    """A milestone's description as one line, its runs of white space made one space: workbooks and the
    FedRAMP template write a milestone per line, so a line break inside one would come back as two."""
    return " ".join((text or "").split())


@contextmanager
def writing(organization):
    """One transaction per service call, with the organization's audit chain locked first.

    Taking the chain head before anything else gives every writer of an organization the same lock order,
    serializes the audit chain (R: append-only, hash-linked) and makes identifier assignment race-free.
    """
    with transaction.atomic():
        yield chain.lock(organization)


def today() -> date:
    return timezone.localdate()


def requirement_ids(values) -> list[str]:
    """Catalog ids ("3.1.1") for the requirements as typed; an unknown one is refused by name."""
    if isinstance(values, str):
        values = [values]
    catalog = load_catalog()
    found: list[str] = []
    for value in values:
        requirement = catalog.find(str(value))
        if requirement is None:
            raise InvalidChange(f"{value!r} is not a NIST SP 800-171 Rev 2 requirement")
        if requirement.id not in found:
            found.append(requirement.id)
    return found


def objective_ids(values, requirements: list[str]) -> list[str]:
    """NOT MET objectives as "3.1.1[a]"; each must belong to one of the item's requirements."""
    catalog = load_catalog()
    result = []
    for value in values or []:
        found = catalog.objective(str(value))
        if found is None:
            raise InvalidChange(f"{value!r} is not a NIST SP 800-171A assessment objective such as 3.1.1[a]")
        if found.requirement not in requirements:
            raise InvalidChange(f"objective {value!r} belongs to {found.requirement}, which this item does not "
                                f"address ({', '.join(requirements)})")
        if found.id not in result:
            result.append(found.id)
    return result


def check_person(organization, user, field: str, roles=None):
    """A person named on an item must be a member of its organization, in a role that can do that job."""
    if user is None:
        return
    role = (Membership.objects.filter(organization=organization, user=user)
            .values_list("role", flat=True).first())
    if role is None:
        raise InvalidChange(f"{field}: {user.username} is not a member of {organization.name}")
    if roles is not None and Role(role) not in roles:
        allowed = ", ".join(sorted(r.label for r in roles))
        raise InvalidChange(f"{field}: {user.username} has the role {Role(role).label}; this needs one of: {allowed}")


PERSON_ROLES = {
    "primary_owner": {Role.ADMIN, Role.COORDINATOR, Role.OWNER, Role.APPROVER},
    "supporting_owner": {Role.ADMIN, Role.COORDINATOR, Role.OWNER, Role.APPROVER},
    "approval_authority": APPROVERS,
    "evidence_custodian": {Role.ADMIN, Role.COORDINATOR, Role.OWNER, Role.APPROVER},
}
