"""An assessment's outcome (kind, date, score, the status it earned), its official POA&M marking, and the
determinations of its assessment objectives. Each write goes through the register's services; a refused
Conditional status comes back on the assessment page with the reasons and what it would take."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST

from punchlist.core.catalog import load_catalog
from punchlist.orgs.permissions import PermissionDenied, require
from punchlist.register import services
from punchlist.register.errors import ConflictError, RegisterError
from punchlist.register.models import Determination, ObjectiveStatus
from punchlist.web.outcome_forms import ObjectiveForm, OutcomeForm
from punchlist.web.tenancy import member_view
from punchlist.web.words import not_saved

from .assessments import _get_assessment, _page, anchor
from .item_parts import conflict_message


def _back(request, assessment, fragment: str = ""):
    return redirect(reverse("web:assessment_detail", args=[request.organization.slug, assessment.pk]) + fragment)


def _denied(request, exc):
    return render(request, "web/assessment_denied.html", {"reason": str(exc)}, status=403)


@member_view
@require_POST
def assessment_outcome(request, pk):
    assessment = _get_assessment(request, pk)
    try:
        require(request.user, "register.manage_assessment", assessment)
    except PermissionDenied as exc:
        return _denied(request, exc)
    form = OutcomeForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.record_outcome(request.user, assessment, kind=data["kind"], assessed_on=data["assessed_on"],
                                    status=data["status"] or "", score=data["score"],
                                    conditional_date=data["conditional_date"], reason=data["reason"])
        except PermissionDenied as exc:
            return _denied(request, exc)
        except services.OutcomeRefused as exc:
            return _page(request, _get_assessment(request, pk), status=400,
                         outcome={"form": form, "refused": exc})
        except RegisterError as exc:
            form.add_error(None, not_saved(exc))
        else:
            messages.success(request, "Outcome recorded.")
            return _back(request, assessment, "#outcome")
    return _page(request, _get_assessment(request, pk), status=400, outcome={"form": form})


@member_view
@require_POST
def assessment_official(request, pk):
    assessment = _get_assessment(request, pk)
    try:
        services.mark_official_poam(request.user, assessment)
    except PermissionDenied as exc:
        return _denied(request, exc)
    except RegisterError as exc:
        return _page(request, _get_assessment(request, pk), status=400,
                     outcome={"official_error": f"Not marked: {exc}"})
    messages.success(request, "This assessment's POA&M is now the official one.")
    return _back(request, assessment, "#outcome")


@member_view
@require_http_methods(["GET", "POST"])
def assessment_objectives(request, pk, requirement):
    """A requirement's assessment objectives, each with its determination; coordinators record them."""
    assessment = _get_assessment(request, pk)
    catalog = load_catalog()
    found = catalog.find(requirement)
    if found is None:
        raise Http404("No such requirement")
    can_edit = request.user.has_perm("register.manage_assessment", assessment)
    error, status, typed = "", 200, {}
    if request.method == "POST":
        try:
            require(request.user, "register.manage_assessment", assessment)
        except PermissionDenied as exc:
            return _denied(request, exc)
        objective = request.POST.get("objective", "")
        form = ObjectiveForm(request.POST)
        if not form.is_valid():
            error, status = "Not saved: choose MET, NOT MET or N/A.", 400
        else:
            try:
                # The version the page showed (0: none yet): a save over someone's later one is refused.
                services.set_objective_status(request.user, assessment, objective,
                                              form.cleaned_data["determination"],
                                              version=form.cleaned_data["version"])
            except ConflictError as exc:
                error, status = conflict_message(exc), 409
                typed[objective] = form.cleaned_data["determination"]
            except RegisterError as exc:
                error, status = not_saved(exc), 400
            else:
                messages.success(request, f"{objective} recorded.")
                return redirect(request.path)
    recorded = {objective: (determination, version) for objective, determination, version in
                ObjectiveStatus.objects.filter(assessment=assessment, requirement=found.id)
                .values_list("objective", "determination", "version")}
    current = next((s for s in assessment.statuses.all() if s.requirement == found.id), None)
    rows = [{"objective": o, "determination": typed.get(o.id, recorded.get(o.id, ("", 0))[0]),
             "version": recorded.get(o.id, ("", 0))[1]} for o in catalog.objectives(found.id)]
    return render(request, "web/assessment_objectives.html", {
        "assessment": assessment, "requirement": found, "rows": rows, "can_edit": can_edit, "error": error,
        "current": current, "choices": Determination.choices,
        "back": reverse("web:assessment_detail", args=[request.organization.slug, assessment.pk])
        + "#" + anchor(found),
    }, status=status)


organization_patterns = [
    path("assessment/<int:pk>/outcome/", assessment_outcome, name="assessment_outcome"),
    path("assessment/<int:pk>/official/", assessment_official, name="assessment_official"),
    path("assessment/<int:pk>/requirements/<str:requirement>/objectives/", assessment_objectives,
         name="assessment_objectives"),
]
