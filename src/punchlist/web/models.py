"""What the web front end keeps of its own: which people still sign in with a one-time password, and the
checks and imports of uploaded files and the reports that run as background tasks."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class TemporaryPassword(models.Model):
    """The person was given a one-time password (People screen) and must choose their own at the next sign-in
    before anything else (3.5.9). Removed when they set a new password (accounts.AccountAdapter)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True,
                                related_name="+")
    created_at = models.DateTimeField(default=timezone.now)


class ImportJob(models.Model):
    """One check or import of an uploaded file, run by a task (``web.import_jobs``) outside the request that
    asked for it; its page polls this row. The file stays in staging (``web.staging``) until it is done."""

    class State(models.TextChoices):
        QUEUED = "queued", "Waiting for the worker"
        RUNNING = "running", "Running"
        DONE = "done", "Done"

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64)  # the upload's staging token
    file_name = models.CharField(max_length=255)
    write = models.BooleanField(default=False)  # an import; else a check that writes nothing
    create_people = models.BooleanField(default=False)
    mapping = models.JSONField(null=True, blank=True)  # columns, header row and sheet; None for OSCAL JSON
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    outcome = models.JSONField(null=True, blank=True)  # what the page shows once done (web.import_jobs)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)


class ReportJob(models.Model):
    """One report (PDF or HTML) or assessor package asked for on the Reports screen or through the API, built by
    a task (``web.report_jobs``) in ``punchlist worker`` and kept a day in STORAGES["reports"] for download by
    the organization's members. Its page polls this row."""

    class State(models.TextChoices):
        QUEUED = "queued", "Waiting for the worker"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20)  # leadership, review, readiness, or package
    format = models.CharField(max_length=10)  # pdf, html, or zip (the package)
    options = models.JSONField(default=dict, blank=True)  # the package: {"evidence_files": bool}
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    outcome = models.JSONField(null=True, blank=True)  # once done: the file's size, or why it failed
    stored = models.CharField(max_length=500, blank=True)  # the file's name in STORAGES["reports"]
    file_name = models.CharField(max_length=255, blank=True)  # the name the download is given
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
