"""The landing page after sign-in: straight to the one organization, or a choice among several (an MSP)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import path, reverse
from django.views.generic import RedirectView

from punchlist.orgs.models import Membership
from punchlist.web.tenancy import member_view


@login_required
def home(request):
    memberships = list(Membership.objects.filter(user=request.user).select_related("organization")
                       .order_by("organization__name"))
    if len(memberships) == 1:
        return redirect(reverse("web:organization", args=[memberships[0].organization.slug]))
    return render(request, "web/home.html", {"memberships": memberships})


@member_view
def organization_home(request):
    """An organization's front page is the person's own work list (for members; 404 for anyone else)."""
    return redirect(reverse("web:my_work", args=[request.organization.slug]))


organization_patterns = [
    path("", organization_home, name="organization"),
]

site_patterns = [
    path("", home, name="home"),
    # Browsers and bookmarks ask for /favicon.ico whatever the page's <link rel="icon"> says.
    path("favicon.ico", RedirectView.as_view(url=static("punchlist/favicon.svg"), permanent=True), name="favicon"),
]
