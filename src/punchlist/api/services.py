"""Making, revoking and checking personal API tokens. Every token made, revoked, used or refused is a line in
the security log beside the sign-ins (3.3.1), naming the person and the token's prefix, never its secret."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from punchlist.orgs.models import Membership
from punchlist.web.accounts import security_log

from .models import ApiToken

SCHEME = "pl_"
PREFIX_LENGTH = len(SCHEME) + 8
LONGEST_DAYS = 366  # a token lives at most a year; a program that needs longer gets a new one
USE_RECORDED_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often per token


class TokenError(Exception):
    """A token that cannot be made as asked; the message says why."""


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(user, *, name: str, organizations, can_write: bool, days: int) -> tuple[ApiToken, str]:
    """A new token of ``user`` for some of their organizations, and its secret, which is shown this once."""
    name = " ".join((name or "").split())[:100]
    if not name:
        raise TokenError("a token needs a name that says what uses it")
    if not 1 <= int(days) <= LONGEST_DAYS:
        raise TokenError(f"a token lives from 1 to {LONGEST_DAYS} days")
    organizations = list(organizations)
    if not organizations:
        raise TokenError("a token opens at least one organization")
    member_of = set(Membership.objects.filter(user=user, organization__in=organizations)
                    .values_list("organization_id", flat=True))
    outside = [o.name for o in organizations if o.pk not in member_of]
    if outside:
        raise TokenError(f"you are not a member of {', '.join(outside)}")
    secret = SCHEME + secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name, prefix=secret[:PREFIX_LENGTH], digest=digest(secret),
                                        can_write=bool(can_write), created_at=now,
                                        expires_at=now + timedelta(days=int(days)))
        token.organizations.set(organizations)
    security_log.info("api token created: username=%r token=%s orgs=%s access=%s expires=%s",
                      user.get_username(), token.prefix, ",".join(sorted(o.slug for o in organizations)),
                      "write" if token.can_write else "read", token.expires_at.date().isoformat())
    return token, secret


def revoke_token(user, token: ApiToken) -> None:
    """The person's own token stops working now; it stays listed as revoked."""
    if token.user_id != user.pk:
        raise TokenError("only the person whose token it is may revoke it")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        security_log.info("api token revoked: username=%r token=%s", user.get_username(), token.prefix)


def token_for(secret: str, *, ip: str, what: str) -> ApiToken | None:
    """The usable token this secret is, with its person; None (and a warning in the log) for anything else."""
    secret = (secret or "").strip()
    prefix = secret[:PREFIX_LENGTH]
    token = None
    if secret.startswith(SCHEME) and len(secret) > PREFIX_LENGTH:
        token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.digest, digest(secret)):
        security_log.warning("api token refused, unknown: token=%s ip=%s request=%r", prefix[:PREFIX_LENGTH] or "-",
                             ip, what)
        return None
    now = timezone.now()
    if not token.is_usable(now) or not token.user.is_active:
        why = "revoked" if token.revoked_at else "expired" if token.expires_at <= now else "person inactive"
        security_log.warning("api token refused, %s: username=%r token=%s ip=%s request=%r", why,
                             token.user.get_username(), token.prefix, ip, what)
        return None
    security_log.info("api token used: username=%r token=%s ip=%s request=%r", token.user.get_username(),
                      token.prefix, ip, what)
    if token.last_used_at is None or now - token.last_used_at > USE_RECORDED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
