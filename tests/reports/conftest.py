"""Fixtures for the reports' tests: ``acme`` (report_builders.build_register on ``team``), ``login_as(user)``
(a signed-in test client, past the MFA gate), and plain-HTTP web settings."""

from __future__ import annotations

import os

import pytest
from django.test import Client
from report_builders import Acme, build_register

from punchlist.testing.fixtures import *  # noqa: F401,F403


@pytest.fixture
def acme(team) -> Acme:
    return build_register(team)


@pytest.fixture(autouse=True)
def web_settings(settings, tmp_path):
    settings.SECURE_SSL_REDIRECT = False
    settings.STATIC_ROOT = str(tmp_path / "static")
    os.makedirs(settings.STATIC_ROOT, exist_ok=True)
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                                   "LOCATION": str(tmp_path / "cache")}}
    return settings


@pytest.fixture
def login_as(db):
    from punchlist.web.accounts import activate_totp, requires_mfa

    def sign_in(user) -> Client:
        client = Client()
        if requires_mfa(user):
            activate_totp(user)
        client.force_login(user)
        return client

    return sign_in
