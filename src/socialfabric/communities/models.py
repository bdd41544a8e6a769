"""Communities: where members meet, with visibility, audience and roles."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from socialfabric.org.stakeholders import Stakeholder


class Visibility(models.TextChoices):
    OPEN = "open", "Open: anyone in the audience may read and join"
    CLOSED = "closed", "Closed: listed, members only read; joining needs approval"
    SECRET = "secret", "Secret: invisible to non-members; by invitation"


class Audience(models.TextChoices):
    INTERNAL = "internal", "Internal: employees only"
    MIXED = "mixed", "Mixed: employees and the listed stakeholder kinds"


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    MODERATOR = "moderator", "Moderator"
    MEMBER = "member", "Member"


class CommunityQuerySet(models.QuerySet):
    def visible_to(self, member) -> CommunityQuerySet:
        """The communities `member` may know exist (the rule lives in socialfabric.access)."""
        from socialfabric import access

        return self.filter(access.visible_communities_q(member))

    def readable_by(self, member) -> CommunityQuerySet:
        """The communities whose posts `member` may read."""
        from socialfabric import access

        return self.filter(id__in=access.readable_community_ids(member))


class Community(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    purpose = models.TextField(blank=True)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.OPEN, db_index=True)
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.INTERNAL)
    # For a mixed audience: the external stakeholder kinds admitted besides employees.
    external_kinds = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    member_count = models.PositiveIntegerField(default=0)

    objects = CommunityQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "communities"

    def __str__(self) -> str:
        return self.name

    def admits(self, stakeholder: str) -> bool:
        """Whether a member of this stakeholder kind may belong to the community."""
        if stakeholder == Stakeholder.EMPLOYEE:
            return True
        return self.audience == Audience.MIXED and stakeholder in (self.external_kinds or [])


class Membership(models.Model):
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="memberships")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["community", "member"], name="membership_once")]
        indexes = [models.Index(fields=["member", "community"], name="membership_by_member")]

    @property
    def moderates(self) -> bool:
        return self.role in (Role.OWNER, Role.MODERATOR)


class JoinRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="join_requests")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="join_requests")
    message = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["community", "member"], condition=models.Q(status="pending"), name="one_pending_request"
            )
        ]


class Invitation(models.Model):
    """An invitation by e-mail to join the platform (and some communities): sent by an
    administrator, or by a community's owner for that community. The link carries a signed,
    expiring reference to this row; accepting it once creates the account."""

    email = models.EmailField()
    name = models.CharField(max_length=150)
    stakeholder = models.CharField(max_length=20, choices=Stakeholder.choices, default=Stakeholder.EMPLOYEE)
    organisation = models.CharField(max_length=150, blank=True)
    communities = models.ManyToManyField(Community, blank=True, related_name="invitations")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True, help_text="Withdrawn by staff, or sent again")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+", help_text="The account made by accepting it")

    class Meta:
        indexes = [models.Index(fields=["email"], name="invitation_email")]

    @property
    def status(self) -> str:
        if self.accepted_at is not None:
            return "accepted"
        if self.revoked_at is not None:
            return "withdrawn"
        return "expired" if self.expires_at < timezone.now() else "pending"
