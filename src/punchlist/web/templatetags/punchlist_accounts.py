"""Template tags of the sign-in and Security pages."""

from django import template

from punchlist.web.accounts import requires_mfa

register = template.Library()


@register.simple_tag(takes_context=True)
def mfa_required(context) -> bool:
    """Whether the signed-in person's role makes two-factor authentication compulsory (3.5.3)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and requires_mfa(user))


@register.simple_tag
def sign_in_notice() -> str:
    """The operator's system use notice (PUNCHLIST_SIGN_IN_NOTICE, 3.1.9)."""
    from django.conf import settings

    return getattr(settings, "PUNCHLIST_SIGN_IN_NOTICE", "")
