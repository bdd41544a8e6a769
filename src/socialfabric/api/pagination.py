"""Keyset (cursor) pagination for the API's lists: no OFFSET, stable under inserts.

A list is ordered by a few local fields ending in a unique one (the id). The cursor is
the opaque base64 of the last row's values for those fields; the next page is the rows
strictly after it in that order. Feeds use their own cursor (feed.services).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any

from django.db import models
from django.db.models import Q, QuerySet

from socialfabric.errors import InvalidInput
from socialfabric.feed.services import page_size

MAX_ID = 2**63 - 1
_BAD_CURSOR = "The cursor is not one this server gave out."


def _kind(model: type[models.Model], name: str) -> type:
    field = model._meta.get_field(name)
    if isinstance(field, models.ForeignKey):
        field = field.target_field
    if isinstance(field, models.IntegerField | models.AutoField):
        return int
    if isinstance(field, models.CharField | models.TextField):
        return str
    raise TypeError(f"Keyset pagination does not support ordering by {name!r}")  # a programming error


def _encode(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), ensure_ascii=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, kinds: list[type]) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw.decode())
    except (ValueError, UnicodeDecodeError, binascii.Error, RecursionError):
        raise InvalidInput(_BAD_CURSOR, field="cursor") from None
    if not isinstance(values, list) or len(values) != len(kinds):
        raise InvalidInput(_BAD_CURSOR, field="cursor")
    for value, kind in zip(values, kinds, strict=True):
        # Exact type checks: bool is an int, and out-of-range ints or NUL text would reach the database.
        if type(value) is not kind:
            raise InvalidInput(_BAD_CURSOR, field="cursor")
        if kind is int and not 0 <= value <= MAX_ID:
            raise InvalidInput(_BAD_CURSOR, field="cursor")
        if kind is str and ("\x00" in value or len(value) > 1000):
            raise InvalidInput(_BAD_CURSOR, field="cursor")
    return values


def _after(order: list[tuple[str, bool]], values: list[Any]) -> Q:
    """Rows strictly after `values` in lexicographic `order` ((field, descending), ...)."""
    q = Q()
    for i, (name, desc) in enumerate(order):
        step = Q(**{f"{name}__{'lt' if desc else 'gt'}": values[i]})
        for j, (prev_name, _desc) in enumerate(order[:i]):
            step &= Q(**{prev_name: values[j]})
        q |= step
    return q


def keyset_page(qs: QuerySet, order: Sequence[str], cursor: str | None, limit: object) -> tuple[list, str | None]:
    """One page of `qs` in `order` (e.g. ("name", "id") or ("-id",)) and the next page's cursor."""
    n = page_size(limit)
    fields = [(f.lstrip("-"), f.startswith("-")) for f in order]
    kinds = [_kind(qs.model, name) for name, _ in fields]
    qs = qs.order_by(*order)
    if cursor:
        qs = qs.filter(_after(fields, _decode(cursor, kinds)))
    rows = list(qs[: n + 1])
    more = len(rows) > n
    rows = rows[:n]
    next_cursor = None
    if more:
        last = rows[-1]
        next_cursor = _encode([getattr(last, qs.model._meta.get_field(name).attname) for name, _ in fields])
    return rows, next_cursor
