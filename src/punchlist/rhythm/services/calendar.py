"""Private calendar feeds: a secret address per person and organization, made, replaced and revoked here.

Only the token's SHA-256 is kept, like a password: the address is shown once, when it is made.
"""

from __future__ import annotations

import hashlib
import secrets

from django.utils import timezone

from punchlist.audit import chain
from punchlist.orgs.permissions import require
from punchlist.register.services._common import writing

from ..models import CalendarFeed


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _revoke(actor, organization) -> int:
    return (CalendarFeed.objects.for_organization(organization).filter(user=actor, revoked_at=None)
            .update(revoked_at=timezone.now()))


def create_feed(actor, organization) -> tuple[CalendarFeed, str]:
    """A new private feed for ``actor``; any earlier one stops working. Returns the feed and its token."""
    require(actor, "rhythm.use_calendar", organization)
    token = secrets.token_urlsafe(32)
    with writing(organization) as head:
        replaced = _revoke(actor, organization)
        feed = CalendarFeed.objects.create(organization=organization, user=actor, token_hash=token_hash(token))
        chain.record(organization=organization, actor=actor, action="create_calendar_feed", obj=feed, head=head,
                     after={"user": actor.username, "replaced": replaced})
    return feed, token


def revoke_feed(actor, organization) -> int:
    """Stop ``actor``'s feed from working; returns how many were live (0 or 1)."""
    require(actor, "rhythm.use_calendar", organization)
    with writing(organization) as head:
        revoked = _revoke(actor, organization)
        if revoked:
            chain.record(organization=organization, actor=actor, action="revoke_calendar_feed", head=head,
                         object_type=CalendarFeed._meta.label_lower, after={"user": actor.username})
    return revoked


def feed_for_token(token: str) -> CalendarFeed | None:
    """The live feed a token opens, while its person is still an active member; None otherwise."""
    feed = (CalendarFeed.objects.filter(token_hash=token_hash(token or ""), revoked_at=None)
            .select_related("organization", "user").first())
    if feed is None or not feed.user.is_active:
        return None
    if not feed.organization.memberships.filter(user=feed.user).exists():
        return None
    return feed
