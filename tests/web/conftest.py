"""Fixtures for the web app's view tests.

From punchlist.testing.fixtures: ``team`` (Acme Machining, one person per role: team.admin, .coordinator,
.owner, .owner2, .approver, .approver2, .viewer; password ``PASSWORD``), ``rival`` (another organization, the
same shape), ``item`` (an open item of ``team``). Here:

- ``member(role, organization=None, **names)``: a new person with that role (default: in ``team``'s
  organization), who can sign in with ``PASSWORD``.
- ``login_as(user, client=None)``: a test client signed in as ``user``, past every gate a real sign-in passes:
  administrators and approvers get a TOTP authenticator (as if they had set it up and used it).
- ``totp(user)``: give ``user`` a TOTP authenticator through allauth's API; returns the secret (for pyotp).

Every test gets its own file cache (the lockout counters live there) and plain-HTTP requests (no redirect to
HTTPS, which the production settings make).
"""

from __future__ import annotations

import itertools

import pytest
from django.test import Client

from punchlist.orgs import services as org_services
from punchlist.orgs.models import Membership, Role
from punchlist.testing import PASSWORD
from punchlist.testing.fixtures import *  # noqa: F401,F403
from punchlist.web.accounts import activate_totp, requires_mfa

_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def web_settings(settings, tmp_path):
    settings.SECURE_SSL_REDIRECT = False
    settings.STATIC_ROOT = str(tmp_path / "static")
    (tmp_path / "static").mkdir()
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                                   "LOCATION": str(tmp_path / "cache")}}
    return settings


@pytest.fixture
def member(request):
    """``member("owner")`` -> a new user, member of ``team``'s organization (or ``organization=``)."""

    def make(role, organization=None, *, username=None, password=PASSWORD, first_name="Sam", last_name="Doe",
             email=""):
        if organization is None:
            organization = request.getfixturevalue("team").org
        admin = (Membership.objects.filter(organization=organization, role=Role.ADMIN)
                 .select_related("user").first().user)
        username = username or f"{organization.slug}-{role}-{next(_numbers)}"
        user = org_services.create_user(username, password=password, first_name=first_name, last_name=last_name,
                                        email=email)
        org_services.add_member(admin, organization, user, role)
        return user

    return make


@pytest.fixture
def totp(db):
    return activate_totp


@pytest.fixture
def login_as(db):
    def sign_in(user, client: Client | None = None) -> Client:
        client = client or Client()
        if requires_mfa(user):
            activate_totp(user)
        client.force_login(user)
        return client

    return sign_in
