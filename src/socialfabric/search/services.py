"""Search: posts and replies by their words, and people, communities and topics by name.

The read policy is part of the statement itself (access.readable_posts_sql on the index row
on PostgreSQL, on the joined post row on SQLite), so the engine never hands back an entry the
searcher may not read: no snippet, no rank, no count of a secret community's words, whatever
the filters or the cursor.

Order: by relevance (the default) or newest first. Relevance ranks the newest
SEARCH_RANK_WINDOW readable matches (500 by default): a word in every twentieth post of a
million would otherwise mean ranking 50,000 rows for one page; the window keeps a page a
bounded amount of work on both engines, and in a network the recent matches are the ones
people look for. Older matches are found by newest-first order or a date range, which are
not bounded. docs/search.md has the details and the measurements.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from socialfabric import access, paging
from socialfabric.communities.models import Community
from socialfabric.conversations.models import Post, PostKind, Topic
from socialfabric.errors import InvalidInput
from socialfabric.org import services as org_services
from socialfabric.org.models import Member
from socialfabric.search import index
from socialfabric.search.query import Query, parse

_POST, _T = Post._meta.db_table, index.TABLE
SORTS = ("relevance", "newest")
# Column weights of SQLite's bm25 (title, body, author, community, topics), in the spirit of
# PostgreSQL's A/B/C/D: a word in the title counts most, one in a long body least.
_BM25 = f"bm25({index.TABLE}, 10.0, 1.0, 3.0, 2.0, 5.0)"
_PG_QUERY = f"websearch_to_tsquery('{index.PG_CONFIG}'::regconfig, %s)"
SNIPPET_WORDS = 28
OTHERS_LIMIT = 5  # people, communities and topics shown beside the posts


def rank_window() -> int:
    return int(getattr(settings, "SOCIALFABRIC_SEARCH_RANK_WINDOW", 500))


@dataclass(frozen=True, slots=True)
class Filters:
    community: Community | None = None
    author: Member | None = None
    kind: str | None = None
    unanswered: bool = False
    since: date | None = None
    until: date | None = None

    def sql(self, row: str) -> tuple[str, list]:
        """The filters as SQL on `row`, a table with the post's community_id, author_id, kind, created_at."""
        where, params = [], []
        if self.community is not None:
            where.append(f"{row}.community_id = %s")
            params.append(self.community.id)
        if self.author is not None:
            where.append(f"{row}.author_id = %s")
            params.append(self.author.id)
        if self.kind:
            where.append(f"{row}.kind = %s")
            params.append(self.kind)
        if self.unanswered:  # a question nobody has replied to (the insights' "time to first answer")
            key = "id" if row == "p" else "post_id"
            where.append(f"{row}.kind = %s AND EXISTS (SELECT 1 FROM {_POST} a WHERE a.id = {row}.{key} "
                         f"AND a.reply_count = 0)")
            params.append(str(PostKind.QUESTION))
        if self.since is not None:
            where.append(f"{row}.created_at >= %s")
            params.append(connection.ops.adapt_datetimefield_value(datetime.combine(self.since, time(), UTC)))
        if self.until is not None:  # inclusive: the whole day
            end = datetime.combine(self.until + timedelta(days=1), time(), UTC)
            where.append(f"{row}.created_at < %s")
            params.append(connection.ops.adapt_datetimefield_value(end))
        return "".join(f" AND {w}" for w in where), params

    @property
    def active(self) -> bool:
        return any((self.community, self.author, self.kind, self.unanswered, self.since, self.until))


@dataclass(slots=True)
class Hit:
    post: Post
    title_html: SafeString
    snippet_html: SafeString
    rank: float = 0.0


@dataclass(slots=True)
class Results:
    query: Query
    hits: list[Hit]
    next_cursor: str | None
    sort: str = "relevance"
    people: list[Member] = field(default_factory=list)
    communities: list[Community] = field(default_factory=list)
    topics: list[Topic] = field(default_factory=list)


# --- input ------------------------------------------------------------------------------------

def _day(value: object, name: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InvalidInput(f"The {name} date must be written YYYY-MM-DD.", field=name)


def filters(viewer: Member, *, community: object = None, author: object = None, kind: object = None,
            unanswered: object = False, since: object = None, until: object = None) -> Filters:
    """Check the filters as the searcher gave them. A community or author the searcher may not
    see answers as an unknown one does (NotFound), never as "exists, but no results"."""
    found_community = access.get_visible_community(viewer, community) if community not in (None, "") else None
    found_author = None
    if author not in (None, ""):
        if not isinstance(author, str):
            raise InvalidInput("The author must be a handle.", field="author")
        found_author = org_services.get_member(author.strip().lstrip("@"), viewer)
    if kind in (None, ""):
        kind = None
    elif kind not in PostKind.values:
        raise InvalidInput(f"The kind must be one of: {', '.join(PostKind.values)}.", field="kind")
    if isinstance(unanswered, str):
        unanswered = unanswered.lower() in ("1", "true", "on", "yes")
    first, last = _day(since, "since"), _day(until, "until")
    if first and last and first > last:
        raise InvalidInput("The since date is after the until date.", field="since")
    for day, name in ((first, "since"), (last, "until")):
        if day is not None and not 1900 <= day.year <= 9000:
            raise InvalidInput(f"The {name} date is out of range.", field=name)
    return Filters(found_community, found_author, kind, bool(unanswered), first, last)


# --- the statements ---------------------------------------------------------------------------

def _scope(viewer: Member, f: Filters, row: str) -> tuple[str, list]:
    """The posts the viewer may read, narrowed by the filters: SQL on `row` (see _match)."""
    # The index table (PostgreSQL) holds published posts only (search.index), so has no state.
    readable, params = access.readable_posts_sql(viewer, row, published_only=row != "p")
    extra, extra_params = f.sql(row)
    live = "p.deleted_at IS NULL AND " if row == "p" else ""
    return f"{live}{readable}{extra}", [*params, *extra_params]


def _match(q: Query) -> tuple[str, list, str, str]:
    """(FROM clause with the match, its params, rank expression (lower ranks first), the alias
    whose community_id, author_id, kind and created_at the policy and the filters read)."""
    if connection.vendor == "sqlite":
        # FTS5 knows its table by name only (an alias cannot MATCH); its rows carry text only,
        # so the post row is joined for the policy, by rowid.
        return (f"{_T} JOIN {_POST} p ON p.id = {_T}.rowid WHERE {_T} MATCH %s", [q.fts5()], _BM25, "p")
    # ts_rank weighs A/B/C/D as 1.0/0.4/0.2/0.1; negated so that both engines sort ascending.
    # The entry holds only live posts (removal unindexes, in the consumer) and the page's posts
    # are loaded live-only, so no join is needed here.
    return (f"{_T}, {_PG_QUERY} q WHERE {_T}.document @@ q", [q.websearch()],
            f"(-ts_rank({_T}.document, q))::float8", _T)


def _newest_first(frm: str, params: list, key: str) -> str:
    """ORDER BY for "the newest matches first", written for the plan that reads fewer rows.

    PostgreSQL may walk the post ids backwards, testing each row against the query, or take
    every match from the GIN index and sort them. Walking wins for a frequent word (a thousand
    matches turn up in the newest few thousand rows); gathering wins for a word in one post of
    a few hundred, where walking reads a quarter of the table. The planner underrates the cost
    of testing a row and walks too often, so its own estimate of the matches decides here.
    Walking reads rows in page order (a dozen to a page), gathering one page per match, so
    they cost about the same at sqrt(2 x window x rows) / 4 matches (measured at a million
    posts: bench/RESULTS.md). (`+ 0` keeps it off the id index.) SQLite's FTS5 hands out
    matches in id order itself.
    """
    if connection.vendor != "postgresql":
        return f"{key} DESC"
    with connection.cursor() as db:
        db.execute(f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {frm}", params)
        plan = db.fetchone()[0]
        matches = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]["Plan Rows"]
        db.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [_T])
        rows = max(float(db.fetchone()[0] or 0), 1.0)
    return f"{key} + 0 DESC" if matches < (2 * rank_window() * rows) ** 0.5 / 4 else f"{key} DESC"


def _ranked(viewer: Member, q: Query, f: Filters, sort: str, cursor: str | None, n: int
            ) -> tuple[list[tuple[int, float]], str | None]:
    frm, params, rank, row = _match(q)
    scope, scope_params = _scope(viewer, f, row)
    key = f"{_T}.rowid" if connection.vendor == "sqlite" else f"{_T}.post_id"
    after, after_params, floor = "", [], 0
    if sort == "newest":
        if cursor:
            (last_id,) = paging.decode_cursor(cursor, [int])
            after, after_params = f" AND {key} < %s", [last_id]
        sql = (f"SELECT {key}, 0.0 FROM {frm} AND {scope}{after} ORDER BY {_newest_first(frm, params, key)}, "
               f"{key} DESC LIMIT %s")
    elif cursor:  # a later page: the same window, by the floor the first page found
        last_rank, last_id, floor = paging.decode_cursor(cursor, [float, int, int])
        window = f" AND {key} >= %s" if floor else ""
        scope_params = [*scope_params, *([floor] if floor else [])]
        after_params = [last_rank, last_rank, last_id]
        sql = (f"SELECT id, r FROM (SELECT {key} AS id, {rank} AS r FROM {frm} AND {scope}{window}) ranked "
               f"WHERE r > %s OR (r = %s AND id < %s) ORDER BY r, id DESC LIMIT %s")
    else:  # the first page: rank the newest matches of the window, and note where it ends
        sql = (f"SELECT id, r, MIN(id) OVER (), COUNT(*) OVER () FROM (SELECT {key} AS id, {rank} AS r "
               f"FROM {frm} AND {scope} ORDER BY {_newest_first(frm, params, key)} LIMIT {rank_window():d}) recent "
               f"ORDER BY r, id DESC LIMIT %s")
    with connection.cursor() as db:
        db.execute(sql, [*params, *scope_params, *after_params, n + 1])
        found = db.fetchall()
    rows = [(r[0], float(r[1])) for r in found]
    if sort != "newest" and not cursor:
        # The window's oldest post bounds the later pages; 0 when every match fitted in it.
        floor = found[0][2] if found and found[0][3] >= rank_window() else 0
    if len(rows) <= n:
        return rows, None
    rows = rows[:n]
    last_id, last_rank = rows[-1]
    return rows, paging.encode_cursor([last_id] if sort == "newest" else [last_rank, last_id, floor])


def _marked(text: str) -> SafeString:
    """Escape the engine's text, then turn its markers into <mark>: the only markup a snippet has."""
    safe = escape(text)
    return mark_safe(safe.replace(index.MARK_START, "<mark>").replace(index.MARK_END, "</mark>"))  # noqa: S308


def _snippets(q: Query, ids: list[int]) -> dict[int, tuple[str, str]]:
    """(title, body snippet) with markers, for the page's posts only."""
    if not ids:
        return {}
    in_ids = ", ".join(str(int(i)) for i in ids)
    s, e = index.MARK_START, index.MARK_END
    with connection.cursor() as db:
        if connection.vendor == "sqlite":
            db.execute(f"SELECT rowid, highlight({_T}, 0, %s, %s), snippet({_T}, 1, %s, %s, '…', {SNIPPET_WORDS}) "
                       f"FROM {_T} WHERE {_T} MATCH %s AND rowid IN ({in_ids})", [s, e, s, e, q.fts5()])
        else:
            options = f"StartSel={s}, StopSel={e}"
            db.execute(f"SELECT p.id, ts_headline('{index.PG_CONFIG}'::regconfig, p.title, q, %s), "
                       f"ts_headline('{index.PG_CONFIG}'::regconfig, p.body, q, %s) "
                       f"FROM {_POST} p, {_PG_QUERY} q WHERE p.id IN ({in_ids})",
                       [f"{options}, HighlightAll=true",
                        f"{options}, MaxWords={SNIPPET_WORDS}, MinWords=12", q.websearch()])
        return {r[0]: (r[1] or "", r[2] or "") for r in db.fetchall()}


def _readable_rows(viewer: Member) -> QuerySet[Post]:
    return Post.objects.visible_to(viewer)


def posts(viewer: Member, text: object, *, sort: object = None, cursor: str | None = None, limit: object = None,
          **filter_args: object) -> Results:
    """A page of the posts and replies matching `text` that `viewer` may read."""
    q = parse(text)
    sort = sort or "relevance"
    if sort not in SORTS:
        raise InvalidInput(f"The order must be one of: {', '.join(SORTS)}.", field="sort")
    f = filters(viewer, **filter_args)
    n = paging.page_size(limit)
    if not viewer.is_authenticated:
        return Results(q, [], None, sort)
    rows, next_cursor = _ranked(viewer, q, f, str(sort), cursor, n)
    ids = [r[0] for r in rows]
    # The policy again on the page's rows: a post hidden since it was indexed is dropped here.
    found = {p.id: p for p in _readable_rows(viewer).filter(id__in=ids, deleted_at__isnull=True)
             .select_related("author", "community", "root")}
    marks = _snippets(q, ids)
    hits = []
    for post_id, rank in rows:
        post = found.get(post_id)
        if post is None:  # removed since it was indexed (the consumer unindexes it just after)
            continue
        title, body = marks.get(post_id, (post.title, post.body[:200]))
        hits.append(Hit(post, _marked(title), _marked(body), rank))
    return Results(q, hits, next_cursor, str(sort))


# --- people, communities, topics --------------------------------------------------------------

def people(viewer: Member, q: Query, limit: int = OTHERS_LIMIT) -> list[Member]:
    """Members the viewer may see whose name or handle holds every word."""
    qs: QuerySet[Member] = Member.objects.visible_to(viewer)
    for word in q.words:
        qs = qs.filter(Q(name__icontains=word) | Q(handle__icontains=word))
    return list(qs.order_by("name", "id")[:limit])


def communities(viewer: Member, q: Query, limit: int = OTHERS_LIMIT) -> list[Community]:
    """Communities the viewer may know exist whose name or purpose holds every word."""
    qs = access.visible_communities(viewer)
    for word in q.words:
        qs = qs.filter(Q(name__icontains=word) | Q(purpose__icontains=word))
    return list(qs.order_by("-member_count", "name", "id")[:limit])


def topics(viewer: Member, q: Query, limit: int = OTHERS_LIMIT) -> list[Topic]:
    """Topics starting with the first word that the viewer can read at least one live post with:
    a topic used only where the viewer cannot read is unknown to them (as on its feed)."""
    readable = Post.objects.filter(access.readable_posts_filter(viewer), topics=OuterRef("pk"), deleted_at__isnull=True)
    word = q.words[0]
    return list(Topic.objects.filter(name__startswith=word).filter(Exists(readable)).order_by("name")[:limit])


def search(viewer: Member, text: object, *, sort: object = None, cursor: str | None = None, limit: object = None,
           **filter_args: object) -> Results:
    """The search page: a page of posts, and on its first page without filters the people,
    communities and topics that match."""
    results = posts(viewer, text, sort=sort, cursor=cursor, limit=limit, **filter_args)
    if viewer.is_authenticated and not cursor and not any(v not in (None, "", False) for v in filter_args.values()):
        results.people = people(viewer, results.query)
        results.communities = communities(viewer, results.query)
        results.topics = topics(viewer, results.query)
    return results
