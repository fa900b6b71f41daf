"""Reads the reviews share, each starting from one organization's rows."""

from __future__ import annotations

from datetime import date

from django.db.models import Exists, OuterRef, Q

from punchlist.register.models import PoamItem, Status

from .models import WeeklyUpdate
from .periods import week_of as monday_of

# The items an owner speaks for each week: the ones still being worked or waiting for verification.
WEEKLY_STATUSES = (Status.OPEN, Status.IN_PROGRESS, Status.READY_FOR_VERIFICATION)


def open_items(organization):
    return PoamItem.objects.for_organization(organization).filter(status__in=WEEKLY_STATUSES)


def owned_items(user, organization):
    """The open items ``user`` owns (primary or supporting owner)."""
    return open_items(organization).filter(Q(primary_owner=user) | Q(supporting_owner=user))


def unupdated_items(organization, week_of: date):
    """Open items of the organization with no weekly update for the ISO week that holds ``week_of`` (any
    day of it): the Register's "not updated this week" filter, e.g. ``unupdated_items(org, date.today())``."""
    updated = WeeklyUpdate.objects.filter(item=OuterRef("pk"), week_of=monday_of(week_of))
    return open_items(organization).filter(~Exists(updated))
