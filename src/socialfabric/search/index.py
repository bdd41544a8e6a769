"""The full-text index of posts and replies: one interface, two engines.

SQLite (the embedded default): an FTS5 table `search_post` whose rowid is the post's id,
columns title, body, author (name and handle), community (name) and topics, tokenised by
unicode61 with diacritics folded (and Porter stemming when the language is English).

PostgreSQL: a table `search_post` (post_id, document tsvector) with a GIN index; the
document weighs the title A, topics and author B, the community C and the body D, in the
text search configuration `socialfabric_search` (a copy of SOCIALFABRIC_SEARCH_LANGUAGE,
with `unaccent` in front of it where that extension can be installed).

Only live posts are indexed; the search statement joins the post table anyway, so a row
the index still holds for a removed post never comes back. Every write here is
set-based (INSERT ... SELECT), so indexing one post and rebuilding a million are the
same statement with a different WHERE.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import connection, transaction

from socialfabric.communities.models import Community
from socialfabric.conversations.models import Post, PostState, Topic
from socialfabric.org.models import Member

log = logging.getLogger(__name__)

TABLE = "search_post"
PG_CONFIG = "socialfabric_search"
_POST, _MEMBER, _COMMUNITY = Post._meta.db_table, Member._meta.db_table, Community._meta.db_table
_POST_TOPICS, _TOPIC = Post.topics.through._meta.db_table, Topic._meta.db_table
# Snippet markers: control characters no stored text holds (names and bodies refuse them),
# turned into <mark> after the text around them is escaped.
MARK_START, MARK_END = "\x02", "\x03"


def language() -> str:
    """The text search language (PostgreSQL configuration name; English also stems on SQLite)."""
    return getattr(settings, "SOCIALFABRIC_SEARCH_LANGUAGE", "english")


def _tokenizer() -> str:
    base = "unicode61 remove_diacritics 2"
    return f"porter {base}" if language() == "english" else base


def create(schema_editor=None) -> None:
    """Create the index structures for this database (a migration, or a rebuild after a change
    of language). Leaves them empty; `rebuild` fills them."""
    with connection.cursor() as db:
        if connection.vendor == "sqlite":
            db.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5(title, body, author, community, "
                       f"topics, tokenize = '{_tokenizer()}')")
            return
        _create_pg_config(db)
        # No foreign key: the statement joins the post table, so an entry whose post is gone never
        # comes back, and Django's flush may empty the two tables in any order. The post's community,
        # author, kind and time ride along: the read policy and the filters are checked on this
        # table alone, which keeps PostgreSQL's planner on the GIN index (joining the post table
        # first made it scan every post).
        db.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (post_id bigint PRIMARY KEY, community_id bigint NOT NULL, "
                   f"author_id bigint NOT NULL, kind varchar(12) NOT NULL, created_at timestamptz NOT NULL, "
                   f"document tsvector NOT NULL)")
        db.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_document ON {TABLE} USING gin (document)")


def _create_pg_config(db) -> None:
    lang = language()
    if not lang.replace("_", "").isalnum():  # a configuration name, never text to splice blindly
        raise ValueError(f"SOCIALFABRIC_SEARCH_LANGUAGE must be a text search configuration name, not {lang!r}")
    db.execute("SELECT 1 FROM pg_ts_config WHERE cfgname = %s", [PG_CONFIG])
    if db.fetchone():
        return
    db.execute(f"CREATE TEXT SEARCH CONFIGURATION {PG_CONFIG} (COPY = pg_catalog.{lang})")
    # unaccent is a trusted extension (PostgreSQL 13+): a database owner may install it. Where
    # it cannot be, search still works, only without folding accents (café is not cafe).
    try:
        with transaction.atomic():
            db.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
            db.execute("SELECT dictname FROM pg_ts_config_map m JOIN pg_ts_dict d ON d.oid = m.mapdict "
                       "JOIN pg_ts_config c ON c.oid = m.mapcfg WHERE c.cfgname = %s AND m.maptokentype = "
                       "(SELECT tokid FROM ts_token_type('default') WHERE alias = 'word') ORDER BY m.mapseqno",
                       [PG_CONFIG])
            dictionaries = ", ".join(["unaccent", *(r[0] for r in db.fetchall())])
            db.execute(f"ALTER TEXT SEARCH CONFIGURATION {PG_CONFIG} ALTER MAPPING FOR hword, hword_part, word "
                       f"WITH {dictionaries}")
    except Exception as exc:  # noqa: BLE001 - any refusal means the same: go on without it
        log.warning("search: unaccent not available (%s); accents are not folded", exc)


def drop() -> None:
    with connection.cursor() as db:
        db.execute(f"DROP TABLE IF EXISTS {TABLE}")
        if connection.vendor == "postgresql":
            db.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {PG_CONFIG}")


# --- what a post's entry holds ------------------------------------------------------------------

def _source_sql(where: str, row: bool = False) -> str:
    """id, title, body, author, community, topics (and with `row` community_id, author_id, kind,
    created_at) of the live posts matching `where` (on p)."""
    topics = "group_concat(t.name, ' ')" if connection.vendor == "sqlite" else "string_agg(t.name, ' ')"
    return (f"SELECT p.id, p.title, p.body, m.name || ' ' || m.handle, c.name, "
            f"COALESCE((SELECT {topics} FROM {_POST_TOPICS} pt JOIN {_TOPIC} t ON t.id = pt.topic_id "
            f"WHERE pt.post_id = p.id), '')"
            f"{', p.community_id, p.author_id, p.kind, p.created_at' if row else ''} "
            f"FROM {_POST} p JOIN {_MEMBER} m ON m.id = p.author_id JOIN {_COMMUNITY} c ON c.id = p.community_id "
            f"WHERE p.deleted_at IS NULL AND p.state = '{PostState.PUBLISHED}' AND (p.root_id IS NULL OR "
            f"p.root_id IN (SELECT r.id FROM {_POST} r WHERE r.id = p.root_id AND r.state = '{PostState.PUBLISHED}'))"
            f" AND ({where})")


def _insert_sql(where: str) -> str:
    if connection.vendor == "sqlite":
        return f"INSERT INTO {TABLE} (rowid, title, body, author, community, topics) {_source_sql(where)}"
    cfg = f"'{PG_CONFIG}'::regconfig"
    return (f"INSERT INTO {TABLE} (post_id, community_id, author_id, kind, created_at, document) "
            f"SELECT s.id, s.community_id, s.author_id, s.kind, s.created_at, "
            f"setweight(to_tsvector({cfg}, s.title), 'A') || setweight(to_tsvector({cfg}, s.topics), 'B') || "
            f"setweight(to_tsvector({cfg}, s.author), 'B') || setweight(to_tsvector({cfg}, s.community), 'C') || "
            f"setweight(to_tsvector({cfg}, s.body), 'D') "
            f"FROM ({_source_sql(where, row=True)}) "
            f"AS s (id, title, body, author, community, topics, community_id, author_id, kind, created_at)")


def _key() -> str:
    return "rowid" if connection.vendor == "sqlite" else "post_id"


def _ids(ids: Iterable[int]) -> str:
    return ", ".join(str(int(i)) for i in ids)


def index_posts(post_ids: Iterable[int]) -> None:
    """(Re)write the entries of these posts: live ones get their current text, removed ones none."""
    ids = _ids(sorted(set(post_ids)))
    if not ids:
        return
    with transaction.atomic(), connection.cursor() as db:
        db.execute(f"DELETE FROM {TABLE} WHERE {_key()} IN ({ids})")
        db.execute(_insert_sql(f"p.id IN ({ids})"))


def unindex_posts(post_ids: Iterable[int]) -> None:
    ids = _ids(sorted(set(post_ids)))
    if ids:
        with connection.cursor() as db:
            db.execute(f"DELETE FROM {TABLE} WHERE {_key()} IN ({ids})")


def index_posts_where(where: str, params: list) -> None:
    """Re-index the live posts matching an SQL condition on `p` (an author renamed: their posts)."""
    with transaction.atomic(), connection.cursor() as db:
        db.execute(f"SELECT p.id FROM {_POST} p WHERE {where}", params)
        ids = [r[0] for r in db.fetchall()]
    for start in range(0, len(ids), 5000):
        index_posts(ids[start:start + 5000])


def count() -> int:
    with connection.cursor() as db:
        db.execute(f"SELECT COUNT(*) FROM {TABLE}")
        return db.fetchone()[0]


def rebuild(batch: int = 50_000, progress: Callable[[int, int], None] | None = None) -> int:
    """Empty the index and write every live post again, in id ranges of `batch` (each its own
    transaction, so searches go on meanwhile and a stop leaves a consistent, partial index).
    Calls `progress(done, total)` after each range. Returns the number of entries."""
    with connection.cursor() as db:
        db.execute(f"SELECT COALESCE(MAX(id), 0), COUNT(*) FROM {_POST} WHERE deleted_at IS NULL")
        top, total = db.fetchone()
    drop()
    create()
    done = 0
    for start in range(0, top, batch):
        with transaction.atomic(), connection.cursor() as db:
            db.execute(_insert_sql(f"p.id > {int(start)} AND p.id <= {int(start + batch)}"))
            done += max(db.rowcount, 0)
        if progress:
            progress(min(done, total), total)
    if connection.vendor == "postgresql":
        with connection.cursor() as db:
            db.execute(f"ANALYZE {TABLE}")
    return count()
