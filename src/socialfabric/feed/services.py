"""Feeds: threads newest activity first, keyset (cursor) pagination, no OFFSET.

The cursor is an opaque token for (last_activity_at, id) of the last item seen;
the next page is the threads strictly after it in (last_activity_at desc, id desc)
order, which the partial indexes on Post serve directly.
"""

from __future__ import annotations

import base64
import binascii
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db.models import Q, QuerySet

from socialfabric import access
from socialfabric.communities.models import Community
from socialfabric.conversations.models import Post, Reaction, Topic
from socialfabric.errors import InvalidInput, NotFound
from socialfabric.org.models import Follow, Member, Unit


@dataclass
class FeedItem:
    post: Post
    reactions: dict[str, int] = field(default_factory=dict)
    mine: list[str] = field(default_factory=list)


@dataclass
class FeedPage:
    items: list[FeedItem]
    next_cursor: str | None


def encode_cursor(post: Post) -> str:
    raw = f"{post.last_activity_at.isoformat()}|{post.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, ident = raw.split("|")
        when = datetime.fromisoformat(stamp)
        if when.tzinfo is None:
            raise ValueError
        return when, int(ident)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise InvalidInput("The cursor is not one this server gave out.", field="cursor") from None


def page_size(limit: object) -> int:
    if limit is None or limit == "":
        return settings.SOCIALFABRIC_PAGE_SIZE
    try:
        n = int(limit)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidInput("The limit must be a whole number.", field="limit") from None
    if not 1 <= n <= settings.SOCIALFABRIC_MAX_PAGE_SIZE:
        raise InvalidInput(f"The limit must be between 1 and {settings.SOCIALFABRIC_MAX_PAGE_SIZE}.", field="limit")
    return n


def threads() -> QuerySet[Post]:
    return Post.objects.filter(parent__isnull=True).order_by("-last_activity_at", "-id")


def home_filter(member: Member) -> Q:
    """My communities, plus threads started by people I follow where I may read them."""
    mine = access.member_community_ids(member)
    followed = list(Follow.objects.filter(follower=member).values_list("followed_id", flat=True))
    q = Q(community_id__in=mine)
    if followed:
        readable_elsewhere = access.readable_community_ids(member) - mine
        if readable_elsewhere:
            q |= Q(author_id__in=followed, community_id__in=readable_elsewhere)
    return q


def page(member: Member, qs: QuerySet[Post], cursor: str | None, limit: object) -> FeedPage:
    n = page_size(limit)
    if cursor:
        when, ident = decode_cursor(cursor)
        qs = qs.filter(Q(last_activity_at__lt=when) | Q(last_activity_at=when, id__lt=ident))
    posts = list(qs.select_related("author", "community")[: n + 1])
    more = len(posts) > n
    posts = posts[:n]
    return FeedPage(items=annotate(member, posts), next_cursor=encode_cursor(posts[-1]) if more else None)


def annotate(member: Member, posts: list[Post]) -> list[FeedItem]:
    """Attach reaction counts and the viewer's own reactions: two queries per page."""
    ids = [p.id for p in posts]
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    mine: dict[int, list[str]] = defaultdict(list)
    if ids:
        from django.db.models import Count

        for post_id, kind, n in (Reaction.objects.filter(post_id__in=ids).values_list("post_id", "kind")
                                 .annotate(n=Count("id")).order_by()):
            counts[post_id][kind] = n
        if member.is_authenticated:
            for post_id, kind in Reaction.objects.filter(post_id__in=ids, member=member).values_list("post_id", "kind"):
                mine[post_id].append(kind)
    return [FeedItem(post=p, reactions=counts.get(p.id, {}), mine=sorted(mine.get(p.id, []))) for p in posts]


def home_feed(member: Member, cursor: str | None = None, limit: object = None) -> FeedPage:
    return page(member, threads().filter(home_filter(member)), cursor, limit)


def community_feed(member: Member, community: Community, cursor: str | None = None, limit: object = None) -> FeedPage:
    access.require_readable(member, community)
    return page(member, threads().filter(community=community), cursor, limit)


def profile_feed(viewer: Member, author: Member, cursor: str | None = None, limit: object = None) -> FeedPage:
    qs = threads().filter(author=author, community_id__in=access.readable_community_ids(viewer))
    return page(viewer, qs, cursor, limit)


def unit_feed(viewer: Member, unit: Unit, cursor: str | None = None, limit: object = None) -> FeedPage:
    qs = threads().filter(author__unit=unit, community_id__in=access.readable_community_ids(viewer))
    return page(viewer, qs, cursor, limit)


def topic_feed(viewer: Member, name: str, cursor: str | None = None, limit: object = None) -> FeedPage:
    topic = Topic.objects.filter(name=str(name).lower().lstrip("#")).first()
    if topic is None:
        raise NotFound("No such topic.", field="topic")
    qs = threads().filter(topics=topic, community_id__in=access.readable_community_ids(viewer))
    return page(viewer, qs, cursor, limit)
