"""Issue 11 points 2, 3 and 7 on the web and the API: flagging, the queues with their counts in
the header, moderators' actions, watched words, the approval rule and sign-off; errors as the
usual 4xx with a code and a field."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from socialfabric.communities import services as communities
from socialfabric.conversations import services as conv
from socialfabric.conversations.models import Post, PostState
from socialfabric.governance import moderation, signoff
from socialfabric.governance.models import Flag, WatchedWord
from socialfabric.org import services as org
from tests.helpers import login

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def staff(make_member):
    return make_member("root", is_staff=True)


@pytest.fixture
def officer(make_member):
    return make_member("olga", is_compliance_officer=True)


@pytest.fixture
def reply(bob, open_community, make_member):
    dave = make_member("dave")
    communities.join(dave, open_community)
    root = conv.create_post(bob, open_community, title="Pumps", body="Which pump?")
    return conv.create_reply(dave, root.id, body="Buy my gizmo")


def api(member) -> Client:
    _, plain = org.create_token(member, "script")
    return Client(HTTP_AUTHORIZATION=f"Bearer {plain}")


def test_flag_from_the_thread_reaches_the_queue_and_the_header(alice, bob, reply):
    page = login(bob).get(reverse("web:post", args=[reply.root_id])).content.decode()
    assert f'action="{reverse("web:post_flag", args=[reply.id])}"' in page  # on someone else's reply
    assert "Harassment" in page
    got = login(bob).post(reverse("web:post_flag", args=[reply.id]), {"reason": "spam", "text": "Advert"})
    assert got.status_code == 302 and Flag.objects.get().reason == "spam"
    again = login(bob).post(reverse("web:post_flag", args=[reply.id]), {"reason": "spam"}, **HTMX)
    assert again.status_code == 409 and "flagged this post already" in again.content.decode()
    home = login(alice).get(reverse("web:home")).content.decode()  # alice owns the community
    assert 'aria-label="1 waiting"' in home and reverse("web:moderation") in home
    assert reverse("web:moderation") not in login(bob).get(reverse("web:home")).content.decode()
    queue = login(alice).get(reverse("web:moderation")).content.decode()
    assert "Buy my gizmo" in queue and "Advert" in queue
    assert login(bob).get(reverse("web:moderation")).status_code == 403


def test_moderators_act_from_the_queue_with_and_without_htmx(alice, bob, reply):
    moderation.flag_post(bob, reply.id, reason="spam")
    url = reverse("web:post_moderate", args=[reply.id])
    warned = login(alice).post(url, {"action": "warn"}, **HTMX)  # a warning needs a reason
    assert warned.status_code == 400 and "reason" in warned.content.decode().lower()
    hidden = login(alice).post(url, {"action": "hide"}, **HTMX)
    assert hidden.status_code == 200 and "Hidden" in hidden.content.decode()
    assert Post.objects.get(id=reply.id).state == PostState.HIDDEN
    thread = login(bob).get(reverse("web:post", args=[reply.root_id])).content.decode()
    assert "Buy my gizmo" not in thread
    as_mod = login(alice).get(reverse("web:post", args=[reply.root_id])).content.decode()
    assert "Buy my gizmo" in as_mod and "Hidden by moderators" in as_mod
    restored = login(alice).post(url, {"action": "restore"})
    assert restored.status_code == 302 and Post.objects.get(id=reply.id).state == PostState.PUBLISHED
    assert login(bob).post(url, {"action": "hide"}).status_code == 403


def test_watched_words_page_refuses_a_pathological_pattern(staff, alice):
    url = reverse("web:staff_watched_words")
    assert login(alice).get(url).status_code == 403
    bad = login(staff).post(url, {"pattern": "(a+)+$", "is_regex": "on", "action": "block"})
    assert bad.status_code == 400 and "exponential" in bad.content.decode() and not WatchedWord.objects.exists()
    good = login(staff).post(url, {"pattern": "gizmo", "action": "block", "reason": "No selling."})
    assert good.status_code == 302 and WatchedWord.objects.get().action == "block"
    assert "gizmo" in login(staff).get(url).content.decode()


def test_a_blocked_post_is_refused_on_the_page_and_the_api(staff, bob, open_community):
    moderation.add_watched_word(staff, pattern="gizmo", action="block", reason="No selling.")
    page = login(bob).post(reverse("web:community", args=[open_community.slug]), {"body": "A gizmo for you"})
    assert page.status_code == 400 and "No selling." in page.content.decode()
    answer = api(bob).post(f"/api/v1/communities/{open_community.slug}/posts", {"body": "gizmo"},
                           content_type="application/json")
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "blocked" and answer.json()["error"]["field"] == "body"


def test_sign_off_on_the_web(alice, carol, officer):
    lounge = communities.create_community(alice, name="Lounge", audience="mixed", external_kinds=["customer"])
    communities.join(carol, lounge)
    rule_page = login(alice).post(reverse("web:community_approval", args=[lounge.slug]),
                                  {"kinds": ["customer"], "replies": "on"})
    assert rule_page.status_code == 302 and signoff.rule_of(lounge).kinds == ["customer"]
    community = login(carol).get(reverse("web:community", args=[lounge.slug])).content.decode()
    assert "wait for a compliance officer" in community
    posted = login(carol).post(reverse("web:community", args=[lounge.slug]), {"body": "May we visit?"}, follow=True)
    assert "waits for a compliance officer" in posted.content.decode()
    post = Post.objects.get(body="May we visit?")
    assert post.state == PostState.PENDING
    assert "Waiting for approval" in login(carol).get(reverse("web:post", args=[post.id])).content.decode()
    assert login(alice).get(reverse("web:post", args=[post.id])).status_code == 404
    queue = login(officer).get(reverse("web:approvals")).content.decode()
    assert "May we visit?" in queue and 'aria-label="1 waiting"' in queue
    assert login(alice).get(reverse("web:approvals")).status_code == 403
    bad = login(officer).post(reverse("web:post_sign_off", args=[post.id]), {"decision": "reject"}, **HTMX)
    assert bad.status_code == 400  # a rejection says why
    done = login(officer).post(reverse("web:post_sign_off", args=[post.id]), {"decision": "approve"}, **HTMX)
    assert done.status_code == 200 and "published" in done.content.decode()
    assert login(alice).get(reverse("web:post", args=[post.id])).status_code == 200


def test_the_api_for_flags_queues_words_rules_and_sign_off(alice, bob, carol, staff, officer, reply):
    flagged = api(bob).post(f"/api/v1/posts/{reply.id}/flags", {"reason": "spam"}, content_type="application/json")
    assert flagged.status_code == 201 and flagged.json()["reason"] == "spam"
    twice = api(bob).post(f"/api/v1/posts/{reply.id}/flags", {"reason": "spam"}, content_type="application/json")
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "conflict"
    wrong = api(bob).post(f"/api/v1/posts/{reply.id}/flags", {"reason": "ugly"}, content_type="application/json")
    assert wrong.status_code == 422
    queue = api(alice).get(f"/api/v1/communities/{reply.community.slug}/moderation/queue").json()
    assert [i["post"]["id"] for i in queue["items"]] == [reply.id] and queue["items"][0]["reasons"] == {"spam": 1}
    assert api(bob).get("/api/v1/moderation/queue").status_code == 403
    acted = api(alice).post(f"/api/v1/posts/{reply.id}/moderation", {"action": "suspend", "reason": "Spam",
                                                                      "days": 2}, content_type="application/json")
    assert acted.json() == {"outcome": "suspended"}
    refused = api(alice).post(f"/api/v1/posts/{reply.id}/moderation", {"action": "suspend", "reason": "x",
                                                                        "days": 0}, content_type="application/json")
    assert refused.status_code == 400 and refused.json()["error"]["field"] == "days"
    word = api(staff).post("/api/v1/watched-words", {"pattern": r"(\w+\s?)*$", "is_regex": True, "action": "hold"},
                           content_type="application/json")
    assert word.status_code == 400 and word.json()["error"]["field"] == "pattern"
    assert api(alice).get("/api/v1/watched-words").status_code == 403
    slug = reply.community.slug
    rule = api(alice).put(f"/api/v1/communities/{slug}/approval-rule", {"kinds": ["employee"]},
                          content_type="application/json")
    assert rule.json() == {"kinds": ["employee"], "roles": [], "replies": False}
    assert api(bob).put(f"/api/v1/communities/{slug}/approval-rule", {}, content_type="application/json"
                        ).status_code == 403
    made = api(bob).post(f"/api/v1/communities/{slug}/posts", {"body": "For review"}, content_type="application/json")
    assert made.status_code == 201 and made.json()["state"] == "pending"
    assert api(alice).get(f"/api/v1/posts/{made.json()['id']}").status_code == 404
    waiting = api(officer).get("/api/v1/approvals").json()["items"]
    assert [w["post"]["id"] for w in waiting] == [made.json()["id"]]
    approved = api(officer).post(f"/api/v1/posts/{made.json()['id']}/sign-off", {"decision": "approve"},
                                 content_type="application/json")
    assert approved.status_code == 200 and approved.json()["state"] == "published"
    assert api(alice).get(f"/api/v1/posts/{made.json()['id']}").status_code == 200
