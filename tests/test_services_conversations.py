"""Conversations: posting, replying, editing, removing, reacting and accepting answers.

Every failure is checked to leave nothing half-written.
"""

from __future__ import annotations

import pytest

from socialfabric import access
from socialfabric.activity.models import Activity, Verb
from socialfabric.communities import services as communities
from socialfabric.communities.models import Membership
from socialfabric.conversations import services as conv
from socialfabric.conversations.models import Post, PostRevision, Reaction, Topic
from socialfabric.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.helpers import failing_act


def snapshot() -> dict[str, int]:
    return {
        "post": Post.objects.count(),
        "reaction": Reaction.objects.count(),
        "activity": Activity.objects.count(),
        "membership": Membership.objects.count(),
        "revision": PostRevision.objects.count(),
        "topic_links": Post.topics.through.objects.count(),
        "mention_links": Post.mentions.through.objects.count(),
    }


fail = failing_act(snapshot)


def fresh(post: Post) -> Post:
    return Post.objects.get(id=post.id)


@pytest.fixture
def question(alice, open_community):
    return conv.create_post(alice, open_community, kind="question", title="How do we ship?", body="Ideas?")


# --- posting ----------------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["", "   \n\t ", None, 42, ["text"], {"a": 1}, b"bytes", "nul\x00byte", "\ud800"])
def test_post_rejects_bad_bodies(alice, open_community, body):
    fail(InvalidInput, conv.create_post, alice, open_community, body=body, field="body")


def test_body_length_limit_is_the_setting(alice, open_community, settings):
    settings.SOCIALFABRIC_MAX_BODY_CHARS = 50
    fail(InvalidInput, conv.create_post, alice, open_community, body="x" * 51, field="body")
    assert conv.create_post(alice, open_community, body="x" * 50).body == "x" * 50
    # Surrounding whitespace does not count; CRLF counts as one character.
    assert conv.create_post(alice, open_community, body="  " + "y" * 50 + "  ").body == "y" * 50
    assert conv.create_post(alice, open_community, body="a\r\n" * 16 + "bb").body == "a\n" * 16 + "bb"


def test_default_body_limit(alice, open_community, settings):
    limit = settings.SOCIALFABRIC_MAX_BODY_CHARS
    fail(InvalidInput, conv.create_post, alice, open_community, body="z" * (limit + 1), field="body")


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"kind": "reply"}, "kind"),
    ({"kind": "poll"}, "kind"),
    ({"kind": None}, "kind"),
    ({"kind": ["question"]}, "kind"),
    ({"title": 5}, "title"),
    ({"title": "t" * 201}, "title"),
    ({"title": "bad\x00"}, "title"),
])
def test_post_rejects_bad_kind_and_title(alice, open_community, kwargs, field):
    fail(InvalidInput, conv.create_post, alice, open_community, body="ok", field=field, **kwargs)


def test_post_needs_membership(make_member, open_community, secret_community):
    dave = make_member("dave")
    fail(Forbidden, conv.create_post, dave, open_community, body="hello")  # can read, must join to post
    fail(NotFound, conv.create_post, dave, secret_community, body="hello")  # cannot even know it exists


def test_announcement_only_by_moderators(alice, bob, open_community):
    fail(Forbidden, conv.create_post, bob, open_community, kind="announcement", body="Hear ye", field="kind")
    post = conv.create_post(alice, open_community, kind="announcement", body="Hear ye")
    assert post.kind == "announcement"
    communities.set_role(alice, open_community, bob, "moderator")
    access.forget(bob)
    assert conv.create_post(bob, open_community, kind="announcement", body="Me too").kind == "announcement"


def test_external_member_posts_in_mixed_community(alice, carol):
    c = communities.create_community(alice, name="Customer Voice", audience="mixed", external_kinds=["customer"])
    fail(Forbidden, conv.create_post, carol, c, body="Hello")  # readable (open, admits customers), not joined
    communities.join(carol, c)
    post = conv.create_post(carol, c, kind="question", body="Does it export CSV?")
    reply = conv.create_reply(alice, post.id, body="Yes")
    assert fresh(post).reply_count == 1 and reply.community_id == c.id


def test_post_title_is_normalised(alice, open_community):
    post = conv.create_post(alice, open_community, title="  A   title \n", body="b")
    assert post.title == "A title"
    assert conv.create_post(alice, open_community, title=None, body="b").title == ""


# --- replies ----------------------------------------------------------------------------------


def test_reply_thread_shape_and_counts(alice, bob, question):
    r1 = conv.create_reply(bob, question.id, body="First")
    r2 = conv.create_reply(alice, r1.id, body="Nested")
    r3 = conv.create_reply(bob, r2.id, body="Deeper")
    assert (r1.depth, r2.depth, r3.depth) == (1, 2, 3)
    assert {r1.root_id, r2.root_id, r3.root_id} == {question.id}
    assert (r2.parent_id, r3.parent_id) == (r1.id, r2.id)
    q = fresh(question)
    assert q.reply_count == 3
    assert q.last_activity_at == fresh(r3).created_at
    root, replies = conv.thread(bob, r2.id)
    assert root.id == question.id and [r.id for r in replies] == [r1.id, r2.id, r3.id]
    tree = conv.build_tree(root, replies)
    assert [n["post"].id for n in tree] == [r1.id]
    assert tree[0]["children"][0]["children"][0]["post"].id == r3.id


@pytest.mark.parametrize("pid", [0, -5, 10**6, 10**30, "abc", "12abc", None, [1], 1.0, True])
def test_reply_to_unknown_or_malformed_id_is_not_found(bob, pid):
    fail(NotFound, conv.create_reply, bob, pid, body="hi")


def test_reply_to_string_id_works(bob, question):
    assert conv.create_reply(bob, str(question.id), body="ok").parent_id == question.id


@pytest.mark.parametrize("body", ["", None, 3, "q" * 10_001])
def test_reply_rejects_bad_bodies(bob, question, body):
    fail(InvalidInput, conv.create_reply, bob, question.id, body=body, field="body")


def test_reply_to_removed_post_is_a_conflict(alice, bob, question):
    r1 = conv.create_reply(bob, question.id, body="to be removed")
    conv.remove_post(bob, r1.id)
    fail(Conflict, conv.create_reply, alice, r1.id, body="hello?", field="parent")
    conv.remove_post(alice, question.id)
    fail(Conflict, conv.create_reply, bob, question.id, body="hello?")


def test_reply_needs_membership(make_member, question):
    fail(Forbidden, conv.create_reply, make_member("dave"), question.id, body="drive-by")


def test_reply_in_secret_community_is_not_found_for_outsiders(alice, bob, secret_community):
    post = conv.create_post(alice, secret_community, body="Confidential")
    fail(NotFound, conv.create_reply, bob, post.id, body="what is this?", field="post")


# --- editing ----------------------------------------------------------------------------------


def test_edit_keeps_history(alice, open_community):
    post = conv.create_post(alice, open_community, title="v1", body="first #alpha")
    conv.edit_post(alice, post.id, body="second #beta", title="v2")
    conv.edit_post(alice, post.id, body="third")
    post = fresh(post)
    assert (post.title, post.body) == ("v2", "third") and post.edited_at is not None
    assert [(r.title, r.body) for r in post.revisions.all()] == [("v1", "first #alpha"), ("v2", "second #beta")]
    assert all(r.edited_by_id == alice.id for r in post.revisions.all())
    assert list(post.topics.values_list("name", flat=True)) == []
    assert "third" in post.body_html


def test_edit_without_change_writes_nothing(alice, open_community):
    post = conv.create_post(alice, open_community, title="t", body="same")
    before = snapshot()
    conv.edit_post(alice, post.id, body="  same  ")
    assert snapshot() == before and fresh(post).edited_at is None


def test_edit_rules(alice, bob, open_community, question):
    reply = conv.create_reply(bob, question.id, body="answer")
    fail(Forbidden, conv.edit_post, bob, question.id, body="hijack", field="post")
    fail(InvalidInput, conv.edit_post, alice, question.id, body="", field="body")
    fail(InvalidInput, conv.edit_post, alice, question.id, body=None, field="body")
    fail(InvalidInput, conv.edit_post, bob, reply.id, body="x", title="Replies have no title", field="title")
    fail(NotFound, conv.edit_post, alice, 10**9, body="x")
    conv.remove_post(bob, reply.id)
    fail(Conflict, conv.edit_post, bob, reply.id, body="back")


def test_moderator_may_not_edit_others_posts(alice, bob, open_community):
    post = conv.create_post(bob, open_community, body="mine")
    fail(Forbidden, conv.edit_post, alice, post.id, body="the owner's words")


def test_edit_records_only_new_mentions(alice, bob, make_member, open_community):
    dave = make_member("dave")
    post = conv.create_post(alice, open_community, body="hi @bob")
    conv.edit_post(alice, post.id, body="hi @bob and @dave")
    mentions = Activity.objects.filter(verb=Verb.MENTION, object_type="post", object_id=post.id)
    assert sorted(mentions.values_list("target_id", flat=True)) == sorted([bob.id, dave.id])
    assert set(fresh(post).mentions.values_list("id", flat=True)) == {bob.id, dave.id}


# --- removing ---------------------------------------------------------------------------------


def test_soft_delete_keeps_thread_shape(alice, bob, question):
    r1 = conv.create_reply(bob, question.id, body="mention @alice #topic")
    r2 = conv.create_reply(alice, r1.id, body="child")
    conv.react(alice, r1.id, "like")
    removed = conv.remove_post(bob, r1.id)
    assert removed.is_removed and removed.body == conv.REMOVED_TEXT
    assert "[removed]" in removed.body_html and "#topic" not in removed.body_html
    root, replies = conv.thread(alice, question.id)
    assert [r.id for r in replies] == [r1.id, r2.id]
    assert fresh(r2).parent_id == r1.id and fresh(question).reply_count == 2
    assert not fresh(r1).mentions.exists() and not fresh(r1).topics.exists()
    # The removed text is kept as a revision (audit), not lost.
    assert PostRevision.objects.get(post=r1).body == "mention @alice #topic"
    # Removing twice is harmless and writes nothing more.
    before = snapshot()
    conv.remove_post(bob, r1.id)
    assert snapshot() == before


def test_remove_permissions(alice, bob, make_member, open_community):
    post = conv.create_post(alice, open_community, body="owner's post")
    dave = make_member("dave")
    communities.join(dave, open_community)
    fail(Forbidden, conv.remove_post, dave, post.id)
    fail(Forbidden, conv.remove_post, bob, post.id)
    bobs = conv.create_post(bob, open_community, body="bob's post")
    assert conv.remove_post(alice, bobs.id).is_removed  # alice owns the community: moderator
    fail(NotFound, conv.remove_post, alice, "nope")


# --- reactions --------------------------------------------------------------------------------


def test_reaction_is_idempotent(alice, bob, question):
    r, created = conv.react(bob, question.id, "like")
    assert created
    r2, created2 = conv.react(bob, question.id, "like")
    assert not created2 and r2.id == r.id
    assert Reaction.objects.filter(post=question).count() == 1
    events = Activity.objects.filter(verb=Verb.REACT)
    assert events.count() == 1
    ev = events.get()
    assert (ev.actor_id, ev.target_id, ev.object_id, ev.community_id, ev.details) == (
        bob.id, alice.id, question.id, question.community_id, {"kind": "like"})
    conv.react(bob, question.id, "insightful")
    assert Reaction.objects.filter(post=question, member=bob).count() == 2


@pytest.mark.parametrize("kind", ["love", "", None, 1, ["like"], "LIKE"])
def test_reaction_kind_validated(bob, question, kind):
    fail(InvalidInput, conv.react, bob, question.id, kind, field="kind")


def test_reaction_on_removed_or_unknown_post(alice, bob, question):
    fail(NotFound, conv.react, bob, 10**9, "like")
    conv.remove_post(alice, question.id)
    fail(Conflict, conv.react, bob, question.id, "like")


def test_unreact(bob, question):
    conv.react(bob, question.id, "like")
    assert conv.unreact(bob, question.id, "like") is True
    assert conv.unreact(bob, question.id, "like") is False
    assert not Reaction.objects.exists()
    fail(InvalidInput, conv.unreact, bob, question.id, "nope")


def test_own_reaction_has_no_target(alice, question):
    conv.react(alice, question.id, "celebrate")
    assert Activity.objects.get(verb=Verb.REACT).target_id is None


# --- accepted answers -------------------------------------------------------------------------


def test_accept_answer_replace_and_clear(alice, bob, make_member, open_community, question):
    dave = make_member("dave")
    communities.join(dave, open_community)
    a1 = conv.create_reply(bob, question.id, body="one")
    a2 = conv.create_reply(dave, question.id, body="two")
    assert conv.accept_answer(alice, question.id, a1.id).accepted_answer_id == a1.id
    assert conv.accept_answer(alice, question.id, a2.id).accepted_answer_id == a2.id  # replaces
    assert fresh(question).accepted_answer_id == a2.id
    # Re-accepting the same answer writes nothing.
    before = snapshot()
    conv.accept_answer(alice, question.id, a2.id)
    assert snapshot() == before
    accepted = Activity.objects.filter(verb=Verb.ACCEPT_ANSWER).order_by("id")
    assert [(e.actor_id, e.target_id, e.object_id) for e in accepted] == [(alice.id, bob.id, a1.id),
                                                                       (alice.id, dave.id, a2.id)]
    assert conv.accept_answer(alice, question.id, None).accepted_answer_id is None
    cleared = Activity.objects.get(verb=Verb.CLEAR_ANSWER)
    assert (cleared.actor_id, cleared.object_id, cleared.details) == (alice.id, question.id, {"answer": a2.id})
    # Clearing when nothing is accepted changes nothing and records nothing.
    before = snapshot()
    conv.accept_answer(alice, question.id, None)
    assert snapshot() == before


def test_accept_nested_reply(alice, bob, question):
    r1 = conv.create_reply(bob, question.id, body="one")
    r2 = conv.create_reply(alice, r1.id, body="nested, by the asker")
    assert conv.accept_answer(alice, question.id, r2.id).accepted_answer_id == r2.id
    # The asker accepting her own reply is no interaction with anyone.
    assert Activity.objects.get(verb=Verb.ACCEPT_ANSWER).target_id is None


def test_accept_someone_elses_question_is_forbidden_but_moderator_may(alice, bob, make_member, open_community):
    dave = make_member("dave")
    communities.join(dave, open_community)
    q = conv.create_post(bob, open_community, kind="question", body="bob asks")
    a = conv.create_reply(dave, q.id, body="dave answers")
    fail(Forbidden, conv.accept_answer, dave, q.id, a.id)
    assert conv.accept_answer(alice, q.id, a.id).accepted_answer_id == a.id  # alice owns the community


def test_accept_reply_from_another_thread_is_invalid(alice, bob, open_community, question):
    other = conv.create_post(alice, open_community, kind="question", body="another")
    stray = conv.create_reply(bob, other.id, body="answer elsewhere")
    fail(InvalidInput, conv.accept_answer, alice, question.id, stray.id, field="answer")
    fail(InvalidInput, conv.accept_answer, alice, question.id, question.id, field="answer")
    fail(InvalidInput, conv.accept_answer, alice, question.id, 10**9, field="answer")
    fail(InvalidInput, conv.accept_answer, alice, question.id, "x", field="answer")
    fail(InvalidInput, conv.accept_answer, alice, question.id, [stray.id], field="answer")


def test_accept_on_non_question_is_invalid(alice, bob, open_community):
    d = conv.create_post(alice, open_community, body="a discussion")
    r = conv.create_reply(bob, d.id, body="r")
    fail(InvalidInput, conv.accept_answer, alice, d.id, r.id, field="post")
    fail(InvalidInput, conv.accept_answer, alice, r.id, r.id, field="post")


def test_removed_reply_cannot_be_accepted_and_removal_clears_acceptance(alice, bob, question):
    a = conv.create_reply(bob, question.id, body="answer")
    b = conv.create_reply(bob, question.id, body="another")
    conv.accept_answer(alice, question.id, a.id)
    conv.remove_post(bob, a.id)
    assert fresh(question).accepted_answer_id is None
    fail(Conflict, conv.accept_answer, alice, question.id, a.id)
    conv.remove_post(alice, question.id)
    fail(Conflict, conv.accept_answer, alice, question.id, b.id)


# --- reading ----------------------------------------------------------------------------------


def test_get_readable_post_hides_secret_and_forbids_closed(alice, bob, secret_community):
    closed = communities.create_community(alice, name="Board", visibility="closed")
    secret_post = conv.create_post(alice, secret_community, body="s")
    closed_post = conv.create_post(alice, closed, body="c")
    with pytest.raises(NotFound):
        conv.get_readable_post(bob, secret_post.id)
    with pytest.raises(Forbidden):
        conv.get_readable_post(bob, closed_post.id)
    assert conv.get_readable_post(alice, secret_post.id).id == secret_post.id


def test_topics_are_created_once_and_lowercased(alice, bob, open_community):
    conv.create_post(alice, open_community, body="#Roadmap and #roadmap and `#code`")
    conv.create_reply(bob, Post.objects.get().id, body="#ROADMAP again")
    assert list(Topic.objects.values_list("name", flat=True)) == ["roadmap"]


def test_replies_nest_deep_but_a_runaway_chain_is_stopped(alice, bob, open_community, monkeypatch):
    monkeypatch.setattr(conv, "MAX_REPLY_DEPTH", 5)
    post = conv.create_post(alice, open_community, body="root")
    parent = post
    for i in range(5):
        parent = conv.create_reply(bob if i % 2 else alice, parent.id, body=f"level {i + 1}")
    assert parent.depth == 5
    before = Post.objects.count()
    with pytest.raises(InvalidInput) as err:
        conv.create_reply(alice, parent.id, body="too deep")
    assert err.value.field == "parent"
    assert Post.objects.count() == before
