"""Django settings for Punchlist: one module, the operator's configuration from the environment.

PUNCHLIST_DATA_DIR       folder for the SQLite database, the secret key and evidence files
                         (default: $XDG_DATA_HOME/punchlist or ~/.local/share/punchlist)
PUNCHLIST_DATABASE_URL   sqlite:///FILE or postgresql://USER:PASSWORD@HOST:PORT/NAME (default: SQLite in the data dir)
PUNCHLIST_SECRET_KEY     at least 32 characters (default: DATA_DIR/secret-key as written by `punchlist init`)
PUNCHLIST_SECRET_KEY_FALLBACKS  earlier secret keys, comma-separated, kept after a rotation so that sessions
                         and the encrypted TOTP secrets still open (default: none)
PUNCHLIST_AUDIT_KEY      the key the audit trail's events are keyed with (HMAC), when it should not be the secret
                         key's (default: derived from PUNCHLIST_SECRET_KEY); PUNCHLIST_AUDIT_KEY_FALLBACKS:
                         earlier ones, comma-separated, kept after a rotation so that older events still verify
PUNCHLIST_AUDIT_CHECKPOINT  the file the chains' heads are published to after each commit, for `punchlist verify`
                         (default: DATA_DIR/audit-checkpoint.json; keep it where the database's users cannot write)
PUNCHLIST_DEBUG          yes/no (default no)
PUNCHLIST_ALLOWED_HOSTS  comma-separated host names (default localhost,127.0.0.1)
PUNCHLIST_TRUSTED_PROXIES  how many reverse proxies (nginx, Caddy, a load balancer) stand in front of Punchlist
                         and append to X-Forwarded-For (default 0: the connecting address is the browser's). Set it
                         to 1 behind one proxy: sign-in limits and the security log then see each browser's own
                         address instead of the proxy's (3.1.8, 3.3.1). Never more than there really are: the
                         browser writes the entries to the left of them itself.
PUNCHLIST_TIME_ZONE      the organization's local zone for display (default UTC)
PUNCHLIST_SESSION_IDLE_MINUTES  sign out after this many idle minutes (default 15; 3.1.10, 3.1.11)
PUNCHLIST_SECURE_COOKIES yes/no: HTTPS-only cookies and HSTS (default: yes unless PUNCHLIST_DEBUG)
PUNCHLIST_REQUIRE_MFA    who must sign in with a second factor: everyone (the default; 3.5.3 asks it for network
                         access to every account) or privileged (administrators and approvers only: an explicit
                         choice for a Punchlist outside the assessed boundary, to be stated in the SSP)
PUNCHLIST_SIGN_IN_NOTICE the system use notice shown on the sign-in page (3.1.9; default: a short one)
PUNCHLIST_EVIDENCE_DIR   the evidence vault: files stored once by SHA-256 (default: DATA_DIR/evidence)
PUNCHLIST_IMPORT_DIR     uploads kept between the steps of a web import, a day at most (default: DATA_DIR/imports)
PUNCHLIST_REPORT_DIR     reports and assessor packages built by the worker, a day at most (default: DATA_DIR/reports)
PUNCHLIST_STORAGE_URL    s3://BUCKET/PREFIX?region=REGION&endpoint=URL&addressing=path|virtual: evidence and import
                         uploads in an S3-compatible bucket (AWS S3, GovCloud, MinIO) instead of the two folders
                         above, which must then be unset; credentials as boto3 finds them (AWS_ACCESS_KEY_ID and
                         AWS_SECRET_ACCESS_KEY, a profile, an instance role); needs `pip install 'punchlist[s3]'`
PUNCHLIST_CACHE_URL      redis://HOST:PORT/DB (rediss:// with TLS): the cache the sign-in limits and lockout are
                         counted in, shared by several servers (default: a file cache in DATA_DIR/cache)
PUNCHLIST_EMAIL_HOST, _PORT, _USER, _PASSWORD, _TLS   the SMTP server reminders go through (default localhost:25)
PUNCHLIST_SITE_URL       the address people reach Punchlist at, for links in reminders (default: none)
PUNCHLIST_REMIND_EVERY_MINUTES  how often `punchlist worker` queues the reminders (default 60; 0: never, run
                         `punchlist remind` from cron instead)
PUNCHLIST_REHASH_EVERY_HOURS  how often it queues the re-hash of every evidence file (default 24; 0: never)

A malformed value stops the process with a ConfigurationError that names the variable.
"""

import os
import zoneinfo

from punchlist import config

DATA_DIR = config.data_dir()
DEBUG = config.env_bool("PUNCHLIST_DEBUG", False)
SECRET_KEY = config.secret_key(os.environ, DATA_DIR, DEBUG)
SECRET_KEY_FALLBACKS = config.env_list("PUNCHLIST_SECRET_KEY_FALLBACKS", [])  # earlier keys, after a rotation
PUNCHLIST_AUDIT_KEY = os.environ.get("PUNCHLIST_AUDIT_KEY", "").strip()
PUNCHLIST_AUDIT_KEY_FALLBACKS = config.env_list("PUNCHLIST_AUDIT_KEY_FALLBACKS", [])
PUNCHLIST_AUDIT_CHECKPOINT = os.environ.get("PUNCHLIST_AUDIT_CHECKPOINT") or str(DATA_DIR / "audit-checkpoint.json")
ALLOWED_HOSTS = config.env_list("PUNCHLIST_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
# How many reverse proxies stand between the browser and Punchlist: the browser's address is the one the
# outermost of them wrote into X-Forwarded-For (punchlist.web.lockout.client_ip); allauth reads the same.
PUNCHLIST_TRUSTED_PROXIES = config.env_int("PUNCHLIST_TRUSTED_PROXIES", 0, minimum=0)
ALLAUTH_TRUSTED_PROXY_COUNT = PUNCHLIST_TRUSTED_PROXIES

DATABASES = {"default": config.database(os.environ.get("PUNCHLIST_DATABASE_URL"), DATA_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Before allauth: its sign-in and MFA pages are drawn with the web app's templates (templates/account, mfa).
    "punchlist.web",
    "punchlist.reports",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_htmx",
    "rules",
    "punchlist.orgs",
    "punchlist.audit",
    "punchlist.register",
    "punchlist.rhythm",
    "punchlist.scans",
    "punchlist.api",
    "django_tasks",
    "django_tasks_db",
]

# Background tasks (an import too long for a web request) queue in the database and run in `punchlist
# worker` (django-tasks' db_worker): nothing to install or run beside Punchlist on one machine.
# A small upload is checked and imported within its request, by the same task on the immediate backend.
TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]},
    "inline": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]},
}

AUTHENTICATION_BACKENDS = [
    # Object permissions per organization and role (punchlist.orgs.rules), then allauth's sign-in (which
    # applies the rate limits that lock out repeated failures, 3.1.8).
    "rules.permissions.ObjectPermissionBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "punchlist.web.middleware.ContentSecurityPolicyMiddleware",  # on every response, static files included
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "punchlist.web.middleware.RequireMfaMiddleware",
]

ROOT_URLCONF = "punchlist.urls"
WSGI_APPLICATION = "punchlist.web.wsgi.application"

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
                "punchlist.web.context.navigation",
                "punchlist.web.context.closeout_clock",
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

# The evidence vault (files stored once by SHA-256) and the POA&M files uploaded for import, kept from the
# upload to the import (punchlist.web.staging): two local folders by default, or one S3-compatible bucket
# (PUNCHLIST_STORAGE_URL), through Django's STORAGES ("evidence", "imports", "reports"; punchlist.storage).
_EVIDENCE_DIR, _IMPORT_DIR = os.environ.get("PUNCHLIST_EVIDENCE_DIR"), os.environ.get("PUNCHLIST_IMPORT_DIR")
_REPORT_DIR = os.environ.get("PUNCHLIST_REPORT_DIR")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    **config.storages(os.environ.get("PUNCHLIST_STORAGE_URL"), _EVIDENCE_DIR, _IMPORT_DIR, report_dir=_REPORT_DIR),
}
PUNCHLIST_EVIDENCE_DIR = os.path.abspath(os.path.expanduser(_EVIDENCE_DIR or str(DATA_DIR / "evidence")))
MEDIA_ROOT = PUNCHLIST_EVIDENCE_DIR
PUNCHLIST_IMPORT_DIR = os.path.abspath(os.path.expanduser(_IMPORT_DIR or str(DATA_DIR / "imports")))
PUNCHLIST_REPORT_DIR = os.path.abspath(os.path.expanduser(_REPORT_DIR or str(DATA_DIR / "reports")))

# Static files: served by whitenoise from the collected folder; in tests and the demo, from the apps.
STATIC_URL = "/static/"
STATIC_ROOT = str(DATA_DIR / "static")
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
WHITENOISE_USE_FINDERS = True

# Caches hold the sign-in limits and lockout counters (punchlist.web.lockout, allauth's rate limits) and an
# import's progress: a file cache is shared by one machine's gunicorn workers; PUNCHLIST_CACHE_URL=redis://...
# shares them between several servers.
CACHES = {"default": config.cache(os.environ.get("PUNCHLIST_CACHE_URL"), DATA_DIR)}

# Sign-in, MFA and lockout (3.1.8, 3.5.3, 3.5.7): see docs/security.md.
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "web:home"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "punchlist.web.accounts.AccountAdapter"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = False
# Failed password sign-ins (3.1.8), counted per account at one address and per address, so that nobody can
# lock someone else out: 5 failures of one account from one address within 15 minutes lock that account
# from that address; 20 from one address, whatever the usernames, lock the address. Each repeated lock lasts
# twice as long, up to a day (punchlist.web.lockout).
PUNCHLIST_LOCKOUT = {"account_failures": 5, "address_failures": 20, "minutes": 15, "longest_hours": 24}
ACCOUNT_RATE_LIMITS = {
    # allauth's own count now serves the second factor only (reached with the right password alone): five
    # wrong codes for one account within 15 minutes lock its second factor for the rest of the window.
    "login_failed": "5/15m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Punchlist"
MFA_RECOVERY_CODE_COUNT = 10
# Administrators and approvers cannot switch their authenticator off (punchlist.web.accounts).
MFA_ADAPTER = "punchlist.web.accounts.MfaAdapter"
MFA_FORMS = {"authenticate": "punchlist.web.accounts.AuthenticateForm"}  # wrong codes go to the security log
PUNCHLIST_REQUIRE_MFA = config.env_choice("PUNCHLIST_REQUIRE_MFA", "everyone", ("everyone", "privileged"))
if "PUNCHLIST_MFA_EVERYONE" in os.environ:
    raise config.ConfigurationError(
        "PUNCHLIST_MFA_EVERYONE is gone: everyone signs in with a second factor by default; remove it, or set "
        "PUNCHLIST_REQUIRE_MFA=privileged to ask it of administrators and approvers only")
PUNCHLIST_SIGN_IN_NOTICE = os.environ.get(
    "PUNCHLIST_SIGN_IN_NOTICE",
    "For authorized use only. Punchlist holds the organization's security plans; what you do here is recorded "
    "and may be monitored.")

# Sign-ins, failures, lockouts and sign-outs, one line each on stderr (gunicorn and systemd keep it; 3.3.1).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"security": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"security": {"class": "logging.StreamHandler", "formatter": "security"}},
    "loggers": {"punchlist.security": {"handlers": ["security"], "level": "INFO"}},
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # What guessing tools try first: names with a few characters added, common passwords dressed up,
    # repetition and runs along the alphabet, the digits or the keyboard (punchlist.web.passwords).
    {"NAME": "punchlist.web.passwords.NotBuiltOnNamesValidator"},
    {"NAME": "punchlist.web.passwords.NotCommonAtHeartValidator"},
    {"NAME": "punchlist.web.passwords.NoPatternValidator"},
]

# Idle sessions end (3.1.10, 3.1.11): every request pushes the expiry forward; closing the browser ends it.
SESSION_COOKIE_AGE = config.env_int("PUNCHLIST_SESSION_IDLE_MINUTES", 15, minimum=1) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

SECURE_COOKIES = config.env_bool("PUNCHLIST_SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_SSL_REDIRECT = config.env_bool("PUNCHLIST_SSL_REDIRECT", SECURE_COOKIES)
SECURE_HSTS_SECONDS = 31536000 if SECURE_COOKIES else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_COOKIES
SECURE_HSTS_PRELOAD = SECURE_COOKIES
# X-Forwarded-Proto is believed only from a proxy the operator said is there; without one, a browser could
# write it itself.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PUNCHLIST_TRUSTED_PROXIES else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# No inline script, no inline style, no eval: only Punchlist's own static files run (punchlist.web.middleware).
# The QR code of a new authenticator is an SVG data: image.
PUNCHLIST_CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'",
    "connect-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
])

# Uploads (evidence, spreadsheets) are size-limited; larger ones are refused with a message.
PUNCHLIST_MAX_UPLOAD_BYTES = config.env_int("PUNCHLIST_MAX_UPLOAD_MB", 25, minimum=1) * 1024 * 1024
# Uploads up to this size are checked and imported within the request; larger ones by `punchlist worker`.
PUNCHLIST_IMPORT_INLINE_BYTES = config.env_int("PUNCHLIST_IMPORT_INLINE_KB", 1024, minimum=0) * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

EMAIL_BACKEND = os.environ.get("PUNCHLIST_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("PUNCHLIST_FROM_EMAIL", "punchlist@localhost")
EMAIL_HOST = os.environ.get("PUNCHLIST_EMAIL_HOST", "localhost")
EMAIL_PORT = config.env_int("PUNCHLIST_EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = os.environ.get("PUNCHLIST_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("PUNCHLIST_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = config.env_bool("PUNCHLIST_EMAIL_TLS", False)
EMAIL_TIMEOUT = 30
PUNCHLIST_SITE_URL = os.environ.get("PUNCHLIST_SITE_URL", "").rstrip("/")
# What `punchlist worker` queues by itself, without cron (punchlist.rhythm.schedule); 0 turns one off.
PUNCHLIST_REMIND_EVERY_MINUTES = config.env_int("PUNCHLIST_REMIND_EVERY_MINUTES", 60, minimum=0)
PUNCHLIST_REHASH_EVERY_HOURS = config.env_int("PUNCHLIST_REHASH_EVERY_HOURS", 24, minimum=0)
