"""Deployment checks of our own, run by `manage.py check --deploy` beside Django's (and by `punchlist serve`).

A production process must sign sessions with a key that outlives it: the throwaway key punchlist.config gives
a process without one would end every session at each restart and differ between servers.
"""

from django.conf import settings
from django.core import checks

THROWAWAY_PREFIX = "punchlist-unconfigured-"


@checks.register(checks.Tags.security, deploy=True)
def check_secret_key(app_configs=None, **kwargs):
    if str(settings.SECRET_KEY).startswith(THROWAWAY_PREFIX):
        return [checks.Error(
            "No secret key is configured; this process made up a throwaway one.",
            hint="Set PUNCHLIST_SECRET_KEY (50 random characters), or run `punchlist init`, which writes "
                 "DATA_DIR/secret-key.",
            id="punchlist.E001")]
    return []


@checks.register(checks.Tags.security, deploy=True)
def check_sign_in_rules(app_configs=None, **kwargs):
    """The settings the 800-171 mapping (docs/security.md) relies on, so a local edit cannot drop one
    silently."""
    problems = []
    if "login_failed" not in getattr(settings, "ACCOUNT_RATE_LIMITS", {}):
        problems.append("ACCOUNT_RATE_LIMITS has no 'login_failed' limit: nothing locks out repeated failures "
                        "(3.1.8)")
    if not settings.SESSION_SAVE_EVERY_REQUEST or settings.SESSION_COOKIE_AGE > 60 * 60:
        problems.append("sessions do not end after at most an hour of inactivity (3.1.10, 3.1.11)")
    if "punchlist.web.middleware.RequireMfaMiddleware" not in settings.MIDDLEWARE:
        problems.append("RequireMfaMiddleware is not installed: administrators and approvers could work "
                        "without a second factor (3.5.3)")
    if not any(v["NAME"].endswith("MinimumLengthValidator") for v in settings.AUTH_PASSWORD_VALIDATORS):
        problems.append("no minimum password length (3.5.7)")
    if settings.CACHES["default"]["BACKEND"].endswith("LocMemCache"):
        problems.append("a per-process cache holds the lockout counters: each gunicorn worker would allow its "
                        "own attempts (3.1.8)")
    return [checks.Warning(problem, id="punchlist.W001") for problem in problems]
