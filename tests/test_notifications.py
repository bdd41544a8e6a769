"""Notifications: one per act, never about what the recipient cannot read, as each member chose,
by the bell, the list, e-mail at once and the digest (a real SMTP server), with one-click
unsubscribe per kind. The browser test (the bell rising live) is in test_notifications_browser.py.

The notifications are made by an after-commit consumer of the activity stream, so these tests
run each act's commit callbacks (`committed`), or use real transactions where a job worker runs.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from socialfabric.activity.models import Activity
from socialfabric.communities import services as communities
from socialfabric.conversations import services as conv
from socialfabric.errors import InvalidInput, NotFound
from socialfabric.notifications import consumer, mailing
from socialfabric.notifications import services as notifications
from socialfabric.notifications.models import Channel, Digest, Frequency, Kind, Level, Notification, Preference
from tests.helpers import failing_act, login, run_jobs

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a block's after-commit callbacks (the notifications consumer) when it ends."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def kinds(member) -> list[str]:
    return sorted(n.kind for n in notifications.visible(member))


@pytest.fixture
def dave(make_member, unit, open_community):
    d = make_member("dave", unit=unit)
    communities.join(d, open_community)
    return d


# --- each kind, once ----------------------------------------------------------------------------

def test_each_kind_is_made_once_and_a_replayed_act_makes_none_twice(alice, bob, dave, make_member, open_community,
                                                                       committed):
    erin = make_member("erin")
    communities.join(erin, open_community)
    notifications.watch_community(erin, open_community, Level.WATCHING)
    closed = communities.create_community(alice, name="Board Room", visibility="closed")
    frank = make_member("frank")
    with committed():
        question = conv.create_post(alice, open_community, kind="question", title="Which database?", body="Any views?")
    with committed():
        answer = conv.create_reply(bob, question.id, body="PostgreSQL, @dave agrees")
    with committed():
        conv.create_reply(dave, answer.id, body="I do.")
    with committed():
        conv.accept_answer(alice, question.id, answer.id)
    with committed():
        conv.react(bob, question.id, "like")
        conv.react(dave, question.id, "insightful")
    with committed():
        request = communities.request_to_join(frank, closed, "Let me in")
    with committed():
        communities.decide_request(alice, request.id, approve=True)

    assert kinds(alice) == [Kind.ANSWER, Kind.JOIN_REQUEST, Kind.REACTION]
    assert kinds(bob) == [Kind.ACCEPTED, Kind.REPLY]
    assert kinds(dave) == [Kind.MENTION]
    assert kinds(erin) == [Kind.WATCHED]  # the question; not the replies
    assert kinds(frank) == [Kind.JOIN_DECISION]
    texts = {n.kind: notifications.describe(n) for n in Notification.objects.all()}
    assert texts[Kind.ANSWER] == "Bob answered your question “Which database?”"
    assert texts[Kind.REACTION] == "Dave and 1 other reacted to your post in “Which database?”"
    assert texts[Kind.JOIN_DECISION] == "Alice approved your request to join Board Room"
    assert texts[Kind.WATCHED] == "Alice posted “Which database?” in Product Ideas"

    before = sorted(Notification.objects.values_list("recipient_id", "kind", "others", "activity_id"))
    for act in Activity.objects.order_by("id"):  # a retried job runs its handlers again
        consumer.replay(act)
    assert sorted(Notification.objects.values_list("recipient_id", "kind", "others", "activity_id")) == before


def test_reactions_gather_until_read_then_start_a_new_one(alice, bob, dave, make_member, open_community, committed):
    post = conv.create_post(alice, open_community, title="Launch day", body="We shipped")
    people = [bob, dave, *(make_member(f"fan{i}") for i in range(3))]
    for p in people[2:]:
        communities.join(p, open_community)
    for p in people:
        with committed():
            conv.react(p, post.id, "celebrate")
    [one] = notifications.visible(alice)
    assert one.others == 4 and notifications.describe(one).startswith("Fan2 and 4 others reacted")
    notifications.mark_read(alice, one.id)
    with committed():
        conv.react(bob, post.id, "like")
    assert [n.others for n in notifications.visible(alice).order_by("id")] == [4, 0]
    assert notifications.unread_count(alice) == 1


# --- never about what the recipient cannot read -------------------------------------------------

def test_nobody_is_told_of_a_post_they_cannot_read(alice, bob, secret_community, committed):
    with committed():
        conv.create_post(alice, secret_community, title="Merger", body="Talk to @bob about it")
    assert Notification.objects.count() == 0
    assert notifications.unread_count(bob) == 0


def test_a_notification_whose_post_became_unreadable_is_neither_shown_nor_counted(alice, bob, make_member,
                                                                                   committed):
    closed = communities.create_community(alice, name="Pricing", visibility="closed")
    communities.add_member(alice, closed, bob)
    with committed():
        post = conv.create_post(alice, closed, title="New prices", body="@bob please check")
    with committed():
        other = conv.create_post(alice, closed, title="Old prices", body="@bob and these")
    [first, second] = notifications.visible(bob).order_by("id")
    client = login(bob)
    assert client.get(reverse("web:notifications_bell")).content.count(b"bell-count") == 1

    conv.remove_post(alice, post.id)  # removed: the first goes
    assert [n.id for n in notifications.visible(bob)] == [second.id]
    with pytest.raises(NotFound):
        notifications.get(bob, first.id)
    assert client.get(reverse("web:notification", args=[first.id])).status_code == 404
    assert client.post(f"/api/v1/notifications/{first.id}/read").status_code == 404

    communities.remove_member(alice, closed, bob)  # out of the community: the second goes too
    assert notifications.unread_count(bob) == 0
    page = client.get(reverse("web:notifications"))
    assert b"Old prices" not in page.content and b"New prices" not in page.content
    assert client.get("/api/v1/notifications/unread-count").json() == {"unread": 0}
    assert client.get("/api/v1/notifications").json()["items"] == []
    assert other.id  # the post itself lives on for the community's members


def test_someone_elses_notification_answers_like_none(alice, bob, open_community, committed):
    with committed():
        conv.create_post(alice, open_community, title="Hello", body="hi @bob")
    [n] = notifications.visible(bob)
    assert login(alice).get(reverse("web:notification", args=[n.id])).status_code == 404
    assert login(alice).post(f"/api/v1/notifications/{n.id}/read").status_code == 404
    assert Notification.objects.get(id=n.id).read_at is None


# --- preferences and watching -------------------------------------------------------------------

def test_a_kind_turned_off_is_not_made_and_a_muted_community_tells_only_mentions(alice, bob, dave, open_community,
                                                                                  committed):
    notifications.set_preferences(bob, channels={Kind.REPLY: Channel.OFF})
    post = conv.create_post(bob, open_community, title="Ideas", body="Anyone?")
    with committed():
        conv.create_reply(alice, post.id, body="Me")
    assert kinds(bob) == []
    notifications.watch_community(dave, open_community, Level.MUTED)
    mine = conv.create_post(dave, open_community, title="Muted here", body="x")
    with committed():
        conv.create_reply(alice, mine.id, body="A reply")
        conv.react(alice, mine.id, "like")
    assert kinds(dave) == []
    with committed():
        conv.create_post(alice, open_community, title="Still", body="@dave a mention gets through")
    assert kinds(dave) == [Kind.MENTION]


def test_watching_a_topic_tells_of_new_posts_where_one_may_read(alice, bob, open_community, secret_community,
                                                               committed):
    conv.create_post(alice, open_community, title="First", body="about #pricing")
    notifications.watch_topic(bob, "pricing", True)
    with committed():
        conv.create_post(alice, open_community, title="Second", body="more #pricing")
        conv.create_post(alice, secret_community, title="Hidden", body="secret #pricing")
    assert [notifications.describe(n) for n in notifications.visible(bob)] == [
        "Alice posted “Second” in Product Ideas"]
    assert Notification.objects.filter(recipient=bob).count() == 1
    notifications.watch_topic(bob, "pricing", False)
    with committed():
        conv.create_post(alice, open_community, title="Third", body="#pricing again")
    assert Notification.objects.filter(recipient=bob).count() == 1
    with pytest.raises(NotFound):  # used only where bob cannot read: like no topic at all
        notifications.watch_topic(bob, "merger-only", True)


def test_bad_preferences_change_nothing(alice):
    fail = failing_act(lambda: {"p": Preference.objects.count(), "d": Digest.objects.count(),
                                "a": Activity.objects.count()})
    assert fail(InvalidInput, notifications.set_preferences, alice,
                channels={Kind.MENTION: Channel.EMAIL, "telepathy": Channel.EMAIL}, field="channels")
    assert fail(InvalidInput, notifications.set_preferences, alice,
                channels={Kind.MENTION: "pigeon"}, field=Kind.MENTION)
    assert fail(InvalidInput, notifications.set_preferences, alice, digest="hourly", field="digest")


def test_watch_levels_follow_the_read_policy(alice, bob, secret_community, make_member):
    closed = communities.create_community(alice, name="Finance", visibility="closed")
    from socialfabric.errors import Forbidden
    with pytest.raises(NotFound):
        notifications.watch_community(bob, secret_community, Level.WATCHING)
    with pytest.raises(Forbidden):
        notifications.watch_community(bob, closed, Level.WATCHING)
    with pytest.raises(InvalidInput):
        notifications.watch_community(alice, closed, "loud")
    assert notifications.level_in(alice, closed) == Level.NORMAL


# --- web and API --------------------------------------------------------------------------------

def test_bell_list_open_and_read_all_on_the_web(alice, bob, open_community, committed):
    client = login(bob)
    assert b'aria-label="Notifications"' in client.get(reverse("web:home")).content
    with committed():
        post = conv.create_post(alice, open_community, title="Plan", body="see @bob")
    with committed():
        reply = conv.create_reply(alice, post.id, body="and @bob again")
    home = client.get(reverse("web:home")).content.decode()
    assert 'aria-label="Notifications, 2 unread"' in home and 'data-count="2"' in home
    # The poll answers 204 while the count holds, the bell fragment when it changed.
    assert client.get(reverse("web:notifications_bell"), {"seen": "2"}, **HTMX).status_code == 204
    assert b'data-count="2"' in client.get(reverse("web:notifications_bell"), {"seen": "1"}, **HTMX).content
    page = client.get(reverse("web:notifications")).content.decode()
    assert "Alice mentioned you in “Plan”" in page and page.count('class="notification unread"') == 2
    fingerprint = re.search(r'\?live=([^"]+)"', page).group(1)
    assert client.get(reverse("web:notifications"), {"live": fingerprint}, **HTMX).status_code == 204

    newest = notifications.visible(bob).order_by("-id").first()
    opened = client.get(reverse("web:notification", args=[newest.id]))
    assert opened.status_code == 302 and opened["Location"] == f"/posts/{post.id}/#post-{reply.id}"
    assert notifications.unread_count(bob) == 1
    assert client.get(reverse("web:notifications"), {"live": fingerprint}, **HTMX).status_code == 200

    assert client.post(reverse("web:notifications_read_all")).status_code == 302
    assert notifications.unread_count(bob) == 0
    assert b"bell-count" not in client.get(reverse("web:home")).content


def test_the_bell_stops_counting_at_99_plus_and_hides_what_became_unreadable(alice, bob, open_community,
                                                                           committed):
    with committed():
        post = conv.create_post(alice, open_community, title="Plan", body="see @bob")
    seed = Notification.objects.get(recipient=bob)
    Notification.objects.bulk_create(
        Notification(recipient=bob, kind=seed.kind, actor=alice, post=post, community=open_community,
                     activity_id=seed.activity_id + i) for i in range(1, 120))
    assert notifications.unread_count(bob) == 120
    assert notifications.unread_count(bob, notifications.BELL_MOST) == 100
    home = login(bob).get(reverse("web:home")).content.decode()
    assert 'aria-label="Notifications, more than 99 unread"' in home and ">99+</span>" in home
    conv.remove_post(alice, post.id)  # every one of them is about a post nobody may read now
    assert notifications.unread_count(bob, notifications.BELL_MOST) == 0
    assert "bell-count" not in login(bob).get(reverse("web:home")).content.decode()


def test_the_notifications_list_pages_by_cursor(alice, bob, open_community, committed, settings):
    for i in range(5):
        with committed():
            conv.create_post(alice, open_community, title=f"Note {i}", body="@bob")
    seen, cursor = [], None
    while True:
        body = login(bob).get("/api/v1/notifications", {"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [i["text"] for i in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == [f"Alice mentioned you in “Note {i}”" for i in (4, 3, 2, 1, 0)]
    assert body["unread"] == 5


def test_settings_page_saves_all_or_nothing(alice, bob, open_community):
    client = login(bob)
    page = client.get(reverse("web:notification_settings")).content.decode()
    assert 'name="channel-mention"' in page and 'name="level-product-ideas"' in page
    saved = client.post(reverse("web:notification_settings"), {
        "channel-mention": "email", "channel-reaction": "off", "digest": "daily",
        "level-product-ideas": "watching"})
    assert saved.status_code == 302
    assert notifications.channels(bob)[Kind.MENTION] == Channel.EMAIL
    assert notifications.channels(bob)[Kind.REACTION] == Channel.OFF
    assert notifications.digest_frequency(bob) == Frequency.DAILY
    assert notifications.level_in(bob, open_community) == Level.WATCHING
    refused = client.post(reverse("web:notification_settings"), {
        "channel-mention": "in_app", "digest": "weekly", "level-product-ideas": "deafening"})
    assert refused.status_code == 400 and b"Nothing was saved" in refused.content
    assert notifications.channels(bob)[Kind.MENTION] == Channel.EMAIL  # rolled back with the rest
    assert notifications.digest_frequency(bob) == Frequency.DAILY


def test_watch_controls_on_community_and_topic_pages(alice, bob, open_community):
    client = login(bob)
    assert b'action="/communities/product-ideas/watch/"' in client.get(reverse("web:community",
                                                                                args=["product-ideas"])).content
    assert client.post(reverse("web:community_watch", args=["product-ideas"]), {"level": "muted"}).status_code == 302
    assert notifications.level_in(bob, open_community) == Level.MUTED
    assert client.post(reverse("web:community_watch", args=["product-ideas"]), {"level": "x"}).status_code == 400
    conv.create_post(alice, open_community, title="Tagged", body="#roadmap")
    assert client.post(reverse("web:topic_watch", args=["roadmap"]), {"watch": "1"}).status_code == 302
    assert notifications.watches_topic(bob, "roadmap")
    assert b"Watching #roadmap" in client.get(reverse("web:topic", args=["roadmap"])).content
    assert client.put("/api/v1/topics/roadmap/watch", {"watching": False},
                      content_type="application/json").json() == {"topic": "roadmap", "watching": False}
    answer = client.put("/api/v1/communities/product-ideas/watch", {"level": "watching"},
                        content_type="application/json")
    assert answer.status_code == 200 and answer.json()["level"] == "watching"


def test_preferences_through_the_api(bob):
    client = login(bob)
    assert client.get("/api/v1/notifications/preferences").json()["channels"]["join_request"] == "email"
    changed = client.put("/api/v1/notifications/preferences", {"channels": {"reply": "digest"}, "digest": "off"},
                         content_type="application/json")
    assert changed.status_code == 200
    assert changed.json()["channels"]["reply"] == "digest" and changed.json()["digest"] == "off"
    bad = client.put("/api/v1/notifications/preferences", {"channels": {"reply": "pigeon"}},
                     content_type="application/json")
    assert bad.status_code in (400, 422) and bad.json()["error"]["code"]
    assert notifications.channels(bob)[Kind.REPLY] == Channel.DIGEST


def test_the_feed_says_how_many_new_posts_arrived(alice, bob, open_community):
    conv.create_post(alice, open_community, title="Old news", body="x")
    client = login(bob)
    home = client.get(reverse("web:home")).content.decode()
    since = re.search(r'feed/news/\?since=([^&"]+)', home).group(1)
    news = reverse("web:feed_news") + f"?since={since}"
    assert client.get(news + "&seen=0", **HTMX).status_code == 204
    for i in range(3):
        conv.create_post(alice, open_community, title=f"Fresh {i}", body="y")
    fragment = client.get(news + "&seen=0", **HTMX).content.decode()
    assert "3 new posts" in fragment
    assert client.get(news + "&seen=3", **HTMX).status_code == 204


# --- e-mail: at once, the digest, unsubscribe (a real SMTP server) ------------------------------

@pytest.mark.django_db(transaction=True)
def test_a_mention_mailed_at_once_once_with_one_click_unsubscribe_for_its_kind_only(alice, bob, open_community,
                                                                                    smtp):
    notifications.set_preferences(bob, channels={Kind.MENTION: Channel.EMAIL, Kind.REPLY: Channel.EMAIL})
    post = conv.create_post(alice, open_community, title="Budget", body="@bob can you <b>check</b>?")
    run_jobs()
    [message] = smtp.messages
    assert message["To"] == "bob@example.org"
    assert message["Subject"] == "Alice mentioned you in “Budget”"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert f"/posts/{post.id}/" in text and f"/posts/{post.id}/" in html
    url = re.fullmatch(r"<(.+)>", message["List-Unsubscribe"].strip()).group(1)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [n] = notifications.visible(bob)
    mailing.mail_now.call(n.id)  # a retried job sends nothing twice
    run_jobs()
    assert len(smtp.messages) == 1

    path = url.split("://", 1)[1].split("/", 1)[1]
    anonymous = Client(enforce_csrf_checks=True)
    assert b"Unsubscribe" in anonymous.get(f"/{path}").content
    assert notifications.channels(bob)[Kind.MENTION] == Channel.EMAIL  # a GET (a link scanner) changes nothing
    done = anonymous.post(f"/{path}", "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert done.status_code == 200 and b"Unsubscribed" in done.content
    assert notifications.channels(bob)[Kind.MENTION] == Channel.IN_APP
    assert notifications.channels(bob)[Kind.REPLY] == Channel.EMAIL  # only its kind
    assert anonymous.post(f"/{path[:-6]}xxxxx/").status_code == 404
    conv.create_post(alice, open_community, title="Again", body="@bob once more")
    run_jobs()
    assert len(smtp.messages) == 1 and notifications.unread_count(bob) == 2  # the bell still tells


@pytest.mark.django_db(transaction=True)
def test_no_mail_for_a_post_removed_before_the_job_ran(alice, bob, open_community, smtp):
    notifications.set_preferences(bob, channels={Kind.MENTION: Channel.EMAIL})
    post = conv.create_post(alice, open_community, title="Oops", body="@bob secret salary figures")
    conv.remove_post(alice, post.id)
    run_jobs()
    assert smtp.messages == []


@pytest.mark.django_db(transaction=True)
def test_the_digest_holds_lively_and_unanswered_threads_and_unread_notifications(alice, bob, make_member,
                                                                                 open_community, secret_community,
                                                                                 smtp):
    dave = make_member("dave")
    communities.join(dave, open_community)
    lively = conv.create_post(alice, open_community, title="Lively thread", body="cheer")
    conv.react(dave, lively.id, "like")
    conv.create_post(dave, open_community, kind="question", title="Nobody answered me", body="?")
    conv.create_post(alice, open_community, title="Hello", body="@bob read this")
    conv.create_post(alice, secret_community, kind="question", title="Merger question", body="?")
    notifications.set_preferences(bob, digest=Frequency.DAILY)
    run_jobs()
    smtp.messages.clear()
    assert mailing.send_due_digests() >= 1
    run_jobs()
    [digest] = [m for m in smtp.messages if m["To"] == "bob@example.org"]
    text = digest.get_body(("plain",)).get_content()
    assert "Lively thread" in text and "Nobody answered me" in text and "Alice mentioned you in “Hello”" in text
    assert "Merger" not in text and "Merger" not in digest.get_body(("html",)).get_content()
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mailing.send_due_digests() == 0  # not due again until tomorrow
    url = re.fullmatch(r"<(.+)>", digest["List-Unsubscribe"].strip()).group(1)
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    assert Client().post(path).status_code == 200
    assert notifications.digest_frequency(bob) == Frequency.OFF
    assert notifications.channels(bob) == notifications.channels(make_member("fresh"))  # kinds untouched


@pytest.mark.django_db(transaction=True)
def test_the_worker_starts_one_digest_chain_that_waits_an_hour(settings):
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    settings.SOCIALFABRIC_INSIGHTS_REFRESH_HOURS = 0
    run_jobs()
    run_jobs()  # a second start adds no second chain
    [waiting] = DBTaskResult.objects.filter(status="READY", task_path=mailing.digests.module_path)
    assert waiting.run_after > timezone.now() + timedelta(minutes=59)
    settings.SOCIALFABRIC_DIGESTS = False
    DBTaskResult.objects.all().delete()
    run_jobs()
    assert not DBTaskResult.objects.filter(task_path=mailing.digests.module_path).exists()
