"""Where a request comes from, and failed sign-ins counted so that nobody can lock someone else out (3.1.8).

The address: ``REMOTE_ADDR``, or, with ``PUNCHLIST_TRUSTED_PROXIES=N`` reverse proxies in front of Punchlist,
the address the outermost of them saw: the N-th entry from the right of ``X-Forwarded-For``. Entries further
left were written by the browser itself and are never believed. Behind a proxy without the setting every
request would come from the proxy, and one address's limit would lock out everyone.

Two counters of failed sign-ins, in the cache every gunicorn worker shares (settings.PUNCHLIST_LOCKOUT):

- an account at one address: 5 failures within 15 minutes lock that account *from that address*, even
  against the right password. From any other address the account signs in as before, so a stranger guessing
  at someone's username locks out only themselves.
- an address: 20 failures within 15 minutes, whatever the usernames (real or made up), lock the address out
  of signing in at all.

Back-off: each new lock of the same counter, within a day of the one before, lasts twice as long (15 minutes,
30, 60 ... a day at most). A successful sign-in does not wipe the counts, or an attacker could interleave
sign-ins of their own between guesses. An administrator who gives a person a one-time password lifts that
account's locks everywhere (``forgive``).
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

ACCOUNT, ADDRESS = "account", "address"

clock = time.time  # what the tests move to let a window pass


def client_ip(request) -> str:
    """The browser's address as the configured number of trusted proxies reports it (module docstring)."""
    proxies = getattr(settings, "PUNCHLIST_TRUSTED_PROXIES", 0)
    if proxies:
        hops = [hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",") if hop.strip()]
        if len(hops) >= proxies:
            address = _clean(hops[-proxies])
            if address:
                return address
    return _clean(request.META.get("REMOTE_ADDR", "")) or "-"


def _clean(text: str) -> str | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [::1]:port
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # 192.0.2.1:port
        text = text.split(":")[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


@dataclass(frozen=True)
class Lock:
    scope: str  # ACCOUNT (this account from this address) or ADDRESS (every sign-in from this address)
    seconds: float

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.seconds / 60))


def _policy() -> dict:
    return settings.PUNCHLIST_LOCKOUT


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _epoch_key(username: str) -> str:
    return f"punchlist:lockout:epoch:{_digest(username.lower())}"


def _counters(username: str, ip: str) -> list[tuple[str, str, int]]:
    policy = _policy()
    epoch = cache.get(_epoch_key(username), "0")
    return [
        (ACCOUNT, f"punchlist:lockout:account:{_digest(username.lower())}:{epoch}:{ip}", policy["account_failures"]),
        (ADDRESS, f"punchlist:lockout:address:{ip}", policy["address_failures"]),
    ]


def locked(request, username: str) -> Lock | None:
    """The lock that refuses ``username`` from this request's address now, if any."""
    now = clock()
    for scope, key, _limit in _counters(username, client_ip(request)):
        state = cache.get(key)
        if state and state["until"] > now:
            return Lock(scope, state["until"] - now)
    return None


def record_failure(request, username: str) -> Lock | None:
    """Count a failed sign-in of ``username`` from this request's address; the lock it set off, if any."""
    from allauth.core.internal.ratelimit import cache_lock

    policy = _policy()
    window, longest = policy["minutes"] * 60, policy["longest_hours"] * 3600
    now = clock()
    started = None
    for scope, key, limit in _counters(username, client_ip(request)):
        with cache_lock(key):  # best effort: without the lock the count is still written
            state = cache.get(key) or {"failures": [], "locks": 0, "until": 0.0, "last_lock": 0.0}
            if state["last_lock"] and now - state["last_lock"] > longest:
                state["locks"] = 0  # a quiet day: the back-off starts over
            failures = [at for at in state["failures"] if at > now - window] + [now]
            if len(failures) >= limit:
                seconds = min(window * 2 ** state["locks"], longest)
                state.update(locks=state["locks"] + 1, until=now + seconds, last_lock=now)
                failures = []
                started = started or Lock(scope, seconds)
            state["failures"] = failures
            cache.set(key, state, timeout=longest + window)
    return started


def forgive(username: str) -> None:
    """Lift every lock of this account, at every address (an administrator gave a new one-time password)."""
    cache.set(_epoch_key(username), secrets.token_hex(8), timeout=None)
