"""Append rows to tables fast, inside the caller's transaction: the one bulk write path.

The people import, the demo organisation and the benchmark's generator write through it; the
services are the path for single acts. Whoever bulk-writes rows writes them as the services would (the activity
row of every act included), and computes the denormalised fields itself.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, models


class BulkWriter:
    """Append rows to tables fast, inside the caller's transaction.

    Register a model with the attnames you supply (`register(Post, ["id", "body", ...])`),
    then `add(Post, row_tuple)`. Columns you leave out get the field default, so a field
    added to a model later does not break the writer. Datetimes go through `when()`.
    SQLite gets executemany on the raw connection; PostgreSQL gets COPY. `finish()`
    flushes and moves id sequences past ids that were given explicitly.
    """

    def __init__(self, using: str = DEFAULT_DB_ALIAS, batch_size: int = 20_000) -> None:
        self.connection = connections[using]
        self.connection.ensure_connection()
        self.vendor = self.connection.vendor
        self.batch_size = batch_size
        self.counts: Counter[str] = Counter()
        self._sql: dict[type[models.Model], str] = {}
        self._extra: dict[type[models.Model], tuple] = {}
        self._rows: dict[type[models.Model], list[tuple]] = {}
        self._explicit_ids: list[type[models.Model]] = []
        self._on_row: dict[type[models.Model], Callable[[tuple], tuple]] = {}
        self._cache_size: int | None = None
        if self.vendor == "sqlite":
            # SQLite's default 2 MB page cache makes every index insert a disk read once the
            # indexes outgrow it (minutes instead of seconds); give it room while we write.
            raw = self.connection.connection
            self._cache_size = raw.execute("PRAGMA cache_size").fetchone()[0]
            raw.execute("PRAGMA cache_size = -512000")

    def register(self, model: type[models.Model], columns: Sequence[str],
                 on_row: Callable[[tuple], tuple] | None = None) -> None:
        """`on_row` turns each added row into the one written, in the order added (the
        activity chain seals rows this way: `activity.chain.bulk_sealer`)."""
        if self._rows.get(model):
            self.flush(model)
        meta = model._meta
        by_attname = {f.attname: f for f in meta.concrete_fields}
        unknown = [c for c in columns if c not in by_attname]
        if unknown:
            raise ValueError(f"{meta.label} has no columns {unknown}")
        extra_fields = [f for f in meta.concrete_fields if f.attname not in columns and not f.primary_key]
        for f in extra_fields:
            if not f.has_default() and not f.null:
                raise ValueError(f"{meta.label}.{f.attname} has no default: supply it")
        # Defaults are constants here (one timestamp for `now`): fine for bulk rows.
        extra = tuple(f.get_db_prep_save(f.get_default(), self.connection) for f in extra_fields)
        names = [by_attname[c].column for c in columns] + [f.column for f in extra_fields]
        q = self.connection.ops.quote_name
        cols = ", ".join(q(n) for n in names)
        if self.vendor == "postgresql":
            self._sql[model] = f"COPY {q(meta.db_table)} ({cols}) FROM STDIN"
        else:
            self._sql[model] = f"INSERT INTO {q(meta.db_table)} ({cols}) VALUES ({', '.join('?' * len(names))})"
        self._extra[model] = extra
        self._rows[model] = []
        if on_row is not None:
            self._on_row[model] = on_row
        else:
            self._on_row.pop(model, None)
        if meta.pk.attname in columns:
            self.gave_ids(model)

    def gave_ids(self, model: type[models.Model]) -> None:
        """Note a table whose ids were given explicitly: its sequence moves on in finish()."""
        if model not in self._explicit_ids:
            self._explicit_ids.append(model)

    def next_id(self, model: type[models.Model]) -> Iterator[int]:
        """Ids to give explicitly: past every row already in the table."""
        top = model._default_manager.using(self.connection.alias).aggregate(m=models.Max("pk"))["m"] or 0
        return itertools.count(top + 1)

    def when(self, epoch: int) -> Any:
        """A UTC epoch second as the database wants it."""
        if self.vendor == "sqlite":
            # Django stores aware datetimes on SQLite as naive UTC text.
            return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch))
        return datetime.fromtimestamp(epoch, UTC)

    def add(self, model: type[models.Model], row: tuple) -> None:
        rows = self._rows[model]
        on_row = self._on_row.get(model)
        rows.append(on_row(row) if on_row else row)
        if len(rows) >= self.batch_size:
            # Everything, in registration order: a row never lands before the rows it points to.
            # (On SQLite an outstanding deferred foreign key makes every later parent insert
            # scan its child tables, which turns seconds into minutes.)
            self.flush()

    def flush(self, model: type[models.Model] | None = None) -> None:
        for m in [model] if model else list(self._rows):
            rows = self._rows[m]
            if not rows:
                continue
            extra = self._extra[m]
            if extra:
                rows = [r + extra for r in rows]
            if self.vendor == "postgresql":
                with self.connection.cursor() as cursor, cursor.cursor.copy(self._sql[m]) as copy:
                    for r in rows:
                        copy.write_row(r)
            elif self.vendor == "sqlite":
                self.connection.connection.executemany(self._sql[m], rows)
            else:
                with self.connection.cursor() as cursor:
                    cursor.executemany(self._sql[m].replace("?", "%s"), rows)
            self.counts[m._meta.label] += len(rows)
            self._rows[m] = []

    def update(self, model: type[models.Model], attname: str, pairs: Sequence[tuple[Any, int]]) -> None:
        """Set one column by primary key: pairs of (value, pk). Flushes pending rows first."""
        self.update_rows(model, [attname], pairs)

    def update_rows(self, model: type[models.Model], attnames: Sequence[str], rows: Sequence[tuple]) -> None:
        """Set columns by primary key: rows of (value, ..., pk), values in `attnames` order and
        prepared for the database (ids for foreign keys). Flushes pending rows first."""
        self.flush()
        if not rows:
            return
        meta, q = model._meta, self.connection.ops.quote_name
        by_attname = {f.attname: f for f in meta.concrete_fields}
        sets = ", ".join(f"{q(by_attname[a].column)} = %s" for a in attnames)
        sql = f"UPDATE {q(meta.db_table)} SET {sets} WHERE {q(meta.pk.column)} = %s"
        with self.connection.cursor() as cursor:
            cursor.executemany(sql, list(rows))

    def finish(self) -> None:
        self.flush()
        if self._cache_size is not None:
            self.connection.connection.execute(f"PRAGMA cache_size = {int(self._cache_size)}")
        statements = self.connection.ops.sequence_reset_sql(no_style(), self._explicit_ids)
        if statements:
            with self.connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)
