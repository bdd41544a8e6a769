"""Notifications (the bell and the list), preferences, and watching communities and topics.

Lists and counts read through the read policy at the time of the request: a notification whose
post the caller can no longer read is neither listed nor counted, and answers 404 like one that
never was.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from socialfabric import access
from socialfabric.api import present
from socialfabric.api.common import ok, viewer
from socialfabric.api.schemas import (
    Cursor,
    Id,
    Limit,
    NotificationOut,
    NotificationPage,
    PreferencesIn,
    PreferencesOut,
    ReadAllOut,
    Slug,
    TopicName,
    TopicWatchIn,
    TopicWatchOut,
    UnreadOut,
    WatchIn,
    WatchOut,
)
from socialfabric.notifications import mailing
from socialfabric.notifications import services as notifications
from socialfabric.notifications.models import Notification

router = Router()


def _out(n: Notification) -> dict:
    return {
        "id": n.id, "kind": n.kind, "text": notifications.describe(n), "actor": present.member_ref(n.actor),
        "others": n.others, "post": n.post_id, "thread": (n.post.root_id or n.post_id) if n.post_id else None,
        "community": present.community_ref(n.community) if n.community_id else
        (present.community_ref(n.post.community) if n.post_id else None),
        "url": mailing.target_url(n), "created_at": n.created_at, "updated_at": n.updated_at,
        "read": n.read_at is not None,
    }


def _preferences(request: HttpRequest) -> dict:
    me = viewer(request)
    return {"channels": notifications.channels(me), "digest": notifications.digest_frequency(me)}


@router.get("/notifications", response=ok(NotificationPage), tags=["notifications"],
            summary="My notifications, newest first")
def list_notifications(request: HttpRequest, cursor: Cursor | None = None, limit: Limit | None = None) -> dict:
    me = viewer(request)
    page, next_cursor = notifications.listing(me, cursor, limit)
    return {"items": [_out(n) for n in page], "next_cursor": next_cursor, "unread": notifications.unread_count(me)}


@router.get("/notifications/unread-count", response=ok(UnreadOut), tags=["notifications"],
            summary="How many of my notifications are unread (the bell)")
def unread_count(request: HttpRequest) -> dict:
    return {"unread": notifications.unread_count(viewer(request))}


@router.post("/notifications/read-all", response=ok(ReadAllOut), tags=["notifications"],
             summary="Mark all my notifications read")
def read_all(request: HttpRequest) -> dict:
    return {"marked": notifications.mark_all_read(viewer(request))}


@router.post("/notifications/{notification_id}/read", response=ok(NotificationOut), tags=["notifications"],
             summary="Mark one notification read")
def read_one(request: HttpRequest, notification_id: Id) -> dict:
    """404 for someone else's notification, and for one about what the caller can no longer read."""
    return _out(notifications.mark_read(viewer(request), notification_id))


@router.get("/notifications/preferences", response=ok(PreferencesOut), tags=["notifications"],
            summary="How each kind of notification reaches me, and my digest")
def get_preferences(request: HttpRequest) -> dict:
    return _preferences(request)


@router.put("/notifications/preferences", response=ok(PreferencesOut), tags=["notifications"],
            summary="Choose how kinds of notification reach me, and my digest")
def set_preferences(request: HttpRequest, payload: PreferencesIn) -> dict:
    """Channels: `in_app` (the bell), `email` (the bell and an e-mail at once), `digest` (the bell
    and the digest), `off`. Kinds left out keep their channel. All or nothing."""
    notifications.set_preferences(viewer(request), channels=payload.channels, digest=payload.digest)
    return _preferences(request)


@router.put("/communities/{slug}/watch", response=ok(WatchOut), tags=["notifications"],
            summary="Watch, mute or set back to normal a community")
def watch_community(request: HttpRequest, slug: Slug, payload: WatchIn) -> dict:
    """`watching`: every new post; `normal`: what concerns me; `muted`: only mentions of me.
    404 for a community the caller may not know of, 403 for one they may not read."""
    me = viewer(request)
    community = access.get_visible_community(me, slug)
    return {"community": present.community_ref(community),
            "level": notifications.watch_community(me, community, payload.level)}


@router.put("/topics/{name}/watch", response=ok(TopicWatchOut), tags=["notifications"],
            summary="Watch a topic, or stop")
def watch_topic(request: HttpRequest, name: TopicName, payload: TopicWatchIn) -> dict:
    """404 alike for an unknown topic and one used only where the caller cannot read."""
    topic = notifications.watch_topic(viewer(request), name, payload.watching)
    return {"topic": topic.name, "watching": payload.watching}
