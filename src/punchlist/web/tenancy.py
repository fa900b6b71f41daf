"""The organization a page is about, from the URL, for members only.

Every page under ``/o/<slug>/`` resolves its organization here. A non-member gets 404, the same answer as for
an organization that does not exist, so the URL space of another tenant reveals nothing (NetBox-style
restriction: the querysets below start from the organization, never from the whole table).
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from punchlist.orgs.models import Membership, Role


def member_view(view):
    """Decorate a view ``view(request, org, ...)``: sign-in required, ``request.organization`` and
    ``request.role`` set from the membership, 404 for anyone else."""

    @login_required
    @wraps(view)
    def wrapper(request, org, *args, **kwargs):
        membership = (Membership.objects.select_related("organization")
                      .filter(organization__slug=org, user=request.user).first())
        if membership is None:
            raise Http404("No such organization")
        request.organization = membership.organization
        request.role = Role(membership.role)
        return view(request, *args, **kwargs)

    return wrapper


def denied(request, exc, status: int = 403):
    """The member's "Not allowed" page, saying in words why (the refusal ``exc``); nothing was changed."""
    return render(request, "web/denied.html", {"reason": str(exc)}, status=status)
