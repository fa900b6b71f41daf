"""Deployment checks of our own, run by `manage.py check --deploy` beside Django's (and by `punchlist serve`,
which refuses to start on any error).

A production process must sign sessions with a key that outlives it: the throwaway key punchlist.config gives
a process without one would end every session at each restart and differ between servers. It must also not
run with DEBUG (tracebacks with settings to anyone), with cookies that travel over plain HTTP, or with a key
someone could guess: Django only warns about these, and a warning scrolls past.
"""

import math
from collections import Counter

from django.conf import settings
from django.core import checks

THROWAWAY_PREFIX = "punchlist-unconfigured-"
# Keys that come from examples and templates, which an attacker tries first.
KNOWN_KEY_MARKS = ("django-insecure", "insecure", "changeme", "change-me", "change_me", "secret-key",
                   "secretkey", "your-secret", "yoursecret", "example", "replace-me", "replaceme", "dummy",
                   "punchlist-demo", "test-key", "testkey", "development")
KEY_BITS = 128  # at least this much guessing, estimated from the characters the key is made of


def secret_key_weakness(key: str) -> str | None:
    """Why ``key`` is not fit to sign sessions in production, or None."""
    lowered = key.lower()
    for mark in KNOWN_KEY_MARKS:
        if mark in lowered:
            return f"it contains {mark!r}, a mark of an example or default key"
    if len(key) < 32:
        return f"it is {len(key)} characters long; use at least 50"
    counts = Counter(key)
    bits = -sum(n * math.log2(n / len(key)) for n in counts.values())
    if len(counts) < 10 or bits < KEY_BITS:
        return f"it is made of {len(counts)} different characters (about {bits:.0f} bits; {KEY_BITS} needed)"
    from punchlist.web.passwords import NoPatternValidator

    try:
        NoPatternValidator().validate(key)
    except Exception:  # noqa: BLE001 - a ValidationError: the key is a pattern
        return "it is mostly repetition or a run along the alphabet, the digits or the keyboard"
    return None


@checks.register(checks.Tags.security, deploy=True)
def check_production_settings(app_configs=None, **kwargs):
    """What `punchlist serve` refuses to start with (Django's own checks only warn)."""
    hint_key = ("Set PUNCHLIST_SECRET_KEY to 50 random characters (python -c 'import secrets; "
                "print(secrets.token_urlsafe(50))'), or delete DATA_DIR/secret-key and run `punchlist init`.")
    errors = []
    if settings.DEBUG:
        errors.append(checks.Error(
            "DEBUG is on: error pages would show settings and code to anyone.",
            hint="Remove PUNCHLIST_DEBUG (or set it to no); it is for development on this machine only.",
            id="punchlist.E002"))
    if not (settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE):
        errors.append(checks.Error(
            "Session and CSRF cookies would travel over plain HTTP.",
            hint="Remove PUNCHLIST_SECURE_COOKIES=no and serve behind an HTTPS proxy; plain HTTP is for "
                 "`punchlist demo` on 127.0.0.1 only.",
            id="punchlist.E003"))
    key = str(settings.SECRET_KEY)
    if not key.startswith(THROWAWAY_PREFIX):
        for name, value in [("the secret key", key)] + [
                (f"fallback key {n}", str(k)) for n, k in enumerate(settings.SECRET_KEY_FALLBACKS, 1)]:
            weakness = secret_key_weakness(value)
            if weakness:
                errors.append(checks.Error(f"{name[0].upper()}{name[1:]} is weak: {weakness}.", hint=hint_key,
                                           id="punchlist.E004"))
    return errors


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
    if "punchlist.web.middleware.ContentSecurityPolicyMiddleware" not in settings.MIDDLEWARE:
        problems.append("ContentSecurityPolicyMiddleware is not installed: pages carry no Content-Security-Policy")
    if not any(v["NAME"].endswith("MinimumLengthValidator") for v in settings.AUTH_PASSWORD_VALIDATORS):
        problems.append("no minimum password length (3.5.7)")
    if settings.CACHES["default"]["BACKEND"].endswith("LocMemCache"):
        problems.append("a per-process cache holds the lockout counters: each gunicorn worker would allow its "
                        "own attempts (3.1.8)")
    return [checks.Warning(problem, id="punchlist.W001") for problem in problems]


@checks.register(checks.Tags.security, deploy=True)
def check_shared_services(app_configs=None, **kwargs):
    """The Redis of PUNCHLIST_CACHE_URL and the bucket of PUNCHLIST_STORAGE_URL answer, before `punchlist serve`
    starts: a typo or a missing permission then stops the server with the reason, instead of failing each
    sign-in (no lockout count without the cache) or each upload."""
    errors = []
    if settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        from django.core.cache import cache

        try:
            cache.set("punchlist:deploy-check", "ok", 10)
            reached = cache.get("punchlist:deploy-check") == "ok"
        except Exception as exc:  # noqa: BLE001 - redis' own errors: refused, unknown host, authentication
            reached, why = False, f"{type(exc).__name__}: {exc}"
        else:
            why = "what was written could not be read back"
        if not reached:
            errors.append(checks.Error(
                f"The cache of PUNCHLIST_CACHE_URL cannot be used ({why}); sign-in limits (3.1.8) are counted there.",
                hint="Check the host, port, database number and password of PUNCHLIST_CACHE_URL, and that Redis "
                     "is running and reachable from this server.", id="punchlist.E005"))
    for alias in ("evidence", "imports", "reports"):
        backend = settings.STORAGES[alias]["BACKEND"]
        if not backend.startswith("punchlist.storage_s3."):
            continue
        from django.core.files.storage import storages

        store = storages[alias]
        try:
            store.connection.meta.client.list_objects_v2(Bucket=store.bucket_name,
                                                         Prefix=store.location.rstrip("/") + "/", MaxKeys=1)
        except Exception as exc:  # noqa: BLE001 - botocore's: no such bucket, access denied, no credentials
            errors.append(checks.Error(
                f"The bucket {store.bucket_name!r} of PUNCHLIST_STORAGE_URL cannot be listed under "
                f"{store.location}/ ({type(exc).__name__}: {exc}); evidence and imports are kept there.",
                hint="Check the bucket's name, region and endpoint in PUNCHLIST_STORAGE_URL, and that the "
                     "credentials boto3 finds (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, the instance "
                     "role) may list, read, write and delete under that prefix.", id="punchlist.E006"))
            break
    return errors
