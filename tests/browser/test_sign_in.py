"""Signing in in a real browser: password, then a TOTP code computed from the secret of an authenticator
created through allauth's API, as a phone's authenticator app would compute it."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from django.urls import reverse

from punchlist.testing import totp_code
from punchlist.web.accounts import activate_totp

pytestmark = pytest.mark.browser


def test_an_approver_signs_in_with_a_totp_code_and_reaches_the_app(page, team, live_server):
    secret = activate_totp(team.approver)
    page.goto("/")
    assert "/accounts/login/" in page.url  # signed out: the sign-in page first
    page.get_by_label("Username").fill(team.approver.username)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/accounts/2fa/authenticate/")
    page.get_by_label("Code").fill(totp_code(secret))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(re.compile(r".*/o/%s/.*" % team.org.slug))
    assert page.url.startswith(live_server.url + reverse("web:organization", args=[team.org.slug]))
    header = page.locator("header.topbar")
    assert "Priya Lee" in header.inner_text() and "Approver" in header.inner_text()
    # The Security page says the second factor is on and must stay on.
    page.get_by_role("link", name="Security").click()
    assert "Your account must keep it on" in page.locator("main").inner_text()


def test_a_wrong_code_is_refused_on_the_page(page, team, live_server):
    secret = activate_totp(team.approver)
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(team.approver.username)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/accounts/2fa/authenticate/")
    totp = pyotp.TOTP(secret)
    # A wrong code: none that the server could accept in this window or the ones beside it.
    near = {totp.at(time.time() + offset) for offset in (-totp.interval, 0, totp.interval)}
    wrong = next(code for code in ("000000", "111111", "222222", "333333") if code not in near)
    page.get_by_label("Code").fill(wrong)
    page.get_by_role("button", name="Verify").click()
    assert page.get_by_role("alert").filter(has_text="That code is not right").is_visible()
    assert page.url.endswith("/accounts/2fa/authenticate/")
    page.goto("/")
    assert "/accounts/" in page.url and f"/o/{team.org.slug}/" not in page.url  # still not in the app
    # The right code still works after the refusal.
    page.goto("/accounts/2fa/authenticate/")
    page.get_by_label("Code").fill(totp_code(secret))  # computed now: the window may have moved on since
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(re.compile(r".*/o/%s/.*" % team.org.slug))


def test_a_new_administrator_sets_up_the_authenticator_at_first_sign_in(page, team, live_server):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(team.admin.username)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/accounts/2fa/totp/activate/?required=1")
    secret = page.locator("#authenticator_secret").input_value()
    assert page.locator("img.totp-qr").is_visible()
    page.get_by_label("Code from the app").fill(totp_code(secret))
    page.get_by_role("button", name="Turn on").click()
    page.wait_for_url("**/accounts/2fa/recovery-codes/")
    assert len(page.locator("pre.recovery-codes").inner_text().split()) == 10
    page.get_by_role("link", name="Continue to Punchlist").click()
    page.wait_for_url(re.compile(r".*/o/%s/.*" % team.org.slug))


def test_the_sign_in_helper(page, team, sign_in, live_server):
    sign_in(page, team.admin)
    assert f"/o/{team.org.slug}/" in page.url
    sign_in(page, team.owner)
    assert f"/o/{team.org.slug}/" in page.url
