"""The portfolio of a managed-service provider: its clients side by side, and a new client.

Only under a provider organization; its members see the clients they are members of, its administrators every
client (``punchlist.reports.portfolio.visible_clients``); anyone else 404, as for any organization they are not
a member of. The rows come from ``punchlist.reports.portfolio`` alone, so the page and its CSV file say the
same. Filters are a plain GET form; with htmx the table alone is replaced, as on the register.
"""

from __future__ import annotations

import csv
import io
from html import escape as e

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from punchlist.interchange.cells import csv_row
from punchlist.orgs import services
from punchlist.orgs.permissions import PermissionDenied, require
from punchlist.orgs.services import OrganizationError
from punchlist.reports import portfolio as reads
from punchlist.web import words
from punchlist.web.tenancy import denied, member_view
from punchlist.web.views.register import options

PAGE_SIZE = 50
RESULTS_TARGET = "portfolio-results"


def provider_view(view):
    """After member_view: only a provider organization has a portfolio (404 elsewhere)."""

    def wrapper(request, *args, **kwargs):
        if not request.organization.is_provider:
            raise Http404("This organization runs no clients")
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _rows(request):
    today = timezone.localdate()
    filters = reads.PortfolioFilter.from_query(request.GET)
    everyone = reads.portfolio(request.organization, request.user, as_of=today)
    return today, filters, everyone, filters.apply(everyone)


def _trend(row: reads.ClientRow) -> str:
    trend = row.trend
    if trend is None:
        return ""
    moved = f"up {trend}" if trend > 0 else f"down {-trend}" if trend < 0 else "no change"
    return (f'<br><small title="Since the snapshot of {row.previous_month:%B %Y}">{moved} since '
            f'{row.previous_month:%b %Y}</small>')


def _closeout(row: reads.ClientRow) -> str:
    if row.closeout_deadline is None:
        return "—"
    days = row.closeout_days_left
    if days < 0:
        return f'<span class="badge bad">expired</span> {words.day(row.closeout_deadline)}'
    return f'{days} day{"" if days == 1 else "s"} left<br><small>by {words.day(row.closeout_deadline)}</small>'


def _count(value: int, badge: str) -> str:
    return f'<span class="badge {badge}">{value}</span>' if value else "0"


def row_html(row: reads.ClientRow) -> str:
    """One client's row. Written here rather than by a template loop, as the register's rows are: the page
    answers for hundreds of clients and the template engine costs several times more per value. Every
    value that is text goes through ``e`` (html.escape)."""
    name = e(row.name)
    if row.is_member:
        name = f'<a href="{e(reverse("web:organization", args=[row.slug]))}">{name}</a>'
    score = "—" if row.score is None else f"<strong>{row.score}</strong>"
    deadline = "—"
    if row.next_deadline is not None:
        deadline = f"{words.day(row.next_deadline)}<br><small>{e(row.next_deadline_what)}</small>"
    if row.due_soon:
        deadline += f"<br><small>{row.due_soon} due in the next {reads.DUE_SOON_DAYS} days</small>"
    review = words.day(row.last_review) if row.last_review else "none yet"
    return (f'<tr class="portfolio-row" data-client="{e(row.slug)}"><td>{name}</td>'
            f'<td data-label="SPRS score">{score}{_trend(row)}</td>'
            f'<td data-label="Level 2 verdict">{e(row.verdict.capitalize())}</td>'
            f'<td data-label="Closeout">{_closeout(row)}</td>'
            f'<td data-label="Open">{row.open_items}</td>'
            f'<td data-label="Overdue">{_count(row.overdue, "bad")}</td>'
            f'<td data-label="Stale">{_count(row.stale, "warn")}</td>'
            f'<td data-label="Next deadline">{deadline}</td>'
            f'<td data-label="Last monthly review">{review}</td></tr>')


def _page_links(base_url: str, filters: reads.PortfolioFilter, page) -> dict:
    query = filters.query()

    def url(number):
        return f"{base_url}?" + (f"{query}&" if query else "") + f"page={number}"

    return {"previous": url(page.previous_page_number()) if page.has_previous() else None,
            "next": url(page.next_page_number()) if page.has_next() else None}


@member_view
@provider_view
@require_GET
def portfolio(request):
    provider = request.organization
    today, filters, everyone, rows = _rows(request)
    page = Paginator(rows, PAGE_SIZE, allow_empty_first_page=True).get_page(request.GET.get("page"))
    base_url = reverse("web:portfolio", args=[provider.slug])
    query = filters.query()
    context = {
        "filters": filters, "page": page, "has_rows": bool(page.object_list),
        "rows": mark_safe("".join(row_html(row) for row in page.object_list)),
        "total": len(everyone), "matched": len(rows),
        "links": _page_links(base_url, filters, page), "portfolio_url": base_url, "today": today,
        "export_url": reverse("web:portfolio_export", args=[provider.slug]) + (f"?{query}" if query else ""),
        "results_target": RESULTS_TARGET, "sees_every_client": reads.sees_every_client(request.user, provider),
        "can_add_client": request.user.has_perm("orgs.add_client", provider),
        "filtered": bool(filters.verdict or filters.attention or filters.q),
    }
    htmx = getattr(request, "htmx", None)
    if htmx and htmx.target == RESULTS_TARGET:
        template = "web/portfolio_results.html"
    else:
        template = "web/portfolio.html"
        context.update({
            "verdict_options": options(reads.VERDICT_CHOICES, filters.verdict),
            "attention_options": options(reads.ATTENTION_CHOICES, filters.attention),
            "sort_options": options(reads.SORT_CHOICES, filters.sort),
        })
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


CSV_HEADER = ("Client", "Short name", "SPRS score", "Score last month", "Change", "Level 2 verdict",
              "Conditional status date", "Closeout deadline", "Days left to closeout", "Open items",
              "Overdue items", "Stale items", "Due in the next 14 days", "Next deadline", "What is due",
              "Last monthly review")


def csv_values(row: reads.ClientRow) -> list[str]:
    """One client as the CSV file writes it: dates as ISO text (a spreadsheet reads them as dates), text that
    a spreadsheet could take for a formula written as text (``interchange.cells.csv_row``), numbers as they
    are (a score of -20 is a number, never a formula)."""
    values = (row.name, row.slug, row.score, row.previous_score, row.trend, row.verdict, row.conditional_date,
              row.closeout_deadline, row.closeout_days_left, row.open_items, row.overdue, row.stale, row.due_soon,
              row.next_deadline, row.next_deadline_what, row.last_review)
    return [str(value) if type(value) is int else cell for value, cell in zip(values, csv_row(values))]


@member_view
@provider_view
@require_GET
def portfolio_export(request):
    """The clients the page lists (same filters and order), as CSV; text that a spreadsheet could take for a
    formula is written as text (``interchange.cells.csv_row``). Logged as a download."""
    from punchlist.web.downloads import log_download

    today, _filters, _everyone, rows = _rows(request)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for row in rows:
        writer.writerow(csv_values(row))
    name = f"{request.organization.slug}-portfolio-{today.isoformat()}.csv"
    log_download(request, f"portfolio export {name} ({len(rows)} clients)")
    response = HttpResponse(out.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


_username = get_user_model()._meta.get_field("username")


class NewClientForm(forms.Form):
    name = forms.CharField(max_length=200, label="Client's name")
    slug = forms.SlugField(max_length=60, required=False, label="Short name in addresses",
                           help_text="Made from the name when left empty.")
    coordinator = forms.CharField(
        max_length=_username.max_length, required=False, label="POA&M coordinator's username",
        help_text="Someone who already signs in to Punchlist. They are invited as the client's POA&M "
                  "coordinator and join when they accept. You are the client's first administrator.")


@member_view
@provider_view
def client_new(request):
    provider = request.organization
    try:
        require(request.user, "orgs.add_client", provider)
    except PermissionDenied as exc:
        return denied(request, exc)
    form = NewClientForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                client, invitation = services.create_client(
                    request.user, provider, name=form.cleaned_data["name"], slug=form.cleaned_data["slug"],
                    coordinator=form.cleaned_data["coordinator"])
            except PermissionDenied as exc:
                return denied(request, exc)
            except OrganizationError as exc:
                form.add_error(None, f"Not created: {exc}.")
            else:
                said = f"Created {client.name}; you are its administrator."
                if invitation is not None:
                    said += f" {invitation.username} is invited as its POA&M coordinator."
                messages.success(request, said)
                return redirect(reverse("web:portfolio", args=[provider.slug]))
        status = 400
    return render(request, "web/client_new.html", {"form": form}, status=status)


organization_patterns = [
    path("portfolio/", portfolio, name="portfolio"),
    path("portfolio/export/", portfolio_export, name="portfolio_export"),
    path("clients/new/", client_new, name="client_new"),
]
