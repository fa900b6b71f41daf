"""Fixtures for the scan history's tests: the register's (SQLite by default, PostgreSQL where
PUNCHLIST_DATABASE_URL names one)."""

import os

if not os.environ.get("DJANGO_SETTINGS_MODULE"):
    os.environ["DJANGO_SETTINGS_MODULE"] = "punchlist.settings"
    import django

    django.setup()

from punchlist.testing.fixtures import *  # noqa: E402,F401,F403
