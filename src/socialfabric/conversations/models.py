"""Posts and their threaded replies, reactions, mentions and topics.

A thread is a root post (discussion, question or announcement) and its replies;
a reply is a Post with a `parent` (any depth) and the thread's `root`. Roots carry
denormalised `reply_count` and `last_activity_at` so that feeds are one index scan.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class PostKind(models.TextChoices):
    DISCUSSION = "discussion", "Discussion"
    QUESTION = "question", "Question"
    ANNOUNCEMENT = "announcement", "Announcement"
    REPLY = "reply", "Reply"


ROOT_KINDS = (PostKind.DISCUSSION, PostKind.QUESTION, PostKind.ANNOUNCEMENT)


class PostState(models.TextChoices):
    """Whether a post is out for its community to read (access.readable_posts_rule decides who
    reads the others: the author always; moderators the hidden and held ones; compliance
    officers the ones in sign-off)."""

    PUBLISHED = "published", "Published"
    HIDDEN = "hidden", "Hidden by a moderator"
    HELD = "held", "Held for moderation"
    PENDING = "pending", "Waiting for approval"
    RETURNED = "returned", "Returned for an edit"
    REJECTED = "rejected", "Rejected"


# Who reads a post in each state besides its author and staff.
MODERATED_STATES = (PostState.HIDDEN, PostState.HELD)  # the community's moderators
SIGN_OFF_STATES = (PostState.PENDING, PostState.RETURNED, PostState.REJECTED)  # compliance officers


class ReactionKind(models.TextChoices):
    LIKE = "like", "👍 Like"
    CELEBRATE = "celebrate", "🎉 Celebrate"
    INSIGHTFUL = "insightful", "💡 Insightful"
    SUPPORT = "support", "🤝 Support"
    CURIOUS = "curious", "🤔 Curious"


class Topic(models.Model):
    name = models.CharField(max_length=64, unique=True, help_text="Lower-case, without the #")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"#{self.name}"


class PostQuerySet(models.QuerySet):
    def visible_to(self, member) -> PostQuerySet:
        """The posts `member` may read (the rule lives in socialfabric.access)."""
        from socialfabric import access

        return self.filter(access.readable_posts_rule(member).q)


class Post(models.Model):
    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="posts")
    kind = models.CharField(max_length=12, choices=PostKind.choices, default=PostKind.DISCUSSION)
    title = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    body_html = models.TextField()
    # Indexed for replies only (reply_parent below): a plain index would also cover
    # "parent IS NULL", every thread, and SQLite would pick it over the feed's ordered index.
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children",
                               db_index=False)
    root = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="descendants")
    depth = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    last_activity_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    reply_count = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=10, choices=PostState.choices, default=PostState.PUBLISHED)
    accepted_answer = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    topics = models.ManyToManyField(Topic, blank=True, related_name="posts")
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="mentioned_in")

    objects = PostQuerySet.as_manager()

    class Meta:
        indexes = [
            # Feeds: threads newest activity first, keyset on (last_activity_at, id); community and
            # author ride along so the home feed's filter is checked in the index, not the table.
            models.Index(
                fields=["-last_activity_at", "-id", "community", "author"], name="thread_activity",
                condition=models.Q(parent__isnull=True, deleted_at__isnull=True),
            ),
            models.Index(
                fields=["community", "-last_activity_at", "-id"], name="community_activity",
                condition=models.Q(parent__isnull=True),
            ),
            models.Index(
                fields=["author", "-last_activity_at", "-id"], name="author_activity",
                condition=models.Q(parent__isnull=True, deleted_at__isnull=True),
            ),
            models.Index(fields=["root", "created_at"], name="thread_replies"),
            models.Index(fields=["parent"], name="reply_parent", condition=models.Q(parent__isnull=False)),
            # The moderation queues: the few posts a watched word holds.
            models.Index(fields=["community"], name="post_held", condition=models.Q(state="held")),
        ]

    def __str__(self) -> str:
        return self.title or self.body[:40]

    @property
    def is_root(self) -> bool:
        return self.parent_id is None

    @property
    def is_removed(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_published(self) -> bool:
        return self.state == PostState.PUBLISHED

    @property
    def thread_id(self) -> int:
        return self.root_id or self.id


class PostRevision(models.Model):
    """The text a post had before an edit."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    title = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    replaced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["replaced_at", "id"]


class Reaction(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reactions")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reactions")
    kind = models.CharField(max_length=12, choices=ReactionKind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "member", "kind"], name="reaction_once")]
