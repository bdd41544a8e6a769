"""Keyset (cursor) pagination, one codec for every list: feeds, API lists and web directories.

A list is ordered by a few fields ending in a unique one (the id). Its cursor is the opaque
URL-safe base64 of a JSON list of the last row's values for those fields (a timestamp as ISO
text); the next page is the rows strictly after it in that order. No OFFSET: pages stay
cheap deep into a list and stable while rows are added.

A cursor comes back from the client, so decoding trusts nothing: each value must have the
exact kind the list orders by and lie in the range the databases take, else the one
InvalidInput below, never a 500 from the database.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q, QuerySet

from socialfabric.errors import InvalidInput
from socialfabric.validation import MAX_ID, is_storable

__all__ = [
    "BAD_CURSOR",
    "DIRECTORY_PAGE_SIZE",
    "MAX_CURSOR_CHARS",
    "MAX_ID",
    "decode_cursor",
    "decode_feed_cursor",
    "encode_cursor",
    "encode_feed_cursor",
    "keyset_page",
    "page_size",
]

BAD_CURSOR = "The cursor is not one this server gave out."
# The longest cursor we hand out: a 150-character name of JSON-escaped characters (6 bytes each)
# plus an id, in base64. Anything longer is not ours, and is refused before any decoding work.
MAX_CURSOR_CHARS = 2000
# The people directory pages by a grid of cards: 24 fills 2, 3 and 4 columns evenly.
DIRECTORY_PAGE_SIZE = 24

Value = int | float | str | datetime


def page_size(limit: object) -> int:
    """The number of rows a page holds: the default when no limit is given, else 1 to the maximum."""
    if limit is None or limit == "":
        return settings.SOCIALFABRIC_PAGE_SIZE
    # Only ints and digit strings: int() would truncate 2.5, take True as 1 and overflow on inf.
    if isinstance(limit, bool) or not isinstance(limit, int | str):
        raise InvalidInput("The limit must be a whole number.", field="limit")
    try:
        n = int(limit)
    except ValueError:
        raise InvalidInput("The limit must be a whole number.", field="limit") from None
    if not 1 <= n <= settings.SOCIALFABRIC_MAX_PAGE_SIZE:
        raise InvalidInput(f"The limit must be between 1 and {settings.SOCIALFABRIC_MAX_PAGE_SIZE}.", field="limit")
    return n


# --- the codec --------------------------------------------------------------------------------

def _bad() -> InvalidInput:
    return InvalidInput(BAD_CURSOR, field="cursor")


# Built once: json.dumps with options builds an encoder per call, a third of a feed cursor's cost.
# ensure_ascii=False: UTF-8 takes at most 4 bytes a character where \uXXXX escapes take up to 12.
_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def encode_cursor(values: Sequence[Value]) -> str:
    """The opaque cursor for a row's ordering values."""
    data = _JSON.encode([v.isoformat() if isinstance(v, datetime) else v for v in values]).encode()
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _check(value: Any, kind: type) -> Value:
    # Exact type checks: bool is an int, and out-of-range ints or NUL text would reach the database.
    if kind is datetime:
        if type(value) is not str:
            raise _bad()
        try:
            when = datetime.fromisoformat(value)
            # Normalise to UTC here: a far-off offset (year 1 at +05:00) would overflow later, in the query.
            utc = when.astimezone(UTC) if when.tzinfo is not None else None
        except (ValueError, OverflowError):
            raise _bad() from None
        if utc is None:  # a naive time is ambiguous; we only ever hand out aware ones
            raise _bad()
        return utc
    if kind is float:  # a search rank: any finite number (JSON writes 2.0 as 2.0, but accept 2)
        if type(value) not in (float, int):
            raise _bad()
        try:
            number = float(value)
        except OverflowError:  # an int of 400 digits
            raise _bad() from None
        if not math.isfinite(number):
            raise _bad()
        return number
    if type(value) is not kind:
        raise _bad()
    if kind is int and not 0 <= value <= MAX_ID:
        raise _bad()
    if kind is str and not is_storable(value):
        raise _bad()
    return value


def decode_cursor(cursor: object, kinds: Sequence[type]) -> list[Value]:
    """The values a cursor carries, one per kind (int, float, str or datetime), or InvalidInput."""
    if not isinstance(cursor, str) or len(cursor) > MAX_CURSOR_CHARS:
        raise _bad()
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except (ValueError, UnicodeDecodeError, binascii.Error, RecursionError):
        raise _bad() from None
    if type(values) is not list or len(values) != len(kinds):
        raise _bad()
    return [_check(v, k) for v, k in zip(values, kinds, strict=True)]


# --- feeds: (last_activity_at, id), read by the feed's hand-written statement -----------------

_FEED_KINDS = (datetime, int)


def encode_feed_cursor(last_activity_at: datetime, ident: int) -> str:
    return encode_cursor([last_activity_at, ident])


def decode_feed_cursor(cursor: object) -> tuple[datetime, int]:
    when, ident = decode_cursor(cursor, _FEED_KINDS)
    return when, ident  # type: ignore[return-value]


# --- querysets --------------------------------------------------------------------------------

def _kind(model: type[models.Model], name: str) -> type:
    field = model._meta.get_field(name)
    if isinstance(field, models.ForeignKey):
        field = field.target_field
    if isinstance(field, models.IntegerField | models.AutoField):
        return int
    if isinstance(field, models.CharField | models.TextField):
        return str
    if isinstance(field, models.DateTimeField):
        return datetime
    raise TypeError(f"Keyset pagination does not support ordering by {name!r}")  # a programming error


def _after(order: Sequence[tuple[str, bool]], values: Sequence[Value]) -> Q:
    """Rows strictly after `values` in lexicographic `order` ((field, descending), ...)."""
    q = Q()
    for i, (name, desc) in enumerate(order):
        step = Q(**{f"{name}__{'lt' if desc else 'gt'}": values[i]})
        for j, (prev_name, _desc) in enumerate(order[:i]):
            step &= Q(**{prev_name: values[j]})
        q |= step
    return q


def keyset_page(qs: QuerySet, order: Sequence[str], cursor: str | None, limit: object) -> tuple[list, str | None]:
    """One page of `qs` in `order` (local fields ending in a unique one, e.g. ("name", "id") or
    ("-id",)) and the next page's cursor, None on the last page."""
    n = page_size(limit)
    fields = [(f.lstrip("-"), f.startswith("-")) for f in order]
    qs = qs.order_by(*order)
    if cursor is not None and cursor != "":  # a non-string cursor is bad input, not "no cursor"
        qs = qs.filter(_after(fields, decode_cursor(cursor, [_kind(qs.model, name) for name, _ in fields])))
    rows = list(qs[: n + 1])
    more = len(rows) > n
    rows = rows[:n]
    if not more:
        return rows, None
    last = rows[-1]
    return rows, encode_cursor([getattr(last, qs.model._meta.get_field(name).attname) for name, _ in fields])
