"""Fixtures for the register's tests; the same tests run on SQLite (default) and on PostgreSQL when
PUNCHLIST_DATABASE_URL points at one (pytest-django creates and drops a test_<name> database)."""

import os

# pytest-django activates when DJANGO_SETTINGS_MODULE is known: from [tool.pytest.ini_options] once the
# lead adds it, else from here, so that `pytest tests/register` works either way.
if not os.environ.get("DJANGO_SETTINGS_MODULE"):
    os.environ["DJANGO_SETTINGS_MODULE"] = "punchlist.settings"
    import django

    django.setup()

from punchlist.testing.fixtures import *  # noqa: E402,F401,F403
