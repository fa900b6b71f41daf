from django.conf import settings
from django.db import models


class ChainHead(models.Model):
    """The last link of one chain. Appending locks this row, so events of a chain are written one at a
    time (SELECT ... FOR UPDATE on PostgreSQL; SQLite's immediate transactions already serialize writers)."""

    key = models.CharField(max_length=40, unique=True)  # "org-<pk>" or "system"
    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)

    def __str__(self):
        return f"{self.key} at #{self.last_seq}"


class AuditEventQuerySet(models.QuerySet):
    def for_organization(self, organization):
        return self.filter(organization=organization)

    def restrict(self, user):
        return self.filter(organization__memberships__user=user)

    def about(self, subject: str):
        """Events whose subject is ``subject`` (an item identifier), in every organization: combine with
        ``for_organization`` or use ``for_item``."""
        return self.filter(subject=subject)

    def for_item(self, item):
        """An item's history: the events on it, its milestones and its evidence, oldest first."""
        return self.filter(organization_id=item.organization_id, subject=item.identifier).order_by("seq")


class AuditEvent(models.Model):
    """One write, who made it, when and why, with the state before and after. Never updated or deleted."""

    chain = models.CharField(max_length=40)
    seq = models.PositiveBigIntegerField()
    # Neither has an index of its own: events are found by (organization, subject) and (object_type,
    # object_id), never by actor, and an import writes one event per item.
    organization = models.ForeignKey("orgs.Organization", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", db_index=False)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+", db_index=False)
    actor_name = models.CharField(max_length=150, blank=True)  # as it was, should the user be renamed
    at = models.DateTimeField()
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    subject = models.CharField(max_length=64, blank=True)  # the item an event belongs to, "POAM-AC-001"
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # Which audit key made ``hash`` (``chain.key_id``); NULL for events of before the trail was keyed.
    key_id = models.CharField(max_length=16, null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["chain", "seq"]
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="one_event_per_link")]
        indexes = [
            models.Index(fields=["organization", "subject"], name="audit_subject_idx"),
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
        ]

    def __str__(self):
        label = f"{self.action} on {self.subject or self.object_type + ' ' + self.object_id}"
        who = self.actor_name or "system"
        return f"event #{self.seq} of {self.chain} ({label} by {who} at {self.at:%Y-%m-%d %H:%M:%S})"
