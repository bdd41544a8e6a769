"""Interaction events: the raw material of the insights.

Every social act appends one row in the same transaction as the act itself.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class EventKind(models.TextChoices):
    POST = "post", "Post"
    REPLY = "reply", "Reply"
    REACTION = "reaction", "Reaction"
    MENTION = "mention", "Mention"
    ACCEPTED_ANSWER = "accepted_answer", "Accepted answer"
    FOLLOW = "follow", "Follow"
    JOIN = "join", "Join"


class InteractionEvent(models.Model):
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        help_text="The person acted towards, if any",
    )
    # Events are written on every act: only the indexes the insights scan by are kept.
    # (community, created_at) serves community lookups; posts are never looked up from here.
    community = models.ForeignKey(
        "communities.Community", null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    post = models.ForeignKey(
        "conversations.Post", null=True, blank=True, on_delete=models.DO_NOTHING, related_name="+",
        db_constraint=False, db_index=False,
    )
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["created_at", "id"], name="event_time"),
            models.Index(fields=["community", "created_at"], name="event_community_time"),
        ]
