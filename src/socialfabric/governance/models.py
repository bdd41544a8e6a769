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


# --- moderation ------------------------------------------------------------------------------


class FlagReason(models.TextChoices):
    SPAM = "spam", "Spam"
    HARASSMENT = "harassment", "Harassment"
    CONFIDENTIAL = "confidential", "Confidential information"
    OFF_TOPIC = "off_topic", "Off-topic"
    OTHER = "other", "Something else"
    WATCHED_WORD = "watched_word", "A watched word"  # raised by the platform, never by a person


class Outcome(models.TextChoices):
    """What moderators decided about a post in their queue (the author is told)."""

    DISMISSED = "dismissed", "Flags dismissed"
    RELEASED = "released", "Released"
    HIDDEN = "hidden", "Hidden"
    RESTORED = "restored", "Restored"
    REMOVED = "removed", "Removed"
    WARNED = "warned", "Author warned"
    SUSPENDED = "suspended", "Author suspended"


class Flag(models.Model):
    """Someone's report of a post or reply. Open until a moderator acts on the post; one per
    person and post (the platform's own, from watched words, have no member)."""

    post = models.ForeignKey("conversations.Post", on_delete=models.CASCADE, related_name="flags")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=16, choices=FlagReason.choices)
    text = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "member"], condition=Q(member__isnull=False),
                                               name="flagged_once")]
        indexes = [models.Index(fields=["community", "created_at"], name="flag_open",
                                condition=Q(resolved_at__isnull=True))]


class Suspension(models.Model):
    """A member may not post, reply, react or flag until `until`: in one community, or (no
    community) on the whole platform."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="suspensions")
    community = models.ForeignKey("communities.Community", null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="+")
    until = models.DateTimeField()
    reason = models.CharField(max_length=500)
    suspended_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                     related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["member", "until"], name="suspension_member")]


class WatchAction(models.TextChoices):
    BLOCK = "block", "Block: refuse the post with the reason"
    HOLD = "hold", "Hold: the post waits for a moderator"
    FLAG = "flag", "Flag: publish, and put it in the queue"


class WatchedWord(models.Model):
    """A staff-maintained pattern checked on every post, reply and edit."""

    pattern = models.CharField(max_length=200)
    is_regex = models.BooleanField(default=False)
    action = models.CharField(max_length=8, choices=WatchAction.choices)
    reason = models.CharField(max_length=200, blank=True, help_text="Shown to an author whose post is blocked")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pattern", "id"]
        constraints = [models.UniqueConstraint(fields=["pattern", "is_regex"], name="watched_once")]


# --- compliance sign-off ---------------------------------------------------------------------


class ApprovalRule(models.Model):
    """In this community, posts (and with `replies` replies) by members of these stakeholder
    kinds, or holding these community roles, wait for a compliance officer's approval."""

    community = models.OneToOneField("communities.Community", on_delete=models.CASCADE, related_name="approval_rule")
    kinds = models.JSONField(default=list, blank=True, help_text="Stakeholder kinds whose posts need approval")
    roles = models.JSONField(default=list, blank=True, help_text="Community roles whose posts need approval")
    replies = models.BooleanField(default=False, help_text="Replies need approval too")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)


class Decision(models.TextChoices):
    PENDING = "pending", "Waiting"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    RETURNED = "returned", "Edit asked for"


class Review(models.Model):
    """A post's way through compliance sign-off: when it was submitted, who decided what and when."""

    post = models.OneToOneField("conversations.Post", on_delete=models.CASCADE, related_name="review")
    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    submitted_at = models.DateTimeField(default=timezone.now)
    decision = models.CharField(max_length=10, choices=Decision.choices, default=Decision.PENDING)
    reason = models.CharField(max_length=500, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["community", "submitted_at"], name="review_waiting",
                                condition=Q(decision="pending"))]


# --- retention and legal hold ------------------------------------------------------------------


class RetentionAction(models.TextChoices):
    REMOVE = "remove", "Remove the text"
    ANONYMISE = "anonymise", "Anonymise the authors"


class RetentionRule(models.Model):
    """Remove (or anonymise the authors of) content older than `days` in one community, or (no
    community) in every community without a rule of its own. A community's rule takes precedence."""

    community = models.OneToOneField("communities.Community", null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="retention_rule")
    days = models.PositiveIntegerField()
    action = models.CharField(max_length=10, choices=RetentionAction.choices, default=RetentionAction.REMOVE)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["days"], condition=Q(community__isnull=True), name="one_org_wide_rule"),
            models.CheckConstraint(condition=Q(days__gte=1), name="retention_days_positive"),
        ]


class LegalHold(models.Model):
    """While active, nothing of this member (or in this community) is removed or erased."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="legal_holds")
    community = models.ForeignKey("communities.Community", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="legal_holds")
    reason = models.CharField(max_length=500)
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    placed_at = models.DateTimeField(default=timezone.now)
    lifted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-placed_at", "-id"]
        constraints = [models.CheckConstraint(
            condition=(Q(member__isnull=False, community__isnull=True)
                       | Q(member__isnull=True, community__isnull=False)),
            name="hold_on_one_thing")]


class RetentionRun(models.Model):
    """One run of the retention rules and what it did."""

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", help_text="Empty for the daily run")
    rules = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0, help_text="Posts and replies whose text was removed")
    revisions = models.PositiveIntegerField(default=0, help_text="Earlier versions deleted")
    anonymised = models.PositiveIntegerField(default=0, help_text="Posts and replies now signed by a pseudonym")
    held = models.PositiveIntegerField(default=0, help_text="Past their time but kept by a legal hold")

    class Meta:
        ordering = ["-started_at", "-id"]


# --- people's data rights --------------------------------------------------------------------

class Pseudonym(models.Model):
    """The pseudonymous former member who signs a person's anonymised posts (retention's
    "anonymise the authors"): one per person, so their old threads keep one voice. Erasing the
    person deletes this row, and with it the last tie between the two."""

    person = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pseudonym")
    alias = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="pseudonym_of")
    created_at = models.DateTimeField(default=timezone.now)


class Erasure(models.Model):
    """A person erased by an administrator: their row is now a pseudonymous former member (or
    an alias made by retention). What was done, for the record; nothing of who they were."""

    member = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="erasure")
    erased_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                  help_text="Empty for a pseudonym made by retention")
    erased_at = models.DateTimeField(default=timezone.now)
    text_kept = models.BooleanField(default=False)
    posts = models.PositiveIntegerField(default=0, help_text="Posts and replies they wrote")
    removed = models.PositiveIntegerField(default=0, help_text="Of which the text was removed now")


class DataExport(models.Model):
    """A member's "download my data": a ZIP built in the background, downloadable until
    `expires_at` through a signed link (docs/governance.md, "People's data rights")."""

    class State(models.TextChoices):
        QUEUED = "queued", "Being prepared"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Expired"

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports")
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    requested_at = models.DateTimeField(default=timezone.now)
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    size = models.PositiveBigIntegerField(default=0, help_text="Bytes")
    counts = models.JSONField(default=dict, help_text="Records in each file")

    class Meta:
        ordering = ["-requested_at", "-id"]
