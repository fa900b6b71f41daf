"""The three reviews: the owner's weekly update over their open items, the monthly management review's
agenda and record, and the quarterly validation of closed items; and each person's private calendar feed.

Views are thin: reads start from the organization's rows (punchlist.rhythm.queries, agenda and the
quarterly checks), writes go through punchlist.rhythm.services, and a refusal re-renders the page with what
was typed and the service's own words. Every page costs a fixed number of queries whatever the number of
items, and lists are paginated.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q, Subquery
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from punchlist.orgs.permissions import PermissionDenied, require
from punchlist.register.errors import RegisterError
from punchlist.register.models import PoamItem
from punchlist.register.services._common import today
from punchlist.rhythm import ical, services
from punchlist.rhythm.agenda import build_agenda
from punchlist.rhythm.forms import FailForm, ReviewForm, WeeklyUpdateForm
from punchlist.rhythm.models import ManagementReview, Outcome, QuarterlyValidation, WeeklyUpdate
from punchlist.rhythm.periods import month_of, quarter_label, quarter_of, week_of
from punchlist.rhythm.queries import owned_items, unupdated_items
from punchlist.rhythm.services.calendar import feed_for_token
from punchlist.rhythm.services.quarterly import checks, closed_items
from punchlist.web.tenancy import denied, member_view
from punchlist.web.words import dates_written

PAGE = 50
TABS = [("Weekly update", "review_weekly"), ("Monthly review", "review_monthly"),
        ("Quarterly validation", "review_quarterly")]


def _tabs(request, current: str) -> list[dict]:
    return [{"label": label, "url": reverse(f"web:{name}", args=[request.organization.slug]),
             "current": name == current} for label, name in TABS]


def _page_of(request, rows):
    return Paginator(rows, PAGE).get_page(request.GET.get("page"))


# --- weekly ---------------------------------------------------------------------------------------------

def _weekly_rows(request, week):
    """The person's open items with this week's update and the last one before it, in fixed queries."""
    earlier = WeeklyUpdate.objects.filter(item=OuterRef("pk"), week_of__lt=week).order_by("-week_of")
    rows = (owned_items(request.user, request.organization)
            .select_related("primary_owner")
            .annotate(last_week=Subquery(earlier.values("week_of")[:1]),
                      last_next_step=Subquery(earlier.values("next_step")[:1]),
                      last_blocker=Subquery(earlier.values("blocker")[:1]))
            .prefetch_related(Prefetch("weekly_updates", to_attr="this_week",
                                       queryset=WeeklyUpdate.objects.filter(week_of=week)
                                       .select_related("author")))
            .order_by("scheduled_completion", "identifier"))
    return rows


def _row(item, form=None, refusal: str = "") -> dict:
    update = item.this_week[0] if item.this_week else None
    initial = {}
    if update is not None:
        initial = {"progress": update.progress, "next_step": update.next_step, "blocker": update.blocker}
    else:
        initial = {"next_step": item.last_next_step or "", "blocker": item.last_blocker or ""}
    return {"item": item, "update": update, "refusal": refusal,
            "form": form or WeeklyUpdateForm(initial=initial, prefix=f"w{item.pk}")}


def _weekly_page(request, *, bound: dict | None = None, status=200, calendar_url: str = ""):
    week = week_of(today())
    bound = bound or {}
    page = _page_of(request, _weekly_rows(request, week))
    rows = [_row(item, *bound.get(item.pk, ())) for item in page.object_list]
    context = {"tabs": _tabs(request, "review_weekly"), "week": week, "page": page, "rows": rows,
               "summary": weekly_summary(request.user, request.organization, week),
               "can_manage": request.user.has_perm("rhythm.record_review", request.organization),
               "calendar_url": calendar_url,
               "has_feed": _has_feed(request)}
    if context["can_manage"]:
        missing = unupdated_items(request.organization, week).select_related("primary_owner")
        context["unupdated"] = list(missing.order_by("identifier")[:PAGE])
        context["unupdated_count"] = missing.count()
    return render(request, "web/review_weekly.html", context, status=status)


def weekly_summary(user, organization, week) -> dict:
    """How many of the person's open items still need this week's update (all of them, not one page's)."""
    from django.db.models import Count

    done = Exists(WeeklyUpdate.objects.filter(item=OuterRef("pk"), week_of=week))
    counts = owned_items(user, organization).aggregate(total=Count("pk"), pending=Count("pk", filter=~done))
    return {"total": counts["total"], "pending": counts["pending"]}


def _has_feed(request) -> bool:
    from punchlist.rhythm.models import CalendarFeed

    return (CalendarFeed.objects.for_organization(request.organization)
            .filter(user=request.user, revoked_at=None).exists())


@member_view
@require_GET
def review_weekly(request):
    return _weekly_page(request)


@member_view
@require_POST
def review_weekly_update(request, identifier):
    week = week_of(today())
    item = get_object_or_404(_weekly_rows(request, week), identifier=identifier)
    form = WeeklyUpdateForm(request.POST, prefix=f"w{item.pk}")
    refusal = ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.submit_update(request.user, item, confirmed=request.POST.get("action") == "confirm",
                                   progress=data["progress"], next_step=data["next_step"],
                                   blocker=data["blocker"])
        except PermissionDenied as exc:
            return denied(request, exc)
        except RegisterError as exc:
            refusal = dates_written(str(exc))
        else:
            if request.htmx:  # the row, and the page's count of what is still to update (out of band)
                fresh = _weekly_rows(request, week).get(pk=item.pk)
                return render(request, "web/review_weekly_row.html", {
                    "row": _row(fresh), "saved": True, "summary_oob": True,
                    "summary": weekly_summary(request.user, request.organization, week)})
            messages.success(request, f"{item.identifier}: this week's update saved.")
            if request.POST.get("next") == "item":
                return redirect(reverse("web:item", args=[request.organization.slug, item.identifier]) + "#weekly")
            return redirect(reverse("web:review_weekly", args=[request.organization.slug]) + f"#{item.identifier}")
    if request.POST.get("next") == "item" and not request.htmx:
        # From the item's page: its own update form shows what was typed and why it was refused.
        from .items import item_page_with

        return item_page_with(request, item.identifier, weekly=(form, refusal))
    if request.htmx:  # htmx swaps 200s only: the row comes back with what was typed and why it was refused
        return render(request, "web/review_weekly_row.html", {"row": _row(item, form, refusal)})
    return _weekly_page(request, bound={item.pk: (form, refusal)}, status=400)


@member_view
@require_POST
def review_weekly_confirm_all(request):
    """Confirm, as they stand, the person's open items not yet updated this week."""
    week = week_of(today())
    items = list(owned_items(request.user, request.organization)
                 .filter(~Exists(WeeklyUpdate.objects.filter(item=OuterRef("pk"), week_of=week))))
    try:
        services.confirm_items(request.user, request.organization, items)
    except PermissionDenied as exc:
        return denied(request, exc)
    except RegisterError as exc:
        messages.error(request, f"Nothing was confirmed: {exc}")
    else:
        messages.success(request, f"{len(items)} item{'s' if len(items) != 1 else ''} confirmed as they stand.")
    return redirect(reverse("web:review_weekly", args=[request.organization.slug]))


# --- calendar -------------------------------------------------------------------------------------------

@member_view
@require_POST
def review_calendar(request):
    """Make (or replace) the person's private calendar address, shown once on the page that answers."""
    if request.POST.get("action") == "revoke":
        services.revoke_feed(request.user, request.organization)
        messages.success(request, "Your calendar address no longer works.")
        return redirect(reverse("web:review_weekly", args=[request.organization.slug]) + "#calendar")
    _, token = services.create_feed(request.user, request.organization)
    url = request.build_absolute_uri(reverse("web:calendar_feed", args=[token]))
    return _weekly_page(request, calendar_url=url)


@require_GET
def calendar_feed(request, token):
    """The feed itself: no sign-in (calendar clients have none), the secret address is the key."""
    feed = feed_for_token(token)
    if feed is None:
        raise Http404("No such calendar")

    def item_url(identifier):
        try:
            return request.build_absolute_uri(reverse("web:item", args=[feed.organization.slug, identifier]))
        except NoReverseMatch:
            return ""

    response = HttpResponse(ical.feed_text(feed, item_url), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="punchlist.ics"'
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


# --- monthly --------------------------------------------------------------------------------------------

@member_view
@require_http_methods(["GET", "POST"])
def review_monthly(request):
    organization = request.organization
    can_record = request.user.has_perm("rhythm.record_review", organization)
    form, refusal, status = None, "", 200
    if request.method == "POST":
        form = ReviewForm(request.POST, organization=organization)
        if form.is_valid():
            data = form.cleaned_data
            try:
                review = services.record_review(request.user, organization, held_on=data["held_on"],
                                                decisions=data["decisions"], attendees=data["attendees"],
                                                other_attendees=data["other_attendees"])
            except PermissionDenied as exc:
                return denied(request, exc)
            except RegisterError as exc:
                refusal = dates_written(str(exc))
            else:
                messages.success(request, f"The management review of {review.month:%B %Y} is recorded.")
                return redirect(reverse("web:review_monthly_detail", args=[organization.slug, review.pk]))
        status = 400
    as_of = today()
    reviews = ManagementReview.objects.for_organization(organization).select_related("recorded_by")
    this_month = reviews.filter(month=month_of(as_of)).first()
    context = {"tabs": _tabs(request, "review_monthly"), "agenda": build_agenda(organization, as_of),
               "can_record": can_record, "this_month": this_month, "refusal": refusal,
               "form": form or ReviewForm(initial={"held_on": as_of}, organization=organization),
               "reviews": _page_of(request, reviews)}
    return render(request, "web/review_monthly.html", context, status=status)


@member_view
@require_GET
def review_monthly_detail(request, pk):
    review = get_object_or_404(ManagementReview.objects.for_organization(request.organization)
                               .select_related("recorded_by").prefetch_related("attendees"), pk=pk)
    return render(request, "web/review_monthly_detail.html",
                  {"tabs": _tabs(request, "review_monthly"), "review": review, "agenda": review.agenda})


# --- quarterly ------------------------------------------------------------------------------------------

def _quarterly_page(request, *, bound: dict | None = None, status=200):
    organization = request.organization
    as_of = today()
    quarter = quarter_of(as_of)
    items = (closed_items(organization).select_related("organization", "verified_by", "primary_owner")
             .order_by("identifier"))
    page = _page_of(request, items)
    bound = bound or {}
    rows = []
    for check in checks(organization, page.object_list, as_of):
        form, refusal = bound.get(check.item.pk, (None, ""))
        rows.append({"check": check, "refusal": refusal,
                     "can_validate": request.user.has_perm("rhythm.validate_item", check.item),
                     "form": form or FailForm(prefix=f"q{check.item.pk}",
                                              initial={"reason": dates_written("; ".join(check.problems))})})
    passed = QuarterlyValidation.objects.filter(item=OuterRef("pk"), quarter=quarter, outcome=Outcome.PASSED)
    # A pass made before the item's latest closure is about a closure that no longer stands.
    signed_off = closed_items(organization).filter(
        Q(Exists(passed.filter(validated_at__gte=OuterRef("verified_at")))) | (Q(verified_at=None) & Q(Exists(passed))))
    context = {"tabs": _tabs(request, "review_quarterly"), "quarter": quarter_label(quarter), "page": page,
               "rows": rows, "closed": page.paginator.count, "signed_off": signed_off.count()}
    return render(request, "web/review_quarterly.html", context, status=status)


@member_view
@require_GET
def review_quarterly(request):
    return _quarterly_page(request)


@member_view
@require_POST
def review_quarterly_validate(request, identifier):
    item = get_object_or_404(PoamItem.objects.for_organization(request.organization).select_related("organization"),
                             identifier=identifier)
    passed = request.POST.get("action") == "pass"
    form = FailForm(request.POST, prefix=f"q{item.pk}")
    if not passed and not form.is_valid():
        return _quarterly_page(request, bound={item.pk: (form, "")}, status=400)
    try:
        require(request.user, "rhythm.validate_item", item)
        services.validate_item(request.user, item, passed=passed,
                               reason="" if passed else form.cleaned_data["reason"])
    except PermissionDenied as exc:
        return denied(request, exc)
    except RegisterError as exc:
        return _quarterly_page(request, bound={item.pk: (form, dates_written(str(exc)))}, status=400)
    messages.success(request, f"{item.identifier} signed off for this quarter." if passed else
                     f"{item.identifier} failed the quarterly validation and is reopened.")
    return redirect(reverse("web:review_quarterly", args=[request.organization.slug]) + f"#{item.identifier}")


organization_patterns = [
    path("reviews/weekly/", review_weekly, name="review_weekly"),
    path("reviews/weekly/confirm/", review_weekly_confirm_all, name="review_weekly_confirm_all"),
    path("reviews/weekly/<str:identifier>/", review_weekly_update, name="review_weekly_update"),
    path("reviews/calendar/", review_calendar, name="review_calendar"),
    path("reviews/monthly/", review_monthly, name="review_monthly"),
    path("reviews/monthly/<int:pk>/", review_monthly_detail, name="review_monthly_detail"),
    path("reviews/quarterly/", review_quarterly, name="review_quarterly"),
    path("reviews/quarterly/<str:identifier>/", review_quarterly_validate, name="review_quarterly_validate"),
]

site_patterns = [
    path("calendar/<str:token>.ics", calendar_feed, name="calendar_feed"),
]
