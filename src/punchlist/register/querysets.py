"""Reads scoped to an organization, after NetBox's RestrictedQuerySet.

Every tenant-owned model names the path to its organization; ``for_organization(org)`` keeps one tenant's
rows and ``restrict(user)`` the rows of every organization the user belongs to. Views and commands start
from one of the two, so another organization's rows are unreachable rather than merely hidden.
"""

from django.db import models


class OrganizationQuerySet(models.QuerySet):
    organization_path = "organization"

    def for_organization(self, organization):
        if organization is None:
            return self.none()
        return self.filter(**{self.organization_path: organization})

    def restrict(self, user, organization=None):
        """Rows the user may read: those of the organizations they are a member of (optionally one)."""
        if user is None or not getattr(user, "is_authenticated", False):
            return self.none()
        rows = self.filter(**{f"{self.organization_path}__memberships__user": user})
        if organization is not None:
            rows = rows.filter(**{self.organization_path: organization})
        return rows


class ItemChildQuerySet(OrganizationQuerySet):
    organization_path = "item__organization"


class AssessmentChildQuerySet(OrganizationQuerySet):
    organization_path = "assessment__organization"
