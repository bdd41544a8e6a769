"""Tamper evidence for the stream: every record carries a hash chaining it to the one before.

A record's hash is SHA-256 over the previous record's hash and the record's own content (its
id, time, actor, verb, object, target, community and details, in one canonical form). The
record also keeps the previous hash it was chained to, so `verify` can tell a changed record
(its content no longer gives its hash) from a removed or inserted one (it no longer follows
the record before it). On PostgreSQL a trigger refuses UPDATE and DELETE on the table
(migration 0010); on SQLite the file belongs to whoever runs the server, and the chain is
what shows a change.

Appends are serialised so the chain is one line: on PostgreSQL a transaction-scoped advisory
lock (held until the act commits, so ids follow the chain), on SQLite the one writer lock
that IMMEDIATE transactions take at BEGIN. Every writer of the table goes through here:
`append` for one act (stream.record), `append_many` for ORM objects, `bulk_sealer` for the
BulkWriter's rows (demo organisation, benchmarks).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.db import connection

if TYPE_CHECKING:
    from socialfabric.activity.models import Activity

GENESIS = bytes(32)  # what the first record chains to
_LOCK_KEY = 0x5F_AC_71_71  # the advisory lock's key: any constant no other code uses
_FIELDS = ("id", "created_at", "actor_id", "verb", "object_type", "object_id", "target_id", "community_id",
           "details")


def _number(value: Any) -> Any:
    # PostgreSQL's jsonb reads 1e16 back as an int: integral floats hash as ints so both
    # databases give one hash for one record.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _number(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_number(v) for v in value]
    return value


def _when(value: datetime | str) -> str:
    if isinstance(value, str):  # the BulkWriter's SQLite form: naive UTC text
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def link(prev: bytes, ident: int, created_at: datetime | str, actor_id: int | None, verb: str, object_type: str,
         object_id: int | None, target_id: int | None, community_id: int | None, details: dict | None) -> bytes:
    """The hash of one record chained to `prev`."""
    content = json.dumps(
        [ident, _when(created_at), actor_id, str(verb), str(object_type), object_id, target_id, community_id,
         _number(details or {})],
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    )
    return hashlib.sha256(prev + content.encode()).digest()


def _table() -> str:
    from socialfabric.activity.models import Activity

    return Activity._meta.db_table


class _Head:
    """The chain's end, read under the append lock: the last id and hash."""

    def __init__(self) -> None:
        if not connection.in_atomic_block:
            raise RuntimeError("appending to the activity stream must run inside a transaction")
        q = connection.ops.quote_name
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
            cursor.execute(f"SELECT id, hash FROM {q(_table())} ORDER BY id DESC LIMIT 1")
            row = cursor.fetchone()
        self.id: int = row[0] if row else 0
        self.hash: bytes = bytes(row[1]) if row and row[1] else GENESIS

    def ids(self, n: int) -> list[int]:
        """Ids for the next n records, in chain order."""
        if connection.vendor == "postgresql":
            # From the table's sequence, so inserts that take the default never collide; the
            # lock keeps them increasing along the chain.
            with connection.cursor() as cursor:
                cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                               [_table(), n])
                out = sorted(r[0] for r in cursor.fetchall())
        else:
            out = list(range(self.id + 1, self.id + n + 1))
        return out

    def seal(self, a: Activity, ident: int) -> None:
        a.id = ident
        a.prev_hash = self.hash
        a.hash = link(self.hash, ident, a.created_at, a.actor_id, a.verb, a.object_type, a.object_id,
                      a.target_id, a.community_id, a.details)
        self.id, self.hash = ident, a.hash


def append(activity: Activity) -> Activity:
    """Give one unsaved record its id and hash, and insert it."""
    head = _Head()
    head.seal(activity, head.ids(1)[0])
    activity.save(force_insert=True)
    return activity


def append_many(activities: Sequence[Activity]) -> list[Activity]:
    """Insert unsaved records in order, chained (a bulk insert: no signals, no consumers)."""
    from socialfabric.activity.models import Activity

    if not activities:
        return []
    head = _Head()
    for a, ident in zip(activities, head.ids(len(activities)), strict=True):
        head.seal(a, ident)
    return Activity.objects.bulk_create(activities, batch_size=5000)


def bulk_sealer(columns: Sequence[str]) -> tuple[list[str], Callable[[tuple], tuple]]:
    """For a BulkWriter: the columns to register and a function sealing each row.

    Rows come in `columns` order (attnames of Activity, without id and hashes); each one
    leaves with its id and hashes appended, in the order it was added. The chain's end is
    read (and on PostgreSQL locked) at the first row, so nothing else may append to the
    stream until the writer has finished.
    """
    missing = [f for f in ("actor_id", "verb", "created_at") if f not in columns]
    if missing or any(c in columns for c in ("id", "hash", "prev_hash")):
        raise ValueError(f"bulk activity rows need {missing} and must leave id and hashes to the chain")
    at = {c: i for i, c in enumerate(columns)}
    state: list[_Head] = []

    def pick(row: tuple, name: str, default: Any = None) -> Any:
        i = at.get(name)
        return default if i is None else row[i]

    def seal(row: tuple) -> tuple:
        if not state:
            # The writer gives these ids itself and moves the sequence past them in finish().
            state.append(_Head())
        head = state[0]
        ident = head.id + 1
        details = pick(row, "details", {})
        if isinstance(details, str):
            details = json.loads(details)
        digest = link(head.hash, ident, pick(row, "created_at"), pick(row, "actor_id"), pick(row, "verb"),
                      pick(row, "object_type", ""), pick(row, "object_id"), pick(row, "target_id"),
                      pick(row, "community_id"), details)
        sealed = (*row, ident, head.hash, digest)
        head.id, head.hash = ident, digest
        return sealed

    return [*columns, "id", "prev_hash", "hash"], seal


@dataclass
class Verdict:
    checked: int
    broken_id: int | None = None
    reason: str = ""
    head_id: int | None = None
    head_hash: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_id is None


def _rows(chunk: int = 20_000) -> Iterator[tuple]:
    from socialfabric.activity.models import Activity

    # Keyset pages in id order: a steady pace on a table of millions, on both databases.
    last: int | None = None
    while True:
        rows = Activity.objects.order_by("id") if last is None else Activity.objects.filter(id__gt=last)
        page = list(rows.order_by("id").values_list(*_FIELDS, "prev_hash", "hash")[:chunk])
        if not page:
            return
        yield from page
        last = page[-1][0]


def verify(progress: Callable[[int], None] | None = None) -> Verdict:
    """Recompute the chain from the first record; stop at the first broken one.

    A record is broken when its content no longer gives its hash (it was changed), when it
    sits where no record was (inserted: the one after it follows the one before it), or when
    it does not follow the record before it (one was removed between them).
    """
    rows = _rows()
    prev, prev_id, before_prev, checked = GENESIS, None, None, 0
    for ident, *content, stored_prev, stored in rows:
        stored_prev, stored = bytes(stored_prev or b""), bytes(stored or b"")
        whole = bool(stored) and link(stored_prev, ident, *content) == stored
        if whole and stored_prev == prev:
            before_prev, prev, prev_id = prev, stored, ident
            checked += 1
            if progress and checked % 50_000 == 0:
                progress(checked)
            continue
        if not whole:
            after = next(rows, None)
            if after is not None and bytes(after[-2] or b"") == prev:
                return Verdict(checked, ident, f"record {ident} was inserted: record {after[0]} follows "
                                               f"{f'record {prev_id}' if prev_id else 'the start'} directly")
            if not stored:
                return Verdict(checked, ident, f"record {ident} has no hash: it was written around the chain")
            return Verdict(checked, ident, f"record {ident} was changed: its content no longer gives its hash")
        if prev_id is None:
            return Verdict(checked, ident, f"record {ident} is the first but does not start the chain: "
                                           "the records before it were removed")
        if stored_prev == before_prev:
            return Verdict(checked - 1, prev_id, f"record {prev_id} was inserted: record {ident} follows "
                                                 "the record before it directly")
        return Verdict(checked, ident, f"record {ident} does not follow record {prev_id}: a record between "
                                       f"them was removed (or record {prev_id} was changed and given a new hash)")
    if progress:
        progress(checked)
    return Verdict(checked, head_id=prev_id, head_hash=prev.hex() if prev_id else "")
