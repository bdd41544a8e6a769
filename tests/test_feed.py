"""Feeds: ordering, keyset pagination, what each feed includes, bad input, and query counts."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialfabric import access, paging
from socialfabric.communities import services as communities
from socialfabric.conversations import services as conv
from socialfabric.conversations.models import Post
from socialfabric.errors import InvalidInput, NotFound
from socialfabric.feed import services as feed
from socialfabric.org import services as org


def ids(page) -> list[int]:
    return [i.post.id for i in page.items]


def walk(fetch, size: int) -> list[int]:
    """Every thread id, page by page, following next_cursor to the end."""
    seen: list[int] = []
    cursor = None
    for _ in range(1000):
        page = fetch(cursor, size)
        assert len(page.items) <= size
        seen += ids(page)
        if page.next_cursor is None:
            return seen
        assert page.items, "a page that promises more must not be empty"
        cursor = page.next_cursor
    raise AssertionError("pagination did not end")


def b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def set_activity(post: Post, when: datetime) -> None:
    Post.objects.filter(id=post.id).update(last_activity_at=when)


# --- ordering ---------------------------------------------------------------------------------


def test_newest_activity_first_and_reply_bumps_thread(alice, bob, open_community):
    a = conv.create_post(alice, open_community, body="a")
    b = conv.create_post(alice, open_community, body="b")
    c = conv.create_post(alice, open_community, body="c")
    set_activity(a, T0)
    set_activity(b, T0 + timedelta(minutes=1))
    set_activity(c, T0 + timedelta(minutes=2))
    assert ids(feed.community_feed(bob, open_community)) == [c.id, b.id, a.id]
    conv.create_reply(bob, a.id, body="bump")  # now: later than T0 + 2 min
    assert ids(feed.community_feed(bob, open_community)) == [a.id, c.id, b.id]
    assert ids(feed.home_feed(bob)) == [a.id, c.id, b.id]


def test_replies_are_not_feed_items(alice, bob, open_community):
    a = conv.create_post(alice, open_community, body="a")
    r = conv.create_reply(bob, a.id, body="r")
    conv.create_reply(alice, r.id, body="rr")
    assert ids(feed.home_feed(bob)) == [a.id]
    assert ids(feed.profile_feed(alice, bob)) == []


def test_ties_are_broken_by_id_descending(alice, bob, open_community):
    posts = [conv.create_post(alice, open_community, body=str(i)) for i in range(4)]
    for p in posts:
        set_activity(p, T0)
    assert ids(feed.community_feed(bob, open_community)) == [p.id for p in reversed(posts)]
    assert walk(lambda c, n: feed.community_feed(bob, open_community, c, n), 1) == [p.id for p in reversed(posts)]


# --- keyset pagination property ---------------------------------------------------------------

_STAMPS = [T0, T0 + timedelta(microseconds=1), T0 + timedelta(seconds=1), T0 + timedelta(seconds=1, microseconds=500),
           T0 - timedelta(days=400), T0 + timedelta(days=3)]


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(stamps=st.lists(st.sampled_from(_STAMPS), min_size=0, max_size=15), size=st.integers(1, 7))
def test_property_pagination_visits_every_thread_once(alice, bob, open_community, stamps, size):
    with transaction.atomic():
        created = []
        for i, when in enumerate(stamps):
            p = Post.objects.create(community=open_community, author=alice, body=str(i), body_html="",
                                    created_at=when, last_activity_at=when)
            created.append((when, p.id))
        expected = [pid for _, pid in sorted(created, reverse=True)]
        for fetch in (lambda c, n: feed.community_feed(bob, open_community, c, n),
                      lambda c, n: feed.home_feed(bob, c, n),
                      lambda c, n: feed.profile_feed(bob, alice, c, n)):
            seen = walk(fetch, size)
            assert len(seen) == len(set(seen)), "a thread appeared twice"
            assert seen == expected
        transaction.set_rollback(True)


def test_cursor_survives_a_bump_without_duplicates(alice, bob, open_community):
    posts = [conv.create_post(alice, open_community, body=str(i)) for i in range(5)]
    for i, p in enumerate(posts):
        set_activity(p, T0 + timedelta(minutes=i))
    first = feed.community_feed(bob, open_community, None, 2)
    assert ids(first) == [posts[4].id, posts[3].id]
    conv.create_reply(bob, posts[0].id, body="bump the oldest")  # it moves above the cursor
    rest = walk(lambda c, n: feed.community_feed(bob, open_community, c or first.next_cursor, n), 2)
    assert rest == [posts[2].id, posts[1].id]


# --- bad input --------------------------------------------------------------------------------

BAD_CURSORS = [
    "garbage!", "%%%", b64("no-separator"), b64("2026-01-01T00:00:00+00:00|x"), b64("2026-01-01T00:00:00|5"),
    b64("not a date|5"), b64("2026-01-01T00:00:00+00:00|1|2"), b64("0001-01-01T00:00:00+05:00|1"),
    b64("2026-01-01T00:00:00+00:00|" + "9" * 30), b64("2026-01-01T00:00:00+00:00|-1"), "é", "x" * 1000,
    5, ["a"], b"bytes",
    # The same mistakes in the codec's own JSON shape: naive, malformed or far-off times, bad ids, wrong shapes.
    b64(json.dumps(["2026-01-01T00:00:00", 5])), b64(json.dumps(["not a date", 5])),
    b64(json.dumps(["0001-01-01T00:00:00+05:00", 1])), b64(json.dumps(["2026-01-01T00:00:00+00:00", 2**63])),
    b64(json.dumps(["2026-01-01T00:00:00+00:00", -1])), b64(json.dumps(["2026-01-01T00:00:00+00:00", True])),
    b64(json.dumps(["2026-01-01T00:00:00+00:00", 1.5])), b64(json.dumps(["2026-01-01T00:00:00+00:00"])),
    b64(json.dumps([1767268800, 5])), b64(json.dumps({"at": "2026-01-01T00:00:00+00:00", "id": 5})),
]


@pytest.mark.parametrize("cursor", BAD_CURSORS)
def test_bad_cursor_is_invalid_input(alice, bob, open_community, cursor):
    for call in (lambda: feed.home_feed(bob, cursor),
                 lambda: feed.community_feed(bob, open_community, cursor),
                 lambda: feed.profile_feed(bob, alice, cursor),
                 lambda: feed.unit_feed(bob, alice.unit, cursor)):
        with pytest.raises(InvalidInput) as info:
            call()
        assert info.value.field == "cursor"


@pytest.mark.parametrize("limit", [0, -1, 101, "abc", "1.5", 2.5, float("inf"), float("nan"), True, [3], {},
                                   "9" * 5000])
def test_bad_limit_is_invalid_input(bob, open_community, limit):
    with pytest.raises(InvalidInput) as info:
        feed.home_feed(bob, None, limit)
    assert info.value.field == "limit"
    with pytest.raises(InvalidInput):
        feed.community_feed(bob, open_community, None, limit)


@pytest.mark.parametrize(("limit", "expected"), [(None, 20), ("", 20), (1, 1), ("3", 3), (100, 100)])
def test_good_limits(limit, expected):
    assert paging.page_size(limit) == expected


def test_cursor_round_trip_with_and_without_microseconds(alice, bob, open_community):
    a = conv.create_post(alice, open_community, body="a")
    b = conv.create_post(alice, open_community, body="b")
    set_activity(a, T0)
    set_activity(b, T0 + timedelta(microseconds=250))
    page = feed.community_feed(bob, open_community, None, 1)
    assert ids(page) == [b.id]
    assert ids(feed.community_feed(bob, open_community, page.next_cursor, 1)) == [a.id]
    stored = Post.objects.get(id=a.id)
    assert paging.decode_feed_cursor(paging.encode_feed_cursor(stored.last_activity_at, stored.id)) == (T0, a.id)


def test_anonymous_sees_nothing(alice, open_community):
    conv.create_post(alice, open_community, body="x")
    anon = AnonymousUser()
    assert feed.home_feed(anon).items == []
    assert feed.profile_feed(anon, alice).items == []
    with pytest.raises(NotFound):
        feed.community_feed(anon, open_community)


# --- what the home feed includes --------------------------------------------------------------


def test_home_feed_sources(alice, bob, make_member, open_community, secret_community):
    dave = make_member("dave")
    other_open = communities.create_community(dave, name="Dave's Open")
    closed = communities.create_community(alice, name="Board", visibility="closed")
    communities.add_member(alice, secret_community, dave)
    mine = conv.create_post(alice, open_community, body="in bob's community")
    followed_open = conv.create_post(dave, other_open, body="dave in an open community")
    unfollowed = conv.create_post(alice, communities.create_community(alice, name="Alice Open"), body="not followed")
    conv.create_post(alice, closed, body="closed, bob is out")
    conv.create_post(dave, secret_community, body="secret, bob is out")
    conv.create_post(alice, secret_community, body="secret, bob is out")
    assert set(ids(feed.home_feed(bob))) == {mine.id}
    org.follow(bob, dave)
    org.follow(bob, alice)
    assert set(ids(feed.home_feed(bob))) == {mine.id, followed_open.id, unfollowed.id}
    # Joining the closed community brings its threads in.
    req = communities.request_to_join(bob, closed)
    communities.decide_request(alice, req.id, approve=True)
    access.forget(bob)
    assert len(feed.home_feed(bob).items) == 4


def test_external_home_feed_follows_only_into_admitted_communities(alice, carol):
    mixed = communities.create_community(alice, name="Customer Voice", audience="mixed", external_kinds=["customer"])
    partners = communities.create_community(alice, name="Partner Hub", audience="mixed", external_kinds=["partner"])
    internal = communities.create_community(alice, name="Internal")
    visible = conv.create_post(alice, mixed, body="for customers")
    conv.create_post(alice, partners, body="for partners")
    conv.create_post(alice, internal, body="for employees")
    org.follow(carol, alice)
    assert ids(feed.home_feed(carol)) == [visible.id]
    assert ids(feed.profile_feed(carol, alice)) == [visible.id]
    with pytest.raises(NotFound):  # F1: units are the company's structure, not for external members
        feed.unit_feed(carol, alice.unit)


def test_staff_follow_reaches_everywhere(alice, make_member, secret_community):
    root = make_member("root", is_staff=True)
    p = conv.create_post(alice, secret_community, body="s")
    org.follow(root, alice)
    assert ids(feed.home_feed(root)) == [p.id]


# --- secret content never leaks through a feed ------------------------------------------------


def test_secret_threads_never_reach_non_members(alice, bob, unit, open_community, secret_community):
    public = conv.create_post(alice, open_community, body="open #shared")
    secret = conv.create_post(alice, secret_community, body="merger #acme #shared cc @bob")
    conv.create_reply(alice, secret.id, body="more #acme")
    org.follow(bob, alice)
    for page in (feed.home_feed(bob), feed.profile_feed(bob, alice), feed.unit_feed(bob, unit),
                 feed.topic_feed(bob, "shared"), feed.home_feed(bob, None, 100)):
        assert secret.id not in ids(page)
        assert public.id in ids(page)
    # A topic used only in the secret community: NotFound, exactly like a topic that does not exist.
    with pytest.raises(NotFound):
        feed.topic_feed(bob, "acme")
    with pytest.raises(NotFound):
        feed.topic_feed(bob, "never-used")
    with pytest.raises(NotFound):
        feed.community_feed(bob, secret_community)
    # Members see it everywhere.
    assert secret.id in ids(feed.topic_feed(alice, "#ACME"))
    assert secret.id in ids(feed.profile_feed(alice, alice))
    assert secret.id in ids(feed.community_feed(alice, secret_community))


def test_closed_threads_only_for_members(alice, bob, unit):
    closed = communities.create_community(alice, name="Board", visibility="closed")
    p = conv.create_post(alice, closed, body="board #plans")
    org.follow(bob, alice)
    assert p.id not in ids(feed.home_feed(bob))
    assert p.id not in ids(feed.profile_feed(bob, alice))
    assert p.id not in ids(feed.unit_feed(bob, unit))
    with pytest.raises(NotFound):
        feed.topic_feed(bob, "plans")
    from socialfabric.errors import Forbidden

    with pytest.raises(Forbidden):
        feed.community_feed(bob, closed)


@pytest.mark.parametrize("name", [None, 5, ["x"], "nul\x00", ""])
def test_topic_feed_bad_names(bob, name):
    with pytest.raises(NotFound):
        feed.topic_feed(bob, name)


# --- counts on items --------------------------------------------------------------------------


def test_reply_count_and_reactions(alice, bob, make_member, open_community):
    dave = make_member("dave")
    communities.join(dave, open_community)
    p = conv.create_post(alice, open_community, body="p")
    q = conv.create_post(alice, open_community, body="q")
    r = conv.create_reply(bob, p.id, body="r")
    conv.create_reply(dave, r.id, body="rr")
    conv.react(bob, p.id, "like")
    conv.react(dave, p.id, "like")
    conv.react(bob, p.id, "insightful")
    conv.react(bob, r.id, "like")  # reactions on replies do not count on the thread
    items = {i.post.id: i for i in feed.home_feed(bob).items}
    assert items[p.id].post.reply_count == 2
    assert items[p.id].reactions == {"like": 2, "insightful": 1}
    assert items[p.id].mine == ["insightful", "like"]
    assert (items[q.id].post.reply_count, items[q.id].reactions, items[q.id].mine) == (0, {}, [])
    assert {i.post.id: i.mine for i in feed.home_feed(dave).items}[p.id] == ["like"]
    assert {i.post.id: i.mine for i in feed.home_feed(alice).items}[p.id] == []


def test_feed_item_carries_author_and_community(alice, bob, open_community):
    conv.create_post(alice, open_community, kind="question", title="T", body="**b**")
    item = feed.home_feed(bob).items[0]
    assert (item.post.author.handle, item.post.community.slug) == ("alice", open_community.slug)
    assert (item.post.kind, item.post.title, item.post.is_removed) == ("question", "T", False)
    assert "<strong>b</strong>" in item.post.body_html
    assert item.post.last_activity_at.tzinfo is not None


# --- bounded queries --------------------------------------------------------------------------


def _count(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_feed_page_is_a_constant_number_of_queries(alice, bob, carol, unit, open_community,
                                                     django_assert_max_num_queries):
    mixed = communities.create_community(alice, name="Customer Voice", audience="mixed", external_kinds=["customer"])
    communities.join(bob, mixed)
    for i in range(30):
        p = conv.create_post(alice, open_community if i % 2 else mixed, body=f"#t{i % 3} post {i}")
        conv.react(bob, p.id, "like")
        conv.create_reply(bob, p.id, body="r")
    org.follow(carol, alice)
    org.follow(bob, alice)
    calls = {
        "home": lambda m, n: feed.home_feed(m, None, n),
        "community": lambda m, n: feed.community_feed(m, mixed, None, n),
        "profile": lambda m, n: feed.profile_feed(m, alice, None, n),
        "unit": lambda m, n: feed.unit_feed(m, unit, None, n),
        "topic": lambda m, n: feed.topic_feed(m, "t1", None, n),
    }
    for viewer in (bob, carol):
        for name, call in calls.items():
            if name == "unit" and viewer.is_external:  # F1: NotFound, see test_external_home_feed_...
                continue
            counts = set()
            for n in (1, 5, 30):
                access.forget(viewer)
                with django_assert_max_num_queries(4):
                    call(viewer, n)
                access.forget(viewer)
                counts.add(_count(lambda: call(viewer, n)))  # noqa: B023 - called at once
            assert len(counts) == 1, (name, viewer.handle, counts)


def test_topic_in_a_reply_brings_its_thread_into_the_topic_feed(alice, bob, open_community):
    thread = conv.create_post(alice, open_community, body="No tags here")
    conv.create_reply(bob, thread.id, body="This is about #pricing")
    items = feed.topic_feed(alice, "pricing").items
    assert [i.post.id for i in items] == [thread.id]
