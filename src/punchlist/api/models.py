"""Personal API tokens: a secret a person makes for a program, opening some of their organizations, for reading
or for reading and writing, until a date."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, now=None):
        """Tokens neither revoked nor expired."""
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)


class ApiToken(models.Model):
    """The secret itself is never stored: only its SHA-256 (the secret is 256 random bits, so a fast hash is
    as strong as a slow one and costs nothing per request) and its first characters, to tell tokens apart."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)  # "pl_" and the first characters, shown in lists
    digest = models.CharField(max_length=64)  # hex SHA-256 of the whole secret
    organizations = models.ManyToManyField("orgs.Organization", related_name="+")
    can_write = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def access(self) -> str:
        return "read and write" if self.can_write else "read only"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now
