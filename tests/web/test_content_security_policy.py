"""A strict Content-Security-Policy on every page, and pages it does not break: no inline script, no inline
event handler, no inline style, nothing eval'd (htmx is configured not to). Every page of the role matrix, as
each role sees it, plus the sign-in, security and error pages, is fetched and read back; and every template is
read as written, for the pages a GET does not reach (the calendar address shown once after a POST)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client

import punchlist
from punchlist.testing import PASSWORD

from test_role_matrix import ROLES, TABLE, organization_routes, url_for, user_of, world  # noqa: F401

pytestmark = pytest.mark.django_db

DIRECTIVES = {"default-src": "'self'", "script-src": "'self'", "style-src": "'self'", "object-src": "'none'",
              "base-uri": "'none'", "frame-ancestors": "'none'", "form-action": "'self'"}


class InlineCode(HTMLParser):
    """What a strict policy would block in a page: inline scripts, on* handlers, style attributes and
    elements, javascript: addresses."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                    "javascript:"):
                self.found.append(f"<{tag} {name}=javascript:...>")
        if "style" in attributes:
            self.found.append(f"<{tag} style=...>")
        if tag == "style":
            self.found.append("<style> element")
        if tag == "script":
            src = attributes.get("src") or ""
            if not src.startswith("/static/"):
                self.found.append(f"<script src={src!r}> (not one of Punchlist's own files)")
            self._in_script = True

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append(f"inline script {data.strip()[:40]!r}")


def check_page(response, label: str) -> list[str]:
    problems = []
    policy = response.get("Content-Security-Policy", "")
    directives = dict((part.split(None, 1) + [""])[:2] for part in policy.split(";") if part.strip())
    if directives.get("default-src") == "'none'" and "sandbox" in directives:
        return []  # a download's own, stricter policy: nothing at all may load, and it runs sandboxed
    for directive, value in DIRECTIVES.items():
        if directives.get(directive) != value:
            problems.append(f"{label}: {directive} is {directives.get(directive)!r}, not {value!r}")
    if "unsafe" in policy:
        problems.append(f"{label}: the policy allows something unsafe: {policy}")
    if response.get("Content-Type", "").startswith("text/html") and not response.has_header("Content-Disposition"):
        parser = InlineCode()
        parser.feed(response.content.decode())
        problems += [f"{label}: {found}" for found in parser.found]
    return problems


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.value)
def test_every_page_a_role_reads_has_the_policy_and_no_inline_code(world, login_as, role):
    client = login_as(user_of(world["team"], role))
    problems, pages = [], 0
    for route, name in organization_routes():
        readers, _ = TABLE[name]
        if readers is None or role not in readers:
            continue
        response = client.get(url_for(world, route, name), follow=True)
        assert response.status_code == 200, name
        problems += check_page(response, name)
        pages += 1
    # The page that shows a new calendar address once, after the POST that makes it.
    calendar = [r for r, n in organization_routes() if n == "review_calendar"][0]
    problems += check_page(client.post(url_for(world, calendar, "review_calendar"), {"action": "create"},
                                       follow=True), "review_calendar")
    for path in ("/", "/accounts/2fa/", "/accounts/2fa/recovery-codes/", "/accounts/password/change/",
                 "/static/punchlist/app.css", "/no/such/page/"):
        problems += check_page(client.get(path), path)
    assert pages >= 10
    assert not problems, "\n".join(problems)


def test_the_sign_in_pages_have_the_policy_and_no_inline_code(team, totp, settings):
    problems = []
    anonymous = Client()
    for path in ("/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"):
        problems += check_page(anonymous.get(path), path)
    # The second-factor stage, and the set-up page with its QR code (a data: image the policy allows).
    secret = totp(team.approver)
    assert secret
    staged = Client()
    staged.post("/accounts/login/", {"login": team.approver.username, "password": PASSWORD})
    problems += check_page(staged.get("/accounts/2fa/authenticate/"), "2fa/authenticate")
    fresh = Client()
    fresh.post("/accounts/login/", {"login": team.owner.username, "password": PASSWORD})
    setup = fresh.get("/accounts/2fa/totp/activate/")
    assert 'src="data:image/svg+xml' in setup.content.decode()
    problems += check_page(setup, "2fa/totp/activate")
    assert not problems, "\n".join(problems)


TEMPLATES = [path for package in ("web", "reports") for path in
             (Path(punchlist.__file__).parent / package / "templates").rglob("*.html")]
INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=|\sstyle\s*=|javascript:", re.I)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: str(path).split("templates/")[-1])
def test_no_template_holds_inline_script_or_handlers(template):
    if template.name == "document.html":
        pytest.skip("the downloaded report document: a self-contained file with its stylesheet inside, sent "
                    "as an attachment and never shown from the server")
    text = template.read_text(encoding="utf-8")
    assert not INLINE.findall(text), f"{template}: {INLINE.findall(text)}"
