"""The one cursor codec (paging): round trips, tampered cursors, bounds, and keyset pages."""

from __future__ import annotations

import base64
import json
import string
from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from socialfabric import paging
from socialfabric.conversations import services as conv
from socialfabric.conversations.models import Post
from socialfabric.errors import InvalidInput
from socialfabric.feed import services as feed
from socialfabric.org import services as org
from socialfabric.org.models import Member

KINDS = {int: st.integers(0, paging.MAX_ID),
         # Whatever a name may hold: any storable character (no NUL, no lone surrogate), up to 150 of them.
         str: st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=150),
         datetime: st.datetimes(timezones=st.timezones(), allow_imaginary=False,
                                min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31))}


def b64(raw: str | bytes) -> str:
    data = raw.encode() if isinstance(raw, str) else raw
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def utc(value: object) -> object:
    # The same instant in UTC: Python never calls an ambiguous local time (the repeated hour
    # when clocks go back) equal to a time in another zone, even at the same instant.
    return value.astimezone(UTC) if isinstance(value, datetime) else value


def assert_bad(cursor: object, kinds) -> None:
    with pytest.raises(InvalidInput) as info:
        paging.decode_cursor(cursor, kinds)
    assert info.value.message == "The cursor is not one this server gave out."
    assert info.value.field == "cursor" and info.value.status == 400


# --- round trip -------------------------------------------------------------------------------

@st.composite
def rows(draw) -> tuple[list[type], list]:
    kinds = draw(st.lists(st.sampled_from(list(KINDS)), min_size=1, max_size=3))
    return kinds, [draw(KINDS[k]) for k in kinds]


@given(rows())
def test_round_trip(row):
    kinds, values = row
    cursor = paging.encode_cursor(values)
    assert set(cursor) <= set(string.ascii_letters + string.digits + "-_"), "a cursor travels in URLs as is"
    decoded = paging.decode_cursor(cursor, kinds)
    assert decoded == [utc(v) for v in values]
    for value in decoded:
        if isinstance(value, datetime):
            assert value.tzinfo is UTC


@given(KINDS[datetime], KINDS[int])
def test_feed_cursor_round_trip(when, ident):
    assert paging.decode_feed_cursor(paging.encode_feed_cursor(when, ident)) == (utc(when), ident)


@pytest.mark.parametrize("char", ["a", "é", "語", "😀", "\x01", '"', "\\"])
def test_longest_names_fit_in_a_cursor(char):
    # A member's name is at most 150 characters; its cursor must stay under the limit the API takes.
    cursor = paging.encode_cursor([char * 150, paging.MAX_ID])
    assert len(cursor) <= paging.MAX_CURSOR_CHARS
    assert paging.decode_cursor(cursor, [str, int]) == [char * 150, paging.MAX_ID]


# --- tampered cursors -------------------------------------------------------------------------

@given(st.one_of(st.text(max_size=300), st.binary(max_size=300).map(b64)), rows())
@example("", ([int], [0]))
@example("W10", ([int], [0]))  # "[]"
def test_any_text_is_a_good_cursor_or_the_one_error(cursor, row):
    kinds, _ = row
    try:
        values = paging.decode_cursor(cursor, kinds)
    except InvalidInput as err:
        assert err.message == paging.BAD_CURSOR and err.field == "cursor"
        return
    assert len(values) == len(kinds)
    assert all(type(v) is k for v, k in zip(values, kinds, strict=True))


@given(rows(), st.data())
def test_a_changed_character_is_caught_or_harmless(row, data):
    kinds, values = row
    cursor = paging.encode_cursor(values)
    at = data.draw(st.integers(0, len(cursor) - 1))
    tampered = cursor[:at] + data.draw(st.sampled_from("AZaz09-_!=+/ ")) + cursor[at + 1:]
    try:
        decoded = paging.decode_cursor(tampered, kinds)
    except InvalidInput as err:
        assert err.message == paging.BAD_CURSOR
        return
    # Still a well-formed cursor: the worst it does is start the page somewhere else.
    assert all(type(v) is k for v, k in zip(decoded, kinds, strict=True))


@pytest.mark.parametrize("cursor", [None, 5, 1.5, b"W10", ["W10"], {"c": 1}])
def test_only_text_is_a_cursor(cursor):
    assert_bad(cursor, [int])


# --- bounds -----------------------------------------------------------------------------------

@pytest.mark.parametrize("values", [[0], [1], [paging.MAX_ID]])
def test_ids_in_range(values):
    assert paging.decode_cursor(b64(json.dumps(values)), [int]) == values


@pytest.mark.parametrize("value", [paging.MAX_ID + 1, 2**70, -1, True, False, 1.0, "1", None, [1]])
def test_ids_out_of_range_or_of_another_kind(value):
    assert_bad(b64(json.dumps([value])), [int])


@pytest.mark.parametrize("raw", ['["a\\u0000b"]', '["\\ud800"]', "[1]", "[null]", '[["a"]]'])
def test_text_the_databases_cannot_take_or_not_text(raw):
    assert_bad(b64(raw), [str])


@pytest.mark.parametrize("stamp", ["2026-01-01T00:00:00", "2026-01-01", "yesterday", "0001-01-01T00:00:00+05:00",
                                   "2026-13-01T00:00:00+00:00", ""])
def test_times_must_be_aware_and_in_range(stamp):
    assert_bad(b64(json.dumps([stamp, 1])), [datetime, int])


def test_times_are_read_in_utc():
    cursor = paging.encode_cursor([datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=5))), 7])
    assert paging.decode_feed_cursor(cursor) == (datetime(2026, 1, 1, 7, tzinfo=UTC), 7)


@pytest.mark.parametrize("raw", ["[]", "[1, 2]", '{"id": 1}', "1", '"x"', "[" * 5000, "[1]x", "\xff"])
def test_shape_must_match(raw):
    assert_bad(b64(raw.encode("latin-1")), [int])


def test_cursor_length_is_bounded():
    assert_bad(b64(json.dumps(["a" * paging.MAX_CURSOR_CHARS, 1])), [str, int])
    assert_bad("A" * (paging.MAX_CURSOR_CHARS + 1), [str, int])


@pytest.mark.parametrize(("limit", "expected"), [(None, 20), ("", 20), (1, 1), ("7", 7), (100, 100)])
def test_page_sizes(limit, expected):
    assert paging.page_size(limit) == expected


@pytest.mark.parametrize("limit", [0, 101, -1, "x", "1.5", 2.5, True, [3]])
def test_bad_page_sizes(limit):
    with pytest.raises(InvalidInput) as info:
        paging.page_size(limit)
    assert info.value.field == "limit"


def test_directory_page_size_is_a_valid_limit():
    assert paging.page_size(paging.DIRECTORY_PAGE_SIZE) == paging.DIRECTORY_PAGE_SIZE


# --- keyset pages over querysets --------------------------------------------------------------

def walk(qs, order, size) -> list[int]:
    seen: list[int] = []
    cursor = None
    for _ in range(200):
        rows, cursor = paging.keyset_page(qs, order, cursor, size)
        assert len(rows) <= size
        seen += [r.id for r in rows]
        if cursor is None:
            return seen
        assert rows
    raise AssertionError("pagination did not end")


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(names=st.lists(st.sampled_from(["Ann", "ann", "Bo", "Zoë", "Ö", "語", "A" * 150]), max_size=12),
       size=st.integers(1, 5), order=st.sampled_from([("name", "id"), ("-name", "-id"), ("-id",)]))
def test_property_keyset_visits_every_row_once_in_order(db, names, size, order):
    with transaction.atomic():
        for i, name in enumerate(names):
            Member.objects.create(handle=f"p{i}", email=f"p{i}@example.org", name=name)
        qs = org.directory(Member.objects.create(handle="reader", email="reader@example.org", name="Reader"))
        expected = list(qs.order_by(*order).values_list("id", flat=True))
        assert walk(qs, order, size) == expected
        transaction.set_rollback(True)


def test_keyset_orders_by_time_like_the_feed(alice, bob, open_community):
    """A DateTimeField orders too, and its cursor is the feed's: both codecs are one."""
    t0 = datetime(2026, 1, 1, 12, tzinfo=UTC)
    posts = [conv.create_post(alice, open_community, body=str(i)) for i in range(5)]
    for i, p in enumerate(posts):
        Post.objects.filter(id=p.id).update(last_activity_at=t0 + timedelta(microseconds=i % 2))
    order = ("-last_activity_at", "-id")
    first_rows, cursor = paging.keyset_page(feed.threads(), order, None, 2)
    first_feed = feed.community_feed(bob, open_community, None, 2)
    assert [r.id for r in first_rows] == [i.post.id for i in first_feed.items]
    assert cursor == first_feed.next_cursor
    assert walk(feed.threads(), order, 2) == list(feed.threads().values_list("id", flat=True))


def test_keyset_refuses_a_bad_cursor(alice):
    viewer = alice
    with pytest.raises(InvalidInput) as info:
        paging.keyset_page(org.directory(viewer), ("name", "id"), b64(json.dumps([1, "Ann"])), 5)
    assert info.value.field == "cursor"
    with pytest.raises(InvalidInput):
        paging.keyset_page(org.directory(viewer), ("name", "id"), 5, 5)
