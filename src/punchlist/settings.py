"""Django settings for Punchlist: one module, the operator's configuration from the environment.

PUNCHLIST_DATA_DIR       folder for the SQLite database, the secret key and evidence files
                         (default: $XDG_DATA_HOME/punchlist or ~/.local/share/punchlist)
PUNCHLIST_DATABASE_URL   sqlite:///FILE or postgresql://USER:PASSWORD@HOST:PORT/NAME (default: SQLite in the data dir)
PUNCHLIST_SECRET_KEY     at least 32 characters (default: DATA_DIR/secret-key as written by `punchlist init`)
PUNCHLIST_SECRET_KEY_FALLBACKS  earlier secret keys, comma-separated, kept after a rotation so that sessions
                         and the encrypted TOTP secrets still open (default: none)
PUNCHLIST_DEBUG          yes/no (default no)
PUNCHLIST_ALLOWED_HOSTS  comma-separated host names (default localhost,127.0.0.1)
PUNCHLIST_TIME_ZONE      the organization's local zone for display (default UTC)
PUNCHLIST_SESSION_IDLE_MINUTES  sign out after this many idle minutes (default 15; 3.1.10, 3.1.11)
PUNCHLIST_SECURE_COOKIES yes/no: HTTPS-only cookies and HSTS (default: yes unless PUNCHLIST_DEBUG)
PUNCHLIST_MFA_EVERYONE   yes/no: every sign-in needs a second factor, not only administrators' and approvers'
                         (default no; yes where Punchlist is inside the assessed boundary, 3.5.3)
PUNCHLIST_SIGN_IN_NOTICE the system use notice shown on the sign-in page (3.1.9; default: a short one)
PUNCHLIST_EVIDENCE_DIR   the evidence vault: files stored once by SHA-256 (default: DATA_DIR/evidence)
PUNCHLIST_IMPORT_DIR     uploads kept between the steps of a web import, a day at most (default: DATA_DIR/imports)
PUNCHLIST_EMAIL_HOST, _PORT, _USER, _PASSWORD, _TLS   the SMTP server reminders go through (default localhost:25)
PUNCHLIST_SITE_URL       the address people reach Punchlist at, for links in reminders (default: none)

A malformed value stops the process with a ConfigurationError that names the variable.
"""

import os
import zoneinfo

from punchlist import config

DATA_DIR = config.data_dir()
DEBUG = config.env_bool("PUNCHLIST_DEBUG", False)
SECRET_KEY = config.secret_key(os.environ, DATA_DIR, DEBUG)
SECRET_KEY_FALLBACKS = config.env_list("PUNCHLIST_SECRET_KEY_FALLBACKS", [])  # earlier keys, after a rotation
ALLOWED_HOSTS = config.env_list("PUNCHLIST_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])

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
]

AUTHENTICATION_BACKENDS = [
    # Object permissions per organization and role (punchlist.orgs.rules), then allauth's sign-in (which
    # applies the rate limits that lock out repeated failures, 3.1.8).
    "rules.permissions.ObjectPermissionBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
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

# The evidence vault (issue 6): files stored once by SHA-256, in a folder the operator chooses.
PUNCHLIST_EVIDENCE_DIR = os.path.abspath(os.path.expanduser(os.environ.get("PUNCHLIST_EVIDENCE_DIR")
                                                            or str(DATA_DIR / "evidence")))
MEDIA_ROOT = PUNCHLIST_EVIDENCE_DIR
# POA&M files uploaded for import, kept from the upload to the import (punchlist.web.staging).
PUNCHLIST_IMPORT_DIR = os.path.abspath(os.path.expanduser(os.environ.get("PUNCHLIST_IMPORT_DIR")
                                                          or str(DATA_DIR / "imports")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
}

# Static files: served by whitenoise from the collected folder; in tests and the demo, from the apps.
STATIC_URL = "/static/"
STATIC_ROOT = str(DATA_DIR / "static")
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
WHITENOISE_USE_FINDERS = True

# Caches hold allauth's rate-limit counters (the lockout); a file cache is shared by every gunicorn worker.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(DATA_DIR / "cache"),
    }
}

# Sign-in, MFA and lockout (3.1.8, 3.5.3, 3.5.7): see docs/security.md.
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "web:home"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "punchlist.web.accounts.AccountAdapter"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_RATE_LIMITS = {
    # Five failed sign-ins for one account within 15 minutes lock it for the rest of the window (3.1.8).
    "login_failed": "20/m/ip,5/15m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Punchlist"
MFA_RECOVERY_CODE_COUNT = 10
# Administrators and approvers cannot switch their authenticator off (punchlist.web.accounts).
MFA_ADAPTER = "punchlist.web.accounts.MfaAdapter"
MFA_FORMS = {"authenticate": "punchlist.web.accounts.AuthenticateForm"}  # wrong codes go to the security log
PUNCHLIST_MFA_EVERYONE = config.env_bool("PUNCHLIST_MFA_EVERYONE", False)
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
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Uploads (evidence, spreadsheets) are size-limited; larger ones are refused with a message.
PUNCHLIST_MAX_UPLOAD_BYTES = config.env_int("PUNCHLIST_MAX_UPLOAD_MB", 25, minimum=1) * 1024 * 1024
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
