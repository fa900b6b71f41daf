"""The landing page after sign-in: straight to the one organization, or a choice among several (an MSP); and
the invitations waiting for the person's answer, which they accept or decline here before anything else."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import path, reverse
from django.views.decorators.http import require_POST
from django.views.generic import RedirectView

from punchlist.orgs import services
from punchlist.orgs.models import Invitation, Membership
from punchlist.orgs.services import OrganizationError
from punchlist.web.tenancy import member_view


def _invitations(user):
    return list(Invitation.objects.filter(user=user).select_related("organization", "invited_by")
                .order_by("organization__name"))


@login_required
def home(request):
    memberships = list(Membership.objects.filter(user=request.user).select_related("organization")
                       .order_by("organization__name"))
    invitations = _invitations(request.user)
    if len(memberships) == 1 and not invitations:
        return redirect(reverse("web:organization", args=[memberships[0].organization.slug]))
    return render(request, "web/home.html", {"memberships": memberships, "invitations": invitations})


def _answer(accept: bool):
    @login_required
    @require_POST
    def answer(request, pk):
        # Only one's own invitations: anyone else's is 404, as if it did not exist.
        invitation = get_object_or_404(Invitation.objects.filter(user=request.user).select_related("organization"),
                                       pk=pk)
        name = invitation.organization.name
        try:
            if accept:
                membership = services.accept_invitation(request.user, invitation)
            else:
                services.decline_invitation(request.user, invitation)
        except OrganizationError as exc:
            messages.error(request, f"Not answered: {exc}.")
            return redirect(reverse("web:home"))
        if accept:
            messages.success(request, f"You joined {name} as {membership.get_role_display().lower()}.")
            return redirect(reverse("web:organization", args=[invitation.organization.slug]))
        messages.success(request, f"You declined the invitation to {name}.")
        return redirect(reverse("web:home"))

    answer.__name__ = "invitation_accept" if accept else "invitation_decline"
    return answer


invitation_accept = _answer(True)
invitation_decline = _answer(False)


@member_view
def organization_home(request):
    """An organization's front page is the person's own work list (for members; 404 for anyone else)."""
    return redirect(reverse("web:my_work", args=[request.organization.slug]))


organization_patterns = [
    path("", organization_home, name="organization"),
]

site_patterns = [
    path("", home, name="home"),
    path("invitations/<int:pk>/accept/", invitation_accept, name="invitation_accept"),
    path("invitations/<int:pk>/decline/", invitation_decline, name="invitation_decline"),
    # Browsers and bookmarks ask for /favicon.ico whatever the page's <link rel="icon"> says.
    path("favicon.ico", RedirectView.as_view(url=static("punchlist/favicon.svg"), permanent=True), name="favicon"),
]
