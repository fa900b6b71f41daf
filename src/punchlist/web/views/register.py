"""The register: every item of the organization, riskiest first, with what an assessor would object to.

The risk order (``punchlist.core.priority``) and the lint findings need every item, so they come from the
organization's register index (``punchlist.web.queries.register_index``), computed once per state of the
register; filters, search and pages then run over the kept rows and only the page asked for is rendered.
Filters are a plain GET form (links work without JavaScript); with htmx, the table alone is replaced as
they change and the address follows.

Rows and the filter's options are written here in Python rather than by template loops: the register must
answer in well under 150 ms with 10,000 items on a small server, and the template engine costs several times
more per value. A row's HTML depends only on the kept index, so it is written once per index.
"""

from __future__ import annotations

from functools import cache
from html import escape as e

from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET

from punchlist.core.catalog import load_catalog
from punchlist.core.checks import CHECKS
from punchlist.register.models import Severity, Status
from punchlist.web import queries, words
from punchlist.web.tenancy import member_view

RESULTS_TARGET = "register-results"
STATUS_LABELS = dict(Status.choices)
SEVERITY_LABELS = {"": "—", **dict(Severity.choices)}
KIND_LABELS = {"assessment_poam": '<span class="badge">POA&amp;M</span>',
               "operational_plan": '<span class="badge muted" title="Operational plan of action (3.12.2): no '
                                   'closeout clock">Plan of action</span>'}


# --- the rows ------------------------------------------------------------------------------------------------------

def row_html(row: queries.Row, item_url: str, today) -> str:
    """One row of the table. Every value goes through ``e`` (html.escape, as Django's own escape does)."""
    reason = ""
    if row.why and row.is_open:  # why it sits here; the tier's full reason is the badge's tooltip
        reason = f'<br><small class="register-reason">{e(row.why)}</small>'
    findings = ""
    if row.findings:
        findings = '<ul class="register-findings">' + "".join(
            f'<li class="finding"><span class="badge warn" data-check="{e(f.check)}">{e(words.check_name(f.check))}</span> '
            f'{words.plainly_html(f.message)}</li>'
            for f in row.findings) + "</ul>"
    if row.due is None:
        due = "—"
    elif row.is_open and row.due < today:
        due = f'{words.day(row.due)} <span class="badge bad">overdue</span>'
    else:
        due = words.day(row.due)
    return (
        f'<tr class="register-row register-tier-{row.tier.value}{"" if row.is_open else " register-done"}">'
        f'<td><span class="badge register-tier" title="{e(row.reason or row.why)}">{e(row.tier.label)}</span>{reason}</td>'
        f'<td class="register-id"><a href="{e(item_url)}">{e(row.identifier)}</a>'
        + (f'<br><small class="register-original" title="Original id">{e(row.original_id)}</small>'
           if row.original_id else "") + '</td>'
        f'<td class="register-kind" data-label="Kind">{KIND_LABELS.get(row.kind, e(row.kind))}</td>'
        f'<td data-label="Requirement">{e(", ".join(row.requirements) or "—")}</td>'
        f'<td class="register-title">{e(row.title)}{findings}</td>'
        f'<td data-label="Status">{e(STATUS_LABELS.get(row.status, row.status))}</td>'
        f'<td data-label="Severity">{e(SEVERITY_LABELS.get(row.severity, row.severity))}</td>'
        f'<td data-label="Owner">{e(row.owner or "—")}</td><td data-label="Due">{due}</td></tr>')


def rows_html(index: queries.RegisterIndex, rows, organization) -> SafeString:
    """The page's rows, each written once per index (the index is per organization and per day)."""
    kept = index.html
    out = []
    for row in rows:
        html = kept.get(row.pk)
        if html is None:
            item_url = reverse("web:item", args=[organization.slug, row.identifier])
            html = kept[row.pk] = row_html(row, item_url, index.as_of)
        out.append(html)
    return mark_safe("".join(out))


# --- the filter form's options ----------------------------------------------------------------------------------------

def options(choices, selected) -> SafeString:
    selected = "" if selected is None else str(selected)
    return format_html_join("", '<option value="{}"{}>{}</option>',
                            ((value, " selected" if str(value) == selected else "", label)
                             for value, label in choices))


@cache
def requirement_datalist() -> SafeString:
    return format_html_join("", '<option value="{}">{} {}</option>',
                            ((r.id, r.cmmc_id, r.title) for r in load_catalog()))


@cache
def family_choices() -> tuple:
    catalog = load_catalog()
    return (("", "Every family"),
            *((code, f"{code} {catalog.family(code)[0].family_name}") for code in catalog.families))


FINDING_CHOICES = (("", "Any or none"), ("any", "Any finding"),
                   *sorted(((code, words.check_name(code)) for code in CHECKS), key=lambda choice: choice[1]))
SEVERITY_CHOICES = (("", "Any severity"), ("none", "Not set"), *Severity.choices)


def _page_links(base_url: str, filters: queries.RegisterFilter, page) -> dict:
    query = filters.query()

    def url(number):
        return f"{base_url}?" + (f"{query}&" if query else "") + f"page={number}"

    last = page.paginator.num_pages
    return {
        "first": url(1) if page.number > 1 else None,
        "previous": url(page.previous_page_number()) if page.has_previous() else None,
        "next": url(page.next_page_number()) if page.has_next() else None,
        "last": url(last) if page.number < last else None,
    }


@member_view
@require_GET
def register(request):
    organization = request.organization
    today = timezone.localdate()
    people = queries.members(organization)
    index = queries.register_index(organization, as_of=today, people=people)
    filters = queries.RegisterFilter.from_query(request.GET)
    rows = filters.apply(index.rows, today)
    page = Paginator(rows, queries.PAGE_SIZE, allow_empty_first_page=True).get_page(request.GET.get("page"))
    base_url = reverse("web:register", args=[organization.slug])
    context = {
        "filters": filters, "page": page, "rows": rows_html(index, page.object_list, organization),
        "has_rows": bool(page.object_list), "links": _page_links(base_url, filters, page),
        "register_url": base_url, "total": len(index.rows), "matched": len(rows),
        "with_findings": index.with_findings if rows is index.rows else len([r for r in rows if r.findings]),
        "file_findings": index.file_findings,
        "as_of": index.as_of, "results_target": RESULTS_TARGET,
        "can_add": request.user.has_perm("register.add_item", organization),
    }
    htmx = getattr(request, "htmx", None)
    if htmx and htmx.target == RESULTS_TARGET:
        template = "web/register_results.html"
    else:
        template = "web/register.html"
        context.update({
            "family_options": options(family_choices(), filters.family),
            "status_options": options(queries.STATUS_CHOICES, filters.status),
            "kind_options": options(queries.KIND_CHOICES, filters.kind),
            "severity_options": options(SEVERITY_CHOICES, filters.severity),
            "owner_options": options((("", "Anyone"), *((p.pk, p.name) for p in people)), filters.owner),
            "due_options": options(queries.DUE_CHOICES, filters.due),
            "finding_options": options(FINDING_CHOICES, filters.finding),
            "sort_options": options(queries.SORT_CHOICES, filters.sort),
            "requirement_datalist": requirement_datalist(),
        })
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


EXPORT_FORMATS = {"xlsx": "workbook", "csv": "csv"}  # the Register's buttons' names for the export's formats


@member_view
@require_GET
def register_export(request):
    """The Register's Export buttons: the POA&M as a workbook or CSV file, as `punchlist export` writes it (the
    items the person may read), sent and logged by the export view's own code."""
    from django.http import Http404

    from punchlist.register.exports import EXPORT_KINDS
    from punchlist.web.views.exports import export_response

    fmt = request.GET.get("format", "xlsx")
    kind = request.GET.get("kind", "assessment_poam")  # one kind of item, open items, unless asked (as `export`)
    if fmt not in EXPORT_FORMATS or kind not in EXPORT_KINDS:
        raise Http404("No such export format")
    return export_response(request, EXPORT_FORMATS[fmt], kind,
                           closed=request.GET.get("closed") in ("1", "yes", "on", "true"))


organization_patterns = [
    path("register/", register, name="register"),
    path("register/export/", register_export, name="register_export"),
]
