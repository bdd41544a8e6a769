"""Reading and choosing notifications: the bell, the list, marking read, preferences, watching.

Every list and count reads through access.readable_notifications: a notification whose post
became unreadable (removed, or its community left) is neither shown nor counted.
"""

from __future__ import annotations

import hashlib

from django.core import signing
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from socialfabric import access, activity, paging
from socialfabric.activity.verbs import ObjectType, Verb
from socialfabric.communities.models import Community
from socialfabric.conversations.models import Post, Topic
from socialfabric.errors import InvalidInput, NotFound
from socialfabric.notifications.models import (
    DEFAULT_CHANNELS,
    DEFAULT_FREQUENCY,
    Channel,
    CommunityWatch,
    Digest,
    Frequency,
    Kind,
    Level,
    Notification,
    Preference,
    TopicWatch,
)
from socialfabric.org.models import Member
from socialfabric.validation import parse_id

UNSUBSCRIBE_SALT = "socialfabric.notifications.unsubscribe"
DIGEST_KIND = "digest"  # an unsubscribe link's "kind" for the digest itself


def visible(member: Member) -> QuerySet[Notification]:
    """The member's notifications that they may read now, with what a list shows."""
    return (Notification.objects.filter(recipient_id=member.id or 0).filter(access.readable_notifications(member))
            .select_related("actor", "post", "post__root", "community"))


_N, _P = Notification._meta.db_table, Post._meta.db_table


def _readable_sql(member: Member, where: str, select: str, tail: str = "") -> tuple[str, list]:
    """A statement over the member's notifications that they may read now (access.py's SQL form)."""
    rule, params = access.readable_notifications_sql(member, "n", "p")
    return (f"SELECT {select} FROM {_N} n LEFT JOIN {_P} p ON p.id = n.post_id"
            f" WHERE n.recipient_id = %s AND {where} AND {rule}{tail}", [member.id, *params])


# The bell shows "99+" past 99, so it counts no further: the count stops at the 100th readable
# unread notification (bench/RESULTS.md: a member with 5,000 unread costs the exact count
# ~50x the bare index scan; the capped one stays under a millisecond).
BELL_MOST = 100


def unread_count(member: Member, at_most: int | None = None) -> int:
    """The bell: one indexed count (the partial index notification_unread), the policy inside it;
    with `at_most`, counting stops there (the bell's "99+")."""
    if not member.is_authenticated:
        return 0
    if at_most is None:
        sql, params = _readable_sql(member, "n.read_at IS NULL", "COUNT(*)")
    else:
        inner, params = _readable_sql(member, "n.read_at IS NULL", "1", f" LIMIT {int(at_most)}")
        sql = f"SELECT COUNT(*) FROM ({inner}) capped"
    with connection.cursor() as db:
        db.execute(sql, params)
        return int(db.fetchone()[0])


def listing(member: Member, cursor: str | None = None, limit: object = None) -> tuple[list[Notification], str | None]:
    return paging.keyset_page(visible(member), ("-updated_at", "-id"), cursor, limit)


def get(member: Member, notification_id: object) -> Notification:
    """One of the member's readable notifications, or NotFound (also for someone else's)."""
    ident = parse_id(notification_id, field="notification", message="No such notification.")
    found = visible(member).filter(id=ident).first()
    if found is None:
        raise NotFound("No such notification.", field="notification")
    return found


def mark_read(member: Member, notification_id: object) -> Notification:
    found = get(member, notification_id)
    if found.read_at is None:
        found.read_at = timezone.now()
        Notification.objects.filter(id=found.id, read_at__isnull=True).update(read_at=found.read_at)
    return found


def mark_all_read(member: Member) -> int:
    return Notification.objects.filter(recipient_id=member.id, read_at__isnull=True).update(read_at=timezone.now())


# --- preferences --------------------------------------------------------------------------------

def channels(member: Member) -> dict[str, str]:
    """The member's channel for every kind (their choice, else the default)."""
    chosen = dict(Preference.objects.filter(member_id=member.id).values_list("kind", "channel"))
    return {k: chosen.get(k, DEFAULT_CHANNELS[k]) for k in Kind.values}


def channel_of(member_id: int, kind: str) -> str:
    chosen = Preference.objects.filter(member_id=member_id, kind=kind).values_list("channel", flat=True).first()
    return chosen or DEFAULT_CHANNELS[kind]


def digest_frequency(member: Member) -> str:
    chosen = Digest.objects.filter(member_id=member.id).values_list("frequency", flat=True).first()
    return chosen or DEFAULT_FREQUENCY


@transaction.atomic
def set_preferences(member: Member, *, channels: dict | None = None, digest: object = None) -> dict[str, str]:
    """Set channels per kind ({"mention": "email", ...}) and the digest's frequency; all or nothing."""
    changed: dict[str, str] = {}
    for kind, channel in (channels or {}).items():
        if kind not in Kind.values:
            raise InvalidInput(f"No notification kind {kind!r}; one of: {', '.join(Kind.values)}.", field="channels")
        if channel not in Channel.values:
            raise InvalidInput(f"The channel must be one of: {', '.join(Channel.values)}.", field=kind)
        Preference.objects.update_or_create(member_id=member.id, kind=kind, defaults={"channel": channel})
        changed[kind] = channel
    if digest not in (None, ""):
        if digest not in Frequency.values:
            raise InvalidInput(f"The digest must be one of: {', '.join(Frequency.values)}.", field="digest")
        Digest.objects.update_or_create(member_id=member.id, defaults={"frequency": digest})
        changed[DIGEST_KIND] = str(digest)
    if changed:
        activity.record(Verb.SET_NOTIFICATIONS, member, object_type=ObjectType.MEMBER, object_id=member.id,
                        details={"changed": sorted(changed)})
    return changed


def unsubscribe_token(member: Member, kind: str) -> str:
    return signing.dumps({"m": member.id, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_preview(token: object) -> tuple[Member, str]:
    """Whom and which kind a signed unsubscribe link names; NotFound for a link not ours."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT) if isinstance(token, str) else None
    except signing.BadSignature:
        data = None
    if not isinstance(data, dict):
        data = {}
    member_id = data.get("m")
    member = (Member.objects.filter(id=member_id, is_active=True).first()
              if isinstance(member_id, int) and not isinstance(member_id, bool) else None)
    kind = data.get("k")
    if member is None or kind not in (*Kind.values, DIGEST_KIND):
        raise NotFound("This unsubscribe link is not valid.", field="token")
    return member, str(kind)


@transaction.atomic
def unsubscribe(token: object) -> tuple[Member, str]:
    """Stop e-mail of one kind (or the digest) for the member a signed link names, without signing
    in (RFC 8058 one-click). The kind keeps reaching the bell. NotFound for a link not ours."""
    member, kind = unsubscribe_preview(token)
    if kind == DIGEST_KIND:
        Digest.objects.update_or_create(member_id=member.id, defaults={"frequency": Frequency.OFF})
    elif channel_of(member.id, kind) in (Channel.EMAIL, Channel.DIGEST):
        Preference.objects.update_or_create(member_id=member.id, kind=kind, defaults={"channel": Channel.IN_APP})
    activity.record(Verb.SET_NOTIFICATIONS, member, object_type=ObjectType.MEMBER, object_id=member.id,
                    details={"changed": [kind], "via": "unsubscribe"})
    return member, kind


# --- watching -----------------------------------------------------------------------------------

def level_in(member: Member, community: Community) -> str:
    found = CommunityWatch.objects.filter(member_id=member.id, community=community).values_list("level", flat=True)
    return found.first() or Level.NORMAL


@transaction.atomic
def watch_community(member: Member, community: Community, level: object) -> str:
    """Watching (every new post), normal, or muted (only mentions), for a community one may read."""
    if level not in Level.values:
        raise InvalidInput(f"The level must be one of: {', '.join(Level.values)}.", field="level")
    access.require_readable(member, community)
    CommunityWatch.objects.update_or_create(member_id=member.id, community=community, defaults={"level": level})
    activity.record(Verb.WATCH, member, object_type=ObjectType.COMMUNITY, object_id=community.id,
                    community_id=community.id, details={"level": level})
    return str(level)


def watches_topic(member: Member, name: str) -> bool:
    return TopicWatch.objects.filter(member_id=member.id, topic__name=name).exists()


@transaction.atomic
def watch_topic(member: Member, name: object, watching: bool) -> Topic:
    """Watch a topic (every new post carrying it, where one may read) or stop. Unknown topics and
    topics used only where the member cannot read answer alike (NotFound)."""
    from socialfabric.feed import services as feed

    feed.topic_feed(member, name if isinstance(name, str) else "", limit=1)  # NotFound as on its page
    topic = Topic.objects.get(name=str(name).lower().lstrip("#"))
    if watching:
        TopicWatch.objects.get_or_create(member_id=member.id, topic=topic)
    else:
        TopicWatch.objects.filter(member_id=member.id, topic=topic).delete()
    activity.record(Verb.WATCH, member, details={"topic": topic.name, "level": "watching" if watching else "normal"})
    return topic


def describe(n: Notification) -> str:
    """The notification as one plain sentence (escaped by whatever shows it)."""
    who = (n.actor.name or n.actor.handle) if n.actor else "Someone"
    if n.others:
        who += f" and {n.others} other{'s' if n.others != 1 else ''}"
    post = n.post
    title = ((post.root.title if post and post.root_id and post.root else "") or (post.title if post else "")
             or "a thread")
    place = n.community.name if n.community else (post.community.name if post else "")
    return {
        Kind.MENTION: f"{who} mentioned you in “{title}”",
        Kind.REPLY: f"{who} replied to you in “{title}”",
        Kind.ANSWER: f"{who} answered your question “{title}”",
        Kind.ACCEPTED: f"{who} accepted your answer in “{title}”",
        Kind.REACTION: f"{who} reacted to your post in “{title}”",
        Kind.WATCHED: f"{who} posted “{title}” in {place}",
        Kind.JOIN_REQUEST: f"{who} asks to join {place}",
        Kind.JOIN_DECISION: f"{who} {'approved' if n.detail == 'approved' else 'declined'} "
                            f"your request to join {place}",
        Kind.MODERATION: _moderation_text(n.detail, title, place),
        Kind.SIGN_OFF: {"approved": f"Compliance approved your post “{title}”: it is published",
                        "rejected": f"Compliance rejected your post “{title}”",
                        "returned": f"Compliance asks you to edit your post “{title}”"}.get(n.detail,
                                                                                            "Compliance decided"),
    }.get(n.kind, f"{who} did something")


def _moderation_text(outcome: str, title: str, place: str) -> str:
    return {
        "hidden": f"Moderators of {place} hid your post “{title}”",
        "restored": f"Moderators of {place} restored your post “{title}”",
        "released": f"Moderators of {place} published your held post “{title}”",
        "removed": f"Moderators of {place} removed your post",
        "warned": f"Moderators of {place} warned you about your post “{title}”",
        "suspended": f"You are suspended from writing in {place}" if place else "You are suspended from writing",
    }.get(outcome, f"Moderators of {place} acted on your post")


def fingerprint(member: Member) -> str:
    """What changes when the first page of the list would: the newest change and the unread count.
    The live list sends it back and gets 204 while it holds."""
    sql, params = _readable_sql(member, "1 = 1", "n.id, n.updated_at", " ORDER BY n.updated_at DESC, n.id DESC LIMIT 1")
    with connection.cursor() as db:
        db.execute(sql, params)
        newest = db.fetchone()
    # The timestamp comes back as text on SQLite, a datetime on PostgreSQL: a digest of either is URL-safe.
    stamp = f"{newest[0]}-{hashlib.sha1(str(newest[1]).encode()).hexdigest()[:10]}" if newest else "0"
    return f"{stamp}-{unread_count(member, BELL_MOST)}"


@transaction.atomic
def save_settings(member: Member, *, channels: dict | None = None, digest: object = None,
                  levels: dict | None = None) -> dict[str, str]:
    """The settings page in one act: channels per kind, the digest, and a watch level per
    community slug; all saved or none. Only changed watch levels are recorded."""
    changed = set_preferences(member, channels=channels, digest=digest)
    for slug, level in (levels or {}).items():
        community = access.get_visible_community(member, slug)
        if level != level_in(member, community):
            watch_community(member, community, level)
            changed[f"community:{slug}"] = str(level)
    return changed


def watch_levels(member: Member, communities: list[Community]) -> dict[int, str]:
    """The member's level in each of these communities (normal where they chose none)."""
    chosen = dict(CommunityWatch.objects.filter(member_id=member.id, community__in=communities)
                  .values_list("community_id", "level"))
    return {c.id: chosen.get(c.id, Level.NORMAL) for c in communities}
