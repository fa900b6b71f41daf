"""pytest fixtures for tests that use the database: import them into a conftest with
``from punchlist.testing.fixtures import *``.

On SQLite the test database is a file (WAL needs one, and so do tests with several connections or a child
process); on PostgreSQL an unreachable server fails the run with a clear message, never skips it.
"""

from __future__ import annotations

import pytest
from django.db import connection, connections

from punchlist.audit import triggers

from . import make_item, make_team
from .cache_server import redis_cache
from .storage import s3_server, vault_backend

__all__ = ["django_db_modify_db_settings", "postgresql_reachable", "evidence_root", "team", "rival", "item",
           "_reinstall_audit_triggers",
           "live_db", "s3_server", "vault_backend", "redis_cache"]


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("db") / "punchlist-test.sqlite3")


@pytest.fixture(scope="session", autouse=True)
def postgresql_reachable(request):
    """A PUNCHLIST_DATABASE_URL that names a server we cannot reach is an error of the run, under CI and
    elsewhere: the PostgreSQL half of the suite must never pass by not running."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if not database["ENGINE"].endswith("postgresql"):
        return
    import psycopg

    try:
        psycopg.connect(dbname="postgres", user=database["USER"] or None, password=database["PASSWORD"] or None,
                        host=database["HOST"] or None, port=database["PORT"] or None, connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        pytest.fail(f"PUNCHLIST_DATABASE_URL names a PostgreSQL server that cannot be reached "
                    f"({database['HOST']}:{database['PORT']}): {exc}", pytrace=False)


@pytest.fixture(autouse=True)
def evidence_root(settings, tmp_path):
    """Evidence files, web import uploads and the audit checkpoint of a test go to its own folders, never the operator's data folder;
    passwords are hashed cheaply (the hasher is Django's concern, not what these tests check)."""
    settings.MEDIA_ROOT = settings.PUNCHLIST_EVIDENCE_DIR = str(tmp_path / "evidence")
    settings.PUNCHLIST_IMPORT_DIR = str(tmp_path / "imports")  # uploads kept between a web import's steps
    settings.PUNCHLIST_REPORT_DIR = str(tmp_path / "reports")  # reports built by the worker, kept a day
    settings.PUNCHLIST_AUDIT_CHECKPOINT = str(tmp_path / "audit-checkpoint.json")  # each test's chains are its own
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return tmp_path / "evidence"


@pytest.fixture
def team(db):
    return make_team("Acme Machining", "acme")


@pytest.fixture
def rival(db):
    return make_team("Rival Fabrication", "rival")


@pytest.fixture
def item(team):
    return make_item(team)


@pytest.fixture
def _reinstall_audit_triggers(django_db_blocker):
    yield
    with django_db_blocker.unblock():
        triggers.install(connection)


def database_url() -> str:
    """The PUNCHLIST_DATABASE_URL of the test database, for a Punchlist process a test starts (with ``live_db``)."""
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{database['NAME']}"
    return (f"postgresql://{database['USER']}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/"
            f"{database['NAME']}")


@pytest.fixture
def live_db(_reinstall_audit_triggers, transactional_db):
    """Committed transactions, for tests with several connections (threads or processes).

    The database is flushed afterwards, which the audit table's triggers would refuse: they are removed for
    the flush and reinstalled right after it.
    """
    yield
    for alias in connections:
        connections[alias].close()
    triggers.remove(connection)
