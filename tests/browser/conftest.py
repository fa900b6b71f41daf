"""Browser tests: Playwright's sync API driving Debian's Chromium (/usr/bin/chromium; Playwright never
downloads a browser here) against pytest-django's live server, on a transactional database.

Fixtures:
- ``browser``: one headless Chromium for the session.
- ``page``: a fresh browser context and page per test, its base URL the live server (``page.goto("/")``).
- ``sign_in(page, user, password=PASSWORD, totp_secret=None)``: signs in through the real pages; for an
  administrator or approver it passes the MFA stage with a code computed from ``totp_secret`` (or from the
  authenticator it gives them through allauth's API when they have none). Whoever was signed in on the page
  before is signed out first. Returns the page.
- everything of punchlist.testing.fixtures: ``team``, ``rival``, ``item`` ...

Without Chromium or Playwright the tests are skipped with the reason; under CI=true they fail instead.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls of the tests themselves are still
# synchronous, so Django's guard against calling it from async code does not apply.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from django.db import connection, connections  # noqa: E402

from punchlist.audit import triggers  # noqa: E402
from punchlist.testing import PASSWORD, totp_code  # noqa: E402
from punchlist.testing.fixtures import *  # noqa: E402,F401,F403

CHROMIUM = Path(os.environ.get("PUNCHLIST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items):
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI=true requires the browser tests to run (.ci/run installs chromium)",
                    pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def _playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install -e '.[test]')")
    if not CHROMIUM.is_file():
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set PUNCHLIST_CHROMIUM)")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(_playwright):
    browser = _playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """pytest-django's live server over plain HTTP, as the demo serves it (PUNCHLIST_SECURE_COOKIES=no).
    SecurityMiddleware reads the redirect to HTTPS and HSTS once, when the server's handler is built, so they
    are off while it starts; the cookie flags, read per response, are the ``_plain_http`` fixture's."""
    from django.test.utils import override_settings
    from pytest_django.live_server_helper import LiveServer

    with override_settings(SECURE_SSL_REDIRECT=False, SECURE_HSTS_SECONDS=0,
                           STATIC_ROOT=str(tmp_path_factory.mktemp("static"))):
        server = LiveServer(os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost")
    yield server
    server.stop()


@pytest.fixture
def transactional_db(_reinstall_audit_triggers, transactional_db):
    """The live server needs committed data; the flush after the test would trip the audit table's
    append-only triggers, so they are taken off for it and put back after (as punchlist.testing's live_db)."""
    yield
    for alias in connections:
        connections[alias].close()
    triggers.remove(connection)


@pytest.fixture(autouse=True)
def _plain_http(settings, tmp_path):
    """The live server speaks plain HTTP, as the demo does (PUNCHLIST_SECURE_COOKIES=no); lockout counters
    go to this test's own cache."""
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                                   "LOCATION": str(tmp_path / "cache")}}


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def sign_in(live_server):
    from punchlist.web.accounts import activate_totp, requires_mfa

    def sign(page, user, password: str = PASSWORD, totp_secret: str | None = None):
        if totp_secret is None and requires_mfa(user):
            totp_secret = activate_totp(user)
        page.context.clear_cookies()  # whoever was signed in on this page is not any more
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        if totp_secret is not None:
            page.wait_for_url("**/accounts/2fa/authenticate/")
            page.get_by_label("Code").fill(totp_code(totp_secret))
            page.get_by_role("button", name="Verify").click()
        page.wait_for_load_state()
        return page

    return sign
