"""Template filters for values that feed rows carry as plain strings (not model instances)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince

from socialfabric.conversations.models import PostKind
from socialfabric.org.models import Stakeholder

register = template.Library()

_KINDS = dict(PostKind.choices)
_STAKEHOLDERS = dict(Stakeholder.choices)


@register.filter
def kind_label(kind: str) -> str:
    return _KINDS.get(kind, str(kind).capitalize())


@register.filter
def state_label(state: str) -> str:
    from socialfabric.conversations.models import PostState

    return PostState(state).label if state in PostState.values else state


@register.filter
def stakeholder_label(kind: str) -> str:
    return _STAKEHOLDERS.get(kind, str(kind).capitalize())


@register.filter
def ago(value: datetime | None) -> str:
    """'just now', '5 minutes ago', '2 days ago': one unit is enough in a feed."""
    if value is None:
        return ""
    if timezone.now() - value < timedelta(minutes=1):
        return "just now"
    return f"{timesince(value, depth=1)} ago"


@register.filter
def hue(member_id: int | None) -> str:
    """The avatar colour class of a member: stable per id, neighbours apart (7 is prime to 12)."""
    return f"hue-{(int(member_id or 0) * 7) % 12}"


@register.filter
def photo_url(person: object, size: int) -> str:
    """The address of a member's photo thumbnail (`size` from org.photos.SIZES), or "" when they
    have none. Works on members and on the feed's author rows alike (both carry handle and photo)."""
    key = getattr(person, "photo", "")
    if not key:
        return ""
    return reverse("web:person_photo", args=[person.handle, int(size), key])


@register.filter
def thread_url(post: object) -> str:
    """The thread page of a post, at the reply when it is one (plumbing.thread_url)."""
    from socialfabric.web.views.plumbing import thread_url as url

    return url(post)


@register.simple_tag
def attachment_hint() -> str:
    """What a post's files may be, from the settings the service enforces."""
    from django.conf import settings

    from socialfabric.attachments.files import ACCEPTED

    size = settings.SOCIALFABRIC_ATTACHMENT_MAX_BYTES / 1024 / 1024
    return (f"Up to {settings.SOCIALFABRIC_ATTACHMENTS_PER_POST} files of at most {size:g} MB each: "
            f"{ACCEPTED}. Images show in the post.")


@register.simple_tag
def attachment_accept() -> str:
    """The file picker's hint (the server judges the content whatever the picker allowed)."""
    from socialfabric.attachments.files import ACCEPT_ATTRIBUTE

    return ACCEPT_ATTRIBUTE
