"""Sign-in end to end through allauth: password, the MFA stage, MFA set-up required of administrators and
approvers, recovery codes, lockout (3.1.8), idle sessions (3.1.10, 3.1.11), password rules (3.5.7, 3.5.8) and
one-time passwords (3.5.9). Each test drives the real views with Django's test client."""

from __future__ import annotations

import html
import logging
import os
import re
import subprocess
import sys
import time
from datetime import timedelta

import pyotp
import pytest
from cryptography.fernet import InvalidToken
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from punchlist.testing import PASSWORD, totp_code
from punchlist.web.accounts import totp_secret
from punchlist.web.models import TemporaryPassword

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
MFA_STAGE = "/accounts/2fa/authenticate/"
ACTIVATE = "/accounts/2fa/totp/activate/"
APP = "/"


def sign_in(client, username, password=PASSWORD):
    return client.post(LOGIN, {"login": username, "password": password})


def signed_in_as(client):
    return client.session.get(SESSION_KEY)


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


# --- the sign-in page and password sign-in -----------------------------------------------------------

def test_the_sign_in_page_is_ours_and_offers_no_sign_up(client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    page = text(response)
    assert "Sign in to Punchlist" in page
    assert 'class="topbar"' in page  # the app's own layout
    assert "sign up" not in page.lower().replace("no sign-up", "")
    assert 'autocomplete="username"' in page and 'autocomplete="current-password"' in page


def test_the_sign_in_page_shows_the_system_use_notice(client, settings):
    assert "For authorized use only" in text(client.get(LOGIN))
    settings.PUNCHLIST_SIGN_IN_NOTICE = "Ridgeline systems: CUI inside. Use is monitored."
    assert "Ridgeline systems: CUI inside. Use is monitored." in text(client.get(LOGIN))


def test_sign_ins_failures_and_lockouts_are_logged(client, team, totp, caplog):
    caplog.set_level(logging.INFO, logger="punchlist.security")
    for _ in range(5):
        sign_in(client, team.owner.username, "guessing")
    sign_in(client, team.owner.username)
    sign_in(client, team.coordinator.username)
    client.post("/accounts/logout/")
    secret = totp(team.approver)
    sign_in(client, team.approver.username)
    client.post(MFA_STAGE, {"code": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"})
    lines = [record.getMessage() for record in caplog.records if record.name == "punchlist.security"]
    owner = repr(team.owner.username)
    assert lines.count(f"sign-in failed: username={owner} ip=127.0.0.1") == 5
    assert f"sign-in refused, account locked: username={owner} ip=127.0.0.1" in lines
    assert f"signed in: username={team.coordinator.username!r} ip=127.0.0.1" in lines
    assert f"signed out: username={team.coordinator.username!r} ip=127.0.0.1" in lines
    assert f"second factor failed: username={team.approver.username!r} ip=127.0.0.1" in lines
    assert not any(PASSWORD in line for line in lines)


def test_sign_up_is_closed(client):
    response = client.get("/accounts/signup/")
    assert "There is no sign-up" in text(response)
    client.post("/accounts/signup/", {"username": "mallory", "password1": "a long enough password 1",
                                      "password2": "a long enough password 1"})
    assert not get_user_model().objects.filter(username="mallory").exists()


def test_an_owner_signs_in_with_a_password_and_reaches_the_app(client, team, settings):
    settings.PUNCHLIST_REQUIRE_MFA = "privileged"  # the operator's explicit choice: no second factor for owners
    response = sign_in(client, team.owner.username)
    assert response.status_code == 302 and response["Location"] == reverse("web:home")
    assert signed_in_as(client) == str(team.owner.pk)
    response = client.get(APP)
    # The home page sends a member of one organization to it: the app answered, no gate in between.
    assert response.status_code == 302
    assert response["Location"] == reverse("web:organization", args=[team.org.slug])


def test_a_wrong_password_is_refused_in_words_keeping_the_username(client, team):
    response = sign_in(client, team.owner.username, "not the password")
    assert response.status_code == 200
    page = text(response)
    assert "The username or the password is not correct" in page
    assert "locked for 15 minutes" in page
    assert f'value="{team.owner.username}"' in page
    assert signed_in_as(client) is None


def test_a_person_without_sign_in_cannot_sign_in(client, team, member):
    user = member("owner")
    user.is_active = False
    user.save()
    sign_in(client, user.username)
    assert signed_in_as(client) is None


# --- MFA: the stage at sign-in -----------------------------------------------------------------------

def test_an_approver_signs_in_with_a_totp_code(client, team, totp):
    secret = totp(team.approver)
    response = sign_in(client, team.approver.username)
    assert response.status_code == 302 and response["Location"] == MFA_STAGE
    assert signed_in_as(client) is None  # not signed in until the second factor
    assert client.get(APP)["Location"].startswith(LOGIN)

    stage = client.get(MFA_STAGE)
    assert "Type the 6-digit code" in text(stage)
    wrong = client.post(MFA_STAGE, {"code": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"})
    assert wrong.status_code == 200
    assert "That code is not right" in text(wrong)
    assert signed_in_as(client) is None

    response = client.post(MFA_STAGE, {"code": totp_code(secret)})
    assert response.status_code == 302 and response["Location"] == reverse("web:home")
    assert signed_in_as(client) == str(team.approver.pk)
    assert client.get(APP)["Location"] == reverse("web:organization", args=[team.org.slug])


def test_a_recovery_code_signs_in_once(client, team, totp):
    totp(team.admin)
    code = RecoveryCodes(Authenticator.objects.get(user=team.admin, type="recovery_codes")).get_unused_codes()[0]
    sign_in(client, team.admin.username)
    response = client.post(MFA_STAGE, {"code": code})
    assert response.status_code == 302
    assert signed_in_as(client) == str(team.admin.pk)

    again = Client()
    sign_in(again, team.admin.username)
    assert "That code is not right" in text(again.post(MFA_STAGE, {"code": code}))
    assert signed_in_as(again) is None


def test_totp_secrets_and_recovery_seeds_are_stored_encrypted(client, team, totp, settings):
    """3.5.10: what a database dump shows of a second factor is ciphertext; the sign-in still works, and goes
    on working after the secret key is rotated with the old one kept as a fallback."""
    secret = totp(team.approver)
    stored = {a.type: a.data for a in Authenticator.objects.filter(user=team.approver)}
    assert stored["totp"]["secret"].startswith("fernet:") and secret not in stored["totp"]["secret"]
    assert stored["recovery_codes"]["seed"].startswith("fernet:")
    assert totp_secret(team.approver) == secret
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-rotated-secret-key-" + "x" * 40
    sign_in(client, team.approver.username)
    response = client.post(MFA_STAGE, {"code": totp_code(secret)})
    assert response.status_code == 302 and signed_in_as(client) == str(team.approver.pk)
    settings.SECRET_KEY_FALLBACKS = []  # the old key gone: the stored secret no longer opens
    with pytest.raises(InvalidToken):
        totp_secret(team.approver)


def test_a_secret_stored_before_encryption_still_signs_in(client, team, totp):
    secret = totp(team.approver)
    authenticator = Authenticator.objects.get(user=team.approver, type="totp")
    authenticator.data["secret"] = secret  # as allauth stored it before Punchlist encrypted it
    authenticator.save()
    sign_in(client, team.approver.username)
    assert client.post(MFA_STAGE, {"code": totp_code(secret)}).status_code == 302
    assert signed_in_as(client) == str(team.approver.pk)


def test_the_same_totp_code_is_not_accepted_twice(client, team, totp):
    secret = totp(team.approver)
    code = totp_code(secret)
    sign_in(client, team.approver.username)
    client.post(MFA_STAGE, {"code": code})
    assert signed_in_as(client) == str(team.approver.pk)
    replay = Client()
    sign_in(replay, team.approver.username)
    replay.post(MFA_STAGE, {"code": code})
    assert signed_in_as(replay) is None


# --- MFA: required of administrators and approvers, offered to everyone --------------------------------

def _activate(client) -> str:
    page = client.get(ACTIVATE)
    assert page.status_code == 200
    secret = re.search(r'id="authenticator_secret" value="([A-Z2-7]+)"', page.content.decode())[1]
    response = client.post(ACTIVATE, {"code": totp_code(secret)})
    assert response.status_code == 302, text(response)
    return secret


@pytest.mark.parametrize("role", ["admin", "approver"])
def test_admins_and_approvers_must_set_up_mfa_before_anything_else(client, team, role):
    user = getattr(team, role)
    response = sign_in(client, user.username)
    assert signed_in_as(client) == str(user.pk)  # no authenticator yet, so no MFA stage
    for path in (APP, reverse("web:organization", args=[team.org.slug])):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == ACTIVATE + "?required=1"
    htmx = client.get(APP, headers={"HX-Request": "true"})
    assert htmx["HX-Redirect"] == ACTIVATE + "?required=1"
    page = text(client.get(ACTIVATE + "?required=1"))
    assert "Your account signs in with a second factor" in page

    wrong = client.post(ACTIVATE, {"code": "12345"})
    assert wrong.status_code == 200 and "code" in text(wrong).lower()
    assert not Authenticator.objects.filter(user=user, type="totp").exists()

    _activate(client)
    assert Authenticator.objects.filter(user=user, type="totp").exists()
    codes = client.get("/accounts/2fa/recovery-codes/")  # where the activation leads
    assert codes.status_code == 200 and "10 of 10 codes unused" in text(codes)
    shown = re.search(r'<pre class="recovery-codes"[^>]*>(.*?)</pre>', codes.content.decode(), re.S)[1]
    assert len(shown.split()) == 10
    assert client.get(APP)["Location"] == reverse("web:organization", args=[team.org.slug])

    # From now on the sign-in asks for the second factor.
    fresh = Client()
    assert sign_in(fresh, user.username)["Location"] == MFA_STAGE


@pytest.mark.parametrize("role", ["owner", "coordinator", "viewer"])
def test_with_mfa_for_privileged_accounts_only_other_roles_are_offered_it_but_not_forced(client, team, role,
                                                                                          settings):
    settings.PUNCHLIST_REQUIRE_MFA = "privileged"
    user = getattr(team, role)
    sign_in(client, user.username)
    assert client.get(APP)["Location"] == reverse("web:organization", args=[team.org.slug])
    security = text(client.get("/accounts/2fa/"))
    assert "Off" in security and "Set up an authenticator app" in security
    _activate(client)
    assert "On" in text(client.get("/accounts/2fa/"))
    # ... and may turn it off again.
    response = client.post("/accounts/2fa/totp/deactivate/")
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=user, type="totp").exists()


def test_everyone_must_set_up_mfa_by_default(client, team):
    from punchlist import settings as production

    assert production.PUNCHLIST_REQUIRE_MFA == "everyone"
    sign_in(client, team.viewer.username)
    assert client.get(APP)["Location"] == ACTIVATE + "?required=1"
    _activate(client)
    assert client.get(APP)["Location"] == reverse("web:organization", args=[team.org.slug])
    assert client.post("/accounts/2fa/totp/deactivate/").status_code == 200  # refused, stays on
    assert Authenticator.objects.filter(user=team.viewer, type="totp").exists()


def test_an_approver_cannot_turn_mfa_off(client, team):
    sign_in(client, team.approver.username)
    _activate(client)
    security = text(client.get("/accounts/2fa/"))
    assert "Your account must keep it on" in security and "Turn off" not in security
    response = client.post("/accounts/2fa/totp/deactivate/")
    assert response.status_code == 200
    assert "Your account must keep two-factor authentication on" in text(response)
    assert Authenticator.objects.filter(user=team.approver, type="totp").exists()


def test_changing_an_existing_factor_asks_to_confirm_who_you_are(client, team, totp):
    secret = totp(team.owner)
    sign_in(client, team.owner.username)
    client.post(MFA_STAGE, {"code": totp_code(secret)})
    assert signed_in_as(client) == str(team.owner.pk)
    response = client.post("/accounts/2fa/totp/deactivate/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/reauthenticate/")
    assert Authenticator.objects.filter(user=team.owner, type="totp").exists()


# --- lockout (3.1.8) ---------------------------------------------------------------------------------

def test_five_failures_lock_the_account_even_against_the_right_password(client, team, monkeypatch):
    for _ in range(5):
        sign_in(client, team.owner.username, "guessing")
    response = sign_in(client, team.owner.username, PASSWORD)
    assert signed_in_as(client) is None
    assert "This account is locked after 5 failed sign-ins. Wait 15 minutes" in text(response)
    # From another browser too: the lock is the account's, not the session's.
    other = Client()
    assert "This account is locked" in text(sign_in(other, team.owner.username.upper(), PASSWORD))
    assert signed_in_as(other) is None
    # Other people are not locked out by someone else's failures.
    sign_in(other, team.coordinator.username)
    assert signed_in_as(other) == str(team.coordinator.pk)

    # The window passes: the same password works again.
    from punchlist.web import lockout

    later = time.time() + 15 * 60 + 1
    monkeypatch.setattr(lockout, "clock", lambda: later)
    response = sign_in(Client(), team.owner.username, PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("web:home")


def test_a_success_does_not_reset_the_count_of_failures(client, team):
    for _ in range(4):
        sign_in(client, team.owner.username, "guessing")
    sign_in(Client(), team.owner.username)  # the real owner signs in in between
    sign_in(client, team.owner.username, "guessing")
    assert "This account is locked" in text(sign_in(Client(), team.owner.username))


def test_wrong_mfa_codes_lock_the_second_factor_too(client, team, totp):
    secret = totp(team.approver)
    sign_in(client, team.approver.username)
    bad = "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
    for _ in range(5):
        client.post(MFA_STAGE, {"code": bad})
    response = client.post(MFA_STAGE, {"code": totp_code(secret)})
    assert "This account is locked after 5 failed sign-ins" in text(response)
    assert signed_in_as(client) is None


def test_the_lockout_counters_live_in_the_shared_file_cache():
    # Every gunicorn worker sees the same counters (a per-process cache would multiply the attempts).
    from punchlist import settings as production

    assert production.CACHES["default"]["BACKEND"] == "django.core.cache.backends.filebased.FileBasedCache"
    assert production.ACCOUNT_RATE_LIMITS["login_failed"].endswith("5/15m/key")


# --- idle sessions (3.1.10, 3.1.11) --------------------------------------------------------------------

def test_sessions_end_after_fifteen_idle_minutes_and_at_browser_close():
    assert settings.SESSION_COOKIE_AGE == 15 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.ACCOUNT_SESSION_REMEMBER is False


def test_the_idle_limit_is_the_operators_to_set():
    env = {**os.environ, "PUNCHLIST_SESSION_IDLE_MINUTES": "5", "DJANGO_SETTINGS_MODULE": "punchlist.settings"}
    out = subprocess.run([sys.executable, "-c", "from django.conf import settings; print(settings.SESSION_COOKIE_AGE)"],
                         env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "300"


def test_every_request_pushes_the_idle_deadline_forward(client, team):
    sign_in(client, team.owner.username)
    key = client.session.session_key
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() + timedelta(minutes=1))
    before = timezone.now()
    client.get(APP)
    expires = Session.objects.get(session_key=key).expire_date
    assert expires >= before + timedelta(seconds=settings.SESSION_COOKIE_AGE)


def test_an_idle_session_is_over(client, team):
    sign_in(client, team.owner.username)
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(APP)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_sign_out_ends_the_session(client, team):
    sign_in(client, team.owner.username)
    key = client.session.session_key
    client.post("/accounts/logout/")
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get(APP)["Location"].startswith(LOGIN)


# --- password rules (3.5.7, 3.5.8) and one-time passwords (3.5.9) -------------------------------------

def _change(client, new, old=PASSWORD):
    return client.post("/accounts/password/change/", {"oldpassword": old, "password1": new, "password2": new})


@pytest.mark.parametrize("password, message", [
    ("Short pw 1", "This password is too short. It must contain at least 12 characters."),
    ("123456789012345", "This password is entirely numeric."),
    ("password1234", "This password is too common."),
    ("acme-owner-lee", "The password is too similar to the username."),
    (PASSWORD, "Choose a password different from your current one."),
])
def test_weak_passwords_are_refused_with_the_reason(client, team, password, message):
    sign_in(client, team.owner.username)
    response = _change(client, password)
    assert response.status_code == 200
    assert message in text(response)
    team.owner.refresh_from_db()
    assert team.owner.check_password(PASSWORD)


def test_a_good_password_is_accepted(client, team):
    sign_in(client, team.owner.username)
    response = _change(client, "tangerine walrus quietly sings")
    assert response.status_code == 302
    fresh = Client()
    sign_in(fresh, team.owner.username, "tangerine walrus quietly sings")
    assert signed_in_as(fresh) == str(team.owner.pk)


def test_a_one_time_password_must_be_changed_before_anything_else(client, team):
    TemporaryPassword.objects.create(user=team.owner)
    sign_in(client, team.owner.username)
    response = client.get(APP)
    assert response["Location"] == "/accounts/password/change/?required=1"
    assert "You signed in with a one-time password" in text(client.get(response["Location"]))
    _change(client, "tangerine walrus quietly sings")
    assert not TemporaryPassword.objects.filter(user=team.owner).exists()
    assert client.get(APP)["Location"] == ACTIVATE + "?required=1"  # then the second factor (3.5.3)
    _activate(client)
    assert client.get(APP)["Location"] == reverse("web:organization", args=[team.org.slug])


def test_a_one_time_password_comes_before_mfa_set_up(client, team):
    TemporaryPassword.objects.create(user=team.approver)
    sign_in(client, team.approver.username)
    assert client.get(APP)["Location"] == "/accounts/password/change/?required=1"
    _change(client, "tangerine walrus quietly sings")
    assert client.get(APP)["Location"] == ACTIVATE + "?required=1"


@pytest.mark.parametrize("variable, value, words", [
    ("PUNCHLIST_REQUIRE_MFA", "sometimes", "PUNCHLIST_REQUIRE_MFA='sometimes' is not one of everyone, privileged"),
    ("PUNCHLIST_MFA_EVERYONE", "no", "PUNCHLIST_MFA_EVERYONE is gone"),
])
def test_the_mfa_setting_is_read_loudly(variable, value, words):
    env = {**os.environ, variable: value, "DJANGO_SETTINGS_MODULE": "punchlist.settings"}
    result = subprocess.run([sys.executable, "-c", "from django.conf import settings; settings.DEBUG"],
                            env=env, capture_output=True, text=True)
    assert result.returncode != 0 and words in result.stderr


def test_mfa_for_privileged_accounts_only_is_the_operators_explicit_choice():
    env = {**os.environ, "PUNCHLIST_REQUIRE_MFA": "privileged", "DJANGO_SETTINGS_MODULE": "punchlist.settings"}
    out = subprocess.run([sys.executable, "-c", "from django.conf import settings; print(settings.PUNCHLIST_REQUIRE_MFA)"],
                         env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "privileged"
