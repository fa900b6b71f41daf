"""Evidence in the vault, as its web page has it: what is said about a piece (name, description, custodian,
dates), the other items it also proves and the requirements it shows met, and its deletion by an
administrator once its retention period is over, through ``register.services.evidence``."""

from __future__ import annotations

from datetime import date

from django.http import Http404, HttpResponse
from ninja import Router, Schema, Status
from pydantic import Field

from punchlist.orgs.models import Membership
from punchlist.orgs.permissions import require
from punchlist.register.errors import InvalidChange
from punchlist.register.models import Evidence as EvidenceRecord
from punchlist.register.models import PoamItem
from punchlist.register.services import evidence as vault

from . import schemas
from .auth import organization
from .errors import ApiError, responses
from .locking import IfMatch, etag, if_match

router = Router(tags=["evidence"])


class EvidenceDetail(schemas.Evidence):
    custodian: schemas.Person | None
    linked_items: list[str]  # the other items it also proves
    requirements: list[str]  # the requirements it shows met
    retention_ends: date  # it may not be deleted before (R-AFF-3)


class EvidenceChange(Schema):
    """The fields sent change; those left out stay as they are."""

    name: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=4000)
    custodian: int | None = Field(default=None, ge=0)  # a member's id; who keeps it and answers for it
    collected_on: date | None = None
    review_by: date | None = None


class EvidenceLinks(Schema):
    """Each list sent replaces the current one."""

    items: list[str] | None = Field(default=None, max_length=500)  # identifiers, "POAM-AC-002"
    requirements: list[str] | None = Field(default=None, max_length=500)  # "3.1.1" or "AC.L2-3.1.1"


class EvidenceDelete(Schema):
    reason: str = Field(min_length=1, max_length=4000)


def _piece(request, slug: str, pk: int) -> EvidenceRecord:
    org = organization(request, slug)
    evidence = (EvidenceRecord.objects.for_organization(org)
                .select_related("item__organization", "custodian", "added_by").filter(pk=pk).first())
    if evidence is None:
        raise Http404(f"No evidence #{pk} in this organization")
    require(request.user, "register.view_item", evidence.item)
    return evidence


def _name(user) -> str:
    return f"{user.first_name} {user.last_name}".strip() or user.username


def body(request, evidence: EvidenceRecord) -> dict:
    item = evidence.item
    download = (f"/api/v1/organizations/{request.organization.slug}/items/{item.identifier}/evidence/"
                f"{evidence.pk}/file") if evidence.file else None
    custodian = evidence.custodian
    return {"id": evidence.pk, "item": item.identifier, "name": evidence.name, "reference": evidence.reference,
            "description": evidence.description, "sha256": evidence.sha256, "size": evidence.size,
            "file_type": evidence.file_type, "added_by": _name(evidence.added_by), "added_at": evidence.added_at,
            "collected_on": evidence.collected_on, "review_by": evidence.review_by, "version": evidence.version,
            "download": download,
            "custodian": {"id": custodian.pk, "name": _name(custodian)} if custodian is not None else None,
            "linked_items": sorted(evidence.linked_items.values_list("identifier", flat=True)),
            "requirements": sorted(evidence.requirement_links.values_list("requirement", flat=True)),
            "retention_ends": vault.retention_ends(evidence)}


def _answer(request, response: HttpResponse, slug: str, pk: int):
    fresh = _piece(request, slug, pk)
    response["ETag"] = etag(fresh.version)
    return body(request, fresh)


@router.get("/organizations/{slug}/evidence/{pk}", response=responses(200, EvidenceDetail),
            summary="Read a piece of evidence")
def read_evidence(request, response: HttpResponse, slug: str, pk: int):
    """With its custodian, links and the end of its retention period; its version is also the ETag."""
    return _answer(request, response, slug, pk)


@router.patch("/organizations/{slug}/evidence/{pk}", response=responses(200, EvidenceDetail),
              summary="Change what is said about a piece of evidence")
def change_evidence(request, response: HttpResponse, slug: str, pk: int, data: EvidenceChange,
                    if_match_header: IfMatch = ""):
    """Its name, description, custodian or dates, never its file; If-Match names the version read."""
    evidence = _piece(request, slug, pk)
    version = if_match(request)
    changes = data.dict(exclude_unset=True)
    if not changes:
        raise ApiError(400, "invalid", "Nothing to change: send at least one field.")
    if "custodian" in changes and changes["custodian"] is not None:
        found = (Membership.objects.filter(organization=request.organization, user_id=changes["custodian"])
                 .select_related("user").first())
        if found is None:
            raise InvalidChange(f"custodian: there is no person #{changes['custodian']} in this organization")
        changes["custodian"] = found.user
    vault.update_evidence(request.user, evidence, version=version, **changes)
    return _answer(request, response, slug, pk)


@router.put("/organizations/{slug}/evidence/{pk}/links", response=responses(200, EvidenceDetail),
            summary="Set the items and requirements a piece of evidence also proves")
def link_evidence(request, response: HttpResponse, slug: str, pk: int, data: EvidenceLinks,
                  if_match_header: IfMatch = ""):
    """Linking to an item needs the right to add evidence to it; If-Match names the version read."""
    evidence = _piece(request, slug, pk)
    version = if_match(request)
    items = None
    if data.items is not None:
        wanted = [identifier.strip().upper() for identifier in data.items if identifier.strip()]
        found = {item.identifier: item for item in
                 PoamItem.objects.for_organization(request.organization).filter(identifier__in=wanted)}
        unknown = [identifier for identifier in wanted if identifier not in found]
        if unknown:
            raise InvalidChange(f"{', '.join(unknown)}: no such item in {request.organization.name}")
        items = [found[identifier] for identifier in wanted]
    vault.link_evidence(request.user, evidence, items=items, requirements=data.requirements, version=version)
    return _answer(request, response, slug, pk)


@router.post("/organizations/{slug}/evidence/{pk}/delete", response=responses(204, None),
             summary="Delete a piece of evidence once its retention period is over")
def delete_evidence(request, slug: str, pk: int, data: EvidenceDelete):
    """An administrator's, with the reason, once its retention period is over (R-AFF-3); the file leaves the
    vault when no other piece cites it."""
    evidence = _piece(request, slug, pk)
    vault.delete_evidence(request.user, evidence, reason=data.reason)
    return Status(204, None)
