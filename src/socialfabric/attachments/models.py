from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Attachment(models.Model):
    """A file on a post or a reply. The bytes live in the "attachments" storage (never a public
    URL); read only through the post's read policy (access.readable_attachments)."""

    post = models.ForeignKey("conversations.Post", on_delete=models.CASCADE, related_name="attachments")
    uploader = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(max_length=120,
                            help_text="The download name: the member's, cleaned, with the type's extension")
    content_type = models.CharField(max_length=100, help_text="Judged from the content")
    size = models.PositiveBigIntegerField()
    key = models.CharField(max_length=32, help_text="Hash of the stored bytes: part of the file names")
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True, help_text="Files deleted with their post")

    class Meta:
        ordering = ["post_id", "position", "id"]
        indexes = [models.Index(fields=["post", "position"], name="attachment_post")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_image(self) -> bool:
        return self.width is not None

    @property
    def preview_size(self) -> tuple[int, int]:
        """The preview's pixels (files.PREVIEW on the long edge at most), for the page's layout."""
        from socialfabric.attachments.files import PREVIEW

        w, h = self.width or 1, self.height or 1
        scale = min(1.0, PREVIEW / max(w, h))
        return max(1, round(w * scale)), max(1, round(h * scale))

    # Names in the storage: built from ids and the hash only, never from what the member typed.
    @property
    def file_name(self) -> str:
        return f"{self.post_id}/{self.key}"

    @property
    def preview_name(self) -> str:
        return f"{self.post_id}/{self.key}-preview.webp"
