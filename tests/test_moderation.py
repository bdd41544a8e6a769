"""Issue 11 point 2: flags reach the queues, moderators act, the read policy follows, the author
is told; watched words block, hold or flag, and a pathological regular expression is refused."""

from __future__ import annotations

import time

import pytest

from socialfabric import access
from socialfabric.activity.models import Activity, Verb
from socialfabric.communities import services as communities
from socialfabric.conversations import services as conv
from socialfabric.conversations.models import Post, PostState
from socialfabric.errors import Conflict, Forbidden, InvalidInput, NotFound
from socialfabric.feed import services as feed
from socialfabric.governance import moderation
from socialfabric.governance.models import Flag, Suspension, WatchedWord
from socialfabric.notifications import services as notifications
from socialfabric.notifications.models import Kind, Notification
from socialfabric.search import services as search
from tests.helpers import failing_act


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the consumers (index, notifications) as after a real commit."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def staff(make_member):
    return make_member("root", is_staff=True)


@pytest.fixture
def dave(make_member, open_community):
    dave = make_member("dave")
    communities.join(dave, open_community)
    return dave


@pytest.fixture
def thread(bob, dave, open_community, committed):
    with committed():
        root = conv.create_post(bob, open_community, title="Pump offer", body="Cheap pumps for everyone")
        reply = conv.create_reply(dave, root.id, body="Buy my gizmo at discount")
    return root, reply


def home_ids(member) -> set[int]:
    return {i.post.id for i in feed.community_feed(member, conv.Post.objects.get(id=next(iter(
        Post.objects.values_list("id", flat=True)))).community).items}


def readable(member, post) -> bool:
    try:
        conv.get_readable_post(member, post.id)
    except NotFound:
        return False
    return True


def found(member, text) -> set[int]:
    return {h.post.id for h in search.posts(member, text).hits}


def test_anyone_who_reads_flags_once_with_a_reason(alice, bob, dave, thread):
    root, reply = thread
    fail = failing_act(lambda: {"flags": Flag.objects.count(), "acts": Activity.objects.count()})
    fail(InvalidInput, moderation.flag_post, bob, reply.id, reason="rude", field="reason")
    fail(InvalidInput, moderation.flag_post, bob, reply.id, reason="other", field="text")  # other says what
    fail(InvalidInput, moderation.flag_post, bob, reply.id, reason="watched_word", field="reason")
    fail(Conflict, moderation.flag_post, dave, reply.id, reason="spam")  # one's own post
    flag = moderation.flag_post(bob, reply.id, reason="spam", text="Advertising")
    assert (flag.member, flag.reason, flag.text, flag.resolved_at) == (bob, "spam", "Advertising", None)
    fail(Conflict, moderation.flag_post, bob, reply.id, reason="harassment")  # once per person
    moderation.flag_post(alice, reply.id, reason="off_topic")
    act = Activity.objects.filter(verb=Verb.FLAG).last()
    assert (act.actor_id, act.object_id, act.target_id, act.details) == (alice.id, reply.id, None,
                                                                       {"reason": "off_topic"})


def test_flags_reach_the_community_queue_and_the_organisations(alice, bob, dave, staff, thread, make_member):
    root, reply = thread
    moderation.flag_post(bob, reply.id, reason="spam")
    moderation.flag_post(alice, reply.id, reason="spam")
    items, _ = moderation.queue(alice, root.community)  # alice owns the community
    assert [(i.post.id, i.reasons) for i in items] == [(reply.id, {"spam": 2})]
    assert [i.post.id for i in moderation.queue(staff)[0]] == [reply.id]
    assert moderation.waiting_count(alice) == moderation.waiting_count(staff) == 1
    assert moderation.waiting_count(bob) == 0
    with pytest.raises(Forbidden):
        moderation.queue(bob, root.community)  # a plain member works no queue
    assert [i.post.id for i in moderation.queue(alice)[0]] == [reply.id]  # all she moderates
    with pytest.raises(Forbidden):
        moderation.queue(bob)  # who moderates nothing has no queue
    other = communities.create_community(make_member("eve"), name="Elsewhere")
    assert moderation.queue(staff, other)[0] == []
    assert moderation.queue_counts(alice) == [{"id": root.community_id, "slug": root.community.slug,
                                               "name": root.community.name, "waiting": 1}]


def test_hide_makes_a_post_invisible_to_all_but_author_and_moderators(alice, bob, dave, staff, thread, committed,
                                                                      make_member):
    root, reply = thread
    eve = make_member("eve")
    moderation.flag_post(bob, reply.id, reason="spam")
    assert found(eve, "gizmo") == {reply.id}
    with committed():
        assert moderation.moderate(alice, reply.id, "hide") == "hidden"
    reply.refresh_from_db()
    assert reply.state == PostState.HIDDEN
    assert Post.objects.get(id=root.id).reply_count == 0  # counts do not betray it
    for member, sees in ((dave, True), (alice, True), (staff, True), (bob, False), (eve, False)):
        access.forget(member)
        assert readable(member, reply) is sees, member
        assert (reply.id in {p.id for p in conv.thread(member, root.id)[1]}) is sees, member
        assert (reply.id in set(Post.objects.visible_to(member).values_list("id", flat=True))) is sees, member
    assert found(eve, "gizmo") == set() and found(bob, "gizmo") == set()
    assert Flag.objects.get().outcome == "hidden"
    assert moderation.queue(alice, root.community)[0] == []  # resolved: out of the queue
    told = Notification.objects.get(recipient=dave, kind=Kind.MODERATION)
    assert told.detail == "hidden" and "hid your post" in notifications.describe(told)
    # Restored: back for everyone, counted again, found again.
    with committed():
        assert moderation.moderate(alice, reply.id, "restore") == "restored"
    assert readable(eve, reply) and Post.objects.get(id=root.id).reply_count == 1
    assert found(eve, "gizmo") == {reply.id}
    assert set(Notification.objects.filter(recipient=dave, kind=Kind.MODERATION).values_list("detail", flat=True)) \
        == {"hidden", "restored"}


def test_a_hidden_thread_takes_its_replies_with_it(alice, bob, dave, thread, committed, make_member):
    root, reply = thread
    eve = make_member("eve")
    with committed():
        moderation.moderate(alice, root.id, "hide")
    assert not readable(eve, root) and not readable(eve, reply)  # a reply is read with its thread
    assert readable(dave, reply) is False and readable(bob, root)  # bob wrote the thread
    assert root.id not in {i.post.id for i in feed.home_feed(dave).items}
    assert root.id in {i.post.id for i in feed.community_feed(alice, root.community).items}  # the moderator
    assert found(eve, "gizmo") == set() and found(eve, "pumps") == set()


def test_remove_warn_dismiss_and_suspend(alice, bob, dave, staff, thread, committed):
    root, reply = thread
    moderation.flag_post(bob, reply.id, reason="harassment")
    with pytest.raises(InvalidInput):
        moderation.moderate(alice, reply.id, "warn")  # a warning says why
    with committed():
        assert moderation.moderate(alice, reply.id, "warn", reason="Keep it civil") == "warned"
    assert Activity.objects.filter(verb=Verb.WARN, target=dave).exists()
    moderation.flag_post(alice, root.id, reason="off_topic")
    with committed():
        assert moderation.moderate(alice, root.id, "dismiss") == "dismissed"
    assert not Notification.objects.filter(recipient=bob, kind=Kind.MODERATION).exists()  # never knew
    with committed():
        assert moderation.moderate(alice, reply.id, "remove") == "removed"
    assert Post.objects.get(id=reply.id).is_removed
    assert Notification.objects.filter(recipient=dave, kind=Kind.MODERATION, detail="removed", post=None).exists()
    # Suspended from the community for 3 days: no posts, replies, reactions or flags there.
    with pytest.raises(InvalidInput):
        moderation.moderate(alice, root.id, "suspend", reason="Spam", days=0)
    with pytest.raises(Forbidden):  # only staff suspend from the whole platform
        moderation.moderate(alice, root.id, "suspend", reason="Spam", days=3, platform=True)
    with committed():
        assert moderation.moderate(alice, root.id, "suspend", reason="Repeated spam", days=3) == "suspended"
    access.forget(bob)
    for act in (lambda: conv.create_post(bob, root.community, body="again"),
                lambda: conv.create_reply(bob, root.id, body="again"),
                lambda: conv.react(bob, root.id, "like")):
        with pytest.raises(Forbidden) as refused:
            act()
        assert refused.value.code == "suspended" and "Repeated spam" in refused.value.message
    elsewhere = communities.create_community(bob, name="Bob's own")  # elsewhere bob goes on
    conv.create_post(bob, elsewhere, body="fine here")
    assert Notification.objects.filter(recipient=bob, kind=Kind.MODERATION, detail="suspended").exists()
    # Lifted: writing again.
    moderation.lift_suspension(alice, Suspension.objects.get().id)
    access.forget(bob)
    conv.create_post(bob, root.community, body="I am back")
    # The platform: staff only, everywhere.
    moderation.suspend(staff, bob, community=None, days=1, reason="Cool down")
    access.forget(bob)
    with pytest.raises(Forbidden):
        conv.create_post(bob, elsewhere, body="not now")


def test_only_the_communitys_moderators_act(alice, bob, dave, thread, make_member):
    root, reply = thread
    eve = make_member("eve")
    with pytest.raises(Forbidden):
        moderation.moderate(bob, reply.id, "hide")
    with pytest.raises(NotFound):
        moderation.moderate(eve, 10**9, "hide")
    with pytest.raises(InvalidInput):
        moderation.moderate(alice, reply.id, "burn")
    moderation.moderate(alice, reply.id, "hide")
    with pytest.raises(Conflict):
        moderation.moderate(alice, reply.id, "hide")
    with pytest.raises(NotFound):  # a hidden post is no post to an outsider: no oracle
        moderation.flag_post(eve, reply.id, reason="spam")


# --- watched words ----------------------------------------------------------------------------

@pytest.fixture
def words(staff):
    moderation.add_watched_word(staff, pattern="gizmo", action="block", reason="We do not sell here.")
    moderation.add_watched_word(staff, pattern=r"project\s+orion", is_regex=True, action="hold")
    moderation.add_watched_word(staff, pattern="discount", action="flag")


def test_a_blocked_word_refuses_the_post_with_the_reason(bob, open_community, thread, words):
    root, _ = thread
    fail = failing_act(lambda: {"posts": Post.objects.count(), "acts": Activity.objects.count()})
    refused = fail(InvalidInput, conv.create_post, bob, open_community, body="My GIZMO is great", field="body")
    assert refused.code == "blocked" and "We do not sell here." in refused.message
    fail(InvalidInput, conv.create_reply, bob, root.id, body="gizmo!", field="body")
    fail(InvalidInput, conv.edit_post, bob, root.id, body="Now with gizmo", field="body")
    conv.create_post(bob, open_community, body="Gizmos and gizmology are other words")  # whole words only


def test_a_held_post_waits_for_a_moderator_then_comes_out_once(alice, bob, dave, open_community, words, committed):
    notifications.watch_community(dave, open_community, "watching")
    with committed():
        held = conv.create_post(bob, open_community, title="News", body="About Project  Orion, @dave")
    assert held.state == PostState.HELD
    assert not readable(dave, held) and readable(alice, held) and readable(bob, held)
    assert not Notification.objects.filter(recipient=dave).exists()  # nobody told while held
    assert not Activity.objects.filter(verb=Verb.POST, object_id=held.id).exists()
    assert Activity.objects.filter(verb=Verb.SUBMIT, object_id=held.id).exists()
    (item,), _ = moderation.queue(alice, open_community)
    assert item.post.id == held.id and item.reasons == {"watched_word": 1}
    with committed():
        assert moderation.moderate(alice, held.id, "dismiss") == "released"
    assert readable(dave, held)
    posted = Activity.objects.get(verb=Verb.POST, object_id=held.id)
    assert posted.actor_id == bob.id and posted.created_at == held.created_at  # its original time
    assert set(Notification.objects.filter(recipient=dave).values_list("kind", flat=True)) == {"mention", "watched"}
    assert Notification.objects.filter(recipient=bob, kind=Kind.MODERATION, detail="released").exists()


def test_a_flagging_word_publishes_and_queues(alice, bob, open_community, words):
    post = conv.create_post(bob, open_community, body="A discount for the team")
    assert post.state == PostState.PUBLISHED
    flag = Flag.objects.get(post=post)
    assert flag.member is None and flag.reason == "watched_word" and "discount" in flag.text
    assert [i.post.id for i in moderation.queue(alice, open_community)[0]] == [post.id]


def test_watched_words_are_for_staff_and_checked(staff, alice):
    with pytest.raises(Forbidden):
        moderation.add_watched_word(alice, pattern="x", action="block")
    with pytest.raises(InvalidInput):
        moderation.add_watched_word(staff, pattern="x", action="shout")
    with pytest.raises(InvalidInput):
        moderation.add_watched_word(staff, pattern="(unclosed", is_regex=True, action="block")
    word = moderation.add_watched_word(staff, pattern="leak", action="flag")
    with pytest.raises(Conflict):
        moderation.add_watched_word(staff, pattern="leak", action="block")
    moderation.remove_watched_word(staff, word.id)
    assert not WatchedWord.objects.exists()
    with pytest.raises(NotFound):
        moderation.remove_watched_word(staff, word.id)


@pytest.mark.parametrize("pattern", [r"(a+)+$", r"(a|aa)*b", r"(\w+\s?)*$", r"^(([a-z])+.)+[A-Z]([a-z])+$",
                                     r"\s*\s*\s*x", r".*.*.*="])
def test_a_pathological_regular_expression_is_refused_quickly(staff, pattern):
    start = time.perf_counter()
    with pytest.raises(InvalidInput) as refused:
        moderation.add_watched_word(staff, pattern=pattern, is_regex=True, action="flag")
    assert refused.value.field == "pattern"
    assert "time" in refused.value.message or "too long" in refused.value.message
    assert time.perf_counter() - start < 3
    assert not WatchedWord.objects.exists()


@pytest.mark.parametrize("pattern", [r"\b\d{3}-\d{2}-\d{4}\b", r"confidential\W+(project|deal)", "a.{0,40}b"])
def test_ordinary_regular_expressions_are_accepted(staff, pattern):
    assert moderation.add_watched_word(staff, pattern=pattern, is_regex=True, action="flag").pattern == pattern
