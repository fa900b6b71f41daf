"""Operator configuration from the environment, read by ``punchlist.settings``.

Every value is checked when the process starts: a bad value stops it with a message naming the variable,
what was given and what is accepted, instead of a failure deep inside a request or a command.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

PREFIX = "PUNCHLIST_"
SQLITE_FILE = "punchlist.sqlite3"


class ConfigurationError(ImproperlyConfigured):
    """An operator setting is malformed; the message names the variable and the accepted forms."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool, environ=os.environ) -> bool:
    raw = environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigurationError(f"{name}={raw!r} is not a yes/no value; use one of 1, true, yes, on, 0, false, no, off")


def env_int(name: str, default: int, *, minimum: int = 0, environ=os.environ) -> int:
    raw = environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigurationError(f"{name}={raw!r} is not a whole number") from None
    if value < minimum:
        raise ConfigurationError(f"{name}={raw!r} must be at least {minimum}")
    return value


def env_choice(name: str, default: str, choices: tuple[str, ...], environ=os.environ) -> str:
    raw = environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value not in choices:
        raise ConfigurationError(f"{name}={raw!r} is not one of {', '.join(choices)}")
    return value


def env_list(name: str, default: list[str], environ=os.environ) -> list[str]:
    raw = environ.get(name)
    if raw is None:
        return default
    values = [part.strip() for part in raw.split(",") if part.strip()]
    if not values:
        raise ConfigurationError(f"{name} is set but empty; give a comma-separated list, e.g. 'punchlist.example.com'")
    return values


def data_dir(environ=os.environ) -> Path:
    """Where the SQLite database, the secret key and (later) the evidence files live."""
    raw = environ.get(f"{PREFIX}DATA_DIR")
    if raw is None:
        base = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        return Path(base) / "punchlist"
    if not raw.strip():
        raise ConfigurationError(f"{PREFIX}DATA_DIR is set but empty; give a folder, e.g. /var/lib/punchlist")
    path = Path(raw).expanduser()
    if path.exists() and not path.is_dir():
        raise ConfigurationError(f"{PREFIX}DATA_DIR={raw!r} exists and is not a folder")
    return path.absolute()


def sqlite_database(path: Path) -> dict:
    """SQLite in WAL mode with immediate transactions: concurrent writers wait for each other (up to the
    timeout) instead of failing with 'database is locked' when a read transaction tries to become a write.

    Temporary storage in memory: a statement that writes many rows at once (an import's multi-row INSERT)
    keeps the pages it may have to undo in a statement journal, which would otherwise spill to a temporary
    file; for a 50,000-row import that is as many bytes again as the database itself. Nothing durable lives
    there (a crash discards it either way), so WAL and synchronous keep their guarantees."""
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY",
        },
    }


def database(url: str | None, directory: Path, name: str = f"{PREFIX}DATABASE_URL") -> dict:
    """Django's DATABASES['default'] from a URL: ``sqlite:///abs/path.sqlite3`` or
    ``postgresql://user:password@host:port/dbname?sslmode=require``. None: SQLite in the data folder."""
    if url is None:
        return sqlite_database(directory / SQLITE_FILE)
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        path = unquote(parts.path)
        if parts.netloc or not path or path == "/":
            raise ConfigurationError(
                f"{name}={url!r}: a SQLite URL names a file, e.g. sqlite:////var/lib/punchlist/db.sqlite3 "
                "(absolute) or sqlite:///db.sqlite3 (relative to the data folder)"
            )
        # sqlite:///rel -> path "/rel" (relative); sqlite:////abs -> path "//abs" (absolute).
        relative = path[1:]
        file = Path(relative) if relative.startswith("/") else directory / relative
        return sqlite_database(file)
    if scheme in ("postgres", "postgresql", "pgsql"):
        dbname = unquote(parts.path.lstrip("/"))
        if not dbname:
            raise ConfigurationError(f"{name}={url!r} names no database; e.g. postgresql://user@host:5432/punchlist")
        try:
            port = parts.port
        except ValueError as exc:
            raise ConfigurationError(f"{name}={url!r}: the port is not a number") from exc
        options = dict(parse_qsl(parts.query, keep_blank_values=False))
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": dbname,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": unquote(parts.hostname or ""),
            "PORT": str(port or ""),
            "OPTIONS": options,
            "CONN_HEALTH_CHECKS": True,
        }
    raise ConfigurationError(
        f"{name}={url!r}: unsupported database; use sqlite:///FILE or postgresql://USER@HOST:PORT/NAME"
    )


def secret_key(environ, directory: Path, debug: bool) -> str:
    """The key Django signs sessions and tokens with.

    Given in the environment, or written by ``punchlist init`` to ``DATA_DIR/secret-key``. Without either,
    a DEBUG process gets a throwaway key; a production one refuses to start rather than sign with a guess.
    """
    raw = environ.get(f"{PREFIX}SECRET_KEY")
    if raw is not None:
        if len(raw.strip()) < 32:
            raise ConfigurationError(f"{PREFIX}SECRET_KEY is too short ({len(raw.strip())} characters); use 50 "
                                     "random characters, e.g. from `python -c 'import secrets; "
                                     "print(secrets.token_urlsafe(50))'`")
        return raw.strip()
    file = directory / "secret-key"
    if file.is_file():
        return file.read_text(encoding="utf-8").strip()
    # No key yet: commands that sign nothing (init, import, score, lint, verify) still run; the web
    # server's deployment check insists on a real key.
    return "punchlist-unconfigured-" + os.urandom(24).hex()
