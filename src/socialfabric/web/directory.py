"""Keyset pagination for the people directory, on (name, id).

org.services.directory decides who is listed and how search and filters narrow it;
this only pages through that queryset without OFFSET, in the directory's name order.
"""

from __future__ import annotations

import base64
import binascii

from django.db.models import Q, QuerySet

from socialfabric.errors import InvalidInput
from socialfabric.org.models import Member
from socialfabric.validation import is_storable

PAGE_SIZE = 24


def encode_cursor(member: Member) -> str:
    raw = f"{member.id}|{member.name}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, int]:
    try:
        if len(cursor) > 1000:
            raise ValueError
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        ident, name = raw.split("|", 1)
        n = int(ident)
        if not (0 < n < 2**63 and is_storable(name)):
            raise ValueError
        return name, n
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise InvalidInput("The cursor is not one this server gave out.", field="cursor") from None


def paginate(qs: QuerySet[Member], cursor: str | None, size: int = PAGE_SIZE) -> tuple[list[Member], str | None]:
    qs = qs.order_by("name", "id")
    if cursor:
        name, ident = decode_cursor(cursor)
        qs = qs.filter(Q(name__gt=name) | Q(name=name, id__gt=ident))
    members = list(qs[: size + 1])
    more = len(members) > size
    members = members[:size]
    return members, (encode_cursor(members[-1]) if more else None)
