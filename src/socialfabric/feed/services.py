"""Feeds: threads newest activity first, keyset (cursor) pagination, no OFFSET.

The cursor (paging's codec) is an opaque token for (last_activity_at, id) of the last item seen;
the next page is the threads strictly after it in (last_activity_at desc, id desc)
order, which the partial indexes on Post serve directly.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from socialfabric import access, paging
from socialfabric.communities.models import Community
from socialfabric.conversations.models import Post, PostState, Reaction, ReactionKind, Topic
from socialfabric.errors import InvalidInput, NotFound
from socialfabric.org.models import Follow, Member, Stakeholder, Unit
from socialfabric.validation import is_storable


@dataclass(slots=True)
class AuthorRef:
    id: int
    handle: str
    name: str
    unit_id: int | None
    stakeholder: str
    organisation: str
    photo: str  # the photo's key, for the avatar (empty: the initial letter)

    def __str__(self) -> str:
        return self.name or self.handle

    @property
    def is_external(self) -> bool:
        return self.stakeholder != Stakeholder.EMPLOYEE


@dataclass(slots=True)
class CommunityRef:
    id: int
    slug: str
    name: str
    visibility: str

    def __str__(self) -> str:
        return self.name


@dataclass(slots=True)
class ThreadSummary:
    """What a feed shows of a thread: the root post with its author and community.

    Attribute names match Post's, so templates and API schemas read either.
    """

    id: int
    kind: str
    title: str
    body: str
    body_html: str
    created_at: datetime
    last_activity_at: datetime
    edited_at: datetime | None
    deleted_at: datetime | None
    reply_count: int
    accepted_answer_id: int | None
    community_id: int
    author_id: int
    community: CommunityRef
    author: AuthorRef
    parent_id: None = None
    root_id: None = None
    depth: int = 0
    files: list = field(default_factory=list)  # its readable attachments, when a page asks for them
    state: str = PostState.PUBLISHED  # others than published reach only who may read them (access)

    @property
    def is_root(self) -> bool:
        return True

    @property
    def is_published(self) -> bool:
        return self.state == PostState.PUBLISHED

    @property
    def is_removed(self) -> bool:
        return self.deleted_at is not None

    @property
    def thread_id(self) -> int:
        return self.id


@dataclass
class FeedItem:
    post: ThreadSummary
    reactions: dict[str, int] = field(default_factory=dict)
    mine: list[str] = field(default_factory=list)


@dataclass
class FeedPage:
    items: list[FeedItem]
    next_cursor: str | None


def threads() -> QuerySet[Post]:
    return Post.objects.filter(parent__isnull=True).order_by("-last_activity_at", "-id")


# The feed statement is written by hand: it is the hot path, and the ORM's per-call query
# building cost many times the query itself. Table names come from the models.
_POST, _COMMUNITY, _MEMBER = Post._meta.db_table, Community._meta.db_table, Member._meta.db_table
_FOLLOW = Follow._meta.db_table
_TOPICS = Post.topics.through._meta.db_table
_REACTION = Reaction._meta.db_table
_KINDS = list(ReactionKind.values)
# Reactions ride in the same statement: a count per kind, and a bit per kind the viewer gave.
# Each is an index seek on reaction_once (post_id, member_id, kind), for the page's rows only.
_REACTION_COLUMNS = "".join(
    f", (SELECT COUNT(*) FROM {_REACTION} r WHERE r.post_id = p.id AND r.kind = '{k}')" for k in _KINDS
) + ", (SELECT SUM(CASE r.kind {}ELSE 0 END) FROM {} r WHERE r.post_id = p.id AND r.member_id = %s)".format(
    "".join(f"WHEN '{k}' THEN {1 << i} " for i, k in enumerate(_KINDS)), _REACTION
)
_SELECT = (
    "SELECT p.id, p.kind, p.title, p.body, p.body_html, p.created_at, p.last_activity_at, p.edited_at,"
    " p.deleted_at, p.reply_count, p.accepted_answer_id, p.community_id, p.author_id,"
    " c.slug, c.name, c.visibility, a.handle, a.name, a.unit_id, a.stakeholder, a.organisation, a.photo"
    + _REACTION_COLUMNS + ", p.state" +
    f" FROM {_POST} p JOIN {_COMMUNITY} c ON c.id = p.community_id JOIN {_MEMBER} a ON a.id = p.author_id"
    " WHERE p.parent_id IS NULL AND "
)
_ORDER = " ORDER BY p.last_activity_at DESC, p.id DESC LIMIT %s"
_AFTER = " AND (p.last_activity_at < %s OR (p.last_activity_at = %s AND p.id < %s))"
_FOLLOWED = f"SELECT followed_id FROM {_FOLLOW} WHERE follower_id = %s"
# Removed threads leave the feeds (the partial indexes thread_activity and author_activity
# hold live threads only); in its community a removed thread with live replies stays.
_LIVE = "p.deleted_at IS NULL"
_LIVE_OR_ANSWERED = (f"(p.deleted_at IS NULL OR EXISTS (SELECT 1 FROM {_POST} r"
                     " WHERE r.root_id = p.id AND r.deleted_at IS NULL))")


def home_sql(member: Member) -> tuple[str, list]:
    """Threads in my communities or started by people I follow, that I may read.

    Both SQLite and PostgreSQL then walk the thread_activity index newest first and
    check each entry's community and author inside the index, stopping after one page.
    Without the `+ 0` SQLite gathers every thread of every source and sorts them all.
    """
    if not member.is_authenticated:  # AnonymousUser has no stakeholder; it follows no one and belongs nowhere
        return "1 = 0", []
    readable, params = access.readable_posts_sql(member)
    return (f"(p.community_id + 0 IN ({access.MY_COMMUNITIES_SQL}) OR p.author_id + 0 IN ({_FOLLOWED}))"
            f" AND {_LIVE} AND {readable}", [member.id, member.id, *params])


def _aware(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite hands back text for columns it cannot type
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def page_sql(viewer: Member, where: str, params: list, cursor: str | None, n: int) -> tuple[str, list]:
    """The one statement that produces a feed page (n + 1 rows, to know if there is more)."""
    sql = _SELECT + where
    params = [viewer.id or 0, *params]
    if cursor is not None and cursor != "":  # a non-string cursor is bad input, not "no cursor"
        when, ident = paging.decode_feed_cursor(cursor)
        stamp = connection.ops.adapt_datetimefield_value(when)
        sql += _AFTER
        params += [stamp, stamp, ident]
    return sql + _ORDER, [*params, n + 1]


def page(member: Member, where: str, params: list, cursor: str | None, limit: object) -> FeedPage:
    n = paging.page_size(limit)
    sql, params = page_sql(member, where, params, cursor, n)
    with connection.cursor() as db:
        db.execute(sql, params)
        rows = db.fetchall()
    items = []
    for r in rows[:n]:
        post = ThreadSummary(
            id=r[0], kind=r[1], title=r[2], body=r[3], body_html=r[4], created_at=_aware(r[5]),
            last_activity_at=_aware(r[6]), edited_at=_aware(r[7]), deleted_at=_aware(r[8]), reply_count=r[9],
            accepted_answer_id=r[10], community_id=r[11], author_id=r[12],
            community=CommunityRef(r[11], r[13], r[14], r[15]),
            author=AuthorRef(r[12], r[16], r[17], r[18], r[19], r[20], r[21]), state=r[28],
        )
        mask = r[27] or 0
        items.append(FeedItem(
            post=post,
            reactions={k: c for k, c in zip(_KINDS, r[22:27], strict=True) if c},
            mine=sorted(k for i, k in enumerate(_KINDS) if mask & (1 << i)),
        ))
    more = len(rows) > n
    if not more:
        return FeedPage(items=items, next_cursor=None)
    last = items[-1].post
    return FeedPage(items=items, next_cursor=paging.encode_feed_cursor(last.last_activity_at, last.id))


def annotate(member: Member, posts: list) -> list[FeedItem]:
    """Attach reaction counts and the viewer's own reactions: one grouped query per page."""
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    mine: dict[int, list[str]] = defaultdict(list)
    if posts:
        ids = [p.id for p in posts]
        marks = ", ".join(["%s"] * len(ids))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT post_id, kind, COUNT(*), SUM(CASE WHEN member_id = %s THEN 1 ELSE 0 END) "
                f"FROM {Reaction._meta.db_table} WHERE post_id IN ({marks}) GROUP BY post_id, kind",
                [member.id or 0, *ids],
            )
            for post_id, kind, n, own in cursor.fetchall():
                counts[post_id][kind] = n
                if own:
                    mine[post_id].append(kind)
    return [FeedItem(post=p, reactions=counts.get(p.id, {}), mine=sorted(mine.get(p.id, []))) for p in posts]


def home_feed(member: Member, cursor: str | None = None, limit: object = None) -> FeedPage:
    return page(member, *home_sql(member), cursor, limit)


def community_feed(member: Member, community: Community, cursor: str | None = None, limit: object = None) -> FeedPage:
    access.require_readable(member, community)
    readable, params = access.readable_posts_sql(member)
    # A removed thread stays in its own community only while replies to it live on (shown as
    # removed there); every other feed drops it at once.
    return page(member, f"p.community_id = %s AND {_LIVE_OR_ANSWERED} AND {readable}", [community.id, *params],
                cursor, limit)


def profile_feed(viewer: Member, author: Member, cursor: str | None = None, limit: object = None) -> FeedPage:
    if viewer.is_authenticated:  # the external boundary: NotFound like no such member (anonymous: nothing)
        access.require_visible_member(viewer, author)
    readable, params = access.readable_posts_sql(viewer)
    return page(viewer, f"p.author_id = %s AND {_LIVE} AND {readable}", [author.id, *params], cursor, limit)


def unit_feed(viewer: Member, unit: Unit, cursor: str | None = None, limit: object = None) -> FeedPage:
    access.require_sees_structure(viewer)  # external members: NotFound like no such unit
    readable, params = access.readable_posts_sql(viewer)
    return page(viewer, f"a.unit_id = %s AND {_LIVE} AND {readable}", [unit.id, *params], cursor, limit)


def topic_feed(viewer: Member, name: str, cursor: str | None = None, limit: object = None) -> FeedPage:
    """Threads tagged #name that the viewer may read.

    NotFound when the viewer can read no thread with the topic, whether or not the topic
    exists: otherwise "exists but empty" would reveal topics used only in secret communities.
    """
    if not isinstance(name, str) or not is_storable(name):
        raise NotFound("No such topic.", field="topic")
    topic = Topic.objects.filter(name=name.lower().lstrip("#")).first()
    if topic is None:
        raise NotFound("No such topic.", field="topic")
    readable, params = access.readable_posts_sql(viewer)
    # A thread belongs to a topic when its root or any reply carries the topic.
    where = (f"p.id IN (SELECT COALESCE(q.root_id, q.id) FROM {_TOPICS} t JOIN {_POST} q ON q.id = t.post_id"
             f" WHERE t.topic_id = %s) AND {_LIVE} AND {readable}")
    params = [topic.id, *params]
    # A topic with no readable thread answers as an unknown topic does, with any cursor, even a
    # malformed one (F8: a cursor must not tell the two apart). Only an empty or refused page
    # costs the second look, never a page of threads.
    try:
        result = page(viewer, where, params, cursor, limit)
    except InvalidInput:
        if not page(viewer, where, params, None, 1).items:
            raise NotFound("No such topic.", field="topic") from None
        raise
    if not result.items and (not cursor or not page(viewer, where, params, None, 1).items):
        raise NotFound("No such topic.", field="topic")
    return result


NEWS_CAP = 99  # "99+ new posts" is enough to say: reload


def newer_count(member: Member, cursor: object) -> int:
    """How many threads of the member's home feed have had activity since the one a feed cursor
    names (the top of the page they are reading): the "3 new posts" line. Same rule as the feed;
    capped, so the poll costs at most a hundred index entries."""
    if not isinstance(cursor, str) or not cursor:
        return 0
    when, ident = paging.decode_feed_cursor(cursor)
    stamp = connection.ops.adapt_datetimefield_value(when)
    where, params = home_sql(member)
    sql = (f"SELECT COUNT(*) FROM (SELECT 1 FROM {_POST} p JOIN {_COMMUNITY} c ON c.id = p.community_id"
           f" JOIN {_MEMBER} a ON a.id = p.author_id WHERE p.parent_id IS NULL AND {where}"
           " AND (p.last_activity_at > %s OR (p.last_activity_at = %s AND p.id > %s))"
           f" LIMIT {NEWS_CAP + 1}) news")
    with connection.cursor() as db:
        db.execute(sql, [*params, stamp, stamp, ident])
        return int(db.fetchone()[0])


def top_cursor(page: FeedPage) -> str:
    """A cursor naming the first thread of a page (for newer_count); now, for an empty page."""
    if not page.items:
        return paging.encode_feed_cursor(timezone.now(), 0)
    top = page.items[0].post
    return paging.encode_feed_cursor(top.last_activity_at, top.id)
