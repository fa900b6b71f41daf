"""The scan history's records. No behaviour lives here: writes are in ``services``; every table names its
organization so reads start from ``for_organization``."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from punchlist.register.querysets import OrganizationQuerySet


class RemediationPolicy(models.Model):
    """Days from a finding's first sighting to its item's due date, per severity; the coordinator sets them."""

    organization = models.OneToOneField("orgs.Organization", on_delete=models.CASCADE,
                                        related_name="remediation_policy")
    critical_days = models.PositiveSmallIntegerField(default=30)
    high_days = models.PositiveSmallIntegerField(default=30)
    moderate_days = models.PositiveSmallIntegerField(default=90)
    low_days = models.PositiveSmallIntegerField(default=180)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    objects = OrganizationQuerySet.as_manager()


class Scan(models.Model):
    """One scanner report (or checklist) imported: the file, by its SHA-256, and the hosts it covered."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    scanner = models.CharField(max_length=20)  # "nessus", "openvas", "stig"
    file_name = models.CharField(max_length=255)
    name = models.CharField(max_length=300, blank=True)  # the scan's own name, where it has one
    scanned_on = models.DateField()
    sha256 = models.CharField(max_length=64)
    hosts = models.JSONField(default=list)
    imported_at = models.DateTimeField(default=timezone.now)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "sha256"], name="scan_once_per_file")]

    def __str__(self):
        return f"{self.file_name} ({self.scanned_on.isoformat()})"


class FindingState(models.TextChoices):
    OPEN = "open", "Open"
    FIXED = "fixed", "Not found by a later scan"
    FALSE_POSITIVE = "false_positive", "False positive"
    OPERATIONAL = "operational", "Operational requirement"


class ScanFinding(models.Model):
    """One weakness on one host, as the scans saw it: the item it belongs to, when first and last seen.

    Ten thousand of these go in with one scan: each index costs its write, so the table keeps three (one
    finding per weakness and host, which also serves the organization's; a host's findings; an item's by
    state) and none of its own on the foreign keys those lead with or that are never searched by (scans and
    people are never deleted)."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+",
                                     db_index=False)
    item = models.ForeignKey("register.PoamItem", on_delete=models.CASCADE, related_name="scan_findings",
                             db_index=False)
    key = models.CharField(max_length=200)  # the weakness: "nessus:19506", "stig:V-71849"
    host = models.CharField(max_length=255)
    first_seen = models.DateField()
    last_seen = models.DateField()
    last_scan = models.ForeignKey(Scan, on_delete=models.PROTECT, related_name="+", db_index=False)
    state = models.CharField(max_length=20, choices=FindingState.choices, default=FindingState.OPEN)
    fixed_by = models.ForeignKey(Scan, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 db_index=False)
    # A person's decision that the finding is a false positive or an operational requirement: who, when, why.
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", db_index=False)
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True, default="")

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "key", "host"], name="one_finding_per_host")]
        indexes = [models.Index(fields=["organization", "host"], name="scanfinding_org_host_idx"),
                   models.Index(fields=["item", "state"], name="scanfinding_item_state_idx")]

    def __str__(self):
        return f"{self.key} on {self.host}"
