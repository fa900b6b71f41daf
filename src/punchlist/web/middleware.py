"""MFA is required of administrators and approvers (3.5.3) and offered to everyone else.

A signed-in administrator or approver without an authenticator is sent to set one up before any other page;
the sign-in, sign-out and MFA pages themselves stay reachable.
"""

from django.shortcuts import redirect
from django.urls import reverse

from punchlist.orgs.models import Membership, Role

MFA_ROLES = (Role.ADMIN, Role.APPROVER)
EXEMPT_PREFIXES = ("/accounts/", "/static/")


def needs_mfa(user) -> bool:
    from allauth.mfa.models import Authenticator

    if not Membership.objects.filter(user=user, role__in=MFA_ROLES).exists():
        return False
    return not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class RequireMfaMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated and not request.path.startswith(EXEMPT_PREFIXES)
                and needs_mfa(user)):
            return redirect(reverse("mfa_activate_totp") + "?required=1")
        return self.get_response(request)
