"""Notifications: what a member is told, how they want to be told, and what they watch.

A notification names its subject (a post, or a community for requests to join) and is read
through access.readable_notifications, so it is shown only while its subject is readable.
Each is made once per act: unique (recipient, kind, activity); reactions to one post are one
notification that gathers the reactors ("Ana and 4 others") until it is read.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Kind(models.TextChoices):
    MENTION = "mention", "Mentions of me"
    REPLY = "reply", "Replies to my posts and replies"
    ANSWER = "answer", "Answers to my questions"
    ACCEPTED = "accepted", "My answer accepted"
    REACTION = "reaction", "Reactions to my posts"
    WATCHED = "watched", "New posts where I watch"
    JOIN_REQUEST = "join_request", "Requests to join communities I moderate"  # access.readable_notifications
    JOIN_DECISION = "join_decision", "Decisions on my requests to join"
    MODERATION = "moderation", "Moderators' decisions about my posts"
    SIGN_OFF = "sign_off", "Compliance decisions about my posts"


class Channel(models.TextChoices):
    IN_APP = "in_app", "In the app"
    EMAIL = "email", "In the app and by e-mail at once"
    DIGEST = "digest", "In the app and in my digest"
    OFF = "off", "Off"


class Level(models.TextChoices):
    WATCHING = "watching", "Watching: every new post"
    NORMAL = "normal", "Normal: what concerns me"
    MUTED = "muted", "Muted: only mentions of me"


class Frequency(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    OFF = "off", "Never"


# What a member gets before choosing: the bell for everything; e-mail for a request to join
# one's community (someone waits on it); the weekly digest on.
DEFAULT_CHANNELS: dict[str, str] = {k: Channel.IN_APP for k in Kind.values}
DEFAULT_CHANNELS[Kind.JOIN_REQUEST] = Channel.EMAIL
DEFAULT_FREQUENCY = Frequency.WEEKLY


class Notification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    others = models.PositiveIntegerField(default=0, help_text="More people who did the same (reactions)")
    post = models.ForeignKey("conversations.Post", null=True, on_delete=models.CASCADE, related_name="+")
    community = models.ForeignKey("communities.Community", null=True, on_delete=models.CASCADE, related_name="+")
    # The act that made it (the latest one, for a gathered notification): retries find it done.
    activity_id = models.BigIntegerField()
    detail = models.CharField(max_length=40, blank=True, help_text="The reaction, the decision")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["recipient", "kind", "activity_id"], name="notified_once")]
        indexes = [
            # The bell: unread ones of a member (a partial index holds only those).
            models.Index(fields=["recipient", "updated_at"], name="notification_unread",
                         condition=models.Q(read_at__isnull=True)),
            models.Index(fields=["recipient", "-updated_at", "-id"], name="notification_list"),
            models.Index(fields=["recipient", "kind", "post"], name="notification_subject"),
        ]


class Preference(models.Model):
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "kind"], name="preference_once")]


class Digest(models.Model):
    member = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                                  primary_key=True)
    frequency = models.CharField(max_length=8, choices=Frequency.choices, default=DEFAULT_FREQUENCY)
    last_sent_at = models.DateTimeField(null=True, blank=True)


class CommunityWatch(models.Model):
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    level = models.CharField(max_length=8, choices=Level.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "community"], name="community_watch_once")]
        indexes = [models.Index(fields=["community", "level"], name="community_watchers")]


class TopicWatch(models.Model):
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    topic = models.ForeignKey("conversations.Topic", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "topic"], name="topic_watch_once")]
