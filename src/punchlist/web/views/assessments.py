"""The assessment: the 110 requirements by family, each with its determination and implementation statement,
the SPRS score and the Level 2 verdict recomputed from them on every change, what blocks the verdict and what
it would take, and the closeout countdown once there is a Conditional status date.

Coordinators and administrators change determinations inline (htmx replaces the row and the score panel);
everyone else reads. Writes go through ``services.set_requirement_status`` (permission, transaction, audit).

The 110 rows are written in Python (``row_html``) rather than by a template loop: each holds two small
forms, and the template engine (or format_html) took a large part of a second for them on a small server.
"""

from __future__ import annotations

from html import escape as e

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.middleware.csrf import get_token
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_POST

from punchlist.core.catalog import PARTIAL_CREDIT, load_catalog
from punchlist.core.closeout import closeout
from punchlist.core.scoring import CONDITIONAL_THRESHOLD, Level2
from punchlist.orgs.permissions import PermissionDenied, require
from punchlist.register import mapping, services
from punchlist.register.errors import ConflictError, RegisterError
from punchlist.register.models import Assessment, Determination, RequirementStatus
from punchlist.web import queries
from punchlist.web.tenancy import member_view
from punchlist.web.views.item_parts import conflict_message
from punchlist.web.words import day, not_saved

VERDICTS = {
    Level2.FINAL: ("Final Level 2 status", "ok"),
    Level2.CONDITIONAL: ("Conditional Level 2 status", "warn"),
    Level2.NOT_ELIGIBLE: ("Not eligible for Level 2", "bad"),
    Level2.NO_SCORE: ("No score: the assessment cannot be completed", "bad"),
}


def anchor(requirement) -> str:
    """The id of a requirement's row, "req-acl2-311" (templates: ``req-{{ cmmc_id|slugify }}``)."""
    return "req-" + slugify(requirement.cmmc_id)


def _assessments(request):
    return Assessment.objects.for_organization(request.organization)


def _with_statuses(queryset):
    return queryset.select_related("official_marked_by", "outcome_recorded_by").prefetch_related(
        Prefetch("statuses", queryset=RequirementStatus.objects.select_related("updated_by")))


def _get_assessment(request, pk: int) -> Assessment:
    assessment = _with_statuses(_assessments(request)).filter(pk=pk).first()
    if assessment is None:
        raise Http404("No such assessment")
    assessment.organization = request.organization  # the member_view's, not one more query
    return assessment


def _score_panel(request, assessment) -> dict:
    report = mapping.score_assessment(assessment)
    label, tone = VERDICTS[report.level2]
    today = timezone.localdate()
    clock = closeout(assessment.conditional_status_date, today) if assessment.conditional_status_date else None
    path = report.path
    return {
        "report": report, "verdict": label, "tone": tone, "threshold": CONDITIONAL_THRESHOLD,
        "closeout": clock, "today": today, "days_since_deadline": -clock.days_left if clock else 0,
        "implement_first": path.implement_first, "score_after_first": path.score_after_first,
        "then_implement": path.then_implement, "score_then": path.score_then,
        "reaches_threshold": path.score_then is not None and path.score_then >= CONDITIONAL_THRESHOLD,
        "to_final": [d for d in report.not_met if d.eligible] if report.level2 is Level2.CONDITIONAL else [],
    }


def _row(requirement, status, deductions: dict, planned: dict, *, can_edit: bool, url: str,
         error: str = "", typed: dict | None = None, objectives: dict | None = None) -> dict:
    current = {
        "determination": status.determination if status else "",
        "partial": status.partial if status else False,
        "implementation": status.implementation if status else "",
    }
    return {
        "requirement": requirement, "status": status, "deduction": deductions.get(requirement.id),
        "open_items": planned.get(requirement.id, 0), "can_edit": can_edit, "url": url,
        "has_partial": requirement.id in PARTIAL_CREDIT, "error": error,
        "values": {**current, **(typed or {})}, "anchor": anchor(requirement),
        "objectives": objectives or {},
    }


def _status_url(organization, assessment, requirement_id: str) -> str:
    return reverse("web:assessment_status", args=[organization.slug, assessment.pk, requirement_id])


DETERMINATION_LABELS = dict(Determination.choices)
NO_POAM = '<br><small class="error">no POA&amp;M</small>'
UNANSWERED = '<br><small class="muted">No determination: counted NOT MET.</small>'
DERIVED = ('<br><small class="error">Counted NOT MET: a NOT MET requirement has no plan of action. '
           '<a class="why" href="/rules/#R-SCORE-4" title="A NOT MET requirement with no plan of action makes 3.12.2 '
           'NOT MET as well.">why?</a></small>')


def _open_objectives(requirement, recorded: dict, status_url: str) -> str:
    """For a NOT MET requirement: its assessment objectives not yet MET (NOT MET first, then those not
    determined), and the link to determine them one by one."""
    objectives = load_catalog().objectives(requirement.id)
    not_met = [o for o in objectives if recorded.get(o.id) == Determination.NOT_MET]
    undetermined = [o for o in objectives if o.id not in recorded]
    items = "".join(f'<li><strong>{e(o.id)}</strong> {e(o.text)} <small class="error">NOT MET</small></li>'
                    for o in not_met)
    items += "".join(f'<li>{e(o.id)} {e(o.text)} <small class="muted">not determined</small></li>'
                     for o in undetermined)
    link = f'<a href="{e(status_url)}objectives/">Assess by objective</a>'
    if not items:
        return f"<br><small>{link}</small>"
    return (f'<details class="assessment-objectives-open"><summary><small>Objectives still open: '
            f'{len(not_met) + len(undetermined)} of {len(objectives)}</small></summary>'
            f'<ul class="assessment-objectives">{items}</ul></details><small>{link}</small>')


def row_html(row: dict, *, csrf: str, register_url: str) -> SafeString:
    """One requirement's row: what it asks, its points, its determination and statement (forms for those who
    may change them), and the open items that plan it. Every value goes through ``e`` (html.escape, as
    Django's own escape does)."""
    r, d, values, status = row["requirement"], row["deduction"], row["values"], row["status"]
    points = "—" if r.weight is None else str(r.weight)
    if d:
        points += f'<br><span class="badge bad" title="deducted from the score">−{d.points}</span>'
        if not d.eligible:
            points += NO_POAM
    notes = (UNANSWERED if d and d.unanswered else "") + (DERIVED if d and d.derived else "")
    if d and not d.derived:
        notes += _open_objectives(r, row["objectives"], row["url"])
    if row["error"]:
        notes += f'<p class="error assessment-error" role="alert">{e(row["error"])}</p>'
    a, url, rid = e(row["anchor"]), e(row["url"]), e(r.id)
    if row["can_edit"]:
        # The determination's version as shown (0: none yet), so a save over someone's later one is refused.
        token = (f'<input type="hidden" name="csrfmiddlewaretoken" value="{e(csrf)}">'
                 f'<input type="hidden" name="version" value="{status.version if status else 0}">')
        current = values["determination"]
        choices = list(DETERMINATION_LABELS.items())
        if not current:
            choices.insert(0, ("", "— not assessed —"))
        select = "".join(f'<option value="{e(value)}"{" selected" if value == current else ""}>{e(label)}</option>'
                         for value, label in choices)
        partial = (f'<label class="assessment-inline"><input type="checkbox" name="partial"'
                   f'{" checked" if values["partial"] else ""}> partial (3 points)</label>'
                   if row["has_partial"] else "")
        form = (f'<form method="post" action="{url}" hx-post="{url}" hx-target="closest tr" hx-swap="outerHTML" '
                f'hx-indicator="#busy"')
        determination = (
            f'{form} hx-trigger="change">{token}<label class="assessment-inline" for="{a}-det">'
            f'<span class="assessment-sr">Determination of {rid}</span><select id="{a}-det" name="determination">'
            f'{select}</select></label>{partial}<noscript><button type="submit" class="secondary">Save</button>'
            '</noscript></form>')
        statement = (
            f'{form}>{token}<label class="assessment-sr" for="{a}-impl">Implementation statement of {rid}</label>'
            f'<textarea id="{a}-impl" name="implementation" rows="2">{e(values["implementation"])}</textarea>'
            '<button type="submit" class="secondary">Save statement</button></form>')
    else:
        if status:
            determination = (f'<span class="badge assessment-badge-{e(status.determination)}">'
                             f'{e(status.get_determination_display())}</span>'
                             + (" <small>partial</small>" if status.partial else ""))
        else:
            determination = '<span class="badge warn">not assessed</span>'
        statement = "<br>".join(e(line) for line in (values["implementation"] or "—").splitlines())
    if status and status.updated_by_id:
        who = status.updated_by
        statement += (f'<br><small class="muted">{e(who.get_full_name() or who.username)}, '
                      f'{day(status.updated_at)}</small>')
    count = row["open_items"]
    if count:
        plan = (f'<a href="{e(register_url)}?requirement={rid}&amp;status=active">{count} open '
                f'item{"" if count == 1 else "s"}</a>')
    elif d:
        plan = '<small class="error">no plan of action</small>'
    else:
        plan = "—"
    classes = "assessment-row assessment-" + e(values["determination"] or "unanswered")
    if row["error"]:
        classes += " assessment-refused"
    return mark_safe(
        f'<tr id="{a}" class="{classes}"><td><strong>{e(r.cmmc_id)}</strong> {e(r.title)}<br><small>{e(r.text)}'
        f'</small></td><td>{points}</td><td class="assessment-determination">{determination}{notes}</td>'
        f'<td class="assessment-implementation">{statement}</td><td>{plan}</td></tr>')


def _page(request, assessment, *, errors: dict | None = None, status: int = 200, outcome: dict | None = None):
    errors = errors or {}
    organization = request.organization
    others = list(_assessments(request).only("pk", "title", "level", "kind", "assessed_on", "is_the_assessment_poam"))
    context = {"assessments": others, "assessment": assessment}
    if assessment is None:
        return render(request, "web/assessment.html", context, status=status)
    can_edit = request.user.has_perm("register.manage_assessment", assessment)
    panel = _score_panel(request, assessment)
    deductions = {d.requirement.id: d for d in panel["report"].not_met}
    statuses = {s.requirement: s for s in assessment.statuses.all()}
    planned = queries.open_items_by_requirement(organization)
    recorded = services.objective_statuses(assessment)
    families = []
    counts = {"met": 0, "not_met": 0, "not_applicable": 0, "unanswered": 0}
    catalog = load_catalog()
    for code in catalog.families:
        requirements = catalog.family(code)
        rows = []
        for requirement in requirements:
            status_row = statuses.get(requirement.id)
            counts[status_row.determination if status_row else "unanswered"] += 1
            error, typed = errors.get(requirement.id, ("", None))
            rows.append(_row(requirement, status_row, deductions, planned, can_edit=can_edit,
                             url=_status_url(organization, assessment, requirement.id), error=error, typed=typed,
                             objectives=recorded.get(requirement.id)))
        families.append({"code": code, "name": requirements[0].family_name, "rows": rows,
                         "not_met": sum(1 for r in rows if r["deduction"])})
    register_url = reverse("web:register", args=[organization.slug])
    csrf = get_token(request)
    for family in families:
        family["html"] = mark_safe("".join(row_html(r, csrf=csrf, register_url=register_url)
                                           for r in family["rows"]))
    context.update(panel, can_edit=can_edit, families=families, counts=counts, register_url=register_url)
    context["outcome"] = _outcome(assessment, outcome or {})
    return render(request, "web/assessment.html", context, status=status)


def _outcome(assessment, given: dict) -> dict:
    """The outcome panel: what is recorded, the form (with what was typed and why it was refused), and the
    official POA&M marking."""
    from punchlist.web.outcome_forms import OutcomeForm

    form = given.get("form") or OutcomeForm(initial={
        "kind": assessment.kind, "assessed_on": assessment.assessed_on, "status": assessment.earned_status,
        "conditional_date": assessment.conditional_status_date})
    who = assessment.official_marked_by
    recorder = assessment.outcome_recorded_by
    return {"form": form, "refused": given.get("refused"), "official_error": given.get("official_error", ""),
            "official_by": (who.get_full_name() or who.username) if who else "",
            "recorded_by": (recorder.get_full_name() or recorder.username) if recorder else ""}


@member_view
@require_GET
def assessment_latest(request):
    """The most recent assessment (by date assessed), or a page saying there is none yet."""
    latest = _with_statuses(_assessments(request)).first()
    if latest is not None:
        latest.organization = request.organization
    return _page(request, latest)


@member_view
@require_GET
def assessment_detail(request, pk):
    return _page(request, _get_assessment(request, pk))


@member_view
@require_POST
def assessment_status(request, pk, requirement):
    """Record one requirement's determination and/or implementation statement.

    A determination form posts ``determination`` (and ``partial`` where 3.5.3 / 3.13.11 allow it); the
    statement form posts ``implementation`` alone and keeps the determination as recorded.
    """
    assessment = _get_assessment(request, pk)
    try:
        require(request.user, "register.manage_assessment", assessment)
    except PermissionDenied as exc:
        return render(request, "web/assessment_denied.html", {"reason": str(exc)}, status=403)
    found = load_catalog().find(requirement)
    if found is None:
        raise Http404("No such requirement")
    current = next((s for s in assessment.statuses.all() if s.requirement == found.id), None)
    data = request.POST
    if "determination" in data:
        determination = data.get("determination", "")
        partial = data.get("partial") in ("on", "1", "true", "yes")
    else:
        determination = current.determination if current else ""
        partial = current.partial if current else False
    implementation = data.get("implementation") if "implementation" in data else None
    version = data.get("version", "")
    version = int(version) if version.isdigit() else None  # absent from a hand-made POST: as read now
    typed = {"determination": determination, "partial": partial}
    if implementation is not None:
        typed["implementation"] = implementation
    error = ""
    if not determination:
        error = f"Not saved: choose MET, NOT MET or N/A for {found.id} before its implementation statement."
    else:
        try:
            services.set_requirement_status(request.user, assessment, found.id, determination, partial=partial,
                                            implementation=implementation, version=version)
        except PermissionDenied as exc:
            return render(request, "web/assessment_denied.html", {"reason": str(exc)}, status=403)
        except ConflictError as exc:
            error = conflict_message(exc)
        except RegisterError as exc:
            error = not_saved(exc)
    htmx = getattr(request, "htmx", None)
    if not htmx:
        if error:
            assessment = _get_assessment(request, pk)
            return _page(request, assessment, errors={found.id: (error, typed)}, status=400)
        messages.success(request, f"{found.cmmc_id} recorded.")
        return redirect(reverse("web:assessment_detail", args=[request.organization.slug, assessment.pk])
                        + "#" + anchor(found))
    # htmx: the row again (with the refusal and what was typed, if refused) and the score panel out of band.
    assessment = _get_assessment(request, pk)
    status_row = next((s for s in assessment.statuses.all() if s.requirement == found.id), None)
    panel = _score_panel(request, assessment)
    deductions = {d.requirement.id: d for d in panel["report"].not_met}
    planned = queries.open_items_by_requirement(request.organization)
    row = _row(found, status_row, deductions, planned, can_edit=True,
               url=_status_url(request.organization, assessment, found.id), error=error,
               typed=typed if error else None,
               objectives=services.objective_statuses(assessment).get(found.id))
    register_url = reverse("web:register", args=[request.organization.slug])
    return render(request, "web/assessment_update.html",
                  {**panel, "row": row_html(row, csrf=get_token(request), register_url=register_url),
                   "assessment": assessment, "oob": True})


organization_patterns = [
    path("assessment/", assessment_latest, name="assessment"),
    path("assessment/<int:pk>/", assessment_detail, name="assessment_detail"),
    path("assessment/<int:pk>/requirements/<str:requirement>/", assessment_status, name="assessment_status"),
]
