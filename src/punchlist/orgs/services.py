"""Writes to organizations and memberships, each with its audit event in the same transaction."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.text import slugify

from punchlist.audit import chain, locking
from punchlist.audit.locking import StaleWrite

from .models import Invitation, Membership, Organization, Role
from .permissions import forget_roles, require


class OrganizationError(Exception):
    """A refused change to an organization or its people."""


class MembershipConflict(StaleWrite, OrganizationError):
    """Someone changed (or removed) the membership since the administrator opened it."""


def _locked_membership(membership: Membership, version: int | None) -> Membership:
    return locking.locked(Membership.objects.select_related("user"), membership, version,
                          refuse=_membership_conflict)


def _membership_conflict(fresh: Membership | None, expected: int) -> MembershipConflict:
    if fresh is None:
        raise OrganizationError("this person was removed from the organization since you opened the page")
    changes, by = locking.changes_since(Membership, fresh.pk, expected)
    return MembershipConflict(fresh, expected, changes, by, subject=f"the membership of {fresh.user.username}")


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
    """Someone who belongs to no organization yet (a person just created) joins this one. Anyone who belongs
    to another organization is invited instead (``invite_member``): nobody is pulled into an organization,
    or into its obligations, without agreeing."""
    require(actor, "orgs.manage_members", organization)
    if role not in Role.values:
        raise OrganizationError(f"role {role!r} is not one of {', '.join(Role.values)}")
    with transaction.atomic():
        head = chain.lock(organization)
        if Membership.objects.filter(organization=organization, user=user).exists():
            raise OrganizationError(f"{user.username} is already a member of {organization.name}")
        if Membership.objects.filter(user=user).exists():
            raise OrganizationError(f"{user.username} belongs to another organization; invite them, and they "
                                    "join when they accept")
        return _add(actor, organization, user, role, head)


def invite_member(actor, organization, username: str, role: str) -> Invitation:
    """Offer ``role`` in ``organization`` to whoever signs in as ``username``; they join when they accept.

    The answer is the same whether or not anyone signs in under that name (an invitation to nobody is simply
    never answered), so an administrator of one organization cannot learn the usernames of others."""
    require(actor, "orgs.manage_members", organization)
    if role not in Role.values:
        raise OrganizationError(f"role {role!r} is not one of {', '.join(Role.values)}")
    username = (username or "").strip().lower()
    if not username:
        raise OrganizationError("an invitation needs the username the person signs in with")
    with transaction.atomic():
        head = chain.lock(organization)
        if Membership.objects.filter(organization=organization, user__username__iexact=username).exists():
            raise OrganizationError(f"{username} is already a member of {organization.name}")
        if Invitation.objects.filter(organization=organization, username=username).exists():
            raise OrganizationError(f"{username} is invited already; withdraw that invitation to change it")
        user = get_user_model().objects.filter(username__iexact=username, is_active=True).first()
        invitation = Invitation.objects.create(organization=organization, username=username, user=user,
                                               role=Role(role), invited_by=actor)
        chain.record(organization=organization, actor=actor, action="invite_member", obj=invitation, head=head,
                     subject=username, after={"username": username, "role": invitation.role})
    return invitation


def _pending(invitation: Invitation) -> Invitation:
    fresh = Invitation.objects.select_for_update().filter(pk=invitation.pk).first()
    if fresh is None:
        raise OrganizationError("this invitation was answered or withdrawn already")
    return fresh


def accept_invitation(person, invitation: Invitation) -> Membership:
    """The invited person joins with the role offered (from now on its obligations apply, such as a second
    factor for administrators and approvers)."""
    if invitation.user_id is None or invitation.user_id != getattr(person, "pk", None):
        raise OrganizationError("this invitation is not yours")
    organization = invitation.organization
    with transaction.atomic():
        head = chain.lock(organization)
        fresh = _pending(invitation)
        if Membership.objects.filter(organization=organization, user=person).exists():
            raise OrganizationError(f"you are already a member of {organization.name}")
        chain.record(organization=organization, actor=person, action="accept_invitation", obj=fresh, head=head,
                     subject=fresh.username, after={"username": person.username, "role": fresh.role,
                                                    "invited_by": fresh.invited_by_id})
        fresh.delete()
        return _add(person, organization, person, fresh.role, head)


def decline_invitation(person, invitation: Invitation) -> None:
    if invitation.user_id is None or invitation.user_id != getattr(person, "pk", None):
        raise OrganizationError("this invitation is not yours")
    organization = invitation.organization
    with transaction.atomic():
        head = chain.lock(organization)
        fresh = _pending(invitation)
        chain.record(organization=organization, actor=person, action="decline_invitation", obj=fresh, head=head,
                     subject=fresh.username, before={"username": fresh.username, "role": fresh.role})
        fresh.delete()


def withdraw_invitation(actor, invitation: Invitation, *, reason: str = "") -> None:
    organization = invitation.organization
    require(actor, "orgs.manage_members", organization)
    with transaction.atomic():
        head = chain.lock(organization)
        fresh = _pending(invitation)
        chain.record(organization=organization, actor=actor, action="withdraw_invitation", obj=fresh, head=head,
                     subject=fresh.username, before={"username": fresh.username, "role": fresh.role},
                     reason=reason)
        fresh.delete()


def change_role(actor, membership: Membership, role: str, *, reason: str = "",
                version: int | None = None) -> Membership:
    """Give a member another role; refused (MembershipConflict) if someone changed the membership since
    the administrator read ``version``."""
    organization = membership.organization
    require(actor, "orgs.manage_members", organization)
    if role not in Role.values:
        raise OrganizationError(f"role {role!r} is not one of {', '.join(Role.values)}")
    with transaction.atomic():
        head = chain.lock(organization)
        fresh = _locked_membership(membership, version)
        if fresh.role == Role.ADMIN and role != Role.ADMIN and not Membership.objects.filter(
                organization=organization, role=Role.ADMIN).exclude(pk=fresh.pk).exists():
            raise OrganizationError("an organization keeps at least one administrator")
        before = fresh.role
        fresh.role = role
        locking.bump(fresh)
        fresh.save(update_fields=["role", "version"])
        chain.record(organization=organization, actor=actor, action="change_role", obj=fresh, head=head,
                     before={"role": before, "version": fresh.version - 1},
                     after={"role": role, "version": fresh.version}, reason=reason)
    forget_roles(fresh.user)
    forget_roles(membership.user)  # the caller's instance, which may carry the cached old role
    membership.role, membership.version = role, fresh.version
    return membership


def remove_member(actor, membership: Membership, *, reason: str = "", version: int | None = None) -> None:
    """Take a person out of an organization. Items they are named on keep the name (the history stays
    true); a coordinator reassigns them. The last administrator cannot be removed. Refused
    (MembershipConflict) if someone changed the membership since the administrator read ``version``."""
    organization = membership.organization
    require(actor, "orgs.manage_members", organization)
    with transaction.atomic():
        head = chain.lock(organization)
        fresh = _locked_membership(membership, version)
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


def add_new_member(actor, organization, *, username: str, role: str, password: str, email: str = "",
                   first_name: str = "", last_name: str = "") -> Membership:
    """A new person created by an administrator straight into the organization (People screen), with a
    password the caller generated, shows once and marks for change at the first sign-in (3.5.9). Usernames
    are unique whatever their case, since sign-in does not tell case apart."""
    require(actor, "orgs.manage_members", organization)
    if role not in Role.values:
        raise OrganizationError(f"role {role!r} is not one of {', '.join(Role.values)}")
    username = (username or "").strip()
    if not username:
        raise OrganizationError("a new person needs a username")
    User = get_user_model()
    with transaction.atomic():
        head = chain.lock(organization)
        if User.objects.filter(username__iexact=username).exists():
            raise OrganizationError(f"the username {username!r} is taken; choose another, or add that person as "
                                    "someone who already has an account")
        user = User.objects.create_user(username=username, password=password, email=email,
                                        first_name=first_name, last_name=last_name)
        chain.record(organization=organization, actor=actor, action="create_user", obj=user, head=head,
                     after={"username": username, "email": email, "first_name": first_name,
                            "last_name": last_name, "one_time_password": True})
        return _add(actor, organization, user, role, head)


def set_one_time_password(actor, membership: Membership, password: str, *, reason: str = "") -> None:
    """An administrator gives a member a new one-time password (a forgotten one). Only for people who belong
    to this organization alone: an administrator of one client may not take over the account of a consultant
    who also works for others. The person's open sessions end with the old password."""
    organization = membership.organization
    require(actor, "orgs.manage_members", organization)
    with transaction.atomic():
        head = chain.lock(organization)
        fresh = Membership.objects.select_related("user").get(pk=membership.pk)
        user = fresh.user
        if user.pk == getattr(actor, "pk", None):
            raise OrganizationError("change your own password on the Security page")
        if Membership.objects.filter(user=user).exclude(organization=organization).exists():
            raise OrganizationError(f"{user.username} also belongs to other organizations; they change their "
                                    "password themselves")
        user.set_password(password)
        user.save(update_fields=["password"])
        chain.record(organization=organization, actor=actor, action="set_one_time_password", obj=user,
                     subject=user.username, head=head, after={"username": user.username}, reason=reason)


def set_ssp_href(actor, organization, href: str, *, reason: str = "") -> Organization:
    """Name the organization's OSCAL SSP (a URL or a relative path), which its OSCAL POA&M then imports."""
    require(actor, "orgs.change_organization", organization)
    href = (href or "").strip()
    if len(href) > 500 or any(c.isspace() for c in href):
        raise OrganizationError("the SSP's location is one URL or path, without spaces, of at most 500 characters")
    with transaction.atomic():
        head = chain.lock(organization)
        fresh = Organization.objects.select_for_update().get(pk=organization.pk)
        before = fresh.ssp_href
        fresh.ssp_href = href
        fresh.save(update_fields=["ssp_href"])
        chain.record(organization=organization, actor=actor, action="set_ssp_href", obj=fresh, head=head,
                     before={"ssp_href": before}, after={"ssp_href": href}, reason=reason)
    organization.ssp_href = href
    return organization


# --- managed-service providers ------------------------------------------------------------------------------------

def make_provider(actor, organization, *, reason: str = "") -> Organization:
    """Mark an organization as a managed-service provider, whose administrators then see the portfolio of its
    clients and create new ones. Its own administrators decide it; a client cannot be a provider."""
    require(actor, "orgs.change_organization", organization)
    with transaction.atomic():
        head = chain.lock(organization)
        fresh = Organization.objects.select_for_update().get(pk=organization.pk)
        if fresh.provider_id is not None:
            raise OrganizationError(f"{fresh.name} is a client of another provider; it cannot run clients itself")
        if not fresh.is_provider:
            fresh.is_provider = True
            fresh.save(update_fields=["is_provider"])
            chain.record(organization=fresh, actor=actor, action="make_provider", obj=fresh, head=head,
                         before={"is_provider": False}, after={"is_provider": True}, reason=reason)
    organization.is_provider = True
    return organization


def _record_client(actor, provider, client, heads, *, action: str, reason: str = "") -> None:
    """The client's link to its provider, in both organizations' audit trails."""
    after = {"provider": provider.pk, "provider_name": provider.name, "client": client.pk, "client_name": client.name}
    for organization in (provider, client):
        chain.record(organization=organization, actor=actor, action=action, obj=client, head=heads[organization.pk],
                     subject=client.name, after=after, reason=reason)


def _locked_heads(*organizations) -> dict:
    """The chains of several organizations, always taken in the same order so two writers never deadlock."""
    return {organization.pk: chain.lock(organization)
            for organization in sorted(organizations, key=lambda organization: organization.pk)}


def attach_client(actor, provider, client, *, reason: str = "") -> Organization:
    """Put an existing organization under a provider. Both sides agree: the actor administers the provider and
    the client alike (an operator sets it up on the server; a provider cannot claim someone else's tenant)."""
    require(actor, "orgs.add_client", provider)
    require(actor, "orgs.change_organization", client)
    if client.pk == provider.pk:
        raise OrganizationError("an organization cannot be its own client")
    with transaction.atomic():
        heads = _locked_heads(provider, client)
        fresh = Organization.objects.select_for_update().get(pk=client.pk)
        if fresh.is_provider:
            raise OrganizationError(f"{fresh.name} is a provider; a provider is nobody's client")
        if fresh.provider_id == provider.pk:
            raise OrganizationError(f"{fresh.name} is a client of {provider.name} already")
        if fresh.provider_id is not None:
            raise OrganizationError(f"{fresh.name} is a client of another provider; that provider lets it go first")
        fresh.provider = provider
        fresh.save(update_fields=["provider"])
        _record_client(actor, provider, fresh, heads, action="attach_client", reason=reason)
    client.provider = provider
    return client


def create_client(actor, provider, *, name: str, slug: str = "", coordinator: str = "") -> tuple[Organization,
                                                                                                    Invitation | None]:
    """A new client organization run by ``provider``: the provider administrator who creates it is its first
    administrator, and the client's POA&M coordinator (``coordinator``, the username they sign in with) is
    invited, joining when they accept. All in one transaction: a refused invitation creates nothing."""
    require(actor, "orgs.add_client", provider)
    with transaction.atomic():
        client = create_organization(name=name, slug=slug, first_admin=actor)
        heads = _locked_heads(provider, client)
        client.provider = provider
        client.save(update_fields=["provider"])
        _record_client(actor, provider, client, heads, action="create_client")
        invitation = None
        if (coordinator or "").strip():
            invitation = invite_member(actor, client, coordinator, Role.COORDINATOR)
    return client, invitation
