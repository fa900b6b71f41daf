"""Operator configuration from the environment: good values become settings, bad ones stop the process with
a message naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from punchlist import config
from punchlist.config import ConfigurationError


def test_default_database_is_sqlite_in_wal_mode_under_the_data_dir(tmp_path):
    database = config.database(None, tmp_path)
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == str(tmp_path / "punchlist.sqlite3")
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]


@pytest.mark.django_db
def test_sqlite_connections_keep_durability_and_temporary_storage_in_memory():
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's pragmas")
    with connection.cursor() as cursor:
        values = {}
        for pragma in ("synchronous", "temp_store", "foreign_keys"):
            cursor.execute(f"PRAGMA {pragma}")
            values[pragma] = cursor.fetchone()[0]
    # synchronous NORMAL (1) under WAL, temporary storage (statement journals) in memory (2), and foreign keys on.
    assert values == {"synchronous": 1, "temp_store": 2, "foreign_keys": 1}


def test_database_urls(tmp_path):
    assert config.database("sqlite:////srv/pl/db.sqlite3", tmp_path)["NAME"] == "/srv/pl/db.sqlite3"
    assert config.database("sqlite:///db.sqlite3", tmp_path)["NAME"] == str(tmp_path / "db.sqlite3")
    pg = config.database("postgresql://punch%40list:s%3Acret@db.internal:6543/punchlist?sslmode=require",
                         tmp_path)
    assert pg["ENGINE"] == "django.db.backends.postgresql"
    assert (pg["USER"], pg["PASSWORD"], pg["HOST"], pg["PORT"], pg["NAME"]) == (
        "punch@list", "s:cret", "db.internal", "6543", "punchlist")
    assert pg["OPTIONS"] == {"sslmode": "require"}
    assert config.database("postgres://u@h/db", tmp_path)["PORT"] == ""


@pytest.mark.parametrize("url, message", [
    ("mysql://root@localhost/pl", "unsupported database"),
    ("postgresql://u@h:5432/", "names no database"),
    ("postgresql://u@h:port/db", "port is not a number"),
    ("sqlite://", "names a file"),
    ("punchlist.sqlite3", "unsupported database"),
])
def test_bad_database_urls_name_the_variable(tmp_path, url, message):
    with pytest.raises(ConfigurationError, match=f"PUNCHLIST_DATABASE_URL=.*{message}"):
        config.database(url, tmp_path)


def test_booleans_lists_and_keys():
    assert config.env_bool("PUNCHLIST_DEBUG", False, {"PUNCHLIST_DEBUG": "Yes"}) is True
    assert config.env_bool("PUNCHLIST_DEBUG", True, {"PUNCHLIST_DEBUG": "0"}) is False
    with pytest.raises(ConfigurationError, match="PUNCHLIST_DEBUG='maybe' is not a yes/no value"):
        config.env_bool("PUNCHLIST_DEBUG", False, {"PUNCHLIST_DEBUG": "maybe"})
    assert config.env_list("H", [], {"H": "a.example, b.example ,"}) == ["a.example", "b.example"]
    with pytest.raises(ConfigurationError, match="H is set but empty"):
        config.env_list("H", [], {"H": " , "})
    with pytest.raises(ConfigurationError, match="PUNCHLIST_SECRET_KEY is too short"):
        config.secret_key({"PUNCHLIST_SECRET_KEY": "hunter2"}, Path("/nonexistent"), False)


def test_secret_key_from_the_data_dir(tmp_path):
    (tmp_path / "secret-key").write_text("k" * 50 + "\n")
    assert config.secret_key({}, tmp_path, False) == "k" * 50


def test_data_dir(tmp_path):
    assert config.data_dir({"PUNCHLIST_DATA_DIR": str(tmp_path)}) == tmp_path
    assert config.data_dir({"XDG_DATA_HOME": "/x"}) == Path("/x/punchlist")
    (tmp_path / "file").write_text("")
    with pytest.raises(ConfigurationError, match="is not a folder"):
        config.data_dir({"PUNCHLIST_DATA_DIR": str(tmp_path / "file")})


def test_a_bad_value_stops_django_from_starting(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "punchlist.settings", "PUNCHLIST_DATA_DIR": str(tmp_path),
           "PUNCHLIST_DATABASE_URL": "oracle://scott@tiger/db"}
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "ConfigurationError: PUNCHLIST_DATABASE_URL='oracle://scott@tiger/db': unsupported database" in \
        result.stderr
