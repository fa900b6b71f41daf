"""The caller's organizations (those the token opens and the person is still a member of), their people and
roles, and the register's lint findings."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Schema

from punchlist.orgs import services as org_services
from punchlist.orgs.models import Membership
from punchlist.orgs.permissions import require
from punchlist.web import queries

from . import schemas
from .auth import organization
from .errors import ApiError, responses
from .locking import IfMatch, etag, if_match
from .models import ApiToken

router = Router(tags=["organizations"])


@router.get("/organizations", response=responses(200, list[schemas.Organization]),
            summary="The caller's organizations")
def list_organizations(request):
    token = request.auth
    opened = ApiToken.organizations.through.objects.filter(apitoken_id=token.pk).values("organization_id")
    memberships = (Membership.objects.filter(user_id=token.user_id, organization_id__in=opened)
                   .select_related("organization").order_by("organization__name"))
    return [{"slug": m.organization.slug, "name": m.organization.name, "role": m.role} for m in memberships]


@router.get("/organizations/{slug}", response=responses(200, schemas.Organization),
            summary="One organization")
def read_organization(request, slug: str):
    org = organization(request, slug)
    return {"slug": org.slug, "name": org.name, "role": request.role.value}


@router.get("/organizations/{slug}/people", response=responses(200, list[schemas.Member]),
            summary="Its people and their roles")
def list_people(request, slug: str):
    org = organization(request, slug)
    rows = (Membership.objects.for_organization(org)
            .values_list("user_id", "user__username", "user__first_name", "user__last_name", "role", "version"))
    people = [{"id": pk, "username": username, "name": f"{first} {last}".strip() or username, "role": role,
               "version": version} for pk, username, first, last, role, version in rows]
    people.sort(key=lambda p: (p["name"].lower(), p["id"]))
    return people


@router.put("/organizations/{slug}/people/{pk}/role", response=responses(200, schemas.Member),
            summary="Give a member another role")
def change_role(request, response: HttpResponse, slug: str, pk: int, data: schemas.RoleChange,
                if_match_header: IfMatch = ""):
    """An administrator's, as on the People screen; ``pk`` is the person's id in the list of people. The
    organization keeps at least one administrator. If-Match names the membership's version."""
    org = organization(request, slug)
    require(request.user, "orgs.manage_members", org)
    membership = (Membership.objects.for_organization(org).select_related("user", "organization")
                  .filter(user_id=pk).first())
    if membership is None:
        raise Http404(f"No person #{pk} in this organization")
    membership = org_services.change_role(request.user, membership, data.role, reason=data.reason.strip(),
                                          version=if_match(request))
    user = membership.user
    response["ETag"] = etag(membership.version)
    return {"id": user.pk, "username": user.username,
            "name": f"{user.first_name} {user.last_name}".strip() or user.username, "role": membership.role,
            "version": membership.version}


class FindingPage(Schema):
    findings: list[schemas.Finding]
    total: int
    next_cursor: str | None  # pass as ?cursor= for the next page; null on the last


@router.get("/organizations/{slug}/findings", response=responses(200, FindingPage),
            summary="What an assessor would object to")
def list_findings(request, slug: str, cursor: str = Query("", max_length=20), limit: int = Query(500, ge=1, le=1000)):
    """The register's lint findings: those about the register as a whole first (item null), then each item's
    in the risk order, as the Register screen shows them, a page at a time."""
    org = organization(request, slug)
    index = queries.register_index(org, as_of=timezone.localdate())
    if cursor and not cursor.isdigit():
        raise ApiError(400, "invalid", "cursor is not one this API gave; start again without it")
    start = int(cursor or 0)
    found = [(None, f) for f in index.file_findings] + [(f.item, f) for row in index.rows for f in row.findings]
    page = found[start:start + limit]
    end = start + len(page)
    return {"findings": [{"check": f.check, "message": f.message, "item": item} for item, f in page],
            "total": len(found), "next_cursor": str(end) if end < len(found) else None}
