"""Who may do what, per organization and role, as `rules` predicates.

A predicate receives the user and an object that is either an Organization or has an ``organization``
attribute. Services ask ``require(user, "register.change_item", item)``; templates and views can ask
``user.has_perm`` the same question through rules' backend.
"""

from __future__ import annotations

import rules
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied

from .models import Membership, Organization, Role


class PermissionDenied(DjangoPermissionDenied):
    """The actor's role in the organization does not allow this action. Views answer 403 (or 404 for
    another organization's objects, which a restricted queryset never returns in the first place)."""


MANAGERS = frozenset({Role.ADMIN, Role.COORDINATOR})
WORKERS = frozenset({Role.ADMIN, Role.COORDINATOR, Role.OWNER, Role.APPROVER})
APPROVERS = frozenset({Role.ADMIN, Role.APPROVER})


def organization_of(obj) -> Organization | None:
    if obj is None:
        return None
    if isinstance(obj, Organization):
        return obj
    return getattr(obj, "organization", None)


def role_of(user, organization) -> Role | None:
    """The user's role in the organization, or None for a non-member. Cached on the user object for the
    request or command, so permission checks in a loop cost one query."""
    if user is None or organization is None or not getattr(user, "is_authenticated", False):
        return None
    cache = getattr(user, "_punchlist_roles", None)
    if cache is None:
        cache = {}
        user._punchlist_roles = cache
    key = organization.pk
    if key not in cache:
        role = (Membership.objects.filter(organization_id=key, user_id=user.pk)
                .values_list("role", flat=True).first())
        cache[key] = Role(role) if role else None
    return cache[key]


def forget_roles(user) -> None:
    """Drop the cached roles after a membership change."""
    if hasattr(user, "_punchlist_roles"):
        del user._punchlist_roles


def _role_in(roles):
    def check(user, obj):
        return role_of(user, organization_of(obj)) in roles
    return check


is_member = rules.predicate(lambda user, obj: role_of(user, organization_of(obj)) is not None, name="is_member")
is_admin = rules.predicate(_role_in({Role.ADMIN}), name="is_admin")
is_manager = rules.predicate(_role_in(MANAGERS), name="is_manager")
is_worker = rules.predicate(_role_in(WORKERS), name="is_worker")
is_approver_role = rules.predicate(_role_in(APPROVERS), name="is_approver_role")


def require(user, permission: str, obj) -> None:
    """Raise PermissionDenied, naming the action and the role, unless the user may do this."""
    if rules.has_perm(permission, user, obj):
        return
    organization = organization_of(obj)
    role = role_of(user, organization)
    who = getattr(user, "username", None) or "anonymous"
    if role is None:
        raise PermissionDenied(f"{who} is not a member of this organization")
    action = PLAIN_ACTIONS.get(permission) or permission.split('.', 1)[-1].replace('_', ' ')
    raise PermissionDenied(f"{who} ({role.label}) may not {action}")


# What a refusal says the person may not do, where the permission's own name would read like code.
PLAIN_ACTIONS = {
    "register.add_item": "add items or import a POA&M; a POA&M coordinator or an administrator does that",
}


rules.add_perm("orgs.view_organization", is_member)
rules.add_perm("orgs.change_organization", is_admin)
rules.add_perm("orgs.manage_members", is_admin)
rules.add_perm("orgs.view_membership", is_member)


def _provider_member(roles):
    def check(user, obj):
        organization = organization_of(obj)
        return (organization is not None and organization.is_provider
                and (role_of(user, organization) in roles if roles else role_of(user, organization) is not None))
    return check


# The portfolio: every member of a provider sees the clients they are members of; its administrators see every
# client's figures and create new clients (docs/architecture.md, "Managed-service providers").
is_provider_member = rules.predicate(_provider_member(None), name="is_provider_member")
is_provider_admin = rules.predicate(_provider_member({Role.ADMIN}), name="is_provider_admin")
rules.add_perm("orgs.view_portfolio", is_provider_member)
rules.add_perm("orgs.add_client", is_provider_admin)
