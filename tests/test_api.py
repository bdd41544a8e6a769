"""The REST API at /api/v1: documentation, the token flow, session + CSRF, privacy, listings."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from socialfabric.communities import services as communities
from socialfabric.conversations import services as conv
from socialfabric.conversations.models import Post
from socialfabric.org import services as org
from socialfabric.org.models import Unit
from tests.test_api_helpers import Api, assert_error, ok, row_counts


@pytest.fixture(autouse=True)
def no_server_errors(caplog):
    """Fail any test in which the API's catch-all handler logged a bug."""
    caplog.set_level(logging.ERROR, logger="socialfabric.api")
    yield
    bugs = [r for r in caplog.get_records("call") if r.name == "socialfabric.api"]
    assert not bugs, [r.getMessage() for r in bugs]


# --- the OpenAPI document -----------------------------------------------------------------

EXPECTED_OPERATIONS = {
    # members
    ("get", "/api/v1/members"), ("get", "/api/v1/members/{handle}"), ("get", "/api/v1/me"),
    ("patch", "/api/v1/me"), ("post", "/api/v1/me/photo"), ("delete", "/api/v1/me/photo"),
    ("get", "/api/v1/members/{handle}/photo/{size}-{key}.webp"),
    # units
    ("get", "/api/v1/units"), ("get", "/api/v1/units/{slug}"),
    # communities
    ("get", "/api/v1/communities"), ("post", "/api/v1/communities"), ("get", "/api/v1/communities/{slug}"),
    # memberships
    ("post", "/api/v1/communities/{slug}/join"), ("post", "/api/v1/communities/{slug}/leave"),
    ("post", "/api/v1/communities/{slug}/requests"), ("get", "/api/v1/communities/{slug}/requests"),
    ("post", "/api/v1/requests/{request_id}/approve"), ("post", "/api/v1/requests/{request_id}/reject"),
    ("get", "/api/v1/communities/{slug}/members"), ("post", "/api/v1/communities/{slug}/members"),
    ("patch", "/api/v1/communities/{slug}/members/{handle}"),
    # posts
    ("post", "/api/v1/communities/{slug}/posts"), ("get", "/api/v1/posts/{post_id}"),
    ("patch", "/api/v1/posts/{post_id}"), ("delete", "/api/v1/posts/{post_id}"),
    ("get", "/api/v1/posts/{post_id}/revisions"),
    # replies, reactions, accepted answers
    ("post", "/api/v1/posts/{post_id}/replies"),
    ("put", "/api/v1/posts/{post_id}/reactions/{kind}"), ("delete", "/api/v1/posts/{post_id}/reactions/{kind}"),
    ("put", "/api/v1/posts/{post_id}/accepted-answer"), ("delete", "/api/v1/posts/{post_id}/accepted-answer"),
    # follows
    ("put", "/api/v1/members/{handle}/follow"), ("delete", "/api/v1/members/{handle}/follow"),
    ("get", "/api/v1/members/{handle}/followers"), ("get", "/api/v1/members/{handle}/following"),
    # feeds
    ("get", "/api/v1/feed"), ("get", "/api/v1/communities/{slug}/feed"), ("get", "/api/v1/members/{handle}/feed"),
    ("get", "/api/v1/units/{slug}/feed"), ("get", "/api/v1/topics/{name}/feed"),
    # tokens
    ("post", "/api/v1/tokens"), ("get", "/api/v1/tokens"), ("delete", "/api/v1/tokens/{token_id}"),
}
TAGS = {"members", "units", "communities", "memberships", "posts", "replies", "reactions", "answers", "follows",
        "feeds", "tokens"}


def test_openapi_document_lists_every_operation(db):
    doc = ok(Client().get("/api/v1/openapi.json"))
    assert doc["openapi"].startswith("3.")
    assert doc["info"]["title"] == "Social Fabric" and doc["info"]["version"] == "1"
    operations = {(method, path): op for path, ops in doc["paths"].items() for method, op in ops.items()}
    assert EXPECTED_OPERATIONS <= set(operations), EXPECTED_OPERATIONS - set(operations)
    used_tags = {tag for op in operations.values() for tag in op.get("tags", [])}
    assert used_tags >= TAGS
    # Every feed is tagged as a feed and takes cursor and limit.
    feeds = [op for (method, path), op in operations.items() if path.endswith("/feed")]
    assert len(feeds) == 5
    for op in feeds:
        assert "feeds" in op["tags"]
        assert {p["name"] for p in op["parameters"]} >= {"cursor", "limit"}
    # Both ways in are documented, and every authenticated operation documents the error shape.
    assert set(doc["components"]["securitySchemes"]) == {"TokenAuth", "SessionAuth"}
    for (_method, path), op in operations.items():
        if path != "/api/v1/csrf":
            assert op["security"] == [{"TokenAuth": []}, {"SessionAuth": []}], path
            assert "401" in op["responses"] and "404" in op["responses"], path
    assert "ErrorOut" in doc["components"]["schemas"]


def test_docs_page_is_served(db):
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower() and b"/api/v1/openapi.json" in response.content


# --- the whole flow with a token ----------------------------------------------------------

def _token_via_session(member) -> str:
    """What a new client does: sign in on the web, then create a token over the session."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(member)
    csrf = ok(browser.get("/api/v1/csrf"))["csrf_token"]
    created = ok(browser.post("/api/v1/tokens", {"name": "laptop"}, content_type="application/json",
                              headers={"X-CSRFToken": csrf}), 201)
    assert created["token"].startswith("sf_") and created["prefix"] == created["token"][:10]
    assert created["name"] == "laptop" and created["revoked_at"] is None
    return created["token"]


def test_token_flow_from_joining_to_the_home_feed(make_member, alice, bob, open_community):
    dave = make_member("dave")
    api = Api(_token_via_session(dave))
    bob_api = Api.for_member(bob)
    slug = open_community.slug

    assert ok(api.get("/me"))["handle"] == "dave"
    joined = ok(api.post(f"/communities/{slug}/join"), 201)
    assert joined["role"] == "member" and joined["member"]["handle"] == "dave"
    assert ok(api.get(f"/communities/{slug}"))["my_role"] == "member"

    question = ok(api.post(f"/communities/{slug}/posts",
                           {"kind": "question", "title": "How do we ship?", "body": "Ask @bob about #release"}), 201)
    assert question["kind"] == "question" and question["author"] == {"handle": "dave", "name": "Dave"}
    assert question["community"] == {"slug": slug, "name": "Product Ideas"}
    assert 'href="/people/bob/"' in question["body_html"]
    qid = question["id"]

    reply = ok(bob_api.post(f"/posts/{qid}/replies", {"body": "Every Tuesday."}), 201)
    assert reply["parent"] == qid and reply["thread"] == qid and reply["depth"] == 1 and reply["kind"] == "reply"
    nested = ok(api.post(f"/posts/{reply['id']}/replies", {"body": "Thanks, which branch?"}), 201)
    assert nested["parent"] == reply["id"] and nested["thread"] == qid and nested["depth"] == 2

    # Reactions are idempotent: 201 when new, 200 when it was there.
    first = ok(bob_api.put(f"/posts/{qid}/reactions/like"), 201)
    assert first == {"post": qid, "reactions": {"like": 1}, "mine": ["like"]}
    assert ok(bob_api.put(f"/posts/{qid}/reactions/like"), 200)["reactions"] == {"like": 1}
    ok(api.put(f"/posts/{qid}/reactions/insightful"), 201)

    accepted = ok(api.put(f"/posts/{qid}/accepted-answer", {"answer": reply["id"]}))
    assert accepted["accepted_answer"] == reply["id"]

    thread = ok(api.get(f"/posts/{nested['id']}"))  # any post of the thread gives the whole thread
    assert thread["post"]["id"] == qid and thread["post"]["reply_count"] == 2
    assert [r["id"] for r in thread["replies"]] == [reply["id"]]
    assert [c["id"] for c in thread["replies"][0]["children"]] == [nested["id"]]
    assert thread["replies"][0]["children"][0]["children"] == []

    home = ok(api.get("/feed"))
    item = next(i for i in home["items"] if i["id"] == qid)
    assert item["reply_count"] == 2 and item["accepted_answer"] == reply["id"]
    assert item["reactions"] == {"like": 1, "insightful": 1} and item["mine"] == ["insightful"]
    assert item["removed"] is False and item["edited"] is False
    assert home["next_cursor"] is None

    # The other feeds find it too.
    assert qid in [i["id"] for i in ok(api.get(f"/communities/{slug}/feed"))["items"]]
    assert qid in [i["id"] for i in ok(api.get("/members/dave/feed"))["items"]]
    assert qid in [i["id"] for i in ok(api.get("/topics/release/feed"))["items"]]

    ok(bob_api.delete(f"/posts/{qid}/reactions/like"))
    assert ok(bob_api.delete(f"/posts/{qid}/reactions/like"))["reactions"] == {"insightful": 1}
    assert ok(api.delete(f"/posts/{qid}/accepted-answer"))["accepted_answer"] is None


def test_revoked_token_is_refused(alice):
    api = Api.for_member(alice)
    _, plain = org.create_token(alice, "ci")  # a token makes no tokens (F6): one made on the web
    token = {"id": org.find_token(plain).id, "token": plain}
    other = Api(token["token"])
    assert ok(other.get("/me"))["handle"] == "alice"
    listed = ok(api.get("/tokens"))["items"]
    assert token["id"] in [t["id"] for t in listed] and all("token" not in t for t in listed)

    revoked = ok(api.delete(f"/tokens/{token['id']}"))
    assert revoked["revoked_at"] is not None
    assert_error(other.get("/me"), 401, "unauthenticated")
    assert_error(other.post("/tokens", {"name": "again"}), 401, "unauthenticated")
    assert ok(api.get("/me"))["handle"] == "alice"  # the other token still works


def test_unauthenticated_requests_get_401(db):
    anonymous = Api()
    for method, path in [("GET", "/me"), ("GET", "/feed"), ("POST", "/communities"), ("GET", "/posts/1"),
                         ("PUT", "/posts/1/reactions/like"), ("DELETE", "/tokens/1")]:
        response = anonymous.call(method, path, {})
        assert_error(response, 401, "unauthenticated")
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert_error(Api("sf_not-a-real-token").get("/me"), 401, "unauthenticated")
    assert_error(Api().call("GET", "/me", headers={"Authorization": "Basic eDp5"}), 401, "unauthenticated")


def test_session_auth_enforces_csrf_on_unsafe_methods(alice, open_community):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    assert ok(browser.get("/api/v1/me"))["handle"] == "alice"  # safe methods need no token
    before = row_counts()
    url = f"/api/v1/communities/{open_community.slug}/posts"
    body = {"body": "Hello over the session"}
    assert_error(browser.post(url, body, content_type="application/json"), 403, "csrf_failed")
    assert_error(browser.post(url, body, content_type="application/json", headers={"X-CSRFToken": "x" * 32}),
                 403, "csrf_failed")
    assert row_counts() == before

    csrf = ok(browser.get("/api/v1/csrf"))["csrf_token"]
    created = ok(browser.post(url, body, content_type="application/json", headers={"X-CSRFToken": csrf}), 201)
    assert created["author"]["handle"] == "alice"

    # A token needs no CSRF token even when a session cookie rides along.
    _, plain = org.create_token(alice, "t")
    ok(browser.post(url, body, content_type="application/json", headers={"Authorization": f"Bearer {plain}"}), 201)


# --- secret communities -------------------------------------------------------------------

def test_secret_community_is_invisible_to_non_members(alice, bob, secret_community, open_community, unit):
    secret = secret_community.slug
    post = conv.create_post(alice, secret_community, kind="question", title="Offer?", body="Price for #acquisition")
    reply = conv.create_reply(alice, post.id, body="Draft attached")
    public = conv.create_post(alice, open_community, body="Hello #acquisition-free topic")
    bob_api, alice_api = Api.for_member(bob), Api.for_member(alice)
    before = row_counts()

    # Exactly the answer a community that does not exist gets.
    missing = assert_error(bob_api.get("/communities/no-such-thing"), 404, "not_found")
    for method, path, body in [
        ("GET", f"/communities/{secret}", None), ("GET", f"/communities/{secret}/feed", None),
        ("POST", f"/communities/{secret}/join", None), ("POST", f"/communities/{secret}/leave", None),
        ("POST", f"/communities/{secret}/requests", {"message": "let me in"}),
        ("GET", f"/communities/{secret}/requests", None), ("GET", f"/communities/{secret}/members", None),
        ("POST", f"/communities/{secret}/members", {"handle": "bob"}),
        ("PATCH", f"/communities/{secret}/members/alice", {"role": "member"}),
        ("POST", f"/communities/{secret}/posts", {"body": "hi"}),
    ]:
        err = assert_error(bob_api.call(method, path, body if body is not None else {}), 404, "not_found")
        assert err == missing, (method, path)
    for method, template, body in [
        ("GET", "/posts/{}", None), ("PATCH", "/posts/{}", {"body": "x"}), ("DELETE", "/posts/{}", None),
        ("GET", "/posts/{}/revisions", None), ("POST", "/posts/{}/replies", {"body": "x"}),
        ("PUT", "/posts/{}/reactions/like", None), ("DELETE", "/posts/{}/reactions/like", None),
        ("PUT", "/posts/{}/accepted-answer", {"answer": reply.id}), ("DELETE", "/posts/{}/accepted-answer", None),
    ]:
        unknown = assert_error(bob_api.call(method, template.format(987654321), body or {}), 404, "not_found")
        for target in (post.id, reply.id):
            err = assert_error(bob_api.call(method, template.format(target), body or {}), 404, "not_found")
            assert err == unknown, (method, template, target)
    assert_error(bob_api.get("/topics/acquisition/feed"), 404, "not_found")
    assert row_counts() == before

    # Absent from every list and feed.
    assert secret not in [c["slug"] for c in ok(bob_api.get("/communities"))["items"]]
    for path in ["/feed", "/members/alice/feed", f"/units/{unit.slug}/feed"]:
        ids = [i["id"] for i in ok(bob_api.get(path))["items"]]
        assert post.id not in ids and reply.id not in ids, path
    assert public.id in [i["id"] for i in ok(bob_api.get("/members/alice/feed"))["items"]]

    # Members see it everywhere.
    assert ok(alice_api.get(f"/communities/{secret}"))["my_role"] == "owner"
    assert post.id in [i["id"] for i in ok(alice_api.get("/topics/acquisition/feed"))["items"]]
    assert secret in [c["slug"] for c in ok(alice_api.get("/communities"))["items"]]

    # The only way in: a moderator adds the member.
    added = ok(alice_api.post(f"/communities/{secret}/members", {"handle": "bob"}), 201)
    assert added["role"] == "member" and added["member"]["handle"] == "bob"
    assert ok(bob_api.get(f"/posts/{post.id}"))["post"]["id"] == post.id
    assert ok(bob_api.get(f"/communities/{secret}"))["my_role"] == "member"


# --- communities and memberships ----------------------------------------------------------

def test_create_and_list_communities_with_my_role(alice, bob, open_community):
    api = Api.for_member(bob)
    created = ok(api.post("/communities", {"name": "Support Desk", "purpose": "Help", "visibility": "closed"}), 201)
    assert created["slug"] == "support-desk" and created["my_role"] == "owner" and created["member_count"] == 1
    mixed = ok(api.post("/communities", {"name": "Customers", "audience": "mixed", "external_kinds": ["customer"]}),
               201)
    assert mixed["external_kinds"] == ["customer"]
    listed = {c["slug"]: c["my_role"] for c in ok(api.get("/communities"))["items"]}
    assert listed == {"customers": "owner", "product-ideas": "member", "support-desk": "owner"}
    assert {c["slug"]: c["my_role"] for c in ok(Api.for_member(alice).get("/communities"))["items"]} == {
        "customers": None, "product-ideas": "owner", "support-desk": None}


def test_closed_community_requests_roles_and_leaving(alice, bob, make_member):
    dave = make_member("dave")
    closed = communities.create_community(alice, name="Board", visibility="closed")
    alice_api, bob_api, dave_api = Api.for_member(alice), Api.for_member(bob), Api.for_member(dave)

    assert_error(bob_api.post("/communities/board/join"), 403, "forbidden")
    assert_error(bob_api.get("/communities/board/feed"), 403, "forbidden")  # listed, but not readable
    asked = ok(bob_api.post("/communities/board/requests", {"message": "I take minutes"}), 201)
    assert asked["status"] == "pending" and asked["member"]["handle"] == "bob"
    dave_ask = ok(dave_api.post("/communities/board/requests"), 201)  # the message is optional
    assert_error(bob_api.get("/communities/board/requests"), 403, "forbidden")

    pending = ok(alice_api.get("/communities/board/requests", limit=1))
    assert [r["id"] for r in pending["items"]] == [asked["id"]] and pending["next_cursor"]
    rest = ok(alice_api.get("/communities/board/requests", limit=1, cursor=pending["next_cursor"]))
    assert [r["id"] for r in rest["items"]] == [dave_ask["id"]] and rest["next_cursor"] is None

    assert_error(bob_api.post(f"/requests/{dave_ask['id']}/approve"), 403, "forbidden")
    assert ok(alice_api.post(f"/requests/{asked['id']}/approve"))["status"] == "approved"
    assert ok(alice_api.post(f"/requests/{dave_ask['id']}/reject"))["status"] == "rejected"
    members = {m["member"]["handle"]: m["role"] for m in ok(bob_api.get("/communities/board/members"))["items"]}
    assert members == {"alice": "owner", "bob": "member"}
    assert_error(dave_api.get("/communities/board/members"), 403, "forbidden")

    assert ok(alice_api.patch("/communities/board/members/bob", {"role": "moderator"}))["role"] == "moderator"
    assert ok(bob_api.get("/communities/board"))["my_role"] == "moderator"
    assert ok(bob_api.post("/communities/board/leave"), 204) is None
    assert ok(bob_api.get("/communities/board"))["my_role"] is None
    closed.refresh_from_db()
    assert closed.member_count == 1


def test_moderators_remove_members_and_owners_stay(alice, bob, make_member, open_community):
    dave = make_member("dave")
    communities.join(dave, open_community)
    alice_api, bob_api = Api.for_member(alice), Api.for_member(bob)
    slug = open_community.slug
    assert_error(bob_api.delete(f"/communities/{slug}/members/dave"), 403, "forbidden")
    ok(alice_api.patch(f"/communities/{slug}/members/bob", {"role": "moderator"}))
    assert_error(bob_api.delete(f"/communities/{slug}/members/alice"), 403, "forbidden")  # owners: owners only
    assert ok(bob_api.delete(f"/communities/{slug}/members/dave"), 204) is None
    assert_error(bob_api.delete(f"/communities/{slug}/members/dave"), 404, "not_found")
    assert_error(alice_api.delete(f"/communities/{slug}/members/alice"), 409, "conflict")  # the last owner
    handles = {m["member"]["handle"] for m in ok(alice_api.get(f"/communities/{slug}/members"))["items"]}
    assert handles == {"alice", "bob"}
    open_community.refresh_from_db()
    assert open_community.member_count == 2


# --- posts: edit, revisions, removal ------------------------------------------------------

def test_edit_keeps_history_and_removal_shows_removed(alice, bob, open_community):
    alice_api, bob_api = Api.for_member(alice), Api.for_member(bob)
    post = ok(alice_api.post(f"/communities/{open_community.slug}/posts",
                             {"title": "Plan", "body": "First draft"}), 201)
    edited = ok(alice_api.patch(f"/posts/{post['id']}", {"body": "Second draft"}))
    assert edited["edited"] is True and edited["body"] == "Second draft" and edited["title"] == "Plan"
    revisions = ok(bob_api.get(f"/posts/{post['id']}/revisions"))
    assert [(r["title"], r["body"]) for r in revisions["items"]] == [("Plan", "First draft")]
    assert revisions["items"][0]["edited_by"]["handle"] == "alice"

    removed = ok(alice_api.delete(f"/posts/{post['id']}"))
    assert removed["removed"] is True and removed["body"] == "[removed]" and removed["title"] == ""
    assert post["id"] not in [i["id"] for i in ok(bob_api.get("/feed"))["items"]]  # gone from the feeds
    assert ok(bob_api.get(f"/posts/{post['id']}"))["post"]["body"] == "[removed]"
    # The removed words stay in the history, for the author and moderators only.
    assert_error(bob_api.get(f"/posts/{post['id']}/revisions"), 403, "forbidden")
    assert len(ok(alice_api.get(f"/posts/{post['id']}/revisions"))["items"]) == 2


# --- people, follows, units ---------------------------------------------------------------

def test_directory_profiles_and_follows(alice, bob, carol, unit):
    sales = Unit.objects.create(name="Sales", slug="sales", parent=unit)
    api = Api.for_member(bob)
    handles = [m["handle"] for m in ok(api.get("/members"))["items"]]
    assert handles == ["alice", "bob", "carol"]
    assert [m["handle"] for m in ok(api.get("/members", unit=unit.slug))["items"]] == ["alice", "bob"]
    assert [m["handle"] for m in ok(api.get("/members", stakeholder="customer"))["items"]] == ["carol"]
    assert [m["handle"] for m in ok(api.get("/members", q="@ALI"))["items"]] == ["alice"]
    assert ok(api.get("/members", unit="sales"))["items"] == []

    followed = ok(api.put("/members/alice/follow"), 201)
    assert followed["member"]["handle"] == "alice"
    profile = ok(api.get("/members/ALICE"))
    assert profile["followers"] == 1 and profile["followed_by_me"] is True and profile["unit"]["slug"] == unit.slug
    assert [f["member"]["handle"] for f in ok(api.get("/members/alice/followers"))["items"]] == ["bob"]
    assert [f["member"]["handle"] for f in ok(api.get("/members/bob/following"))["items"]] == ["alice"]
    assert ok(api.delete("/members/alice/follow"), 204) is None
    assert ok(api.get("/members/alice"))["followers"] == 0

    me = ok(api.get("/me"))
    assert me["handle"] == "bob" and me["email"] == "bob@example.org" and me["is_staff"] is False

    units = ok(api.get("/units"))["items"]
    assert units == [{"slug": "engineering", "name": "Engineering", "parent": None},
                     {"slug": "sales", "name": "Sales", "parent": {"slug": "engineering", "name": "Engineering"}}]
    detail = ok(api.get("/units/engineering"))
    assert detail["children"] == [{"slug": "sales", "name": "Sales"}] and detail["member_count"] == 2
    assert ok(api.get(f"/units/{sales.slug}"))["member_count"] == 0


# --- cursor pagination --------------------------------------------------------------------

def test_every_list_walks_with_cursors(alice, bob, open_community, make_member):
    for i in range(5):
        make_member(f"zed{i}")
    api = Api.for_member(alice)
    for i in range(5):
        api.post(f"/communities/{open_community.slug}/posts", {"body": f"post {i}"})
        communities.create_community(alice, name=f"Guild {i}")

    def walk(path: str, key: str) -> list:
        seen, cursor = [], None
        for _ in range(20):
            page = ok(api.get(path, limit=2, cursor=cursor))
            assert len(page["items"]) <= 2
            seen += [item[key] if key in item else item["member"]["handle"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                return seen
        raise AssertionError("pagination does not end")

    everyone = walk("/members", "handle")
    assert len(everyone) == 7 and len(set(everyone)) == 7
    assert everyone == [m["handle"] for m in ok(api.get("/members", limit=100))["items"]]
    slugs = walk("/communities", "slug")
    assert slugs == [f"guild-{i}" for i in range(5)] + ["product-ideas"]
    posts = walk("/feed", "id")
    assert posts == sorted(posts, reverse=True) and len(posts) == 5
    assert walk(f"/communities/{open_community.slug}/members", "x") == ["alice", "bob"]

    for i in range(3):
        Unit.objects.create(name=f"Unit {i}", slug=f"unit-{i}")
        org.create_token(alice, f"token {i}")
        org.follow(make_member(f"fan{i}"), alice)
        api.patch(f"/posts/{posts[0]}", {"body": f"edit {i}"})
    assert walk("/units", "slug") == ["engineering", "unit-0", "unit-1", "unit-2"]
    tokens = walk("/tokens", "id")
    assert len(tokens) == 4 and tokens == sorted(tokens, reverse=True)
    assert walk("/members/alice/followers", "x") == ["fan2", "fan1", "fan0"]  # newest first
    assert walk(f"/posts/{posts[0]}/revisions", "body") == ["post 4", "edit 0", "edit 1"]


def test_directory_cursor_after_the_longest_names(alice, make_member):
    # A page can end on any name a member may have (150 characters, any script): its cursor must
    # stay within what the API accepts, or the next page could never be asked for.
    for i, char in enumerate(["語", "😀", "é", '"']):
        member = make_member(f"long{i}")
        member.name = char * 150
        member.save(update_fields=["name"])
    api = Api.for_member(alice)
    seen, cursor = [], None
    for _ in range(10):
        page = ok(api.get("/members", limit=1, cursor=cursor))
        seen += [m["handle"] for m in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == ["alice", "long0", "long1", "long2", "long3"]


# --- a real bug still answers in the error shape ------------------------------------------

def test_unexpected_errors_answer_json_500(alice, open_community, monkeypatch, caplog):
    post = conv.create_post(alice, open_community, body="hello")

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(conv, "thread", broken)
    response = Api.for_member(alice).get(f"/posts/{post.id}")
    err = assert_error(response, 500, "server_error", None)
    assert "boom" not in err["message"]
    assert [r.exc_info[1].args for r in caplog.records if r.name == "socialfabric.api"] == [("boom",)]
    caplog.clear()  # expected here: keep the autouse guard quiet
    assert Post.objects.count() == 1
