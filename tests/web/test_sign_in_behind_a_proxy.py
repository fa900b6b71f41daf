"""Sign-in behind a reverse proxy (3.1.8, 3.3.1): the browser's own address comes from the configured number of
trusted proxies, and failed sign-ins are counted per account at one address and per address, so that an
attacker locks out only themselves. The proxy is simulated as it behaves: every request arrives from its
address (REMOTE_ADDR 127.0.0.1) with the browser's address appended to X-Forwarded-For."""

from __future__ import annotations

import logging
import uuid

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

from punchlist.testing import PASSWORD
from punchlist.web import lockout

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
PROXY = "127.0.0.1"
ATTACKER, ALEX, PRIYA = "203.0.113.66", "198.51.100.7", "192.0.2.44"


@pytest.fixture(autouse=True)
def one_proxy(settings):
    settings.PUNCHLIST_TRUSTED_PROXIES = 1
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    settings.PUNCHLIST_REQUIRE_MFA = "privileged"  # these tests are about the password stage


def through_proxy(address: str, forwarded_by_browser: str = "") -> Client:
    """A browser at ``address`` behind the proxy; ``forwarded_by_browser`` is what it wrote into
    X-Forwarded-For itself (the proxy appends the address it saw)."""
    chain = ", ".join(part for part in (forwarded_by_browser, address) if part)
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=chain)


def sign_in(client, username, password=PASSWORD):
    return client.post(LOGIN, {"login": username, "password": password})


def signed_in(client) -> bool:
    return SESSION_KEY in client.session


def test_twenty_failures_for_random_names_lock_out_only_the_attackers_address(team):
    attacker = through_proxy(ATTACKER)
    for _ in range(20):
        sign_in(attacker, f"nobody-{uuid.uuid4().hex[:8]}", "guessing")
    # The real person, from their own address behind the same proxy, signs in with the right password.
    alex = through_proxy(ALEX)
    sign_in(alex, team.owner.username)
    assert signed_in(alex)
    # The attacker's address is locked, whatever name and password it tries next.
    response = sign_in(attacker, team.coordinator.username)
    assert not signed_in(attacker)
    assert "Too many failed sign-ins from your address. Wait 15 minutes" in response.content.decode()


def test_guessing_at_someones_account_locks_it_only_from_the_guessers_address(team):
    attacker = through_proxy(ATTACKER)
    for _ in range(5):
        sign_in(attacker, team.owner.username, "guessing")
    refused = sign_in(attacker, team.owner.username)  # even the right password, from there
    assert not signed_in(attacker)
    assert "This account is locked after 5 failed sign-ins" in refused.content.decode()
    owner = through_proxy(ALEX)
    sign_in(owner, team.owner.username)
    assert signed_in(owner)


def test_addresses_the_browser_writes_itself_are_not_believed(team):
    """Rotating made-up X-Forwarded-For entries does not give an attacker fresh counters: only the entry the
    trusted proxy appended counts."""
    for number in range(5):
        sign_in(through_proxy(ATTACKER, forwarded_by_browser=f"10.0.0.{number}"), team.owner.username, "guessing")
    assert not signed_in(sign_in_and_return(through_proxy(ATTACKER, forwarded_by_browser="10.9.9.9"), team))


def sign_in_and_return(client, team):
    sign_in(client, team.owner.username)
    return client


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(team, settings, rf):
    settings.PUNCHLIST_TRUSTED_PROXIES = 0
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    request = rf.get("/", REMOTE_ADDR="198.51.100.20", HTTP_X_FORWARDED_FOR="10.1.2.3")
    assert lockout.client_ip(request) == "198.51.100.20"
    # A browser that forges the header at every attempt still counts against one address.
    for number in range(5):
        client = Client(REMOTE_ADDR="198.51.100.20", HTTP_X_FORWARDED_FOR=f"10.0.0.{number}")
        sign_in(client, team.owner.username, "guessing")
    forged = Client(REMOTE_ADDR="198.51.100.20", HTTP_X_FORWARDED_FOR="10.0.0.99")
    sign_in(forged, team.owner.username)
    assert not signed_in(forged)


def test_two_trusted_proxies_take_the_second_entry_from_the_right(settings, rf):
    settings.PUNCHLIST_TRUSTED_PROXIES = 2
    request = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="10.6.6.6, 198.51.100.7, 10.0.0.2")
    assert lockout.client_ip(request) == "198.51.100.7"
    # Fewer entries than proxies: the request did not come through them; the connecting address is used.
    short = rf.get("/", REMOTE_ADDR="192.0.2.9", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert lockout.client_ip(short) == "192.0.2.9"
    assert lockout.client_ip(rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="junk, also junk")) == PROXY


def test_the_security_log_names_each_browsers_own_address(team, caplog):
    caplog.set_level(logging.INFO, logger="punchlist.security")
    sign_in(through_proxy(ATTACKER, forwarded_by_browser="10.0.0.1"), team.owner.username, "guessing")
    priya = through_proxy(PRIYA)
    sign_in(priya, team.coordinator.username)
    priya.post("/accounts/logout/")
    lines = [record.getMessage() for record in caplog.records if record.name == "punchlist.security"]
    assert f"sign-in failed: username={team.owner.username!r} ip={ATTACKER}" in lines
    assert f"signed in: username={team.coordinator.username!r} ip={PRIYA}" in lines
    assert f"signed out: username={team.coordinator.username!r} ip={PRIYA}" in lines
    assert not any(f"ip={PROXY}" in line or "10.0.0.1" in line for line in lines)


def test_repeated_locks_last_longer_each_time(team, monkeypatch):
    now = [1_900_000_000.0]
    monkeypatch.setattr(lockout, "clock", lambda: now[0])
    attacker = through_proxy(ATTACKER)
    expected = [15, 30, 60]
    for minutes in expected:
        for _ in range(5):
            sign_in(attacker, team.owner.username, "guessing")
        refused = sign_in(attacker, team.owner.username).content.decode()
        assert f"Wait {minutes} minutes" in refused
        now[0] += minutes * 60 - 30
        assert not signed_in(sign_in_and_return(attacker, team))  # still locked half a minute before the end
        now[0] += 31
    sign_in(attacker, team.owner.username)
    assert signed_in(attacker)


def test_a_new_one_time_password_lifts_the_lock_at_every_address(team, login_as):
    from punchlist.web.accounts import unlock

    for address in (ATTACKER, ALEX):
        for _ in range(5):
            sign_in(through_proxy(address), team.owner.username, "guessing")
    unlock(None, team.owner)
    for address in (ATTACKER, ALEX):
        client = through_proxy(address)
        sign_in(client, team.owner.username)
        assert signed_in(client)
