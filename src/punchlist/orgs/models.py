import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Organization(models.Model):
    """A contractor whose POA&M lives here: the tenant every record belongs to."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Where the organization's OSCAL System Security Plan is (a URL or a path relative to the POA&M): the
    # OSCAL POA&M names it in import-ssp. Empty: the organization has none in OSCAL.
    ssp_href = models.CharField(max_length=500, blank=True, default="")
    # A random seed drawn once per organization, from which every OSCAL UUID it exports is derived: stable
    # across its exports, different between installations and organizations.
    oscal_seed = models.UUIDField(default=uuid.uuid4, editable=False)
    # A managed-service provider: its members run the POA&Ms of client organizations and its administrators
    # see their clients side by side (the portfolio).
    is_provider = models.BooleanField(default=False, db_default=False)
    # The provider a client organization is run by; empty for an organization that runs itself. A provider
    # cannot be deleted while it has clients.
    provider = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="clients")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    """Least privilege per organization: what each person may do is decided by this alone."""

    ADMIN = "admin", "Administrator"  # everything, including people and roles
    COORDINATOR = "coordinator", "POA&M coordinator"  # manages every item, assessment and date
    OWNER = "owner", "Item owner"  # works the items they own
    APPROVER = "approver", "Approver"  # verifies and approves closures of the items they are authority for
    VIEWER = "viewer", "Viewer"  # reads only (an assessor, say)


class MembershipQuerySet(models.QuerySet):
    def for_organization(self, organization):
        return self.filter(organization=organization)


class Membership(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    # Optimistic locking (punchlist.audit.locking): every write checks the version the writer read and bumps it.
    version = models.PositiveIntegerField(default=1, db_default=1)
    created_at = models.DateTimeField(default=timezone.now)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="one_membership_per_org"),
        ]

    def __str__(self):
        return f"{self.user} in {self.organization} as {self.role}"


class Invitation(models.Model):
    """An administrator's offer of a role in their organization to someone who already has an account. The
    person is not a member, has no role and owes the organization nothing (no second factor) until they
    accept; an answered or withdrawn invitation is deleted, and the audit trail keeps it.

    Kept by the username the administrator typed: ``user`` is the account of that name when there was one,
    and empty otherwise, so that the People page shows both alike and says nothing of which usernames exist.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    username = models.CharField(max_length=150)  # lower case: sign-in does not tell case apart
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="invitations")
    role = models.CharField(max_length=20, choices=Role.choices)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "username"], name="one_invitation_per_username"),
        ]

    def __str__(self):
        return f"{self.username} invited to {self.organization} as {self.role}"
