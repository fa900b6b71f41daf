"""The caller's organizations (those the token opens and the person is still a member of), their people and
roles, and the register's lint findings."""

from __future__ import annotations

from django.utils import timezone
from ninja import Router

from punchlist.orgs.models import Membership
from punchlist.web import queries

from . import schemas
from .auth import organization
from .errors import responses
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
            .values_list("user_id", "user__username", "user__first_name", "user__last_name", "role"))
    people = [{"id": pk, "username": username, "name": f"{first} {last}".strip() or username, "role": role}
              for pk, username, first, last, role in rows]
    people.sort(key=lambda p: (p["name"].lower(), p["id"]))
    return people


@router.get("/organizations/{slug}/findings", response=responses(200, list[schemas.Finding]),
            summary="What an assessor would object to")
def list_findings(request, slug: str):
    """The register's lint findings: those about the register as a whole first (item null), then each item's
    in the risk order, as the Register screen shows them."""
    org = organization(request, slug)
    index = queries.register_index(org, as_of=timezone.localdate())
    found = [{"check": f.check, "message": f.message, "item": None} for f in index.file_findings]
    found += [{"check": f.check, "message": f.message, "item": f.item} for row in index.rows for f in row.findings]
    return found
