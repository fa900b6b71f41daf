"""Who is calling: a personal token in the ``Authorization: Bearer`` header, and the organization a request is
about, for which the token must have been made AND its person must still be a member (a membership removed
disables the token there at once). Another organization is 404, as on the web (``web.tenancy``)."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from ninja.security import HttpBearer

from punchlist.orgs.models import Membership, Role
from punchlist.orgs.permissions import PermissionDenied
from punchlist.web.lockout import client_ip
from punchlist.web.views.item_parts import UploadLimit

from . import services
from .models import ApiToken

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        found = services.token_for(token, ip=client_ip(request), what=f"{request.method} {request.path}")
        if found is None:
            return None
        request.user = found.user
        request.api_token = found
        if request.content_type == "multipart/form-data":
            # Before the body is read: a file past the limit is dropped as it streams in, as on the web.
            request.upload_limit = UploadLimit(request, settings.PUNCHLIST_MAX_UPLOAD_BYTES)
            request.upload_handlers.insert(0, request.upload_limit)
        return found


def organization(request, slug: str, *, writes: bool | None = None):
    """The organization ``slug`` for this request's token and person, in one query; 404 otherwise. A write
    with a read-only token is refused here, before any service runs (``writes``: whether the request writes,
    where its method does not say it: a POST that only reads, such as an upload to be filled in, does not)."""
    token: ApiToken = request.auth
    membership = (Membership.objects.select_related("organization")
                  .filter(user_id=token.user_id, organization__slug=slug,
                          organization_id__in=ApiToken.organizations.through.objects
                          .filter(apitoken_id=token.pk).values("organization_id"))
                  .first())
    if membership is None:
        raise Http404("No such organization")
    organization = membership.organization
    request.organization = organization
    request.role = Role(membership.role)
    # The role is known: the permission predicates need not ask again (orgs.permissions.role_of).
    roles = getattr(request.user, "_punchlist_roles", None) or {}
    roles[organization.pk] = request.role
    request.user._punchlist_roles = roles
    if writes is None:
        writes = request.method not in SAFE_METHODS
    if writes and not token.can_write:
        raise PermissionDenied(f"this token ({token.prefix}…) is read only")
    return organization
