"""The rhythm's records. No behaviour lives here: writes are in ``services``, reads in ``services`` and
``agenda``; every table names its organization so reads start from ``for_organization``."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from punchlist.register.querysets import OrganizationQuerySet


class WeeklyUpdate(models.Model):
    """An owner's word on one open item for one ISO week: confirmed as it stands, or what moved."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey("register.PoamItem", on_delete=models.CASCADE, related_name="weekly_updates")
    week_of = models.DateField(help_text="The Monday of the week this update is for.")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # True when the owner confirmed the item as it stood; next step and blocker then carry over.
    confirmed = models.BooleanField(default=False)
    progress = models.TextField(blank=True)
    next_step = models.TextField(blank=True)
    blocker = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["-week_of", "item"]
        constraints = [models.UniqueConstraint(fields=["item", "week_of"], name="one_update_per_item_week")]
        indexes = [models.Index(fields=["organization", "week_of"], name="weekly_org_week_idx")]

    def __str__(self):
        return f"{self.item_id} week of {self.week_of}"


class ScoreSnapshot(models.Model):
    """The SPRS score as it stood in a month, so the monthly review can say how far it moved."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="The first day of the month.")
    assessment = models.ForeignKey("register.Assessment", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    score = models.IntegerField(null=True, blank=True)
    verdict = models.CharField(max_length=60, blank=True)
    taken_at = models.DateTimeField(default=timezone.now)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["-month"]
        constraints = [models.UniqueConstraint(fields=["organization", "month"], name="one_snapshot_per_month")]

    def __str__(self):
        return f"{self.month:%Y-%m}: {self.score}"


class ManagementReview(models.Model):
    """The record of a monthly management review: the agenda as generated, who attended, what was decided."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="The first day of the month reviewed.")
    held_on = models.DateField()
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    other_attendees = models.TextField(blank=True, help_text="People without an account here, by name.")
    decisions = models.TextField()
    agenda = models.JSONField(default=dict)  # the agenda as it stood when the review was recorded
    score = models.IntegerField(null=True, blank=True)
    previous_score = models.IntegerField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["-month", "-pk"]
        constraints = [models.UniqueConstraint(fields=["organization", "month"], name="one_review_per_month")]

    def __str__(self):
        return f"Management review {self.month:%B %Y}"


class Outcome(models.TextChoices):
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"


class QuarterlyValidation(models.Model):
    """A validator's check of one closed item in one quarter: its evidence there, intact and current."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey("register.PoamItem", on_delete=models.CASCADE, related_name="validations")
    quarter = models.DateField(help_text="The first day of the quarter.")
    validator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    reason = models.TextField(blank=True)
    findings = models.JSONField(default=list)  # what the checks found, per piece of evidence
    validated_at = models.DateTimeField(default=timezone.now)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["-validated_at", "-pk"]
        constraints = [
            # A failed item is reopened; once closed again it is validated again, so only passes are unique.
            models.UniqueConstraint(fields=["item", "quarter"], condition=Q(outcome="passed"),
                                    name="one_pass_per_item_quarter"),
        ]
        indexes = [models.Index(fields=["organization", "quarter"], name="validation_org_quarter_idx")]


class SentReminder(models.Model):
    """The ledger of reminders sent: a reminder's key is written once, so a second run never repeats it."""

    key = models.CharField(max_length=200, unique=True)
    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20)
    sent_at = models.DateTimeField(default=timezone.now)

    objects = OrganizationQuerySet.as_manager()

    def __str__(self):
        return self.key


class CalendarFeed(models.Model):
    """A person's private calendar address. Only the token's SHA-256 is stored: the address is shown once,
    and a new one (or a revocation) makes the old one stop working."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], condition=Q(revoked_at__isnull=True),
                                    name="one_live_feed_per_person"),
        ]


class ScheduledRun(models.Model):
    """A scheduled task's run for one slot of its period ("reminders", "2026-11-23T12"), claimed by the first
    `punchlist worker` whose schedule comes to it (``punchlist.rhythm.schedule``): the unique key lets every
    worker on every machine keep the schedule while each run is queued once."""

    name = models.CharField(max_length=40)
    slot = models.CharField(max_length=40)
    queued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "slot"], name="scheduled_run_once_per_slot")]
