"""Items: the register's list (its filters, its risk order), one item with its milestones, evidence and
history, and every change the Item screen makes, through the same services and the same status moves."""

from __future__ import annotations

import base64
import json

from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.utils import timezone
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from punchlist.audit import chain
from punchlist.audit.models import AuditEvent
from punchlist.core.checks import lint
from punchlist.orgs.models import Membership
from punchlist.orgs.permissions import PermissionDenied, is_worker, require
from punchlist.register import services
from punchlist.register.details import EDITABLE
from punchlist.register.errors import InvalidChange
from punchlist.register.mapping import item_poam
from punchlist.register.models import Assessment, Evidence, Milestone, PoamItem
from punchlist.register.services.evidence import evidence_for_item
from punchlist.web import queries
from punchlist.web.downloads import evidence_file_response
from punchlist.web.views.item_parts import MOVES, available_moves, perform

from . import schemas
from .auth import organization
from .errors import ApiError, responses
from .locking import IfMatch, etag, if_match

router = Router(tags=["items"])
PEOPLE = ("primary_owner", "supporting_owner", "approval_authority", "evidence_custodian")
TEXT = ("title", "weakness", "severity", "remediation", "interim_mitigation", "responsible_unit", "resources",
        "source")
LIMIT = 100


# --- the list --------------------------------------------------------------------------------------------------

class ItemFilters(Schema):
    """The register's filters, by the same names and values as its web form (``web.queries.RegisterFilter``)."""

    family: str = Field(default="", max_length=10)
    requirement: str = Field(default="", max_length=20)
    kind: str = Field(default="", max_length=30)
    status: str = Field(default="", max_length=30)
    severity: str = Field(default="", max_length=10)
    owner: int | None = Field(default=None, ge=0)
    approver: int | None = Field(default=None, ge=0)
    due: str = Field(default="", max_length=10)
    due_before: str = Field(default="", max_length=20)
    finding: str = Field(default="", max_length=40)
    q: str = Field(default="", max_length=200)
    sort: str = Field(default="risk", max_length=10)
    cursor: str = Field(default="", max_length=200)
    limit: int = Field(default=50, ge=1, le=LIMIT)


def _cursor(after: str, position: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([after, position]).encode()).decode().rstrip("=")


def _start(cursor: str, rows) -> int:
    """Where the page after ``cursor`` starts: just after the item it names, wherever that item is now;
    where it has gone (filtered out, or the register changed), at the position it had."""
    if not cursor:
        return 0
    try:
        after, position = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(after, str) or not isinstance(position, int) or position < 0:
            raise ValueError
    except ValueError:
        raise ApiError(400, "invalid", "cursor is not one this API gave; start again without it") from None
    for index in range(max(0, position - 1), min(len(rows), position + 1)):
        if rows[index].identifier == after:
            return index + 1
    for index, row in enumerate(rows):
        if row.identifier == after:
            return index + 1
    return min(position, len(rows))


VALUES = {"kind": dict(queries.KIND_CHOICES), "status": dict(queries.STATUS_CHOICES),
          "severity": {"", "none", "low", "moderate", "high", "critical"}, "due": dict(queries.DUE_CHOICES),
          "sort": dict(queries.SORT_CHOICES)}


def _filters(params: ItemFilters) -> queries.RegisterFilter:
    query = params.dict()
    problems = [f"{name} {query[name]!r} is not one of: {', '.join(repr(v) for v in allowed if v)}"
                for name, allowed in VALUES.items() if query[name] not in allowed]
    from punchlist.core.checks import CHECKS

    if query["finding"] not in ("", "any") and query["finding"] not in CHECKS:
        problems.append(f"finding {query['finding']!r} is neither 'any' nor a check's code")
    filters = queries.RegisterFilter.from_query({k: ("" if v is None else str(v)) for k, v in query.items()})
    problems += filters.problems
    if problems:
        raise ApiError(400, "invalid", " ".join(problems), problems=problems)
    return filters


def summary(row: queries.Row) -> dict:
    return {"identifier": row.identifier, "original_id": row.original_id, "kind": row.kind, "family": row.family,
            "requirements": list(row.requirements), "title": row.title, "status": row.status,
            "severity": row.severity, "owner": row.owner, "owner_ids": list(row.owner_ids),
            "approver_id": row.approver_id, "due": row.due, "tier": row.tier.value, "tier_label": row.tier.label,
            "reason": row.reason,
            "findings": [{"check": f.check, "message": f.message, "item": f.item} for f in row.findings]}


@router.get("/organizations/{slug}/items", response=responses(200, schemas.ItemPage), summary="List items")
def list_items(request, slug: str, params: Query[ItemFilters]):
    """The register, riskiest first unless sorted otherwise, filtered as its web form filters, a page at a
    time. Follow ``next_cursor`` for the next page."""
    org = organization(request, slug)
    filters = _filters(params)
    today = timezone.localdate()
    index = queries.register_index(org, as_of=today)
    rows = filters.apply(index.rows, today)
    start = _start(params.cursor, rows)
    page = rows[start:start + params.limit]
    end = start + len(page)
    return {"items": [summary(row) for row in page], "total": len(rows),
            "next_cursor": _cursor(page[-1].identifier, end) if end < len(rows) and page else None}


# --- one item ------------------------------------------------------------------------------------------------

def _person(user) -> dict | None:
    if user is None:
        return None
    return {"id": user.pk, "name": f"{user.first_name} {user.last_name}".strip() or user.username}


def _item(org, identifier: str, *, full: bool = False) -> PoamItem:
    items = PoamItem.objects.for_organization(org)
    if full:
        items = items.select_related("verified_by", *PEOPLE).prefetch_related(
            "requirement_links",
            Prefetch("milestones", queryset=Milestone.objects.order_by("position", "pk")),
            Prefetch("evidence", queryset=Evidence.objects.order_by("added_at", "pk")))
    item = items.filter(identifier=identifier).first()
    if item is None:
        raise Http404(f"No item {identifier} in this organization")
    item.organization = org
    return item


def _evidence(request, item, evidence) -> dict:
    download = (f"/api/v1/organizations/{request.organization.slug}/items/{item.identifier}/evidence/"
                f"{evidence.pk}/file") if evidence.file else None
    added_by = evidence.added_by
    return {"id": evidence.pk, "item": evidence.item.identifier, "name": evidence.name,
            "reference": evidence.reference, "description": evidence.description, "sha256": evidence.sha256,
            "size": evidence.size, "file_type": evidence.file_type,
            "added_by": f"{added_by.first_name} {added_by.last_name}".strip() or added_by.username,
            "added_at": evidence.added_at, "collected_on": evidence.collected_on, "review_by": evidence.review_by,
            "version": evidence.version, "download": download}


def detail(request, identifier: str):
    """The item as the Item screen shows it, with its ETag: a fixed number of queries."""
    item = _item(request.organization, identifier, full=True)
    evidence = list(evidence_for_item(item).select_related("item", "added_by").order_by("added_at", "pk"))
    events = list(AuditEvent.objects.for_item(item).only(
        "at", "actor_name", "action", "object_type", "object_id", "reason", "before", "after"))
    findings = [f for f in lint(item_poam(item), as_of=timezone.localdate()) if f.item == item.identifier]
    body = {
        "identifier": item.identifier, "external_id": item.external_id, "kind": item.kind, "status": item.status,
        "family": item.family, "requirements": item.requirement_ids, "objectives": list(item.objectives or []),
        **{name: getattr(item, name) or "" for name in TEXT},
        **{name: _person(getattr(item, name)) for name in PEOPLE},
        "assessment": item.assessment_id, "start_date": item.start_date,
        "scheduled_completion": item.scheduled_completion,
        "original_scheduled_completion": item.original_scheduled_completion,
        "completion_date": item.completion_date, "verified_by": _person(item.verified_by),
        "verified_at": item.verified_at,
        "details": {name: value for name in EDITABLE
                    if (value := chain.jsonable(getattr(item, name))) not in (None, "")},
        "version": item.version, "created_at": item.created_at, "updated_at": item.updated_at,
        "moves": [move.key for move in available_moves(request.user, item)],
        "milestones": [{"id": m.pk, "description": m.description, "due": m.due, "original_due": m.original_due,
                        "done_on": m.done_on, "dropped_on": m.dropped_on, "drop_reason": m.drop_reason,
                        "version": m.version} for m in item.milestones.all()],
        "evidence": [_evidence(request, item, e) for e in evidence],
        "findings": [{"check": f.check, "message": f.message, "item": f.item} for f in findings],
        "history": [{"at": e.at, "actor": e.actor_name or "system", "action": e.action,
                     "object_type": e.object_type, "object_id": e.object_id, "reason": e.reason,
                     "before": e.before, "after": e.after} for e in events],
    }
    return body


def _with_etag(response, request, body, status: int = 200):
    response["ETag"] = etag(body["version"])
    return Status(status, body)


@router.get("/organizations/{slug}/items/{identifier}", response=responses(200, schemas.Item),
            summary="Read an item")
def read_item(request, response: HttpResponse, slug: str, identifier: str):
    """The item with its milestones, evidence, findings and history; its version is also the ETag."""
    organization(request, slug)
    return _with_etag(response, request, detail(request, identifier))


def _people(org, values: dict) -> dict:
    """People named by id, members of this organization only (anyone else is 'no such person here')."""
    ids = {values[name] for name in PEOPLE if values.get(name) is not None}
    found = {}
    if ids:
        members = Membership.objects.filter(organization=org, user_id__in=ids).select_related("user")
        found = {m.user_id: m.user for m in members}
    people = {}
    for name in PEOPLE:
        if name in values:
            pk = values[name]
            if pk is not None and pk not in found:
                raise InvalidChange(f"{name}: there is no person #{pk} in this organization")
            people[name] = found.get(pk) if pk is not None else None
    return people


def _assessment(org, pk):
    if pk is None:
        return None
    found = Assessment.objects.for_organization(org).filter(pk=pk).first()
    if found is None:
        raise InvalidChange(f"assessment: there is no assessment #{pk} in this organization")
    return found


@router.post("/organizations/{slug}/items", response=responses(201, schemas.Item), summary="Add an item")
def create_item(request, response: HttpResponse, slug: str, data: schemas.ItemCreate):
    """A new item, numbered by the register (POAM-<FAMILY>-NNN or OPA-<FAMILY>-NNN); a coordinator's or an
    administrator's."""
    org = organization(request, slug)
    require(request.user, "register.add_item", org)
    values = data.dict()
    people = _people(org, values)
    fields = {name: values[name] for name in ("weakness", "severity", "remediation", "interim_mitigation",
                                               "responsible_unit", "resources", "source", "external_id")}
    item = services.create_item(
        request.user, org, requirements=values["requirements"], title=values["title"], kind=values["kind"],
        status=values["status"], assessment=_assessment(org, values["assessment"]),
        objectives=values["objectives"], start_date=values["start_date"],
        scheduled_completion=values["scheduled_completion"],
        milestones=[(m["description"], m["due"]) for m in values["milestones"]],
        **fields, **{k: v for k, v in people.items() if v is not None})
    return _with_etag(response, request, detail(request, item.identifier), 201)


@router.patch("/organizations/{slug}/items/{identifier}", response=responses(200, schemas.Item),
              summary="Change an item's fields")
def change_item(request, response: HttpResponse, slug: str, identifier: str, data: schemas.ItemChange,
        if_match_header: IfMatch = ""):
    """Changes the fields sent, as the item's Edit form does; If-Match names the version read."""
    org = organization(request, slug)
    item = _item(org, identifier)
    require(request.user, "register.change_item", item)
    version = if_match(request)
    changes = data.dict(exclude_unset=True)
    reason = changes.pop("reason", "")
    if not changes:
        raise ApiError(400, "invalid", "Nothing to change: send at least one field.")
    for name in ("title", "kind", "requirements", "objectives"):
        if name in changes and changes[name] is None:
            raise ApiError(400, "invalid", f"{name} cannot be null")
    for name in (*TEXT[1:], "comments"):
        if name in changes and changes[name] is None:
            changes[name] = ""
    changes.update(_people(org, changes))
    if "assessment" in changes:
        changes["assessment"] = _assessment(org, changes["assessment"])
    services.update_item(request.user, item, version=version, reason=reason, **changes)
    return _with_etag(response, request, detail(request, identifier))


@router.post("/organizations/{slug}/items/{identifier}/moves/{move}", response=responses(200, schemas.Item),
             summary="Move an item's status")
def move_item(request, response: HttpResponse, slug: str, identifier: str, move: str, data: schemas.Move,
        if_match_header: IfMatch = ""):
    """A status move (open, start, request_closure, back_to_open, withdraw, approve, reject, reopen,
    accept_risk), as the Item screen's buttons make them; If-Match names the version read."""
    org = organization(request, slug)
    if move not in MOVES:
        raise Http404(f"No status move {move!r}; the moves are {', '.join(MOVES)}")
    chosen = MOVES[move]
    item = _item(org, identifier)
    if chosen.permission:
        require(request.user, chosen.permission, item)
    elif not is_worker(request.user, item):
        raise PermissionDenied(f"{request.user.username} ({request.role.label}) may not {chosen.label.lower()}")
    version = if_match(request)
    values = data.dict()
    if chosen.reason_required and not values["reason"].strip():
        raise ApiError(400, "invalid", f"{chosen.label} needs a reason ({chosen.reason_label.lower()}).")
    perform(request.user, item, chosen, {**values, "version": version})
    return _with_etag(response, request, detail(request, identifier))


# --- milestones ----------------------------------------------------------------------------------------------

def _milestone(org, identifier: str, pk: int) -> Milestone:
    milestone = (Milestone.objects.for_organization(org).select_related("item")
                 .filter(item__identifier=identifier, pk=pk).first())
    if milestone is None:
        raise Http404(f"No milestone #{pk} on {identifier}")
    milestone.item.organization = org
    return milestone


def _milestone_body(m) -> dict:
    return {"id": m.pk, "description": m.description, "due": m.due, "original_due": m.original_due,
            "done_on": m.done_on, "dropped_on": m.dropped_on, "drop_reason": m.drop_reason, "version": m.version}


@router.post("/organizations/{slug}/items/{identifier}/milestones", response=responses(201, schemas.Milestone),
             summary="Add a milestone")
def add_milestone(request, response: HttpResponse, slug: str, identifier: str, data: schemas.MilestoneIn):
    org = organization(request, slug)
    item = _item(org, identifier)
    require(request.user, "register.change_item", item)
    milestone = services.add_milestone(request.user, item, data.description, data.due)
    response["ETag"] = etag(milestone.version)
    return Status(201, _milestone_body(milestone))


@router.post("/organizations/{slug}/items/{identifier}/milestones/{pk}/done",
             response=responses(200, schemas.Milestone), summary="Tick a milestone off")
def milestone_done(request, response: HttpResponse, slug: str, identifier: str, pk: int, data: schemas.MilestoneDone,
        if_match_header: IfMatch = ""):
    """If-Match names the milestone's version (its ``version`` in the item)."""
    org = organization(request, slug)
    milestone = _milestone(org, identifier, pk)
    require(request.user, "register.change_item", milestone.item)
    milestone = services.complete_milestone(request.user, milestone, data.done_on, version=if_match(request))
    response["ETag"] = etag(milestone.version)
    return _milestone_body(milestone)


@router.post("/organizations/{slug}/items/{identifier}/milestones/{pk}/slip",
             response=responses(200, schemas.Milestone), summary="Move a milestone's date, with the reason")
def milestone_slip(request, response: HttpResponse, slug: str, identifier: str, pk: int, data: schemas.MilestoneSlip,
        if_match_header: IfMatch = ""):
    org = organization(request, slug)
    milestone = _milestone(org, identifier, pk)
    require(request.user, "register.change_item", milestone.item)
    milestone = services.slip_milestone(request.user, milestone, data.due, reason=data.reason,
                                        version=if_match(request))
    response["ETag"] = etag(milestone.version)
    return _milestone_body(milestone)


@router.post("/organizations/{slug}/items/{identifier}/milestones/{pk}/undo",
             response=responses(200, schemas.Milestone), summary="Untick a milestone ticked by mistake")
def milestone_undo(request, response: HttpResponse, slug: str, identifier: str, pk: int, data: schemas.MilestoneUndo,
        if_match_header: IfMatch = ""):
    """As the Item screen's Undo: the tick and the untick both stay in the history. Refused while the item is
    closed or waiting for verification."""
    org = organization(request, slug)
    milestone = _milestone(org, identifier, pk)
    require(request.user, "register.change_item", milestone.item)
    milestone = services.reopen_milestone(request.user, milestone, reason=data.reason, version=if_match(request))
    response["ETag"] = etag(milestone.version)
    return _milestone_body(milestone)


@router.post("/organizations/{slug}/items/{identifier}/milestones/{pk}/drop",
             response=responses(200, schemas.Milestone), summary="Drop a milestone from the plan, with the reason")
def milestone_drop(request, response: HttpResponse, slug: str, identifier: str, pk: int, data: schemas.MilestoneDrop,
        if_match_header: IfMatch = ""):
    """It no longer holds up the item's closure, and stays on the item (and in its history) as dropped."""
    org = organization(request, slug)
    milestone = _milestone(org, identifier, pk)
    require(request.user, "register.change_item", milestone.item)
    milestone = services.drop_milestone(request.user, milestone, reason=data.reason, version=if_match(request))
    response["ETag"] = etag(milestone.version)
    return _milestone_body(milestone)


# --- evidence ------------------------------------------------------------------------------------------------

@router.post("/organizations/{slug}/items/{identifier}/evidence", response=responses(201, schemas.Evidence),
             summary="Add evidence: a file, or a reference to where it lives")
def add_evidence(request, response: HttpResponse, slug: str, identifier: str,
                 name: str = Form("", max_length=255),
                 reference: Form[str] = "", description: Form[str] = "",
                 file: UploadedFile | None = File(None)):
    """Multipart form: ``file`` (up to the server's upload limit, as on the web) or ``reference``, and a
    ``name`` (the file's own name if left out)."""
    org = organization(request, slug)
    item = _item(org, identifier)
    require(request.user, "register.add_evidence", item)
    limit = getattr(request, "upload_limit", None)
    if limit is not None and limit.too_large:
        from django.template.defaultfilters import filesizeformat

        raise ApiError(413, "too_large", f"{limit.too_large[0]} is larger than the "
                                         f"{filesizeformat(limit.limit)} an upload may be; nothing was stored.")
    if file is None and not reference.strip():
        raise ApiError(400, "invalid", "Send a file, or a reference to where the evidence lives.")
    evidence = services.add_evidence(request.user, item, name=(name or (file.name if file else "")).strip(),
                                     content=file, reference=reference, description=description)
    evidence = Evidence.objects.select_related("item", "added_by").get(pk=evidence.pk)
    return Status(201, _evidence(request, item, evidence))


@router.get("/organizations/{slug}/items/{identifier}/evidence/{pk}/file", summary="Download an evidence file",
            response=responses(200, None),
            openapi_extra={"responses": {200: {"description": "The file, as an attachment",
                                               "content": {"application/octet-stream": {
                                                   "schema": {"type": "string", "format": "binary"}}}}}})
def evidence_file(request, slug: str, identifier: str, pk: int):
    """Always an attachment, never rendered; written to the security log as a download, as on the web."""
    org = organization(request, slug)
    item = _item(org, identifier)
    evidence = evidence_for_item(item).filter(pk=pk).first()
    if evidence is None:
        raise Http404(f"No evidence #{pk} on {identifier}")
    return evidence_file_response(request, evidence)
