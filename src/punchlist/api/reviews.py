"""Reviews: an owner's weekly update on an item, the monthly management reviews (listed, and recorded with the
agenda generated from the register), and the quarterly validation of a closed item, through the rhythm
services the Reviews screens use."""

from __future__ import annotations

from datetime import date

from ninja import Router, Schema, Status
from pydantic import Field

from punchlist.orgs.models import Membership
from punchlist.orgs.permissions import require
from punchlist.register.errors import InvalidChange
from punchlist.rhythm.models import ManagementReview
from punchlist.rhythm.services.monthly import record_review
from punchlist.rhythm.services.quarterly import validate_item
from punchlist.rhythm.services.weekly import submit_update

from .auth import organization
from .errors import responses
from .items import _item

router = Router(tags=["reviews"])


class WeeklyUpdateIn(Schema):
    confirmed: bool = False  # last week's word still holds
    progress: str = Field(default="", max_length=20_000)
    next_step: str = Field(default="", max_length=20_000)
    blocker: str = Field(default="", max_length=20_000)


class WeeklyUpdate(Schema):
    item: str
    week_of: date
    author: str
    confirmed: bool
    progress: str
    next_step: str
    blocker: str


class ReviewIn(Schema):
    held_on: date
    decisions: str = Field(min_length=1, max_length=50_000)
    attendees: list[int] = Field(default_factory=list, max_length=500)  # members, by id
    other_attendees: str = Field(default="", max_length=5_000)  # people without an account, by name


class Review(Schema):
    id: int
    month: date
    held_on: date
    decisions: str
    attendees: list[str]
    other_attendees: str
    score: int | None
    previous_score: int | None
    recorded_by: str


class ValidationIn(Schema):
    passed: bool
    reason: str = Field(default="", max_length=20_000)  # needed when it fails: the item is reopened with it


class Validation(Schema):
    item: str
    quarter: date
    outcome: str
    reason: str
    findings: list


def _review(review) -> dict:
    return {"id": review.pk, "month": review.month, "held_on": review.held_on, "decisions": review.decisions,
            "attendees": sorted(u.username for u in review.attendees.all()),
            "other_attendees": review.other_attendees, "score": review.score,
            "previous_score": review.previous_score, "recorded_by": review.recorded_by.username}


@router.post("/organizations/{slug}/items/{identifier}/weekly-update", response=responses(201, WeeklyUpdate),
             summary="This week's update on an item")
def weekly_update(request, slug: str, identifier: str, data: WeeklyUpdateIn):
    org = organization(request, slug)
    item = _item(org, identifier)
    update = submit_update(request.user, item, **data.dict())
    return Status(201, {"item": item.identifier, "week_of": update.week_of, "author": request.user.username,
                        "confirmed": update.confirmed, "progress": update.progress, "next_step": update.next_step,
                        "blocker": update.blocker})


@router.get("/organizations/{slug}/reviews", response=responses(200, list[Review]),
            summary="The monthly management reviews, latest first")
def list_reviews(request, slug: str):
    org = organization(request, slug)
    require(request.user, "rhythm.view_reviews", org)
    reviews = (ManagementReview.objects.for_organization(org).select_related("recorded_by")
               .prefetch_related("attendees").order_by("-month"))
    return [_review(r) for r in reviews]


@router.post("/organizations/{slug}/reviews", response=responses(201, Review),
             summary="Record this month's management review")
def create_review(request, slug: str, data: ReviewIn):
    org = organization(request, slug)
    require(request.user, "rhythm.record_review", org)
    wanted = set(data.attendees)
    found = {m.user_id: m.user for m in Membership.objects.filter(organization=org, user_id__in=wanted)
             .select_related("user")}
    missing = sorted(wanted - set(found))
    if missing:
        raise InvalidChange(f"attendees: there is no person #{missing[0]} in this organization")
    review = record_review(request.user, org, held_on=data.held_on, decisions=data.decisions,
                           attendees=list(found.values()), other_attendees=data.other_attendees)
    review = ManagementReview.objects.select_related("recorded_by").prefetch_related("attendees").get(pk=review.pk)
    return Status(201, _review(review))


@router.post("/organizations/{slug}/items/{identifier}/validation", response=responses(201, Validation),
             summary="Validate a closed item for this quarter, or fail it")
def validate(request, slug: str, identifier: str, data: ValidationIn):
    org = organization(request, slug)
    item = _item(org, identifier)
    validation = validate_item(request.user, item, passed=data.passed, reason=data.reason)
    return Status(201, {"item": item.identifier, "quarter": validation.quarter, "outcome": validation.outcome,
                        "reason": validation.reason, "findings": validation.findings or []})
