"""Operator configuration from the environment, read by ``punchlist.settings``.

Every value is checked when the process starts: a bad value stops it with a message naming the variable,
what was given and what is accepted, instead of a failure deep inside a request or a command.
"""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

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


S3_OPTIONS = {"region": "region_name", "endpoint": "endpoint_url", "addressing": "addressing_style"}


def storages(url: str | None, evidence_dir: str | None, import_dir: str | None,
             name: str = f"{PREFIX}STORAGE_URL", *, report_dir: str | None = None) -> dict:
    """Django's STORAGES entries for the evidence vault, the staged imports and the built reports.

    None: three local folders (PUNCHLIST_EVIDENCE_DIR, PUNCHLIST_IMPORT_DIR, PUNCHLIST_REPORT_DIR, read when
    used). ``s3://BUCKET/PREFIX`` with ``?region=``, ``?endpoint=`` (MinIO, a GovCloud or FIPS endpoint) and
    ``?addressing=path|virtual``: one S3-compatible bucket, evidence under PREFIX/evidence/, staged imports under
    PREFIX/imports/ and reports (and assessor packages) under PREFIX/reports/, with the
    credentials boto3 finds itself (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, an instance role)."""
    if url is None:
        return {"evidence": {"BACKEND": "punchlist.storage.LocalVault",
                             "OPTIONS": {"setting": f"{PREFIX}EVIDENCE_DIR"}},
                "imports": {"BACKEND": "punchlist.storage.LocalStaging",
                            "OPTIONS": {"setting": f"{PREFIX}IMPORT_DIR"}},
                "reports": {"BACKEND": "punchlist.storage.LocalReports",
                            "OPTIONS": {"setting": f"{PREFIX}REPORT_DIR"}}}
    parts = urlsplit(url.strip())
    url = _without_password(url.strip())  # the messages below never show a secret key
    if parts.scheme.lower() != "s3":
        raise ConfigurationError(f"{name}={url!r}: unsupported storage; use s3://BUCKET/PREFIX?region=REGION "
                                 "(leave it unset for the local folders PUNCHLIST_EVIDENCE_DIR and "
                                 "PUNCHLIST_IMPORT_DIR)")
    bucket = parts.hostname or ""
    if not bucket:
        raise ConfigurationError(f"{name}={url!r} names no bucket; e.g. s3://punchlist-evidence/prod?region=us-east-1")
    if parts.username or parts.password:
        raise ConfigurationError(f"{name}={url!r}: keep credentials out of the URL; boto3 reads AWS_ACCESS_KEY_ID "
                                 "and AWS_SECRET_ACCESS_KEY (or a profile, or the instance's role)")
    for folder, given in (("PUNCHLIST_EVIDENCE_DIR", evidence_dir), ("PUNCHLIST_IMPORT_DIR", import_dir),
                          ("PUNCHLIST_REPORT_DIR", report_dir)):
        if given:
            raise ConfigurationError(f"{folder} and {name} are both set: evidence, imports and reports go to the bucket "
                                     f"{bucket!r}; unset {folder}")
    options = {"bucket_name": bucket, "file_overwrite": True, "default_acl": None}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key not in S3_OPTIONS:
            raise ConfigurationError(f"{name}={url!r}: unknown option {key!r}; known: {', '.join(S3_OPTIONS)}")
        if not value:
            raise ConfigurationError(f"{name}={url!r}: the option {key!r} is empty")
        if key == "addressing" and value not in ("path", "virtual"):
            raise ConfigurationError(f"{name}={url!r}: addressing={value!r} is not one of path, virtual")
        if key == "endpoint" and urlsplit(value).scheme not in ("http", "https"):
            raise ConfigurationError(f"{name}={url!r}: endpoint={value!r} is not an http:// or https:// address")
        options[S3_OPTIONS[key]] = value
    if importlib.util.find_spec("boto3") is None or importlib.util.find_spec("storages") is None:
        raise ConfigurationError(f"{name} names S3 storage but django-storages and boto3 are not installed: "
                                 "pip install 'punchlist[s3]'")
    prefix = unquote(parts.path).strip("/")
    return {area: {"BACKEND": f"punchlist.storage_s3.{backend}",
                   "OPTIONS": {**options, "location": f"{prefix}/{area}" if prefix else area}}
            for area, backend in (("evidence", "S3Vault"), ("imports", "S3Staging"), ("reports", "S3Reports"))}


def cache(url: str | None, directory: Path, name: str = f"{PREFIX}CACHE_URL") -> dict:
    """Django's CACHES['default']: a file cache in the data folder, shared by one machine's gunicorn workers;
    ``redis://HOST:PORT/DB`` (or ``rediss://`` with TLS, ``unix://``): one Redis shared by several servers, so
    that sign-in limits and lockouts hold whichever server a browser reaches; ``?prefix=NAME`` keeps the keys
    of one Punchlist apart from another's in the same Redis (default: punchlist)."""
    if url is None:
        return {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(directory / "cache")}
    parts = urlsplit(url.strip())
    url = _without_password(url.strip())  # the messages below never show a password
    if parts.scheme.lower() not in ("redis", "rediss", "unix"):
        raise ConfigurationError(f"{name}={url!r}: unsupported cache; use redis://HOST:6379/0 (rediss:// with TLS)")
    if parts.scheme.lower() != "unix" and not parts.hostname:
        raise ConfigurationError(f"{name}={url!r} names no host; e.g. redis://127.0.0.1:6379/0")
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise ConfigurationError(f"{name}={url!r}: the port is not a number") from None
    query = parse_qsl(parts.query, keep_blank_values=True)
    prefix = [value for key, value in query if key == "prefix"]
    if prefix and not all(re.fullmatch(r"[A-Za-z0-9_.:-]+", value) for value in prefix):
        raise ConfigurationError(f"{name}={url!r}: prefix= takes letters, digits and _ . : - only")
    location = parts._replace(query=urlencode([(key, value) for key, value in query if key != "prefix"])).geturl()
    return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location,
            "KEY_PREFIX": prefix[-1] if prefix else "punchlist"}


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if not parts.password:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)).geturl()
