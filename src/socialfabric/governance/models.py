from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Policy(models.Model):
    """One version of the organisation's policy (no community) or of a community's guidelines.

    Versions count up per scope. A version that `requires_acceptance` binds everyone anew; one
    that does not (a typo fixed, a link updated) leaves earlier acceptances standing."""

    community = models.ForeignKey("communities.Community", null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="guidelines")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown")
    body_html = models.TextField()
    requires_acceptance = models.BooleanField(default=True, help_text="Everyone accepts this version anew")
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["community_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["version"], condition=Q(community__isnull=True),
                                    name="policy_version_once"),
            models.UniqueConstraint(fields=["community", "version"], condition=Q(community__isnull=False),
                                    name="guidelines_version_once"),
        ]

    def __str__(self) -> str:
        return f"{self.title} (version {self.version})"


class Acceptance(models.Model):
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="acceptances")
    accepted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "policy"], name="accepted_once")]
        indexes = [models.Index(fields=["policy", "member"], name="acceptance_policy")]
