"""Interaction events: each social act appends exactly one event, in the act's own transaction."""

from __future__ import annotations

import pytest

from socialfabric.communities import services as communities
from socialfabric.conversations import services as conv
from socialfabric.conversations.models import Post, Reaction
from socialfabric.errors import Conflict
from socialfabric.insights.models import EventKind, InteractionEvent
from socialfabric.org import services as org
from socialfabric.org.models import Follow


def new_events(since: int) -> list[tuple]:
    return list(InteractionEvent.objects.filter(id__gt=since).order_by("id")
                .values_list("kind", "actor_id", "target_id", "community_id", "post_id"))


def last_id() -> int:
    return InteractionEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def test_each_act_appends_exactly_one_event(alice, bob, make_member, open_community):
    c = open_community.id

    mark = last_id()
    q = conv.create_post(alice, open_community, kind="question", body="Who knows?")
    assert new_events(mark) == [(EventKind.POST, alice.id, None, c, q.id)]

    mark = last_id()
    r = conv.create_reply(bob, q.id, body="I do")
    assert new_events(mark) == [(EventKind.REPLY, bob.id, alice.id, c, r.id)]

    mark = last_id()
    conv.react(alice, r.id, "like")
    assert new_events(mark) == [(EventKind.REACTION, alice.id, bob.id, c, r.id)]

    mark = last_id()
    conv.accept_answer(alice, q.id, r.id)
    assert new_events(mark) == [(EventKind.ACCEPTED_ANSWER, alice.id, bob.id, c, r.id)]

    mark = last_id()
    org.follow(bob, alice)
    assert new_events(mark) == [(EventKind.FOLLOW, bob.id, alice.id, None, None)]

    dave = make_member("dave")
    mark = last_id()
    communities.join(dave, open_community)
    assert new_events(mark) == [(EventKind.JOIN, dave.id, None, c, None)]


def test_mention_event_besides_the_post_event(alice, bob, open_community):
    mark = last_id()
    p = conv.create_post(alice, open_community, body="cc @bob @bob @alice @nobody")
    events = new_events(mark)
    assert sorted(events) == sorted([
        (EventKind.POST, alice.id, None, open_community.id, p.id),
        (EventKind.MENTION, alice.id, bob.id, open_community.id, p.id),  # once; not self; not unknown
    ])


def test_reply_to_own_post_has_no_target(alice, open_community):
    p = conv.create_post(alice, open_community, body="x")
    mark = last_id()
    conv.create_reply(alice, p.id, body="adding to myself")
    assert new_events(mark)[0][:3] == (EventKind.REPLY, alice.id, None)


def test_nested_reply_targets_the_parent_author(alice, bob, make_member, open_community):
    dave = make_member("dave")
    communities.join(dave, open_community)
    p = conv.create_post(alice, open_community, body="x")
    r = conv.create_reply(bob, p.id, body="y")
    mark = last_id()
    conv.create_reply(dave, r.id, body="z")
    assert new_events(mark)[0][:3] == (EventKind.REPLY, dave.id, bob.id)


def test_approved_request_records_a_join(alice, bob):
    closed = communities.create_community(alice, name="Board", visibility="closed")
    req = communities.request_to_join(bob, closed)
    mark = last_id()
    assert new_events(mark) == []
    communities.decide_request(alice, req.id, approve=True)
    assert new_events(mark) == [(EventKind.JOIN, bob.id, None, closed.id, None)]


def test_follow_twice_leaves_one_follow_and_one_event(alice, bob):
    org.follow(bob, alice)
    mark = last_id()
    with pytest.raises(Conflict):
        org.follow(bob, alice)
    assert new_events(mark) == [] and Follow.objects.count() == 1


# --- a failing act leaves no event ------------------------------------------------------------


class Boom(Exception):
    pass


def _explode(*args, **kwargs):
    raise Boom


def test_post_failing_late_leaves_no_post_and_no_event(alice, bob, open_community, monkeypatch):
    # Make the last step of posting (linking topics) fail after the post and its event were written.
    monkeypatch.setattr(conv.Topic.objects, "filter", _explode)
    before = (Post.objects.count(), InteractionEvent.objects.count())
    with pytest.raises(Boom):
        conv.create_post(alice, open_community, body="about #anything, cc @bob")
    assert (Post.objects.count(), InteractionEvent.objects.count()) == before


def test_reply_failing_late_leaves_no_reply_no_event_and_no_bump(alice, bob, open_community, monkeypatch):
    p = conv.create_post(alice, open_community, body="root")
    stamp = Post.objects.get(id=p.id).last_activity_at
    monkeypatch.setattr(conv.Topic.objects, "filter", _explode)
    before = (Post.objects.count(), InteractionEvent.objects.count())
    with pytest.raises(Boom):
        conv.create_reply(bob, p.id, body="#boom")
    assert (Post.objects.count(), InteractionEvent.objects.count()) == before
    root = Post.objects.get(id=p.id)
    assert (root.reply_count, root.last_activity_at) == (0, stamp)


def test_reaction_failing_at_event_leaves_no_reaction(alice, bob, open_community, monkeypatch):
    p = conv.create_post(alice, open_community, body="root")
    monkeypatch.setattr(conv.events, "record", _explode)
    with pytest.raises(Boom):
        conv.react(bob, p.id, "like")
    assert not Reaction.objects.exists()


def test_join_failing_at_event_leaves_no_membership(alice, make_member, open_community, monkeypatch):
    dave = make_member("dave")
    monkeypatch.setattr(communities.events, "record", _explode)
    count = open_community.memberships.count()
    with pytest.raises(Boom):
        communities.join(dave, open_community)
    assert open_community.memberships.count() == count
    open_community.refresh_from_db()
    assert open_community.member_count == count


def test_follow_failing_at_event_leaves_no_follow(alice, bob, monkeypatch):
    monkeypatch.setattr(org.events, "record", _explode)
    with pytest.raises(Boom):
        org.follow(bob, alice)
    assert not Follow.objects.exists()


def test_accept_failing_at_event_leaves_no_acceptance(alice, bob, open_community, monkeypatch):
    q = conv.create_post(alice, open_community, kind="question", body="?")
    r = conv.create_reply(bob, q.id, body="!")
    monkeypatch.setattr(conv.events, "record", _explode)
    with pytest.raises(Boom):
        conv.accept_answer(alice, q.id, r.id)
    assert Post.objects.get(id=q.id).accepted_answer_id is None
