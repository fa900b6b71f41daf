"""A person leaves the organization: their open items go to someone who stays, in the same step.

Removing a member used to leave their items answering to nobody (the assessor's check ``departed-person``
finds those). So the removal asks who takes over: each open item that names the person (as primary or
supporting owner, approval authority or evidence custodian) names the successor instead, through
``update_item`` (its permission, role and separation-of-duties checks, and its own audit event saying from whom
and why), and the membership goes in the same transaction. Closed items keep the name: the history stays true.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from punchlist.orgs import services as org_services
from punchlist.orgs.models import Membership
from punchlist.orgs.permissions import require

from ..errors import InvalidChange, RegisterError
from ..mapping import OPEN_STATUSES, person
from ..models import PoamItem
from .items import PEOPLE, update_item


def open_items_of(organization, user):
    """The organization's open items that name ``user`` in any of the four roles."""
    named = Q()
    for field in PEOPLE:
        named |= Q(**{field: user})
    return (PoamItem.objects.for_organization(organization).filter(named, status__in=OPEN_STATUSES)
            .select_related("organization", *PEOPLE).order_by("identifier"))


def remove_member(actor, membership: Membership, *, successor=None, reason: str = "",
                  version: int | None = None) -> list[PoamItem]:
    """Take a person out of the organization, handing each of their open items to ``successor`` first.

    Refused, with nothing changed, when they hold open items and no successor is named, when the successor is
    the person leaving or not a member, or when an item cannot take the successor in a role (the role's
    checks name the item), or when someone changed the membership since it was read at ``version``
    (``MembershipConflict``, as ``orgs.services.remove_member``). Returns the items handed over.
    """
    organization = membership.organization
    require(actor, "orgs.manage_members", organization)
    leaving = membership.user
    items = list(open_items_of(organization, leaving))
    if items and successor is None:
        raise InvalidChange(
            f"{person(leaving)} holds {len(items)} open item(s) ({_listed(items)}): choose who takes them over")
    if successor is not None and items:
        if successor.pk == leaving.pk:
            raise InvalidChange("the person leaving cannot take over their own items")
        if not Membership.objects.filter(organization=organization, user=successor).exists():
            raise InvalidChange(f"{person(successor)} is not a member of {organization.name}")
    because = f"{person(leaving)} leaves the organization" + (f": {reason}" if reason else "")
    with transaction.atomic():
        for item in items:
            changes = {field: successor for field in PEOPLE if getattr(item, f"{field}_id") == leaving.pk}
            try:
                update_item(actor, item, reason=f"Handed over to {person(successor)}; {because}", **changes)
            except RegisterError as exc:
                roles = ", ".join(field.replace("_", " ") for field in changes)
                raise InvalidChange(f"{item.identifier} cannot take {person(successor)} as {roles}: {exc}") from exc
        org_services.remove_member(actor, membership, reason=reason, version=version)
    return items


def _listed(items: list[PoamItem], limit: int = 5) -> str:
    names = [item.identifier for item in items[:limit]]
    return ", ".join(names) + (f" and {len(items) - limit} more" if len(items) > limit else "")
