"""People and the formal organisation: units, levels, reporting lines, stakeholder kinds."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone

from socialfabric.org.stakeholders import EXTERNAL_KINDS, Stakeholder

__all__ = ["EXTERNAL_KINDS", "AccessToken", "Expertise", "Follow", "Member", "Stakeholder", "TokenScope", "Unit"]

# Profile limits (the services check them; the columns are sized to match).
MAX_NAME_CHARS = 150
MAX_BIO_CHARS = 2000
MAX_EXPERTISE = 20
MAX_EXPERTISE_CHARS = 40


class Unit(models.Model):
    """A department in the formal organisation: a tree through `parent`."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=140, unique=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MemberQuerySet(models.QuerySet):
    def visible_to(self, viewer) -> MemberQuerySet:
        """The members `viewer` may see (the rule lives in socialfabric.access)."""
        from socialfabric import access

        return self.filter(access.visible_members(viewer))


class MemberManager(BaseUserManager.from_queryset(MemberQuerySet)):
    use_in_migrations = True

    def create_user(self, handle: str, email: str = "", password: str | None = None, **extra):
        member = self.model(handle=handle, email=self.normalize_email(email), **extra)
        if password:
            member.set_password(password)
        else:
            member.set_unusable_password()
        member.save(using=self._db)
        return member

    def create_superuser(self, handle: str, email: str = "", password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(handle, email, password, **extra)


class Member(AbstractBaseUser, PermissionsMixin):
    """Anyone in the ecosystem: employee, customer, partner, supplier, shareholder or public.

    `handle` is what @mentions use; `external_id` is the id from an imported org chart.
    """

    handle = models.CharField(max_length=60, unique=True)
    external_id = models.CharField(max_length=100, unique=True, null=True, blank=True)
    name = models.CharField(max_length=MAX_NAME_CHARS)
    email = models.EmailField(blank=True, db_index=True)
    bio = models.TextField(blank=True, default="", help_text="Plain text the member writes about themselves")
    # The photo's key: a hash of its content, part of its thumbnails' file names and URLs (so
    # a URL can be cached for ever: a new photo is a new URL). Empty when there is none. On
    # the row itself, so every list of people and the feed's statement show avatars without
    # another query (org.photos has the files).
    photo = models.CharField(max_length=32, blank=True, default="", help_text="Content hash of the photo")
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="members")
    level = models.PositiveSmallIntegerField(null=True, blank=True, help_text="1 = top executive")
    manager = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports")
    stakeholder = models.CharField(max_length=20, choices=Stakeholder.choices, default=Stakeholder.EMPLOYEE)
    organisation = models.CharField(max_length=150, blank=True, help_text="External members' organisation")
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    is_analyst = models.BooleanField(default=False)
    # Signs off posts in communities whose rule asks for approval (governance, docs/governance.md).
    is_compliance_officer = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = MemberManager()

    USERNAME_FIELD = "handle"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name or self.handle

    @property
    def is_external(self) -> bool:
        return self.stakeholder != Stakeholder.EMPLOYEE


class Follow(models.Model):
    """A member follows another member's posts."""

    follower = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="following_set")
    followed = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="follower_set")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follower", "followed"], name="follow_once"),
            models.CheckConstraint(condition=~models.Q(follower=models.F("followed")), name="follow_not_self"),
        ]


class Expertise(models.Model):
    """One of a member's expertise tags: lower case, in the order the member gave them; the
    directory finds people by it (/people/?expertise=python)."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="expertise")
    name = models.CharField(max_length=MAX_EXPERTISE_CHARS)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["member", "position"]
        constraints = [models.UniqueConstraint(fields=["member", "name"], name="expertise_once")]
        indexes = [models.Index(fields=["name"], name="expertise_name")]

    def __str__(self) -> str:
        return self.name


class TokenScope(models.TextChoices):
    """What a token may do: `read` for GET/HEAD, `write` for every other method (write includes read)."""

    READ = "read", "Read"
    WRITE = "write", "Write"


class AccessToken(models.Model):
    """A personal access token for the API. Only a SHA-256 digest is stored.

    `scopes` holds the granted scopes separated by spaces ("read" or "read write"); a token
    stops working at `expires_at` (None: never)."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, help_text="First characters, to tell tokens apart")
    digest = models.CharField(max_length=64, unique=True)
    scopes = models.CharField(max_length=40, default="read write", help_text="Granted scopes, space separated")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Stops working then; empty: never")
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    def has_scope(self, scope: str) -> bool:
        return scope in self.scope_list

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def days_left(self) -> int | None:
        """Whole days until it expires (None: never; 0 once expired or within the last day)."""
        if self.expires_at is None:
            return None
        return max(0, (self.expires_at - timezone.now()).days)
