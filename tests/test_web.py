"""The web pages through Django's test client: pages, plain forms, htmx fragments, errors, privacy."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from socialfabric.communities import services as communities
from socialfabric.communities.models import JoinRequest, Membership
from socialfabric.conversations import services as conv
from socialfabric.conversations.models import Post, Reaction
from socialfabric.org import services as org
from socialfabric.org.models import AccessToken, Follow
from tests.helpers import login
from tests.test_api_helpers import Api, ok

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def question(alice, bob, open_community) -> Post:
    return conv.create_post(alice, open_community, kind="question", title="Which roadmap tool?",
                            body="Ask @bob about #roadmap please")


@pytest.fixture
def secret_post(alice, secret_community) -> Post:
    return conv.create_post(alice, secret_community, title="Acquiring Initech", body="Keep quiet #merger")


def text(response) -> str:
    return response.content.decode()


# ---------------------------------------------------------------- sign-in


@pytest.mark.parametrize("path", ["/", "/communities/", "/communities/x/", "/posts/1/", "/people/",
                                  "/people/alice/", "/units/engineering/", "/topics/x/",
                                  "/settings/tokens/", "/settings/profile/", "/invite/", "/insights/",
                                  "/staff/", "/staff/people/", "/staff/invitations/", "/staff/communities/"])
def test_pages_need_sign_in(db, path):
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/signin/?next=")


def test_sign_in_and_out(alice):
    c = Client()
    page = c.get("/signin/?next=/people/")
    assert page.status_code == 200 and 'for="id_username"' in text(page)
    bad = c.post("/signin/", {"username": "alice", "password": "wrong-password", "next": "/people/"})
    assert bad.status_code == 400 and "do not match" in text(bad)
    ok = c.post("/signin/", {"username": "alice", "password": "correct-horse-battery", "next": "/people/"})
    assert ok.status_code == 302 and ok["Location"] == "/people/"
    assert c.get("/").status_code == 200
    out = c.post("/signout/")
    assert out.status_code == 302 and out["Location"] == "/signin/"
    assert c.get("/").status_code == 302


# ---------------------------------------------------------------- every page renders


def test_every_page_renders_for_a_member(as_alice, alice, question, unit):
    reply = conv.create_reply(alice, question.id, body="Try the board")
    pages = {
        "/": "Which roadmap tool?",
        "/communities/": "Product Ideas",
        "/communities/product-ideas/": "Which roadmap tool?",
        f"/posts/{question.id}/": "Try the board",
        "/people/": "Bob",
        "/people/bob/": "Engineering",
        "/units/engineering/": "Which roadmap tool?",
        "/topics/roadmap/": "Which roadmap tool?",
        "/settings/tokens/": "Create a token",
        f"/posts/{reply.id}/edit/": "Try the board",
    }
    for path, expected in pages.items():
        response = as_alice.get(path)
        body = text(response)
        assert response.status_code == 200, path
        assert expected in body, path
        assert body.count("<h1") == 1, path
        assert '<main id="main"' in body and 'class="skip-link"' in body, path
        assert "htmx.min.js" in body and "X-CSRFToken" in body, path
        # Every visible control has a label: each id'd input/textarea/select is named by a <label for>.
        for control_id in re.findall(r'<(?:input|textarea|select)(?![^>]*type="(?:hidden|radio|checkbox)")'
                                     r'[^>]*\bid="([^"]+)"', body):
            assert f'for="{control_id}"' in body, (path, control_id)


def test_reply_address_redirects_to_its_thread(as_alice, alice, question):
    reply = conv.create_reply(alice, question.id, body="Nested")
    response = as_alice.get(f"/posts/{reply.id}/")
    assert response.status_code == 302 and response["Location"] == f"/posts/{question.id}/#post-{reply.id}"


def test_htmx_vendored_not_cdn(as_alice):
    body = text(as_alice.get("/"))
    assert "/static/socialfabric/htmx.min.js" in body and "unpkg" not in body and "cdn" not in body.lower()
    path = settings.BASE_DIR / "web" / "static" / "socialfabric" / "htmx.min.js"
    assert path.read_text()[:40].startswith("var htmx=")


def test_pages_need_no_inline_script_or_style():
    """The Content-Security-Policy allows no inline script, event handler or style attribute:
    a template that used one would be silently broken for real users (e-mail bodies aside)."""
    folder = settings.BASE_DIR / "web" / "templates"
    found = []
    for path in folder.rglob("*.html"):
        if "mail" in path.relative_to(folder).parts:
            continue
        source = path.read_text()
        for pattern in (r"\sstyle=", r"<style", r"<script(?![^>]*\ssrc=)", r"\son[a-z]+=", r"javascript:"):
            found += [f"{path.name}: {m.group(0).strip()}" for m in re.finditer(pattern, source)]
    assert not found


def test_every_page_has_a_content_security_policy(as_alice):
    policy = as_alice.get("/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy and "unsafe" not in policy
    assert '"includeIndicatorStyles":false' in text(as_alice.get("/"))  # htmx would inject a <style>


# ---------------------------------------------------------------- posting


def test_post_without_js_redirects_to_thread(as_bob, bob, open_community):
    response = as_bob.post("/communities/product-ideas/",
                           {"kind": "question", "title": "Dark mode?", "body": "Shall we add **dark** mode?"})
    post = Post.objects.get(title="Dark mode?")
    assert response.status_code == 302 and response["Location"] == f"/posts/{post.id}/"
    assert post.kind == "question" and post.author == bob
    page = text(as_bob.get(response["Location"]))
    assert "<strong>dark</strong>" in page and "Question" in page


def test_post_with_htmx_returns_feed_item_fragment(as_bob, open_community):
    response = as_bob.post("/communities/product-ideas/", {"kind": "discussion", "body": "Hello there"}, **HX)
    body = text(response)
    assert response.status_code == 200
    assert "<html" not in body and body.lstrip().startswith('<li class="feed-item')
    assert "Hello there" in body and "Product Ideas" in body and 'aria-pressed="false"' in body


def test_home_composer_posts_into_chosen_community(as_bob, open_community):
    response = as_bob.post("/", {"community": "product-ideas", "kind": "discussion", "body": "From home"})
    assert response.status_code == 302
    assert Post.objects.get(body="From home").community == open_community
    assert "From home" in text(as_bob.get("/"))


@pytest.mark.parametrize("body,message", [("   ", "must not be empty"),
                                          ("x" * (settings.SOCIALFABRIC_MAX_BODY_CHARS + 1), "the limit is")])
def test_bad_body_is_a_readable_400_with_input_kept(as_bob, open_community, body, message):
    response = as_bob.post("/communities/product-ideas/", {"kind": "discussion", "title": "Keep me", "body": body})
    assert response.status_code == 400
    page = text(response)
    assert message in page and 'value="Keep me"' in page and 'aria-invalid="true"' in page
    assert not Post.objects.exists()


def test_bad_body_with_htmx_retargets_the_forms_error_slot(as_bob, open_community):
    response = as_bob.post("/communities/product-ideas/", {"kind": "discussion", "body": ""},
                           HTTP_HX_TRIGGER="composer", **HX)
    assert response.status_code == 400
    assert response["HX-Retarget"] == "#composer-error" and response["HX-Reswap"] == "innerHTML"
    assert "must not be empty" in text(response) and "<html" not in text(response)


def test_announcement_needs_a_moderator(as_bob, open_community):
    page = text(as_bob.get("/communities/product-ideas/"))
    assert 'value="announcement"' not in page
    response = as_bob.post("/communities/product-ideas/", {"kind": "announcement", "body": "Hear ye"})
    assert response.status_code == 403 and "moderators post announcements" in text(response)


def test_non_member_cannot_post(make_member, open_community):
    dave = login(make_member("dave"))
    page = text(dave.get("/communities/product-ideas/"))
    assert 'id="composer"' not in page and ">Join</button>" in page
    response = dave.post("/communities/product-ideas/", {"kind": "discussion", "body": "Hi"})
    assert response.status_code == 403 and "Join the community to post" in text(response)


# ---------------------------------------------------------------- replies


def test_reply_and_nested_reply_without_js(as_bob, alice, question):
    first = as_bob.post(f"/posts/{question.id}/reply/", {"body": "Use the board"})
    reply = Post.objects.get(body="Use the board")
    assert first.status_code == 302 and first["Location"] == f"/posts/{question.id}/#post-{reply.id}"
    second = as_bob.post(f"/posts/{reply.id}/reply/", {"body": "Which board?"})
    nested = Post.objects.get(body="Which board?")
    assert second.status_code == 302 and nested.parent_id == reply.id and nested.depth == 2
    page = text(as_bob.get(f"/posts/{question.id}/"))
    # The nested reply sits inside the first reply's list of replies.
    outer = page.index(f'id="replies-{reply.id}"')
    assert page.index(f'id="post-{nested.id}"') > outer
    assert "2 replies" in page


def test_reply_with_htmx_returns_the_new_node_and_count(as_bob, question):
    parent = conv.create_reply(question.author, question.id, body="Parent")
    response = as_bob.post(f"/posts/{parent.id}/reply/", {"body": "Child via htmx"}, **HX)
    body = text(response)
    child = Post.objects.get(body="Child via htmx")
    assert response.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith(f'<li id="post-{child.id}"')
    assert f'id="replies-{child.id}"' in body  # replies to the new reply have a place to go
    assert 'id="reply-count" hx-swap-oob="true">2 replies' in body


def test_reply_errors(as_bob, alice, question):
    empty = as_bob.post(f"/posts/{question.id}/reply/", {"body": ""})
    assert empty.status_code == 400 and "must not be empty" in text(empty)
    assert "Which roadmap tool?" in text(empty)  # the thread re-renders around the message
    removed = conv.create_reply(alice, question.id, body="Gone soon")
    conv.remove_post(alice, removed.id)
    response = as_bob.post(f"/posts/{removed.id}/reply/", {"body": "Too late"})
    assert response.status_code == 409 and "takes no more replies" in text(response)
    response = as_bob.post(f"/posts/{removed.id}/reply/", {"body": "Too late"},
                           HTTP_HX_TRIGGER=f"reply-form-{removed.id}", **HX)
    assert response.status_code == 409 and response["HX-Retarget"] == f"#reply-form-{removed.id}-error"
    assert not Post.objects.filter(body="Too late").exists()


def test_reply_page_get_is_not_allowed(as_bob, question):
    response = as_bob.get(f"/posts/{question.id}/reply/")
    assert response.status_code == 400 and "only takes form submissions" in text(response)


# ---------------------------------------------------------------- reactions


def test_react_with_htmx_toggles_and_counts(as_bob, bob, question):
    on = as_bob.post(f"/posts/{question.id}/react/", {"op": "add:like", "next": "/"}, **HX)
    body = text(on)
    assert on.status_code == 200 and "<html" not in body
    assert re.search(r'value="remove:like"[^>]*aria-pressed="true"', body)
    assert '<span class="count">1</span>' in body and "is-mine" in body
    assert Reaction.objects.filter(post=question, member=bob, kind="like").exists()
    off = as_bob.post(f"/posts/{question.id}/react/", {"op": "remove:like", "next": "/"}, **HX)
    assert re.search(r'value="add:like"[^>]*aria-pressed="false"', text(off))
    assert not Reaction.objects.filter(post=question).exists()


def test_react_without_js_redirects_back(as_bob, question):
    response = as_bob.post(f"/posts/{question.id}/react/", {"op": "add:celebrate", "next": "/communities/"})
    assert response.status_code == 302 and response["Location"] == "/communities/"
    feed = text(as_bob.get("/"))
    assert re.search(r'value="remove:celebrate"[^>]*class="reaction is-mine"', feed)
    evil = as_bob.post(f"/posts/{question.id}/react/", {"op": "add:like", "next": "https://evil.example/"})
    assert evil["Location"] == f"/posts/{question.id}/"


def test_bad_reaction_is_400(as_bob, question):
    response = as_bob.post(f"/posts/{question.id}/react/", {"op": "add:angry"})
    assert response.status_code == 400 and "Reaction must be one of" in text(response)


# ---------------------------------------------------------------- answers, edits, removal


def test_asker_accepts_an_answer(as_alice, bob, question):
    answer = conv.create_reply(bob, question.id, body="Use the board")
    page = text(as_alice.get(f"/posts/{question.id}/"))
    assert "Accept answer" in page
    response = as_alice.post(f"/posts/{question.id}/accept/", {"answer": answer.id})
    assert response.status_code == 302 and response["Location"].endswith(f"#post-{answer.id}")
    question.refresh_from_db()
    assert question.accepted_answer_id == answer.id
    page = text(as_alice.get(f"/posts/{question.id}/"))
    assert "Accepted answer" in page and "is-accepted" in page
    assert "Answered" in text(as_alice.get("/"))


def test_pages_offer_only_what_the_services_accept(as_alice, alice, bob, make_member, question, open_community):
    conv.create_reply(bob, question.id, body="Use the board")
    # A removed question takes no accepted answer (accept_answer says 409), so the page offers none.
    assert "Accept answer" in text(as_alice.get(f"/posts/{question.id}/"))
    conv.remove_post(alice, question.id)
    assert "Accept answer" not in text(as_alice.get(f"/posts/{question.id}/"))
    # Someone outside the community reads it but gets no composer and no reply form.
    outsider = login(make_member("dave"))
    path = f"/communities/{open_community.slug}/"
    assert 'id="composer"' not in text(outsider.get(path)) and 'id="composer"' in text(as_alice.get(path))
    other = conv.create_post(alice, open_community, title="Open thread", body="Anyone?")
    assert 'name="body"' not in text(outsider.get(f"/posts/{other.id}/"))
    assert 'name="body"' in text(login(bob).get(f"/posts/{other.id}/"))


def test_accepting_an_answer_to_someone_elses_question_is_403(as_bob, bob, question):
    answer = conv.create_reply(bob, question.id, body="Mine")
    assert "Accept answer" not in text(as_bob.get(f"/posts/{question.id}/"))
    response = as_bob.post(f"/posts/{question.id}/accept/", {"answer": answer.id})
    assert response.status_code == 403 and "Only the asker" in text(response)
    question.refresh_from_db()
    assert question.accepted_answer_id is None


def test_accept_bad_answer_id_is_400(as_alice, question):
    response = as_alice.post(f"/posts/{question.id}/accept/", {"answer": "abc"})
    assert response.status_code == 400 and "must be a number" in text(response)


def test_edit_own_post_keeps_visible_history(as_alice, question):
    response = as_alice.post(f"/posts/{question.id}/edit/", {"title": "Which tool, really?", "body": "New text"})
    assert response.status_code == 302
    page = text(as_alice.get(f"/posts/{question.id}/"))
    assert "Which tool, really?" in page and "New text" in page
    assert "show history" in page and "Ask @bob about #roadmap please" in page


def test_edit_errors(as_alice, as_bob, question):
    assert as_bob.get(f"/posts/{question.id}/edit/").status_code == 403
    assert as_bob.post(f"/posts/{question.id}/edit/", {"body": "Hijack"}).status_code == 403
    empty = as_alice.post(f"/posts/{question.id}/edit/", {"title": "T", "body": ""})
    assert empty.status_code == 400 and "must not be empty" in text(empty)


def test_remove_hides_text_and_history(as_alice, alice, question):
    conv.edit_post(alice, question.id, body="Second version")
    response = as_alice.post(f"/posts/{question.id}/remove/")
    assert response.status_code == 302
    page = text(as_alice.get(f"/posts/{question.id}/"))
    assert "This post was removed" in page
    assert "Second version" not in page and "Ask @bob" not in page and "show history" not in page
    # The page refuses what the service refuses, with the service's status.
    assert as_alice.get(f"/posts/{question.id}/edit/").status_code == 409


def test_bob_cannot_remove_alices_post(as_bob, question):
    response = as_bob.post(f"/posts/{question.id}/remove/")
    assert response.status_code == 403 and "Only the author or a moderator" in text(response)


# ---------------------------------------------------------------- communities


def test_create_community_form(as_alice):
    response = as_alice.post("/communities/", {"name": "Field Notes", "purpose": "From the field",
                                               "visibility": "closed", "audience": "mixed",
                                               "external_kinds": ["customer", "partner"]})
    assert response.status_code == 302 and response["Location"] == "/communities/field-notes/"
    page = text(as_alice.get("/communities/field-notes/"))
    assert "Employees + Customer, Partner" in page and "Closed" in page


def test_create_community_errors_keep_input(as_alice, open_community):
    response = as_alice.post("/communities/", {"name": "Product Ideas", "purpose": "dup"})
    assert response.status_code == 409 and "exists already" in text(response)
    response = as_alice.post("/communities/", {"name": "Mixed", "audience": "mixed", "purpose": "keep"})
    assert response.status_code == 400 and "lists the external stakeholder kinds" in text(response)
    assert ">keep</textarea>" in text(response)


def test_join_leave_and_join_twice(make_member, open_community):
    dave_member = make_member("dave")
    dave = login(dave_member)
    joined = dave.post("/communities/product-ideas/join/")
    assert joined.status_code == 302
    assert Membership.objects.filter(member=dave_member, community=open_community).exists()
    again = dave.post("/communities/product-ideas/join/")
    assert again.status_code == 409 and "Already a member" in text(again)
    assert "<h1" in text(again) and "Product Ideas" in text(again)
    left = dave.post("/communities/product-ideas/leave/")
    assert left.status_code == 302
    assert not Membership.objects.filter(member=dave_member, community=open_community).exists()
    assert dave.post("/communities/product-ideas/leave/").status_code == 409


def test_closed_community_request_and_approval(alice, make_member, as_alice):
    closed = communities.create_community(alice, name="Board Prep", visibility="closed")
    post = conv.create_post(alice, closed, title="Agenda", body="Draft agenda")
    dave_member = make_member("dave")
    dave = login(dave_member)
    page = dave.get("/communities/board-prep/")
    assert page.status_code == 200 and "Ask to join" in text(page) and "Draft agenda" not in text(page)
    assert dave.get(f"/posts/{post.id}/").status_code == 403
    assert dave.post("/communities/board-prep/join/").status_code == 403
    asked = dave.post("/communities/board-prep/request/", {"message": "I take the minutes"})
    assert asked.status_code == 302
    assert dave.post("/communities/board-prep/request/").status_code == 409
    mod_page = text(as_alice.get("/communities/board-prep/"))
    assert "I take the minutes" in mod_page and "Approve" in mod_page
    req = JoinRequest.objects.get(member=dave_member)
    decided = as_alice.post(f"/communities/board-prep/requests/{req.id}/", {"decision": "approve"})
    assert decided.status_code == 302
    assert "Draft agenda" in text(dave.get("/communities/board-prep/"))


def test_moderator_adds_member_to_secret_community(as_alice, bob, secret_community, secret_post):
    response = as_alice.post("/communities/merger-talks/members/", {"handle": "@bob", "role": "member"})
    assert response.status_code == 302
    assert "Acquiring Initech" in text(login(bob).get("/communities/merger-talks/"))
    missing = as_alice.post("/communities/merger-talks/members/", {"handle": "nobody"})
    assert missing.status_code == 404 and "No such member" in text(missing)


# ---------------------------------------------------------------- secret communities never leak


def test_secret_community_is_404_and_absent_for_non_members(as_bob, alice, bob, secret_community,
                                                             secret_post, open_community):
    conv.create_post(alice, open_community, title="Open news", body="Public #merger talk? no")
    reply = conv.create_reply(alice, secret_post.id, body="Shh")
    for path in ("/communities/merger-talks/", f"/posts/{secret_post.id}/", f"/posts/{reply.id}/",
                 f"/posts/{secret_post.id}/edit/"):
        response = as_bob.get(path)
        assert response.status_code == 404, path
        assert "Merger Talks" not in text(response) and "Initech" not in text(response)
    for path, data in ((f"/posts/{secret_post.id}/reply/", {"body": "x"}),
                       (f"/posts/{secret_post.id}/react/", {"op": "add:like"}),
                       ("/communities/merger-talks/join/", {}),
                       ("/communities/merger-talks/request/", {}),
                       ("/communities/merger-talks/", {"body": "x"})):
        assert as_bob.post(path, data).status_code == 404, path
    for path in ("/", "/communities/", "/people/alice/", "/units/engineering/", "/topics/merger/"):
        body = text(as_bob.get(path))
        assert "Merger Talks" not in body and "Initech" not in body, path
    assert "Open news" in text(as_bob.get("/topics/merger/"))
    # Alice, a member, sees it everywhere.
    as_alice = login(alice)
    assert "Acquiring Initech" in text(as_alice.get("/"))
    assert "Merger Talks" in text(as_alice.get("/communities/"))


def test_topic_used_only_in_secret_community_is_404(as_bob, secret_post):
    response = as_bob.get("/topics/merger/")
    assert response.status_code == 404 and "No such topic" in text(response)


def test_profile_community_count_hides_secret(as_bob, secret_community, open_community):
    page = text(as_bob.get("/people/alice/"))
    assert "Product Ideas" in page and "Merger Talks" not in page


# ---------------------------------------------------------------- people, follows, feeds


def test_directory_search_filters_and_cursor(as_alice, make_member, unit, carol):
    for i in range(30):
        make_member(f"zed{i:02d}", unit=unit)
    first = as_alice.get("/people/", {"unit": "engineering"})
    body = text(first)
    assert first.status_code == 200 and "Carol" not in body
    cursor = re.search(r'href="\?([^"]*cursor=[^"]+)"', body).group(1).replace("&amp;", "&")
    assert "unit=engineering" in cursor
    second = text(as_alice.get(f"/people/?{cursor}"))
    names_first = set(re.findall(r'href="/people/(zed\d\d)/"', body))
    names_second = set(re.findall(r'href="/people/(zed\d\d)/"', second))
    assert names_first and names_second and not names_first & names_second
    assert len(names_first | names_second) == 30
    customers = text(as_alice.get("/people/", {"stakeholder": "customer"}))
    assert "Acme Ltd" in customers and "Zed00" not in customers
    found = text(as_alice.get("/people/", {"q": "car"}))
    assert "@carol" in found and "@alice" not in found and "@bob" not in found
    bad = as_alice.get("/people/", {"unit": "no-such-unit"})
    assert bad.status_code == 400
    assert as_alice.get("/people/", {"cursor": "!!!"}).status_code == 400


def test_profile_shows_org_facts_and_follow(as_bob, alice, bob, unit):
    bob.manager = alice
    bob.save()
    page = text(as_bob.get("/people/bob/"))
    assert "Engineering" in page and "/people/alice/" in page and "Manager" in page
    assert as_bob.post("/people/alice/follow/").status_code == 302
    assert Follow.objects.filter(follower=bob, followed=alice).exists()
    again = as_bob.post("/people/alice/follow/")
    assert again.status_code == 409 and "follow this member already" in text(again)
    assert "unfollow" in text(as_bob.get("/people/alice/"))
    assert as_bob.post("/people/alice/unfollow/").status_code == 302
    assert not Follow.objects.exists()
    assert as_bob.post("/people/bob/follow/").status_code == 400
    assert as_bob.get("/people/nobody/").status_code == 404


def test_profile_follow_counts_match_the_api_and_count_active_members_only(as_bob, alice, bob, make_member):
    dave, erin = make_member("dave"), make_member("erin")
    org.follow(bob, alice)
    org.follow(dave, alice)
    org.follow(alice, erin)
    org.follow(alice, bob)
    for gone in (dave, erin):  # left the organisation: they no longer count anywhere
        gone.is_active = False
        gone.save(update_fields=["is_active"])
    page = text(as_bob.get("/people/alice/"))
    web = {label: int(n) for label, n in re.findall(r"<dt>(Followers|Following)</dt><dd>(\d+)</dd>", page)}
    api = ok(Api.for_member(bob).get("/members/alice"))
    assert web == {"Followers": api["followers"], "Following": api["following"]} == {"Followers": 1, "Following": 1}


def test_feed_older_link_pages_with_cursor(as_bob, bob, open_community):
    for i in range(settings.SOCIALFABRIC_PAGE_SIZE + 3):
        conv.create_post(bob, open_community, title=f"Post number {i:02d}", body="b")
    first = text(as_bob.get("/"))
    assert "Post number 22" in first and "Post number 00" not in first
    link = re.search(r'rel="next" href="\?cursor=([^"]+)"', first).group(1)
    second = text(as_bob.get(f"/?cursor={link}"))
    assert "Post number 00" in second and "Post number 22" not in second
    assert as_bob.get("/?cursor=garbage").status_code == 400


def test_external_member_sees_only_admitting_communities(carol, alice, open_community):
    mixed = communities.create_community(alice, name="Customer Council", audience="mixed",
                                         external_kinds=["customer"])
    page = text(login(carol).get("/communities/"))
    assert mixed.name in page and "Product Ideas" not in page
    assert "Communities are created by employees" in page


# ---------------------------------------------------------------- tokens and CSRF


def test_tokens_create_once_and_revoke(as_alice, alice):
    response = as_alice.post("/settings/tokens/", {"name": "Reporting script"})
    body = text(response)
    token = AccessToken.objects.get(member=alice)
    plain = re.search(r'id="new-token"[^>]*value="(sf_[^"]+)"', body).group(1)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert org.authenticate_token(plain) == alice
    assert plain not in text(as_alice.get("/settings/tokens/"))  # shown once only
    empty = as_alice.post("/settings/tokens/", {"name": ""})
    assert empty.status_code == 400 and "Name the token" in text(empty)
    assert as_alice.post(f"/settings/tokens/{token.id}/revoke/").status_code == 302
    assert org.authenticate_token(plain) is None


def test_cannot_revoke_someone_elses_token(as_bob, alice):
    token, _ = org.create_token(alice, "Alice's")
    assert as_bob.post(f"/settings/tokens/{token.id}/revoke/").status_code == 404


def test_htmx_csrf_header_from_page_is_accepted(bob, question):
    c = Client(enforce_csrf_checks=True)
    c.force_login(bob)
    page = text(c.get(f"/posts/{question.id}/"))
    token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', page).group(1)
    refused = c.post(f"/posts/{question.id}/react/", {"op": "add:like"}, **HX)
    assert refused.status_code == 403
    ok = c.post(f"/posts/{question.id}/react/", {"op": "add:like"}, HTTP_X_CSRFTOKEN=token, **HX)
    assert ok.status_code == 200 and 'aria-pressed="true"' in text(ok)


def test_unknown_address_is_a_readable_404(as_alice):
    response = as_alice.get("/no/such/page/")
    assert response.status_code == 404 and "There is nothing at this address" in text(response)
    assert as_alice.get("/units/no-such-unit/").status_code == 404
    assert as_alice.get("/posts/999999999/").status_code == 404


def test_a_form_without_its_csrf_token_gets_a_readable_403(alice, open_community):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(f"/communities/{open_community.slug}/", {"body": "hello", "kind": "discussion"})
    assert response.status_code == 403
    assert b"Reload the page and try again" in response.content
    assert b"<h1" in response.content


# ---------------------------------------------------------------- architecture


def test_web_views_make_no_model_queries():
    """Pages go through the services: no module of the web layer touches a model manager."""
    web = Path(settings.BASE_DIR) / "web"
    offenders = []
    for path in sorted(web.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Attribute) and node.attr == "objects":
                offenders.append(f"{path.relative_to(web)}:{node.lineno}")
    assert not offenders, offenders
    assert len(list(web.rglob("*.py"))) > 5  # the scan found the web modules


def test_home_page_queries_do_not_grow_with_the_member_s_communities(as_alice, alice):
    """The composer asks the posting rule of each of the member's communities: their roles are
    looked up in one query, not one per community."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        as_alice.get("/")
        with CaptureQueriesContext(connection) as seen:
            assert as_alice.get("/").status_code == 200
        return len(seen)

    communities.create_community(alice, name="First")
    few = queries()
    for i in range(10):
        communities.create_community(alice, name=f"More {i}")
    assert queries() == few
