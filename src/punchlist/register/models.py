"""Register tables. No behaviour lives here: writes are in ``services``, rules in ``punchlist.core``."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from punchlist import storage

from .querysets import AssessmentChildQuerySet, ItemChildQuerySet, OrganizationQuerySet


class Determination(models.TextChoices):
    """R-FIND-1/2. Stored by name; ``mapping`` turns them into ``punchlist.core.records.Determination``."""

    MET = "met", "MET"
    NOT_MET = "not_met", "NOT MET"
    NOT_APPLICABLE = "not_applicable", "N/A"


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    READY_FOR_VERIFICATION = "ready_for_verification", "Ready for verification"
    CLOSED = "closed", "Closed"
    # Operational plans of action only; never an assessment POA&M item (services refuse it).
    RISK_ACCEPTED = "risk_accepted", "Risk accepted"


class Kind(models.TextChoices):
    """R-CLOSE-4: the two records, kept apart."""

    ASSESSMENT_POAM = "assessment_poam", "Assessment POA&M"
    OPERATIONAL_PLAN = "operational_plan", "Operational plan of action"


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class AssessmentKind(models.TextChoices):
    SELF = "self", "Self-assessment"
    C3PAO = "c3pao", "C3PAO assessment"


class EarnedStatus(models.TextChoices):
    """The CMMC Level 2 status an assessment earned, as recorded (R-POAM-2..5); blank: none."""

    NONE = "", "No status"
    FINAL = "final", "Final Level 2 status"
    CONDITIONAL = "conditional", "Conditional Level 2 status"


# Identifier prefixes by kind: the assessment POA&M and the operational plan of action are numbered apart.
IDENTIFIER_PREFIX = {"assessment_poam": "POAM", "operational_plan": "OPA"}


class Scope(models.Model):
    """The assessed environment: what is in it and where CUI lives."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="scopes")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    cui_locations = models.TextField(blank=True, help_text="Where CUI is stored, processed and transmitted.")
    created_at = models.DateTimeField(default=timezone.now)

    objects = OrganizationQuerySet.as_manager()

    def __str__(self):
        return self.name


class Assessment(models.Model):
    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="assessments")
    scope = models.ForeignKey(Scope, null=True, blank=True, on_delete=models.PROTECT, related_name="assessments")
    title = models.CharField(max_length=200, blank=True)
    level = models.PositiveSmallIntegerField(choices=[(1, "Level 1"), (2, "Level 2")], default=2)
    kind = models.CharField(max_length=10, choices=AssessmentKind.choices, default=AssessmentKind.SELF)
    assessed_on = models.DateField()
    # The Conditional CMMC Status Date (R-CLOSE-3); the 180-day closeout runs from it (R-CLOSE-1).
    conditional_status_date = models.DateField(null=True, blank=True)
    # The assessment whose POA&M is handed to the assessor; exports of any other say "Internal tracking
    # document".
    is_the_assessment_poam = models.BooleanField(default=False)
    # Optimistic locking (punchlist.audit.locking): every write checks the version the writer read and bumps it.
    version = models.PositiveIntegerField(default=1, db_default=1)
    # Who marked this assessment's POA&M as the official one, and when (blank before it is marked).
    official_marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+", db_index=False)
    official_marked_at = models.DateTimeField(null=True, blank=True)
    # The outcome, as recorded after the assessment: the score reported and the status it earned. The score
    # is kept as recorded (what went to SPRS); the live score is always recomputed (core.scoring).
    recorded_score = models.SmallIntegerField(null=True, blank=True)
    earned_status = models.CharField(max_length=12, choices=EarnedStatus.choices, blank=True, default="",
                                     db_default="")
    outcome_recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                            on_delete=models.PROTECT, related_name="+", db_index=False)
    outcome_recorded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["-assessed_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization"], condition=Q(is_the_assessment_poam=True),
                                    name="one_assessment_poam_per_org"),
            models.CheckConstraint(condition=Q(level__in=[1, 2]), name="assessment_level_1_or_2"),
        ]

    def __str__(self):
        return self.title or f"Level {self.level} {self.get_kind_display()} of {self.assessed_on}"


class RequirementStatus(models.Model):
    """One requirement's determination in one assessment, with the SSP's implementation statement."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="statuses")
    requirement = models.CharField(max_length=10)  # catalog id, "3.1.1"
    determination = models.CharField(max_length=20, choices=Determination.choices)
    # The 3-point case of 3.5.3 / 3.13.11 (R-SCORE-2); services refuse it on any other requirement.
    partial = models.BooleanField(default=False)
    implementation = models.TextField(blank=True)
    # Optimistic locking (punchlist.audit.locking): every write checks the version the writer read and bumps it.
    version = models.PositiveIntegerField(default=1, db_default=1)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    objects = AssessmentChildQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assessment", "requirement"], name="one_status_per_requirement"),
        ]

    def __str__(self):
        return f"{self.requirement}: {self.get_determination_display()}"


class ItemSequence(models.Model):
    """The last number handed out per organization, prefix and family: POAM-AC-001, POAM-AC-002, ... for the
    assessment POA&M, OPA-AC-001, ... for the operational plan of action."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    prefix = models.CharField(max_length=4, default="POAM", db_default="POAM")
    family = models.CharField(max_length=4)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "prefix", "family"],
                                               name="one_sequence_per_prefix_family")]


class ObjectiveStatus(models.Model):
    """One assessment objective's determination ("3.1.1[a]": MET, NOT MET or N/A) in one assessment. The
    requirement's own determination follows from its objectives (services.set_objective_status)."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="objective_statuses")
    objective = models.CharField(max_length=16)  # "3.1.1[a]"
    requirement = models.CharField(max_length=10)  # "3.1.1"
    determination = models.CharField(max_length=20, choices=Determination.choices)
    # Optimistic locking (punchlist.audit.locking): every write checks the version the writer read and bumps it.
    version = models.PositiveIntegerField(default=1, db_default=1)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", db_index=False)

    objects = AssessmentChildQuerySet.as_manager()

    class Meta:
        ordering = ["assessment", "requirement", "objective"]
        constraints = [models.UniqueConstraint(fields=["assessment", "objective"], name="one_status_per_objective")]

    def __str__(self):
        return f"{self.objective}: {self.get_determination_display()}"


class PoamItem(models.Model):
    # No index of its own on the organization: the unique (organization, identifier) and the two indexes
    # below all start with it. Nor on created_by and verified_by, which nothing looks items up by. Every
    # index is written on every insert (an import of 50,000 items; docs/architecture.md).
    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="items",
                                     db_index=False)
    assessment = models.ForeignKey(Assessment, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="items")
    identifier = models.CharField(max_length=20)  # "POAM-AC-001", never reused or changed
    # The id the item had in the file it was imported from ("V-12", a FedRAMP POAM ID), for re-imports.
    external_id = models.CharField(max_length=100, blank=True)
    family = models.CharField(max_length=4)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.ASSESSMENT_POAM)
    status = models.CharField(max_length=30, choices=Status.choices, default=Status.DRAFT)
    objectives = models.JSONField(default=list, blank=True)  # NOT MET objectives, "3.1.1[a]"
    title = models.CharField(max_length=300)
    weakness = models.TextField(blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, blank=True)
    remediation = models.TextField(blank=True)
    interim_mitigation = models.TextField(blank=True)
    responsible_unit = models.CharField(max_length=200, blank=True)
    primary_owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="+")
    supporting_owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="+")
    approval_authority = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+")
    evidence_custodian = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+")
    resources = models.TextField(blank=True)
    source = models.CharField(max_length=200, blank=True)
    start_date = models.DateField(null=True, blank=True)
    scheduled_completion = models.DateField(null=True, blank=True)
    # The first scheduled completion ever set; kept so that slips can be counted.
    original_scheduled_completion = models.DateField(null=True, blank=True)
    completion_date = models.DateField(null=True, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", db_index=False)
    verified_at = models.DateTimeField(null=True, blank=True)
    # What the files it came from say beyond the plan (``punchlist.core.records.PoamItem`` explains each), kept
    # so that an export carries all of it back out. Database defaults: bulk inserts may leave them out.
    status_date = models.DateField(null=True, blank=True, help_text="The date of the item's last status.")
    assets = models.TextField(blank=True, default="", db_default="", help_text="Assets affected, one per line.")
    cves = models.TextField("CVEs", blank=True, default="", db_default="")
    source_identifier = models.TextField(blank=True, default="", db_default="",
                                         help_text="The finding's id at its source (scanner plugin, STIG rule).")
    comments = models.TextField(blank=True, default="", db_default="")
    likelihood = models.CharField(max_length=100, blank=True, default="", db_default="")
    impact = models.CharField(max_length=100, blank=True, default="", db_default="")
    residual_risk = models.CharField(max_length=100, blank=True, default="", db_default="")
    risk_adjustment = models.CharField(max_length=100, blank=True, default="", db_default="")
    vendor_dependency = models.BooleanField(null=True, blank=True)
    vendor_product = models.TextField(blank=True, default="", db_default="")
    vendor_check_in = models.DateField(null=True, blank=True)
    vendor_involvement = models.TextField(blank=True, default="", db_default="")
    budget_money = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    budget_hours = models.DecimalField(max_digits=10, decimal_places=1, null=True, blank=True)
    decision_needed = models.TextField(blank=True, default="", db_default="")
    # Whether the weakness touches CUI (stores, processes or transmits it); blank: not said. The risk order
    # puts an item that does above the same item that does not (core.priority).
    touches_cui = models.BooleanField("Touches CUI", null=True, blank=True)
    # Optimistic locking: every write checks the version the writer read and bumps it.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", db_index=False)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["identifier"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "identifier"], name="item_identifier_per_org"),
        ]
        indexes = [
            models.Index(fields=["organization", "status"], name="item_org_status_idx"),
            models.Index(fields=["organization", "scheduled_completion"], name="item_org_due_idx"),
        ]

    def __str__(self):
        return f"{self.identifier} {self.title}"

    @property
    def requirement_ids(self) -> list[str]:
        return [r.requirement for r in self.requirement_links.all()]


class ItemRequirement(models.Model):
    """A requirement an item addresses. A table rather than a list so the register filters by requirement
    and scoring can tell which NOT MET requirements have a plan of action (R-SCORE-4)."""

    # Found by item through the unique (item, requirement), which starts with it.
    item = models.ForeignKey(PoamItem, on_delete=models.CASCADE, related_name="requirement_links", db_index=False)
    requirement = models.CharField(max_length=10)  # catalog id, "3.1.1"
    position = models.PositiveSmallIntegerField(default=0)

    objects = ItemChildQuerySet.as_manager()

    class Meta:
        ordering = ["item", "position"]
        constraints = [models.UniqueConstraint(fields=["item", "requirement"], name="requirement_once_per_item")]
        indexes = [models.Index(fields=["requirement"], name="item_requirement_idx")]


class ItemBlocker(models.Model):
    """One item waiting on another of the same organization: ``item`` is blocked by ``blocker`` until the
    blocker is closed or risk accepted. Services keep the links within one organization and free of cycles."""

    # Found by item through the unique (item, blocker), which starts with it.
    item = models.ForeignKey(PoamItem, on_delete=models.CASCADE, related_name="blocker_links", db_index=False)
    blocker = models.ForeignKey(PoamItem, on_delete=models.CASCADE, related_name="blocking_links")

    objects = ItemChildQuerySet.as_manager()

    class Meta:
        ordering = ["item", "blocker"]
        constraints = [
            models.UniqueConstraint(fields=["item", "blocker"], name="blocker_once_per_item"),
            models.CheckConstraint(condition=~Q(item=models.F("blocker")), name="item_not_its_own_blocker"),
        ]


class Milestone(models.Model):
    item = models.ForeignKey(PoamItem, on_delete=models.CASCADE, related_name="milestones")
    description = models.TextField()
    due = models.DateField(null=True, blank=True)
    original_due = models.DateField(null=True, blank=True)  # as first planned; due != original_due is a slip
    done_on = models.DateField(null=True, blank=True)
    # Dropped: no longer part of the plan, with the reason (an item closes only when each milestone is done or
    # dropped). Imports insert milestones naming the original columns only, hence the database defaults.
    dropped_on = models.DateField(null=True, blank=True)
    drop_reason = models.TextField(blank=True, default="", db_default="")
    position = models.PositiveSmallIntegerField(default=0)
    # Optimistic locking (punchlist.audit.locking): every write checks the version the writer read and bumps it.
    version = models.PositiveIntegerField(default=1, db_default=1)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ItemChildQuerySet.as_manager()

    class Meta:
        ordering = ["item", "position", "pk"]

    def __str__(self):
        return self.description


def evidence_path(evidence, filename):
    return f"{evidence.item.organization_id}/{evidence.sha256[:2]}/{evidence.sha256}"


# The evidence vault: STORAGES["evidence"] (a local folder or an S3 bucket, punchlist.storage), never served by
# URL; files reach people only through the download view, as attachments.
VAULT = storage.VAULT


def evidence_storage():
    return VAULT


class Evidence(models.Model):
    """Proof that remediation happened: a file in the vault (stored once under its SHA-256) or a reference
    to where it lives, with the custodian who answers for it and the date by which it must be looked at again.

    ``item`` is the item it was added to; ``linked_items`` are others it also proves. Columns added after
    the first release have database defaults or allow NULL, so bulk inserts that name only the original
    columns (imports) keep working.
    """

    item = models.ForeignKey(PoamItem, on_delete=models.CASCADE, related_name="evidence")
    name = models.CharField(max_length=255)
    file = models.FileField(upload_to=evidence_path, storage=evidence_storage, max_length=300, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    # The type the vault recognised from the file's first bytes ("PDF document"); blank for a reference.
    file_type = models.CharField(max_length=60, blank=True, default="", db_default="")
    reference = models.TextField(blank=True, help_text="Where the evidence lives when it is not uploaded.")
    description = models.TextField(blank=True)
    custodian = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", help_text="Who keeps this evidence and answers for it.")
    collected_on = models.DateField(null=True, blank=True, help_text="When the evidence was collected.")
    review_by = models.DateField(null=True, blank=True,
                                 help_text="When it must be looked at again to stay current.")
    linked_items = models.ManyToManyField(PoamItem, blank=True, related_name="linked_evidence")
    # Optimistic locking (punchlist.audit.locking): every write checks the version the writer read and bumps it.
    version = models.PositiveIntegerField(default=1, db_default=1)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                 db_index=False)  # nothing looks evidence up by who added it
    added_at = models.DateTimeField(default=timezone.now)

    objects = ItemChildQuerySet.as_manager()

    class Meta:
        ordering = ["item", "added_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(~Q(sha256="") & Q(size__isnull=False)) | ~Q(reference=""),
                name="evidence_is_file_or_reference",
            ),
        ]
        indexes = [models.Index(fields=["sha256"], name="evidence_sha256_idx")]

    def __str__(self):
        return self.name


class EvidenceChildQuerySet(OrganizationQuerySet):
    organization_path = "evidence__item__organization"


class EvidenceRequirement(models.Model):
    """A requirement a piece of evidence shows is met: a table, so evidence can be found by requirement."""

    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="requirement_links")
    requirement = models.CharField(max_length=10)  # catalog id, "3.1.1"

    objects = EvidenceChildQuerySet.as_manager()

    class Meta:
        ordering = ["evidence", "requirement"]
        constraints = [models.UniqueConstraint(fields=["evidence", "requirement"],
                                               name="requirement_once_per_evidence")]


class ImportProfile(models.Model):
    """A column mapping saved under a name, for an organization's files of one layout: which column holds
    each field (``punchlist.interchange.ColumnMapping``: a header, a column's position, or null for a field
    left out), and the sheet and header row where they are not found by themselves."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    columns = models.JSONField(default=dict)
    header_row = models.PositiveSmallIntegerField(null=True, blank=True)
    sheet = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="import_profile_name_per_org")]

    def __str__(self):
        return self.name
