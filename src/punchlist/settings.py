"""Django settings for Punchlist: one module, the operator's configuration from the environment.

PUNCHLIST_DATA_DIR       folder for the SQLite database, the secret key and evidence files
                         (default: $XDG_DATA_HOME/punchlist or ~/.local/share/punchlist)
PUNCHLIST_DATABASE_URL   sqlite:///FILE or postgresql://USER:PASSWORD@HOST:PORT/NAME (default: SQLite in the data dir)
PUNCHLIST_SECRET_KEY     at least 32 characters (default: DATA_DIR/secret-key as written by `punchlist init`)
PUNCHLIST_DEBUG          yes/no (default no)
PUNCHLIST_ALLOWED_HOSTS  comma-separated host names (default localhost,127.0.0.1)
PUNCHLIST_TIME_ZONE      the organization's local zone for display (default UTC)

A malformed value stops the process with a ConfigurationError that names the variable.
"""

import os
import zoneinfo

from punchlist import config

DATA_DIR = config.data_dir()
DEBUG = config.env_bool("PUNCHLIST_DEBUG", False)
SECRET_KEY = config.secret_key(os.environ, DATA_DIR, DEBUG)
ALLOWED_HOSTS = config.env_list("PUNCHLIST_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])

DATABASES = {"default": config.database(os.environ.get("PUNCHLIST_DATABASE_URL"), DATA_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "rules",
    "punchlist.orgs",
    "punchlist.audit",
    "punchlist.register",
]

AUTHENTICATION_BACKENDS = [
    # Object permissions per organization and role (punchlist.orgs.rules), then plain passwords.
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

USE_TZ = True
TIME_ZONE = os.environ.get("PUNCHLIST_TIME_ZONE", "UTC")
if TIME_ZONE not in zoneinfo.available_timezones():
    raise config.ConfigurationError(f"PUNCHLIST_TIME_ZONE={TIME_ZONE!r} is not a time zone name, e.g. America/New_York")
LANGUAGE_CODE = "en-us"
USE_I18N = False

# Evidence files (issue 6 moves them into a content-addressed vault under the same folder).
MEDIA_ROOT = str(DATA_DIR / "evidence")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
}
