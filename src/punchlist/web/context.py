"""What every page's navigation needs: the organizations the person belongs to, the current one, and the
links to its screens."""

from django.urls import NoReverseMatch, reverse

from punchlist.orgs.models import Membership

# (label, URL name under "web:", roles that see it or None for every member)
SCREENS = [
    ("My work", "my_work", None),
    ("Register", "register", None),
    ("Import", "import", ("admin", "coordinator")),  # register.add_item
    ("Assessment", "assessment", None),
    ("Reports", "report_leadership", None),
    ("Reviews", "review_weekly", None),
    ("People", "people", ("admin",)),
]


SWITCHER_SIZE = 20


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    memberships = getattr(request, "_punchlist_memberships", None)
    if memberships is None:
        # The switcher lists the first SWITCHER_SIZE organizations and links to the full list: a provider's
        # administrator belongs to every client, and no page should pay for five hundred links.
        memberships = list(Membership.objects.filter(user=user).select_related("organization")
                           .only("role", "organization__name", "organization__slug")
                           .order_by("organization__name", "organization_id")[:SWITCHER_SIZE + 1])
        request._punchlist_memberships = memberships
    more = len(memberships) > SWITCHER_SIZE
    organization = getattr(request, "organization", None)
    role = getattr(request, "role", None)
    links = []
    if organization is not None:
        current = getattr(getattr(request, "resolver_match", None), "url_name", None)
        for label, name, roles in SCREENS:
            if roles is not None and role not in roles:
                continue
            try:
                url = reverse(f"web:{name}", args=[organization.slug])
            except NoReverseMatch:  # a screen not installed in this build
                continue
            links.append({"label": label, "url": url, "current": current == name})
        if organization.is_provider:  # its clients side by side, first of its screens
            links.insert(0, {"label": "Portfolio", "url": reverse("web:portfolio", args=[organization.slug]),
                             "current": current == "portfolio"})
    return {"memberships": memberships[:SWITCHER_SIZE], "more_memberships": more, "organization": organization,
            "role": role, "nav_links": links}


# The pages that show the closeout countdown: where people plan and report (the item page shows its own
# deadline; the others do not pay for the query).
COUNTDOWN_PAGES = frozenset({"my_work", "register", "assessment", "assessment_detail", "report_leadership",
                             "report_security", "report_operations", "review_weekly", "review_monthly"})


def closeout_clock(request):
    """The closeout countdown (R-CLOSE-1) for the banner of the pages that matter, once a Conditional status
    date is recorded: the assessment whose date runs it, the deadline and the days left. One query, made
    only when the page shows the banner."""
    organization = getattr(request, "organization", None)
    if organization is None or not getattr(getattr(request, "user", None), "is_authenticated", False):
        return {}
    if getattr(getattr(request, "resolver_match", None), "url_name", None) not in COUNTDOWN_PAGES:
        return {}

    def clock():
        from django.utils import timezone

        from punchlist.core.closeout import closeout
        from punchlist.register.models import Assessment

        # rhythm.agenda.closeout_assessment's choice (the marked one, else the latest), in one query.
        assessment = (Assessment.objects.for_organization(organization).exclude(conditional_status_date=None)
                      .order_by("-is_the_assessment_poam", "-assessed_on", "-pk").first())
        if assessment is None:
            return None
        return {"assessment": assessment,
                "clock": closeout(assessment.conditional_status_date, timezone.localdate())}

    from django.utils.functional import SimpleLazyObject

    return {"closeout_banner": SimpleLazyObject(clock)}
