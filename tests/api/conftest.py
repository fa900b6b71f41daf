"""Fixtures for the API's tests.

From punchlist.testing.fixtures: ``team`` (Acme Machining, one person per role), ``rival`` (another
organization), ``item`` (an open item of ``team``). Here:

- ``token(user, *organizations, write=False, days=30)``: a personal token's secret, made through the service.
- ``join(team, user, role)``: a person of another organization joins ``team``'s.
- ``api``: a test client that sends ``Authorization: Bearer <secret>``: ``api.get(secret, path)``, ...
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from punchlist.api import services
from punchlist.testing.fixtures import *  # noqa: F401,F403


@pytest.fixture(autouse=True)
def api_settings(settings, tmp_path):
    settings.SECURE_SSL_REDIRECT = False
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": str(tmp_path)}}
    return settings


@pytest.fixture
def token(db):
    def make(user, *organizations, write=False, days=30, name="script"):
        _, secret = services.create_token(user, name=name, organizations=organizations, can_write=write, days=days)
        return secret

    return make


class Api:
    """The API as a program calls it: JSON in and out, a token in the Authorization header."""

    def __init__(self):
        self.client = Client()

    def _headers(self, secret, headers):
        merged = {"Authorization": f"Bearer {secret}"} if secret else {}
        merged.update(headers or {})
        return merged

    def get(self, secret, path, params=None, headers=None):
        return self.client.get(path, params or {}, headers=self._headers(secret, headers))

    def post(self, secret, path, body=None, headers=None):
        return self.client.post(path, json.dumps(body or {}), content_type="application/json",
                                headers=self._headers(secret, headers))

    def patch(self, secret, path, body=None, headers=None):
        return self.client.patch(path, json.dumps(body or {}), content_type="application/json",
                                 headers=self._headers(secret, headers))

    def put(self, secret, path, body=None, headers=None):
        return self.client.put(path, json.dumps(body or {}), content_type="application/json",
                               headers=self._headers(secret, headers))

    def upload(self, secret, path, data, headers=None):
        return self.client.post(path, data, headers=self._headers(secret, headers))


@pytest.fixture
def api():
    return Api()


@pytest.fixture
def join(db):
    """``join(team, user, role)``: ``user`` (already in another organization) joins ``team``'s organization,
    invited and accepting, as the People screen has it done."""
    from punchlist.orgs import services as org_services

    def accept(team, user, role):
        invitation = org_services.invite_member(team.admin, team.org, user.username, role)
        return org_services.accept_invitation(user, invitation)

    return accept
