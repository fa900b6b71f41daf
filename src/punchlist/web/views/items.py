"""The Item screen: one POA&M item with everything about it, and every change to it.

Views are thin: the item is looked up within ``request.organization`` only (another tenant's identifier is a
404 like any unknown one), every write goes through ``punchlist.register.services`` (permission, transaction,
audit event), and a refusal re-renders the page with what was typed and the service's own words. Buttons are
shown from the same ``rules`` the services check; a forged POST is refused there anyway (403 with the reason).
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from punchlist.audit.models import AuditEvent
from punchlist.core.catalog import load_catalog
from punchlist.core.checks import lint
from punchlist.core.closeout import closeout_deadline
from punchlist.orgs.permissions import PermissionDenied, is_worker, require
from punchlist.register import services
from punchlist.register.errors import ConflictError, RegisterError
from punchlist.register.mapping import item_poam, person
from punchlist.register.models import Evidence, ItemBlocker, Kind, Milestone, PoamItem
from punchlist.register.services.evidence import evidence_for_item
from punchlist.web import forms as item_forms
from punchlist.web.downloads import evidence_file_response
from punchlist.web.forms import PEOPLE, PERSON_LABELS
from punchlist.web.outcome_forms import DropMilestoneForm
from punchlist.web.tenancy import denied, member_view
from punchlist.web.views.scan_findings import findings_of
from punchlist.web.words import day, not_saved

from .item_parts import (
    FIELD_LABELS,
    item_details,
    MOVES,
    UploadLimit,
    available_moves,
    conflict_message,
    history,
    perform,
)
from .item_ranking import ranking_context

# --- reading --------------------------------------------------------------------------------------------

def _items(request):
    return PoamItem.objects.for_organization(request.organization)


def _get_item(request, identifier: str) -> PoamItem:
    return get_object_or_404(_items(request).select_related("organization"), identifier=identifier)


def _get_full_item(request, identifier: str) -> PoamItem:
    """The item with everything the page shows, in a fixed number of queries."""
    queryset = _items(request).select_related(
        "organization", "assessment", "verified_by", "created_by", *PEOPLE,
    ).prefetch_related(
        "requirement_links",
        Prefetch("blocker_links", queryset=ItemBlocker.objects.select_related("blocker")
                 .order_by("blocker__identifier")),  # what it waits on, for the page and the lint's record
        Prefetch("milestones", queryset=Milestone.objects.order_by("position", "pk")),
        Prefetch("evidence", queryset=Evidence.objects.order_by("added_at", "pk")),  # for the lint
    )
    return get_object_or_404(queryset, identifier=identifier)


def _closeout(item):
    """The R-CLOSE-1 deadline an assessment POA&M item runs against, if a Conditional date is set."""
    if item.kind != Kind.ASSESSMENT_POAM:
        return None
    assessment = item.assessment if item.assessment_id else services.governing_assessment(item)
    if assessment is None or assessment.conditional_status_date is None:
        return None
    return closeout_deadline(assessment.conditional_status_date)


def _permissions(user, item) -> dict:
    has = user.has_perm
    return {"change": has("register.change_item", item), "manage": has("register.manage_item", item),
            "evidence": has("register.add_evidence", item), "add_item": has("register.add_item", item.organization)}


def _weekly(user, item, bound=None) -> dict | None:
    """This week's update for one of the item's owners, on the item itself: the progress note the weekly
    review (and the stale-item finding) asks for, beside the milestones and evidence it reports on."""
    from punchlist.register.services._common import today
    from punchlist.rhythm.forms import WeeklyUpdateForm
    from punchlist.rhythm.models import WeeklyUpdate
    from punchlist.rhythm.periods import week_of
    from punchlist.rhythm.queries import WEEKLY_STATUSES

    if item.status not in WEEKLY_STATUSES or user.pk not in (item.primary_owner_id, item.supporting_owner_id):
        return None
    week = week_of(today())
    updates = list(WeeklyUpdate.objects.filter(item=item, week_of__lte=week).select_related("author")
                   .order_by("-week_of")[:1])
    this_week = updates[0] if updates and updates[0].week_of == week else None
    last = updates[0] if updates else None
    form, refusal = bound or (None, "")
    if form is None:
        initial = {"next_step": last.next_step, "blocker": last.blocker} if last else {}
        if this_week:
            initial["progress"] = this_week.progress
        form = WeeklyUpdateForm(initial=initial, prefix=f"w{item.pk}")
    return {"week": week, "update": this_week, "last": last, "form": form, "refusal": refusal}


def item_page_with(request, identifier: str, *, weekly=None):
    """The item page with the refused weekly update form (what was typed, and why it was refused)."""
    return _page(request, identifier, weekly=weekly, status=400)


def _page(request, identifier: str, *, bound: dict | None = None, status: int = 200, weekly=None):
    """The item page; ``bound`` holds the refused form (by prefix), re-shown with what was typed and why."""
    bound = bound or {}
    item = _get_full_item(request, identifier)
    user = request.user
    can = _permissions(user, item)
    catalog = load_catalog()
    milestones = list(item.milestones.all())
    evidence = _evidence(item)
    history_rows, slips = history(item, list(AuditEvent.objects.for_item(item)), milestones, evidence)
    findings = [f for f in lint(item_poam(item), as_of=timezone.localdate()) if f.item == item.identifier]
    for milestone in milestones:
        prefix = f"slip-{milestone.pk}"
        milestone.slip_form = bound.get(prefix) or item_forms.SlipForm(
            prefix=prefix, initial={"due": milestone.due, "version": milestone.version})
        milestone.slip_open = prefix in bound
        milestone.drop_form = bound.get(f"drop-{milestone.pk}") or DropMilestoneForm(
            prefix=f"drop-{milestone.pk}", initial={"version": milestone.version})
        milestone.drop_open = f"drop-{milestone.pk}" in bound
        milestone.error = bound.get(f"tick-{milestone.pk}")
    moves = []
    for move in available_moves(user, item):
        prefix = f"move-{move.key}"
        form = bound.get(prefix) or item_forms.MoveForm(prefix=prefix, move=move, initial={"version": item.version})
        if move.key == "approve":
            _explain_requirement_move(form, item)
        moves.append({"move": move, "form": form, "open": prefix in bound,
                      "url": reverse("web:item_move", args=[request.organization.slug, item.identifier, move.key])})
    context = {
        "item": item, "can": can, "moves": moves, "milestones": milestones, "evidence": evidence,
        "history": history_rows, "slips": slips, "findings": findings,
        "requirements": [catalog.get(link.requirement) for link in item.requirement_links.all()],
        "objectives": [o for o in map(catalog.objective, item.objectives or []) if o is not None],
        "closeout": _closeout(item),
        "people": [(PERSON_LABELS[name], person(getattr(item, name))) for name in PEOPLE],
        "details": item_details(item),
        "verified_by": person(item.verified_by),
        "days_slipped": (item.scheduled_completion - item.original_scheduled_completion).days
        if item.scheduled_completion and item.original_scheduled_completion else 0,
        "milestone_form": bound.get("milestone") or item_forms.MilestoneForm(prefix="milestone"),
        "due_form": bound.get("due") or item_forms.DueDateForm(
            prefix="due", initial={"version": item.version, "scheduled_completion": item.scheduled_completion}),
        "evidence_form": bound.get("evidence") or item_forms.EvidenceForm(prefix="evidence"),
        "open_section": next(iter(bound), ""),
        "refusal": _refusal(bound),
        "max_upload": settings.PUNCHLIST_MAX_UPLOAD_BYTES,
        "weekly": _weekly(user, item, weekly),
        "scan_findings": findings_of(item, user),
        **ranking_context(request, item, bound),
    }
    return render(request, "web/item.html", context, status=status)


def _explain_requirement_move(form, item) -> None:
    """Where the item is the last open one of a NOT MET requirement, the closure asks to record the
    requirement MET in the same step, saying why (R-SCORE-4); elsewhere the question is not asked."""
    moves = services.moves_with(item)
    if not moves:
        form.fields.pop("record_met", None)
        return
    ids = ", ".join(m.requirement for m in moves)
    field = form.fields["record_met"]
    field.label = f"Record {ids} MET in the same step"
    field.help_text = (f"{item.identifier} is the last open item for {ids}, NOT MET in {moves[0].assessment}. "
                       f"Closed alone, it would leave {ids} NOT MET with no plan of action, and R-SCORE-4 would "
                       "make 3.12.2 NOT MET too (−3 points). Recording it MET links this closure's evidence to "
                       "it; the score never drops because of a closure.")
    form._bound_fields_cache.pop("record_met", None)  # a refused form has built its fields with the old label


def _evidence(item) -> list:
    """Its own evidence and evidence added elsewhere that also proves it (the vault's links)."""
    return list(evidence_for_item(item).select_related("item", "added_by", "custodian").order_by("added_at", "pk"))


def _refusal(bound: dict) -> list[str]:
    """What the refused form's service (or its cross-field checks) said, shown at the top of the page."""
    said = []
    for value in bound.values():
        if isinstance(value, str):
            said.append(value)
            continue
        said += list(value.non_field_errors())
        for name, errors in value.errors.items():
            if name != "__all__":
                label = value.fields[name].label or name.replace("_", " ").capitalize()
                said += [f"{label}: {error}" for error in errors]
    return said


# --- refusals -------------------------------------------------------------------------------------------

def refused(view):
    """A PermissionDenied from a service (or the view's own check) becomes the 403 page with its reason."""
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as exc:
            return denied(request, exc)
    return wrapper


def _rebound(form_class, form, version: int, **kwargs):
    """The refused form again with what was typed, under the item's current version (after a conflict)."""
    data = form.data.copy()
    data[form.add_prefix("version")] = str(version)
    return form_class(data, prefix=form.prefix, **kwargs)


def _done(request, item, message: str, anchor: str = ""):
    messages.success(request, message)
    return redirect(reverse("web:item", args=[request.organization.slug, item.identifier]) + anchor)


# --- the page and its actions ---------------------------------------------------------------------------

@member_view
@require_GET
def item_page(request, identifier):
    return _page(request, identifier)


@member_view
@require_POST
@refused
def item_move(request, identifier, move):
    if move not in MOVES:
        raise Http404("No such status move")
    move = MOVES[move]
    item = _get_item(request, identifier)
    if move.permission:
        require(request.user, move.permission, item)
    elif not is_worker(request.user, item):  # a viewer: refused whatever the item's state
        raise PermissionDenied(f"{request.user.username} ({request.role.label}) may not {move.label.lower()}")
    prefix = f"move-{move.key}"
    form = item_forms.MoveForm(request.POST, prefix=prefix, move=move)
    if not form.is_valid():
        return _page(request, identifier, bound={prefix: form}, status=400)
    try:
        perform(request.user, item, move, form.cleaned_data)
    except ConflictError as exc:
        form = _rebound(item_forms.MoveForm, form, exc.current_version, move=move)
        form.add_error(None, conflict_message(exc))
        return _page(request, identifier, bound={prefix: form}, status=409)
    except RegisterError as exc:
        form.add_error(None, not_saved(exc))
        return _page(request, identifier, bound={prefix: form}, status=400)
    return _done(request, item, f"{item.identifier}: {move.label.lower()} — now {item.get_status_display().lower()}.")


@member_view
@require_POST
@refused
def item_due(request, identifier):
    item = _get_item(request, identifier)
    require(request.user, "register.change_item", item)
    form = item_forms.DueDateForm(request.POST, prefix="due")
    if not form.is_valid():
        return _page(request, identifier, bound={"due": form}, status=400)
    data = form.cleaned_data
    try:
        services.change_due_date(request.user, item, data["scheduled_completion"], reason=data["reason"],
                                 version=data["version"])
    except ConflictError as exc:
        form = _rebound(item_forms.DueDateForm, form, exc.current_version)
        form.add_error(None, conflict_message(exc))
        return _page(request, identifier, bound={"due": form}, status=409)
    except RegisterError as exc:
        form.add_error(None, not_saved(exc))
        return _page(request, identifier, bound={"due": form}, status=400)
    due = day(item.scheduled_completion) if item.scheduled_completion else "no date"
    return _done(request, item, f"{item.identifier} is now scheduled for {due}.")


@member_view
@require_POST
@refused
def item_milestone_add(request, identifier):
    item = _get_item(request, identifier)
    require(request.user, "register.change_item", item)
    form = item_forms.MilestoneForm(request.POST, prefix="milestone")
    if form.is_valid():
        try:
            services.add_milestone(request.user, item, form.cleaned_data["description"], form.cleaned_data["due"])
        except RegisterError as exc:
            form.add_error(None, not_saved(exc))
        else:
            return _done(request, item, "Milestone added.", "#milestones")
    return _page(request, identifier, bound={"milestone": form}, status=400)


def _milestone(request, identifier, pk) -> Milestone:
    return get_object_or_404(Milestone.objects.for_organization(request.organization)
                             .select_related("item__organization"), item__identifier=identifier, pk=pk)


@member_view
@require_POST
@refused
def item_milestone_done(request, identifier, pk):
    """Tick a milestone off: inline with htmx (the row comes back), or a plain POST and back to the page."""
    milestone = _milestone(request, identifier, pk)
    item = milestone.item
    require(request.user, "register.change_item", item)
    form = item_forms.MilestoneDoneForm(request.POST)
    error = None
    if form.is_valid():
        try:
            services.complete_milestone(request.user, milestone, form.cleaned_data["done_on"],
                                        version=form.cleaned_data["version"])
        except ConflictError as exc:
            error = conflict_message(exc)
            milestone.refresh_from_db()
        except RegisterError as exc:
            error = not_saved(exc)
    else:
        error = "Not saved: " + " ".join(e for errors in form.errors.values() for e in errors)
    return _milestone_answer(request, identifier, milestone, error, f"Milestone “{milestone.description}” done.")


@member_view
@require_POST
@refused
def item_milestone_undo(request, identifier, pk):
    """Untick a milestone ticked by mistake (the service records it); inline with htmx like the tick."""
    milestone = _milestone(request, identifier, pk)
    item = milestone.item
    require(request.user, "register.change_item", item)
    error = None
    try:
        services.reopen_milestone(request.user, milestone)
    except RegisterError as exc:
        error = not_saved(exc)
    return _milestone_answer(request, identifier, milestone, error,
                             f"Milestone “{milestone.description}” is not done after all.")


def _milestone_answer(request, identifier, milestone: Milestone, error: str | None, done: str):
    """What a tick or an untick answers: with htmx the milestone's row (its refusal in it), and on success the
    page's history swapped in out of band; else the item's page, with the refusal or the ``done`` message."""
    item = milestone.item
    if request.htmx:
        milestone.error = error
        context = {"item": item, "m": milestone, "can": {"change": True}}
        if error is None:
            milestones = list(item.milestones.order_by("position", "pk"))
            context["history"], _ = history(item, list(AuditEvent.objects.for_item(item)), milestones,
                                            _evidence(item))
            context["history_oob"] = True
        return render(request, "web/item_milestone_ticked.html", context)
    if error:
        return _page(request, identifier, bound={f"tick-{milestone.pk}": error}, status=400)
    return _done(request, item, done, "#milestones")


@member_view
@require_POST
@refused
def item_milestone_slip(request, identifier, pk):
    milestone = _milestone(request, identifier, pk)
    require(request.user, "register.change_item", milestone.item)
    prefix = f"slip-{pk}"
    form = item_forms.SlipForm(request.POST, prefix=prefix)
    if form.is_valid():
        try:
            services.slip_milestone(request.user, milestone, form.cleaned_data["due"],
                                    reason=form.cleaned_data["reason"], version=form.cleaned_data["version"])
        except ConflictError as exc:
            form = _rebound(item_forms.SlipForm, form, exc.current_version)
            form.add_error(None, conflict_message(exc))
        except RegisterError as exc:
            form.add_error(None, not_saved(exc))
        else:
            return _done(request, milestone.item, f"Milestone “{milestone.description}” now due "
                                                  f"{day(milestone.due)}.", "#milestones")
    return _page(request, identifier, bound={prefix: form}, status=400)


@member_view
@require_POST
@refused
def item_milestone_drop(request, identifier, pk):
    """Take a milestone out of the plan, with the reason: it no longer holds up the item's closure."""
    milestone = _milestone(request, identifier, pk)
    require(request.user, "register.change_item", milestone.item)
    form = DropMilestoneForm(request.POST, prefix=f"drop-{pk}")
    if form.is_valid():
        try:
            services.drop_milestone(request.user, milestone, reason=form.cleaned_data["reason"],
                                    version=form.cleaned_data["version"])
        except ConflictError as exc:
            form = _rebound(DropMilestoneForm, form, exc.current_version)
            form.add_error(None, conflict_message(exc))
        except RegisterError as exc:
            form.add_error(None, not_saved(exc))
        else:
            return _done(request, milestone.item, f"Milestone “{milestone.description}” dropped.", "#milestones")
    return _page(request, identifier, bound={f"drop-{pk}": form}, status=400)


@csrf_exempt  # checked below, once the upload handler is in place (Django's documented pattern)
@member_view
def item_evidence_add(request, identifier):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    limit = UploadLimit(request, settings.PUNCHLIST_MAX_UPLOAD_BYTES)
    request.upload_handlers.insert(0, limit)
    return _evidence_add(request, identifier, limit)


@csrf_protect
@refused
def _evidence_add(request, identifier, limit: UploadLimit):
    item = _get_item(request, identifier)
    require(request.user, "register.add_evidence", item)
    form = item_forms.EvidenceForm(request.POST, request.FILES, prefix="evidence", too_large=limit.too_large)
    if form.is_valid():
        data = form.cleaned_data
        try:
            evidence = services.add_evidence(request.user, item, name=data["name"], content=data["file"],
                                             reference=data["reference"], description=data["description"])
        except RegisterError as exc:
            form.add_error(None, not_saved(exc))
        else:
            return _done(request, item, f"Evidence “{evidence.name}” added.", "#evidence")
    return _page(request, identifier, bound={"evidence": form}, status=400)


@member_view
@require_GET
def item_evidence_file(request, identifier, pk):
    """An evidence file, for members only, always as a download: never rendered by the browser."""
    item = _get_item(request, identifier)
    return evidence_file_response(request, get_object_or_404(evidence_for_item(item), pk=pk))


# --- editing and adding items ---------------------------------------------------------------------------

def _initial(item) -> dict:
    values = {name: getattr(item, name) for name in item_forms.OWNER_TEXT + item_forms.DETAILS}
    values.update(
        objectives=list(item.objectives or []), start_date=item.start_date,
        scheduled_completion=item.scheduled_completion, requirements=item.requirement_ids, kind=item.kind,
        assessment=item.assessment_id, version=item.version,
        **{name: getattr(item, f"{name}_id") for name in PEOPLE},
    )
    return values


def _as_data(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _rebased(form, item, **kwargs):
    """After a conflict: the person's own changes on top of the item as it is now, under its current version,
    so saving again changes only what they changed."""
    now = item_forms.ItemEditForm(initial=_initial(item), **kwargs)
    data = {}
    for name in form.fields:
        key = form.add_prefix(name)
        current = _as_data(now[name].value())
        data[key] = form.data.get(key, "") if name in form.changed_data or name == "reason" else current
        data[form.add_initial_prefix(name)] = current
    data[form.add_prefix("version")] = str(item.version)
    return item_forms.ItemEditForm(data, initial=_initial(item), **kwargs)


@member_view
@refused
def item_edit(request, identifier):
    item = get_object_or_404(_items(request).select_related("organization").prefetch_related("requirement_links"),
                             identifier=identifier)
    require(request.user, "register.change_item", item)
    options = {"organization": request.organization,
               "manager": request.user.has_perm("register.manage_item", item)}
    if request.method != "POST":
        form = item_forms.ItemEditForm(initial=_initial(item), **options)
        return render(request, "web/item_edit.html", {"item": item, "form": form})
    form = item_forms.ItemEditForm(request.POST, initial=_initial(item), **options)
    status = 400
    if form.is_valid():
        changes = form.changes()
        if not changes:
            return _done(request, item, "Nothing was changed.")
        try:
            services.update_item(request.user, item, version=form.cleaned_data["version"],
                                 reason=form.cleaned_data["reason"], **changes)
        except ConflictError as exc:
            fresh = PoamItem.objects.prefetch_related("requirement_links").get(pk=item.pk)
            form = _rebased(form, fresh, **options)
            form.add_error(None, conflict_message(exc))
            status = 409
        except RegisterError as exc:
            form.add_error(None, not_saved(exc))
        else:
            labels = ", ".join(FIELD_LABELS.get(name, name).lower() for name in changes)
            return _done(request, item, f"{item.identifier} saved ({labels}).")
    return render(request, "web/item_edit.html", {"item": item, "form": form}, status=status)


@member_view
@refused
def item_new(request):
    require(request.user, "register.add_item", request.organization)
    if request.method != "POST":
        form = item_forms.ItemCreateForm(organization=request.organization)
        return render(request, "web/item_new.html", {"form": form})
    form = item_forms.ItemCreateForm(request.POST, organization=request.organization)
    if form.is_valid():
        data = form.cleaned_data
        fields = {name: data[name] for name in item_forms.OWNER_TEXT if name != "title"}
        fields.update({name: data[name] for name in item_forms.DETAILS if data[name] not in (None, "")})
        fields.update({name: data[name] for name in PEOPLE if data[name] is not None})
        try:
            item = services.create_item(
                request.user, request.organization, requirements=data["requirements"], title=data["title"],
                kind=data["kind"], status=data["status"], assessment=data["assessment"],
                objectives=data["objectives"], start_date=data["start_date"],
                scheduled_completion=data["scheduled_completion"], **fields)
        except RegisterError as exc:
            form.add_error(None, not_saved(exc))
        else:
            return _done(request, item, f"{item.identifier} added.")
    return render(request, "web/item_new.html", {"form": form}, status=400)


organization_patterns = [
    path("items/new/", item_new, name="item_new"),
    path("items/<str:identifier>/", item_page, name="item"),
    path("items/<str:identifier>/edit/", item_edit, name="item_edit"),
    path("items/<str:identifier>/due/", item_due, name="item_due"),
    path("items/<str:identifier>/move/<slug:move>/", item_move, name="item_move"),
    path("items/<str:identifier>/milestones/", item_milestone_add, name="item_milestone_add"),
    path("items/<str:identifier>/milestones/<int:pk>/done/", item_milestone_done, name="item_milestone_done"),
    path("items/<str:identifier>/milestones/<int:pk>/undo/", item_milestone_undo, name="item_milestone_undo"),
    path("items/<str:identifier>/milestones/<int:pk>/slip/", item_milestone_slip, name="item_milestone_slip"),
    path("items/<str:identifier>/milestones/<int:pk>/drop/", item_milestone_drop, name="item_milestone_drop"),
    path("items/<str:identifier>/evidence/", item_evidence_add, name="item_evidence_add"),
    path("items/<str:identifier>/evidence/<int:pk>/", item_evidence_file, name="item_evidence_file"),
]
