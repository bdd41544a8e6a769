"""One row per act: who did what, to what, towards whom, where and when.

The stream sits at the bottom of the house: only `org` (people) is below it. Objects above
it (posts, communities, tokens, reports) are named by type and id, never by foreign key, so
the record outlives what it describes and imports nothing from the apps that write it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from socialfabric.activity.verbs import ObjectType, Verb

__all__ = ["Activity", "ObjectType", "Verb"]


class Activity(models.Model):
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="Empty for the system's own acts (a scheduled job, an import from the command line)",
    )
    verb = models.CharField(max_length=30, choices=Verb.choices)
    object_type = models.CharField(max_length=20, choices=ObjectType.choices, blank=True)
    object_id = models.BigIntegerField(null=True, blank=True)
    target = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="The person acted towards, if any",
    )
    # The community the act happened in, by id (communities sit above the stream).
    community_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    details = models.JSONField(default=dict, blank=True)
    # Tamper evidence (activity/chain.py): SHA-256 of the previous record's hash and this
    # record's content, and the previous hash it was chained to.
    prev_hash = models.BinaryField(max_length=32, default=b"", editable=False)
    hash = models.BinaryField(max_length=32, default=b"", editable=False)

    class Meta:
        verbose_name_plural = "activities"
        # Written on every act: only the indexes readers scan by. The stream in time order
        # (insights, audit), and one community's acts in time order.
        indexes = [
            models.Index(fields=["created_at", "id"], name="activity_time"),
            models.Index(fields=["community_id", "created_at"], name="activity_community_time"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_id} {self.verb} {self.object_type}:{self.object_id}"
