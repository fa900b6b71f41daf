"""Writes to organizations and memberships, each with its audit event in the same transaction."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.text import slugify

from punchlist.audit import chain

from .models import Membership, Organization, Role
from .permissions import forget_roles, require


class OrganizationError(Exception):
    """A refused change to an organization or its people."""


def create_organization(*, name: str, first_admin, slug: str = "") -> Organization:
    """A new organization with its first administrator (``punchlist init``). The admin is the actor."""
    name = (name or "").strip()
    if not name:
        raise OrganizationError("an organization needs a name")
    slug = slugify(slug or name)[:60]
    if not slug:
        raise OrganizationError(f"cannot make a short name from {name!r}; give a slug")
    with transaction.atomic():
        if Organization.objects.filter(slug=slug).exists():
            raise OrganizationError(f"an organization called {slug!r} exists already")
        organization = Organization.objects.create(name=name, slug=slug)
        head = chain.lock(organization)
        chain.record(organization=organization, actor=first_admin, action="create_organization",
                     obj=organization, after={"name": name, "slug": slug}, head=head)
        _add(first_admin, organization, first_admin, Role.ADMIN, head)
    return organization


def _add(actor, organization, user, role, head) -> Membership:
    membership = Membership.objects.create(organization=organization, user=user, role=Role(role))
    chain.record(organization=organization, actor=actor, action="add_member", obj=membership, head=head,
                 after={"user": user.pk, "username": user.username, "role": membership.role})
    forget_roles(user)
    return membership


def add_member(actor, organization, user, role: str) -> Membership:
    require(actor, "orgs.manage_members", organization)
    if role not in Role.values:
        raise OrganizationError(f"role {role!r} is not one of {', '.join(Role.values)}")
    with transaction.atomic():
        head = chain.lock(organization)
        if Membership.objects.filter(organization=organization, user=user).exists():
            raise OrganizationError(f"{user.username} is already a member of {organization.name}")
        return _add(actor, organization, user, role, head)


def change_role(actor, membership: Membership, role: str, *, reason: str = "") -> Membership:
    organization = membership.organization
    require(actor, "orgs.manage_members", organization)
    if role not in Role.values:
        raise OrganizationError(f"role {role!r} is not one of {', '.join(Role.values)}")
    with transaction.atomic():
        head = chain.lock(organization)
        fresh = Membership.objects.select_for_update().get(pk=membership.pk)
        if fresh.role == Role.ADMIN and role != Role.ADMIN and not Membership.objects.filter(
                organization=organization, role=Role.ADMIN).exclude(pk=fresh.pk).exists():
            raise OrganizationError("an organization keeps at least one administrator")
        before = fresh.role
        fresh.role = role
        fresh.save(update_fields=["role"])
        chain.record(organization=organization, actor=actor, action="change_role", obj=fresh, head=head,
                     before={"role": before}, after={"role": role}, reason=reason)
    forget_roles(fresh.user)
    forget_roles(membership.user)  # the caller's instance, which may carry the cached old role
    membership.role = role
    return membership


def remove_member(actor, membership: Membership, *, reason: str = "") -> None:
    """Take a person out of an organization. Items they are named on keep the name (the history stays
    true); a coordinator reassigns them. The last administrator cannot be removed."""
    organization = membership.organization
    require(actor, "orgs.manage_members", organization)
    with transaction.atomic():
        head = chain.lock(organization)
        fresh = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
        if fresh.role == Role.ADMIN and not Membership.objects.filter(
                organization=organization, role=Role.ADMIN).exclude(pk=fresh.pk).exists():
            raise OrganizationError("an organization keeps at least one administrator")
        chain.record(organization=organization, actor=actor, action="remove_member", obj=fresh, head=head,
                     before={"user": fresh.user_id, "username": fresh.user.username, "role": fresh.role},
                     reason=reason)
        fresh.delete()
    forget_roles(fresh.user)
    forget_roles(membership.user)


def create_user(username: str, *, password: str | None = None, email: str = "", first_name: str = "",
                last_name: str = ""):
    """A person who can sign in; they reach nothing until a membership gives them a role somewhere."""
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.create_user(username=username, password=password, email=email,
                                        first_name=first_name, last_name=last_name)
        chain.record(organization=None, actor=None, action="create_user", obj=user,
                     after={"username": username, "email": email, "first_name": first_name,
                            "last_name": last_name})
    return user
