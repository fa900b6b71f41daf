"""Imports: a POA&M file checked (the preview: what each item would get, and what it keeps because a person
changed it since the last import), then imported, through the Import screen's own path: the same guards, the
same staging of the file between the two steps, the same task (``web.import_jobs``) and the same rules (a
closed item is reopened only where the caller names it). A large file is left to the worker, as on the web:
the answer is 202 and the job is read again until it is done."""

from __future__ import annotations

import json
from datetime import date

from django.http import Http404, HttpResponse
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from punchlist.errors import InputError
from punchlist.interchange import derive, inspect_poam_file
from punchlist.orgs.permissions import require
from punchlist.register.models import ImportProfile
from punchlist.register.services.profiles import profile_mapping
from punchlist.web import import_jobs, staging
from punchlist.web.models import ImportJob
from punchlist.web.views.imports import _headers_by_field

from .auth import organization
from .errors import ApiError, responses

router = Router(tags=["imports"])


class ScanOutcome(Schema):
    """What a scanner's report or STIG checklist did to the scan history (a check says what it would do)."""

    scanner: str
    file: str
    scanned_on: date
    hosts: int
    findings: int
    informational: int  # informational results left out (or made items, where asked)
    same_scan: bool  # this very file was imported before: nothing in it is new
    new_findings: int
    seen_again: int
    fixed: list[list[str]]  # [item, weakness, host] no longer found
    returned: list[list[str]]  # [item, weakness, host] found again
    put_forward: list[str]  # items put forward for closure, with the scan as evidence
    waiting: dict[str, str]  # item -> why it was not put forward although every finding is fixed
    reopened: list[str]  # items reopened, their findings back
    lines: list[str]  # the outcome in words, as the Import screen shows it


class Job(Schema):
    id: int
    file: str
    write: bool  # an import; else a check that writes nothing
    state: str  # queued, running, done
    outcome: dict | None  # once done: "kind" is ready (a check), imported, problems or refused, with the details
    scan: ScanOutcome | None  # a scanner's report or checklist, once done


class ImportStep(Schema):
    reopen: list[str] = Field(default_factory=list, max_length=10_000)  # closed items to reopen as the file says
    accept_derived: bool = False  # confirm requirements derived from SP 800-53 / Rev 3 ids
    # Requirements chosen instead of the derived ones, per control: {"AC-7": "3.1.8"} ("" for none); the
    # check's ``outcome.derived`` lists the controls and what was derived.
    derive: dict[str, str] | None = Field(default=None, max_length=2_000)


def _job(job: ImportJob) -> dict:
    return {"id": job.pk, "file": job.file_name, "write": job.write, "state": job.state, "outcome": job.outcome,
            "scan": (job.outcome or {}).get("scan")}


def _derive(given: dict[str, str], label: str) -> dict[str, list[str]]:
    """The person's requirements per control, checked against the catalog as the Import screen checks them."""
    try:
        chosen = derive.parse_choices({str(k)[:40]: str(v)[:400] for k, v in given.items()}, label)
    except InputError as exc:
        raise _refused(exc) from None
    return {control: list(ids) for control, ids in chosen.items()}


def _answer(job: ImportJob):
    done = job.state == ImportJob.State.DONE
    return Status(201 if done else 202, _job(job))


def _refused(exc: InputError) -> ApiError:
    problems = [str(e) for e in getattr(exc, "errors", None) or [exc]]
    return ApiError(400, "invalid", str(exc).splitlines()[0] if str(exc) else "The file cannot be read",
                    problems=problems[:500])


@router.post("/organizations/{slug}/imports", response=responses(201, Job) | {202: Job},
             summary="Check or import a POA&M file")
def start_import(request, slug: str, file: UploadedFile = File(...), action: Form[str] = "check",
                 profile: Form[int | None] = None, create_people: Form[bool] = False,
                 reopen: Form[str] = "", accept_derived: Form[bool] = False,
                 include_informational: Form[bool] = False, derive_choices: Form[str] = ""):
    """Multipart: ``file`` (a workbook, CSV or OSCAL POA&M; or a scanner's report, Nessus .nessus or CSV,
    OpenVAS XML, or a DISA STIG checklist .ckl; up to the upload limit), ``action`` check (the preview,
    writes nothing) or import, optionally a saved mapping ``profile``, ``create_people``, ``reopen``
    (identifiers, comma-separated), ``accept_derived`` (confirm requirements derived from SP 800-53 / Rev 3
    ids, which an import needs), ``derive_choices`` (a JSON object, control -> requirement ids, chosen instead
    of the derived ones) and ``include_informational`` (a scanner's informational results made items too).
    A scanner's file answers with ``scan``: its new, fixed and returning findings, the items put forward and
    reopened. A coordinator's or an administrator's."""
    org = organization(request, slug)
    require(request.user, "register.add_item", org)
    if action not in ("check", "import"):
        raise ApiError(400, "invalid", f"action {action!r} is neither 'check' nor 'import'")
    limit = getattr(request, "upload_limit", None)
    if limit is not None and limit.too_large:
        raise ApiError(413, "too_large", f"{limit.too_large[0]} is larger than an upload may be; nothing was kept.")
    chosen = None
    if profile is not None:
        chosen = ImportProfile.objects.filter(organization=org, pk=profile).first()
        if chosen is None:
            raise ApiError(400, "invalid", f"there is no mapping profile #{profile} in this organization")
    given = {}
    if derive_choices.strip():
        try:
            given = json.loads(derive_choices)
        except ValueError:
            given = None
        if not isinstance(given, dict):
            raise ApiError(400, "invalid", "derive_choices is not a JSON object of control -> requirement ids")
    chosen_requirements = _derive(given, file.name or "")
    upload = staging.keep(org, request.user, file)
    try:
        with staging.local_file(upload) as path:
            inspection = inspect_poam_file(path, profile_mapping(chosen) if chosen else None,
                                           limits=import_jobs.upload_limits(), label=upload.name)
    except InputError as exc:
        staging.discard(upload)  # a file refused by the guards leaves nothing behind
        raise _refused(exc) from None
    if inspection.problem is not None:
        staging.discard(upload)
        raise _refused(inspection.problem)
    # OSCAL, or a scanner's report: the file names its fields (as the Import screen has it).
    mapping = inspection.mapping() if inspection.has_columns else None
    job = import_jobs.start(request.user, org, upload, mapping, headers=_headers_by_field(inspection),
                            write=action == "import", create_people=create_people,
                            reopen=[i.strip() for i in reopen.split(",") if i.strip()],
                            derive=chosen_requirements, accept_derived=accept_derived,
                            include_informational=include_informational)
    return _answer(job)


def _found(request, slug: str, pk: int) -> ImportJob:
    org = organization(request, slug)
    require(request.user, "register.add_item", org)
    job = ImportJob.objects.filter(organization=org, pk=pk).first()
    if job is None:
        raise Http404(f"No import #{pk} in this organization")
    return job


@router.get("/organizations/{slug}/imports/{pk}", response=responses(200, Job), summary="A check or import")
def read_import(request, slug: str, pk: int):
    return _job(_found(request, slug, pk))


@router.post("/organizations/{slug}/imports/{pk}/import", response=responses(201, Job) | {202: Job},
             summary="Import the file of a check, as checked")
def import_checked(request, slug: str, pk: int, data: ImportStep):
    """The file a check read (kept between the steps, as on the web) imported with the same columns, reopening
    only the closed items named in ``reopen``."""
    checked = _found(request, slug, pk)
    if checked.write or checked.user_id != request.user.pk:
        raise ApiError(400, "invalid", "only your own checks are imported this way; this one is not")
    upload = staging.find(request.organization, request.user, checked.token)
    if upload is None:
        raise ApiError(400, "invalid", "the checked file is gone (imported already, or discarded); upload it again")
    chosen = checked.mapping.get("derive") or {}
    if data.derive is not None:
        chosen = _derive(data.derive, checked.file_name)
    job = import_jobs.start(request.user, request.organization, upload, import_jobs.mapping_of(checked.mapping),
                            headers=checked.mapping.get("headers") or {}, write=True,
                            create_people=checked.create_people, reopen=data.reopen, derive=chosen,
                            accept_derived=data.accept_derived,
                            include_informational=checked.mapping.get("include_informational", False))
    return _answer(job)
