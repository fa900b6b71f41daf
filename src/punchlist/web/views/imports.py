"""The Import screen: a POA&M file in, through a preview of its columns a person can correct, a check of every
row that writes nothing, and one import that writes all rows or none.

Upload (size-limited as it streams in, then the guards every import passes: zip bombs, DTDs, outsized cells,
files that are not what their name says) → preview (the header row found and the column each field is read
from, as selects, beside a few rows of the file) → check (every row's problems by row and column, or what the
import would do: ``register.imports.check_poam``) → import (``register.imports.import_poam``: one
transaction; items imported before are updated through the services, "updated by import of FILE"). A mapping
can be saved as a named profile of the organization and picked at the next upload. The file is kept between
the steps by ``punchlist.web.staging`` and removed after the import.

Only those who may add items (coordinators and administrators) reach these pages; other members get 403 and
non-members 404. With htmx each step replaces the page's main part, and the buttons are disabled with a
"working" notice while the server reads, checks or writes; without JavaScript they are plain form posts.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from punchlist.errors import InputError, InputErrors, rows_text
from punchlist.interchange import FIELD_LABELS, ColumnMapping, derive, inspect_poam_file
from punchlist.interchange.guards import OSCAL_KINDS, Limits, describe
from punchlist.interchange.mapping import REQUIRED
from punchlist.interchange.values import key
from punchlist.orgs.permissions import PermissionDenied, require
from punchlist.register import services
from punchlist.register.errors import RegisterError
from punchlist.register.models import ImportProfile
from punchlist.register.services.profiles import profile_mapping
from punchlist.web import import_jobs, staging
from punchlist.web.import_forms import MappingForm, UploadForm
from punchlist.web.models import ImportJob
from punchlist.web.tenancy import denied, member_view

from .item_parts import UploadLimit

PROBLEMS_SHOWN = 500  # problems listed on the page; the rest are counted
ITEMS_LISTED = 100  # identifiers linked in an import's result, per kind
# The fields an import's checks name (register.imports.poam.check_rows) that the readers call otherwise.
ERROR_FIELDS = {"requirement": "requirements"}


def _limits() -> Limits:
    """An upload's guards (every part with cells expanded and checked), at the web's own size limit."""
    return Limits(expand_parts=True, file_bytes=settings.PUNCHLIST_MAX_UPLOAD_BYTES)


def _allowed(request):
    """The 403 page for members who may not import, else None."""
    try:
        require(request.user, "register.add_item", request.organization)
    except PermissionDenied as exc:
        return denied(request, exc)
    return None


def _profiles(request):
    return ImportProfile.objects.for_organization(request.organization).select_related("created_by")


# --- problems, in words ---------------------------------------------------------------------------------

def problems(error: InputError, columns: dict[str, str] | None = None) -> list[dict]:
    """Every problem of ``error`` (one InputError or InputErrors) as a row of the page's table: the row, the
    column (the file's header, and the field it feeds where the import's checks named a field), the sheet
    where a workbook has several, and what is wrong."""
    errors = error.errors if isinstance(error, InputErrors) else [error]
    columns = columns or {}
    fields_by_header = {}
    for field, header in columns.items():
        fields_by_header.setdefault(header, []).append(FIELD_LABELS[field].lower())
    listed = []
    for each in errors:
        column = each.column or ""
        field = ERROR_FIELDS.get(column, column)
        if field in FIELD_LABELS:  # the import's checks name the field
            column = _named(columns.get(field), [FIELD_LABELS[field].lower()]) or FIELD_LABELS[field]
        elif column in fields_by_header:  # the readers name the header
            column = _named(column, fields_by_header[column])
        file = each.file or ""
        sheet = file[file.rindex(" [") + 2:-1] if file.endswith("]") and " [" in file else ""
        listed.append({"row": each.row, "column": column, "sheet": sheet, "message": each.message})
    listed.sort(key=lambda problem: (problem["sheet"], problem["row"] or 0))
    # Each distinct problem once, with every row it is on ("3-5, 9"): not the same message per row.
    grouped: dict[tuple, dict] = {}
    for problem in listed:
        found = grouped.setdefault((problem["sheet"], problem["column"], problem["message"]), {**problem, "rows": []})
        if problem["row"] is not None:
            found["rows"].append(problem["row"])
    for problem in grouped.values():
        problem["row"] = rows_text(problem["rows"]) if problem["rows"] else None
    return list(grouped.values())


def _named(header: str | None, labels: list[str]) -> str:
    """"Who (primary owner)": a column's header and the fields it feeds, where the header does not say them."""
    if not header:
        return ""
    said = [label for label in labels if key(label) != key(header)]
    return f"{header} ({', '.join(said)})" if said else header


def _headers_by_field(inspection) -> dict[str, str]:
    if not inspection or not inspection.fields:
        return {}
    by_index = {column.index: column for column in inspection.columns}
    return {name: by_index[index].header or f"column {by_index[index].letter}"
            for name, index in inspection.fields.items() if index in by_index}


def _outcome(kind: str, error: InputError | None = None, inspection=None, **more) -> dict:
    return outcome(kind, error, _headers_by_field(inspection), **more)


def outcome(kind: str, error: InputError | None = None, headers: dict | None = None, **more) -> dict:
    """What the page says of a check or import (``web/import_problems.html``); plain data, so a background
    task can keep it on its job (``web.import_jobs``)."""
    listed = problems(error, headers) if error is not None else []
    # Rows with problems an import counted past those it kept (a large file keeps the first few hundred).
    unlisted = getattr(error, "more", 0)
    return {"kind": kind, "problems": listed[:PROBLEMS_SHOWN], "total": len(listed),
            "hidden": max(0, len(listed) - PROBLEMS_SHOWN), "more_rows": unlisted,
            "sheets": any(p["sheet"] for p in listed), **more}


# --- upload ---------------------------------------------------------------------------------------------

def _start_page(request, form, *, outcome=None, status=200):
    context = {"form": form, "profiles": list(_profiles(request)), "outcome": outcome,
               "max_upload": settings.PUNCHLIST_MAX_UPLOAD_BYTES}
    return render(request, "web/import.html", context, status=status)


@csrf_exempt  # checked in _receive, once the upload handler is in place (Django's documented pattern)
@member_view
def import_start(request):
    """The upload form (GET), or the upload (POST), which goes on to the preview."""
    refused = _allowed(request)
    if refused:
        return refused
    if request.method == "GET":
        return _start_page(request, UploadForm(organization=request.organization))
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    limit = UploadLimit(request, settings.PUNCHLIST_MAX_UPLOAD_BYTES)
    request.upload_handlers.insert(0, limit)
    return _receive(request, limit)


@csrf_protect
def _receive(request, limit: UploadLimit):
    organization = request.organization
    form = UploadForm(request.POST, request.FILES, organization=organization, too_large=limit.too_large)
    if not form.is_valid():
        return _start_page(request, form, status=400)
    upload = staging.keep(organization, request.user, form.cleaned_data["file"])
    profile = form.cleaned_data["profile"]
    try:
        # Every guard, before anything is kept: a file refused here leaves nothing behind.
        _inspect(upload, profile_mapping(profile) if profile else None, limits=_limits(),
                          label=upload.name)
    except InputError as exc:
        staging.discard(upload)
        outcome = _outcome("refused", exc, file=upload.name)
        return _start_page(request, form, outcome=outcome, status=400)
    query = {"profile": profile.pk} if profile else {}
    if form.cleaned_data["create_people"]:
        query["people"] = 1
    url = reverse("web:import_preview", args=[organization.slug, upload.token])
    return redirect(url + ("?" + urlencode(query) if query else ""))


def _inspect(upload, mapping, **options):
    """``inspect_poam_file`` of the staged upload; one that was discarded meanwhile reads as gone."""
    try:
        with staging.local_file(upload) as path:
            return inspect_poam_file(path, mapping, **options)
    except FileNotFoundError:
        raise InputError("the uploaded file is gone; upload it again", file=upload.name) from None


# --- preview, check, import -----------------------------------------------------------------------------

def _preview_page(request, upload, inspection, form, *, outcome=None, note="", status=200, derived=()):
    if inspection.has_columns:
        form.show(inspection)
    selected = []
    if inspection.has_columns:
        by_index = {column.index: column for column in inspection.columns}
        for name, field in form.selects():
            value = field.value()
            try:
                column = by_index.get(int(value)) if value not in (None, "") else None
            except (TypeError, ValueError):
                column = None
            selected.append({"name": name, "field": field,
                             "samples": [s for s in column.samples if s][:3] if column else []})
    problem = inspection.problem
    if problem is not None and problem.column == REQUIRED:
        # The readers' own words list every name they know; here the person simply chooses the column.
        listed = [{"row": None, "column": "", "sheet": "", "message": (
            f"No column of row {inspection.header_row} has a name known to hold the requirement (the NIST SP "
            "800-171 requirement each row addresses): choose the column that holds it.")}]
    else:
        listed = problems(problem, _headers_by_field(inspection)) if problem is not None else []
    context = {
        "upload": upload, "inspection": inspection, "form": form, "selects": selected, "outcome": outcome,
        "note": note, "problem": listed,
        "sample_rows": [(number, [column.samples[i] for column in inspection.columns])
                        for i, number in enumerate(inspection.rows)],
        "columns": [(column, [FIELD_LABELS[name] for name in column.fields]) for column in inspection.columns],
        "kind_words": _kind_words(inspection),
        "preview_url": reverse("web:import_preview", args=[request.organization.slug, upload.token]),
        "derived": derived,
    }
    if getattr(request, "htmx", False):
        status = 200  # htmx swaps 200s only: the refused form comes back with what was chosen and why
    return render(request, "web/import_preview.html", context, status=status)


def _kind_words(inspection) -> str:
    if inspection.kind in OSCAL_KINDS:
        return f"OSCAL POA&M {inspection.kind}"
    if inspection.kind == "TEXT":
        return "Text (CSV)"
    if inspection.is_scan:
        words = describe(inspection.kind)
        return words[:1].upper() + words[1:]
    return describe(inspection.kind).capitalize()


def _gone(request):
    return render(request, "web/import_gone.html", status=404)


def _unreadable(request, upload, exc: InputError):
    """The file no longer reads at all (it passed at upload): say why, and start again."""
    staging.discard(upload)
    outcome = _outcome("refused", exc, file=upload.name)
    return _start_page(request, UploadForm(organization=request.organization), outcome=outcome, status=400)


@member_view
def import_preview(request, token):
    refused = _allowed(request)
    if refused:
        return refused
    upload = staging.find(request.organization, request.user, token)
    if upload is None:
        return _gone(request)
    if request.method == "GET":
        return _preview_get(request, upload)
    if request.method == "POST":
        return _preview_post(request, upload)
    return HttpResponseNotAllowed(["GET", "POST"])


def _preview_get(request, upload):
    profile = None
    wanted = request.GET.get("profile", "")
    if wanted.isdigit():
        profile = _profiles(request).filter(pk=int(wanted)).first()
    try:
        inspection = _inspect(upload, profile_mapping(profile) if profile else None, limits=_limits(),
                                       label=upload.name)
    except InputError as exc:
        return _unreadable(request, upload, exc)
    initial = {"create_people": request.GET.get("people") == "1", "profile_name": profile.name if profile else ""}
    form = MappingForm(initial=MappingForm.initial_for(inspection, **initial))
    note = f"Columns as the profile “{profile.name}” maps them." if profile else ""
    return _preview_page(request, upload, inspection, form, note=note)


def _preview_post(request, upload):
    action = request.POST.get("action", "refresh")
    if action == "discard":
        staging.discard(upload)
        messages.info(request, f"{upload.name} was discarded; nothing was imported.")
        return redirect(reverse("web:import", args=[request.organization.slug]))
    form = MappingForm(request.POST)
    if not form.is_valid():
        # What the page showed before, so that the refused form is shown over the same columns.
        shown = _lenient(form.data)
        try:
            inspection = _inspect(upload, shown, limits=_limits(), label=upload.name)
        except InputError as exc:
            return _unreadable(request, upload, exc)
        return _preview_page(request, upload, inspection, form, status=400)
    mapping = form.mapping()
    try:
        inspection = _inspect(upload, mapping, limits=_limits(), label=upload.name)
    except InputError as exc:
        return _unreadable(request, upload, exc)
    if not inspection.has_columns:  # OSCAL, or a scanner's report: the file names its fields
        mapping = None
    elif form.layout_changed():
        keep = {"create_people": form.cleaned_data["create_people"], "profile_name": form.cleaned_data["profile_name"]}
        fresh = MappingForm(initial=MappingForm.initial_for(inspection, **keep))
        note = (f"The columns of row {inspection.header_row} of “{inspection.sheet}” were found again; check them "
                "before you go on.")
        return _preview_page(request, upload, inspection, fresh, note=note)
    if action == "save_profile":
        return _save_profile(request, upload, inspection, form)
    if action in ("check", "import"):
        return _check_or_import(request, upload, inspection, form, mapping, write=action == "import")
    return _preview_page(request, upload, inspection, form)


def _lenient(data) -> ColumnMapping | None:
    """The sheet and header row the refused form was made for, if they still make sense."""
    try:
        row = int(data.get("shown_row") or 0) or None
        return ColumnMapping(header_row=row, sheet=data.get("shown_sheet") or None)
    except (InputError, ValueError):
        return None


def _check_or_import(request, upload, inspection, form, mapping, *, write: bool):
    if inspection.problem is not None:
        outcome = _outcome("problems", inspection.problem, inspection)
        return _preview_page(request, upload, inspection, form, outcome=outcome, status=400)
    # One task for every file (web.import_jobs): a small one runs now, in this request, and shows here as
    # it always did; a larger one is left to the worker and its page shows how far it has come. A closed item
    # is reopened only where the person chose it, item by item, in the preview.
    # Requirements derived from SP 800-53 / Rev 3 ids: the person's changes (a field per control), and whether
    # they confirmed them (an import needs that; a check shows them for it).
    reopen = [identifier for identifier in request.POST.getlist("reopen") if identifier]
    given = {name[len("derived-"):]: value for name, value in request.POST.items() if name.startswith("derived-")}
    try:
        chosen = derive.parse_choices(given, upload.name)
    except InputError as exc:
        outcome = _outcome("problems", exc, inspection, written=False)
        return _preview_page(request, upload, inspection, form, outcome=outcome, status=400)
    job = import_jobs.start(request.user, request.organization, upload, mapping,
                            headers=_headers_by_field(inspection), write=write,
                            create_people=form.cleaned_data["create_people"], reopen=reopen,
                            derive={control: list(ids) for control, ids in chosen.items()},
                            accept_derived=request.POST.get("accept_derived") == "1",
                            include_informational=bool(form.cleaned_data.get("include_informational")))
    if job.state != ImportJob.State.DONE:
        return redirect(reverse("web:import_job", args=[request.organization.slug, job.pk]))
    done = job.outcome
    if done["kind"] == "imported":
        return _result_page(request, job)
    status = 400 if done["kind"] != "ready" else 200
    return _preview_page(request, upload, inspection, form, outcome=done, status=status,
                         derived=done.get("derived") or None)


def _result_page(request, job):
    slug = request.organization.slug
    result = job.outcome["result"]
    context = {
        "upload": {"name": job.file_name}, "result": result, "rows": job.outcome["rows"],
        "created": [(i, reverse("web:item", args=[slug, i])) for i in result["created"]["listed"]],
        "updated": [(i, reverse("web:item", args=[slug, i])) for i in result["updated"]["listed"]],
        "more_created": max(0, result["created"]["count"] - ITEMS_LISTED),
        "more_updated": max(0, result["updated"]["count"] - ITEMS_LISTED),
        "changes": job.outcome.get("changes", []), "more_changes": job.outcome.get("more_changes", 0),
        "scan": job.outcome.get("scan"), "notes": job.outcome.get("notes", []),
        "operational": job.outcome.get("operational") or {"count": 0, "listed": []},
    }
    return render(request, "web/import_result.html", context)


@member_view
def import_job(request, pk):
    """A check or import left to the worker: its progress while it runs (polled with htmx), then its
    outcome, as the Import screen shows it for a small file. Those who may import see the organization's
    jobs (the outcome names rows and problems, never the file itself, which stays its uploader's)."""
    refused = _allowed(request)
    if refused:
        return refused
    job = get_object_or_404(ImportJob.objects.filter(organization=request.organization), pk=pk)
    if job.state == ImportJob.State.DONE and job.outcome["kind"] == "imported":
        return _result_page(request, job)
    context = {"job": job, "outcome": job.outcome, "progress": import_jobs.progress_of(job),
               "preview_url": reverse("web:import_preview", args=[request.organization.slug, job.token])}
    template = "web/import_job_status.html" if getattr(request, "htmx", False) else "web/import_job.html"
    return render(request, template, context)


def _save_profile(request, upload, inspection, form):
    name = (form.cleaned_data.get("profile_name") or "").strip()
    if not name:
        form.add_error("profile_name", "Give the mapping a name to save it under.")
        return _preview_page(request, upload, inspection, form, status=400)
    if inspection.problem is not None:
        outcome = _outcome("problems", inspection.problem, inspection)
        form.add_error("profile_name", "Not saved: the mapping cannot read the file yet (see above).")
        return _preview_page(request, upload, inspection, form, outcome=outcome, status=400)
    try:
        profile = services.save_profile(request.user, request.organization, name, _profile_mapping(upload, inspection))
    except RegisterError as exc:
        form.add_error("profile_name", f"Not saved: {exc}")
        return _preview_page(request, upload, inspection, form, status=400)
    messages.success(request, f"Mapping profile “{profile.name}” saved; pick it when you upload the next file "
                              "of this layout.")
    query = {"profile": profile.pk}
    if form.cleaned_data["create_people"]:
        query["people"] = 1
    return redirect(reverse("web:import_preview", args=[request.organization.slug, upload.token]) + "?"
                    + urlencode(query))


def _profile_mapping(upload, inspection) -> ColumnMapping:
    """What a profile keeps of the mapping shown: each field's column by its header (by its position where
    the header is blank or repeated), and the sheet and header row only where the headers alone do not lead
    to them; a profile that names the sheet of a CSV file would fit no other file."""
    shown = inspection.mapping()
    bare = ColumnMapping(shown.columns)
    try:
        found = _inspect(upload, bare, limits=_limits(), label=upload.name)
    except InputError:
        found = None
    if found is not None and found.problem is None and (found.sheet, found.header_row) == (inspection.sheet,
                                                                                          inspection.header_row):
        return bare
    return ColumnMapping(shown.columns, header_row=inspection.header_row,
                         sheet=inspection.sheet if len(inspection.sheets) > 1 else None)


@member_view
@require_POST
def import_profile_delete(request, pk):
    refused = _allowed(request)
    if refused:
        return refused
    profile = get_object_or_404(_profiles(request), pk=pk)
    profile.organization = request.organization
    try:
        services.delete_profile(request.user, profile)
    except PermissionDenied as exc:
        return denied(request, exc)
    messages.success(request, f"Mapping profile “{profile.name}” deleted.")
    return redirect(reverse("web:import", args=[request.organization.slug]))


organization_patterns = [
    path("import/", import_start, name="import"),
    path("import/profiles/<int:pk>/delete/", import_profile_delete, name="import_profile_delete"),
    path("import/jobs/<int:pk>/", import_job, name="import_job"),
    path("import/<str:token>/", import_preview, name="import_preview"),
]
