"""What the web front end keeps of its own: which people still sign in with a one-time password."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class TemporaryPassword(models.Model):
    """The person was given a one-time password (People screen) and must choose their own at the next sign-in
    before anything else (3.5.9). Removed when they set a new password (accounts.AccountAdapter)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True,
                                related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
