"""What a signed-in person must do before any page of the app: choose their own password when they signed in
with a one-time one (3.5.9), then, for administrators and approvers, set up two-factor authentication (3.5.3).

The sign-in, sign-out, password and MFA pages themselves (under /accounts/) stay reachable; an htmx request
is sent to the same page with HX-Redirect, so the whole page changes instead of a fragment.
"""

from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from .accounts import MFA_ROLES, has_totp, needs_password_change, requires_mfa

EXEMPT_PREFIXES = ("/accounts/", "/static/")

__all__ = ["MFA_ROLES", "ContentSecurityPolicyMiddleware", "RequireMfaMiddleware", "needs_mfa"]


def needs_mfa(user) -> bool:
    return requires_mfa(user) and not has_totp(user)


def _go(request, url):
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


class RequireMfaMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith(EXEMPT_PREFIXES):
            if needs_password_change(user):
                return _go(request, reverse("account_change_password") + "?required=1")
            if needs_mfa(user):
                return _go(request, reverse("mfa_activate_totp") + "?required=1")
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """Every response carries settings.PUNCHLIST_CONTENT_SECURITY_POLICY: scripts and styles from Punchlist's
    own static files only, never inline or eval'd, so that text someone managed to slip into a page cannot run
    (a second line behind the templates' escaping). Django 5.2 has no CSP of its own; Django 6 does."""

    def __init__(self, get_response):
        from django.conf import settings

        self.get_response = get_response
        self.policy = settings.PUNCHLIST_CONTENT_SECURITY_POLICY

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", self.policy)
        return response
