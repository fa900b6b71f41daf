"""Fixtures for the audit trail's tests: the register's, shared through punchlist.testing.fixtures."""

import os

# pytest-django activates when DJANGO_SETTINGS_MODULE is known: from [tool.pytest.ini_options] once the
# lead adds it, else from here, so that `pytest tests/register` works either way.
if not os.environ.get("DJANGO_SETTINGS_MODULE"):
    os.environ["DJANGO_SETTINGS_MODULE"] = "punchlist.settings"
    import django

    django.setup()

from punchlist.testing.fixtures import *  # noqa: E402,F401,F403
