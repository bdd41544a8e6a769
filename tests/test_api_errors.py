"""Every bad input is a 4xx in the error shape, never a 500, and writes nothing."""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass
from typing import Any

import pytest

from socialfabric.communities import services as communities
from socialfabric.conversations import services as conv
from socialfabric.org import services as org
from socialfabric.paging import MAX_CURSOR_CHARS
from tests.test_api_helpers import Api, assert_error, ok, row_counts

NO_BODY = object()


@pytest.fixture(autouse=True)
def no_server_errors(caplog):
    caplog.set_level(logging.ERROR, logger="socialfabric.api")
    yield
    bugs = [r for r in caplog.get_records("call") if r.name == "socialfabric.api"]
    assert not bugs, [r.getMessage() for r in bugs]


@dataclass
class World:
    ids: dict[str, Any]
    apis: dict[str, Api]


@pytest.fixture
def world(alice, bob, carol, make_member, open_community, secret_community) -> World:
    dave, erin = make_member("dave"), make_member("erin")
    board = communities.create_community(alice, name="Board", visibility="closed")
    question = conv.create_post(alice, open_community, kind="question", title="Why?", body="Tell me")
    answer = conv.create_reply(bob, question.id, body="Because")
    gone_reply = conv.create_reply(bob, question.id, body="Oops")
    conv.remove_post(bob, gone_reply.id)
    discussion = conv.create_post(alice, open_community, body="Chat")
    removed = conv.create_post(alice, open_community, body="Mistake")
    conv.remove_post(alice, removed.id)
    bobs_question = conv.create_post(bob, open_community, kind="question", body="Bob asks")
    alices_answer = conv.create_reply(alice, bobs_question.id, body="Alice answers")
    pending = communities.request_to_join(dave, board)
    rejected = communities.request_to_join(erin, board)
    communities.decide_request(alice, rejected.id, approve=False)
    org.follow(bob, alice)
    ids = {"q": question.id, "answer": answer.id, "gone_reply": gone_reply.id, "discussion": discussion.id,
           "removed": removed.id, "bq": bobs_question.id, "alices_answer": alices_answer.id,
           "pending": pending.id, "rejected": rejected.id, "open": open_community.slug, "board": board.slug,
           "secret": secret_community.slug}
    apis = {name: Api.for_member(m) for name, m in
            {"alice": alice, "bob": bob, "carol": carol, "dave": dave}.items()}
    return World(ids, apis)


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


LONG = "x" * 10_001  # over the default SOCIALFABRIC_MAX_BODY_CHARS

# (who, method, path, body or raw bytes/str, status, code, field)
CASES: list[tuple] = [
    # empty and oversized input
    ("bob", "POST", "/communities/{open}/posts", {"body": ""}, 400, "invalid", "body"),
    ("bob", "POST", "/communities/{open}/posts", {"body": "  \n\t "}, 400, "invalid", "body"),
    ("bob", "POST", "/communities/{open}/posts", NO_BODY, 422, "invalid", None),
    ("bob", "POST", "/communities/{open}/posts", {}, 422, "invalid", "body"),
    ("bob", "POST", "/communities/{open}/posts", {"body": LONG}, 400, "invalid", "body"),
    ("bob", "POST", "/communities/{open}/posts", {"body": "ok", "title": "t" * 201}, 400, "invalid", "title"),
    ("bob", "POST", "/posts/{q}/replies", {"body": ""}, 400, "invalid", "body"),
    ("bob", "POST", "/posts/{q}/replies", {"body": LONG}, 400, "invalid", "body"),
    ("alice", "PATCH", "/posts/{q}", {"body": LONG}, 400, "invalid", "body"),
    ("alice", "PATCH", "/posts/{q}", {"body": " "}, 400, "invalid", "body"),
    ("bob", "PATCH", "/posts/{answer}", {"body": "ok", "title": "Replies have none"}, 400, "invalid", "title"),
    ("alice", "POST", "/communities", {"name": ""}, 400, "invalid", "name"),
    ("alice", "POST", "/communities", {"name": "n" * 121}, 400, "invalid", "name"),
    ("alice", "POST", "/communities", {"name": "!!!"}, 400, "invalid", "name"),
    ("alice", "POST", "/communities", {"name": "Shop", "audience": "mixed"}, 400, "invalid", "external_kinds"),
    ("alice", "POST", "/communities", {"name": "Shop", "external_kinds": ["customer"]}, 400, "invalid",
     "external_kinds"),
    ("alice", "POST", "/tokens", {"name": " "}, 400, "invalid", "name"),
    ("alice", "POST", "/tokens", {"name": "n" * 101}, 400, "invalid", "name"),
    ("bob", "POST", "/communities/{board}/requests", {"message": "m" * 501}, 400, "invalid", "message"),
    # unknown ids and addresses
    ("bob", "GET", "/posts/987654321", NO_BODY, 404, "not_found", "post"),
    ("bob", "PATCH", "/posts/987654321", {"body": "x"}, 404, "not_found", "post"),
    ("bob", "DELETE", "/posts/987654321", NO_BODY, 404, "not_found", "post"),
    ("bob", "GET", "/posts/987654321/revisions", NO_BODY, 404, "not_found", "post"),
    ("bob", "POST", "/posts/987654321/replies", {"body": "x"}, 404, "not_found", "post"),
    ("bob", "PUT", "/posts/987654321/reactions/like", NO_BODY, 404, "not_found", "post"),
    ("bob", "DELETE", "/posts/987654321/reactions/like", NO_BODY, 404, "not_found", "post"),
    ("alice", "PUT", "/posts/987654321/accepted-answer", {"answer": 1}, 404, "not_found", "post"),
    ("alice", "PUT", "/posts/{q}/accepted-answer", {"answer": 987654321}, 400, "invalid", "answer"),
    ("alice", "PUT", "/posts/{q}/accepted-answer", {"answer": "{alices_answer}"}, 400, "invalid", "answer"),
    ("bob", "GET", "/members/nobody", NO_BODY, 404, "not_found", "member"),
    ("bob", "GET", "/members/nobody/feed", NO_BODY, 404, "not_found", "member"),
    ("bob", "GET", "/members/nobody/followers", NO_BODY, 404, "not_found", "member"),
    ("bob", "PUT", "/members/nobody/follow", NO_BODY, 404, "not_found", "member"),
    ("bob", "GET", "/communities/nope", NO_BODY, 404, "not_found", "community"),
    ("bob", "GET", "/communities/nope/feed", NO_BODY, 404, "not_found", "community"),
    ("bob", "POST", "/communities/nope/join", NO_BODY, 404, "not_found", "community"),
    ("bob", "POST", "/communities/nope/posts", {"body": "x"}, 404, "not_found", "community"),
    ("alice", "POST", "/communities/{open}/members", {"handle": "nobody"}, 404, "not_found", "member"),
    ("alice", "PATCH", "/communities/{open}/members/nobody", {"role": "member"}, 404, "not_found", "member"),
    ("alice", "PATCH", "/communities/{open}/members/dave", {"role": "member"}, 404, "not_found", "member"),
    ("bob", "GET", "/units/nope", NO_BODY, 404, "not_found", "unit"),
    ("bob", "GET", "/units/nope/feed", NO_BODY, 404, "not_found", "unit"),
    ("bob", "GET", "/topics/nothing-here/feed", NO_BODY, 404, "not_found", "topic"),
    ("alice", "POST", "/requests/987654321/approve", NO_BODY, 404, "not_found", "request"),
    ("alice", "POST", "/requests/987654321/reject", NO_BODY, 404, "not_found", "request"),
    ("alice", "DELETE", "/tokens/987654321", NO_BODY, 404, "not_found", "token"),
    ("bob", "GET", "/posts/99999999999999999999999", NO_BODY, 422, "invalid", "post_id"),
    ("bob", "GET", "/posts/0", NO_BODY, 422, "invalid", "post_id"),
    ("bob", "GET", "/posts/abc", NO_BODY, 422, "invalid", "post_id"),
    ("alice", "DELETE", "/tokens/-1", NO_BODY, 422, "invalid", "token_id"),
    ("bob", "GET", "/no/such/endpoint", NO_BODY, 404, "not_found", None),
    ("bob", "POST", "/posts", {"body": "x"}, 404, "not_found", None),
    ("bob", "DELETE", "/me", NO_BODY, 405, "method_not_allowed", None),
    # malformed JSON
    ("bob", "POST", "/communities/{open}/posts", '{"body": ', 400, "malformed_json", "body"),
    ("bob", "POST", "/communities/{open}/posts", b"\xff\xfe\x00", 400, "malformed_json", "body"),
    ("bob", "POST", "/posts/{q}/replies", "{'body': 'single quotes'}", 400, "malformed_json", "body"),
    ("alice", "PATCH", "/posts/{q}", '{"body": "x",}', 400, "malformed_json", "body"),
    ("alice", "POST", "/tokens", "[1, 2", 400, "malformed_json", "body"),
    ("alice", "PUT", "/posts/{q}/accepted-answer", "answer=1", 400, "malformed_json", "body"),
    # wrong types
    ("bob", "POST", "/communities/{open}/posts", {"body": 5}, 422, "invalid", "body"),
    ("bob", "POST", "/communities/{open}/posts", {"body": ["a"]}, 422, "invalid", "body"),
    ("bob", "POST", "/communities/{open}/posts", {"body": None}, 422, "invalid", "body"),
    ("bob", "POST", "/communities/{open}/posts", {"body": "x", "kind": "poem"}, 422, "invalid", "kind"),
    ("bob", "POST", "/communities/{open}/posts", {"body": "x", "kind": "reply"}, 422, "invalid", "kind"),
    ("bob", "POST", "/communities/{open}/posts", {"body": "x", "title": 7}, 422, "invalid", "title"),
    ("bob", "POST", "/communities/{open}/posts", "[]", 422, "invalid", None),
    ("bob", "POST", "/communities/{open}/posts", '"a string"', 422, "invalid", None),
    ("bob", "POST", "/communities/{open}/posts", "null", 422, "invalid", None),
    ("bob", "POST", "/communities/{open}/posts", {"body": "a\u0000b"}, 422, "invalid", "body"),
    ("bob", "POST", "/communities/{open}/posts", '{"body": "\\ud800"}', 422, "invalid", "body"),
    ("bob", "POST", "/posts/{q}/replies", {"text": "wrong field"}, 422, "invalid", "body"),
    ("alice", "PUT", "/posts/{q}/accepted-answer", {"answer": "abc"}, 422, "invalid", "answer"),
    ("alice", "PUT", "/posts/{q}/accepted-answer", {"answer": 1.5}, 422, "invalid", "answer"),
    ("alice", "PUT", "/posts/{q}/accepted-answer", {"answer": 2**64}, 422, "invalid", "answer"),
    ("alice", "PUT", "/posts/{q}/accepted-answer", {}, 422, "invalid", "answer"),
    ("alice", "POST", "/communities", {"name": "X", "visibility": "hidden"}, 422, "invalid", "visibility"),
    ("alice", "POST", "/communities", {"name": "X", "external_kinds": "customer"}, 422, "invalid",
     "external_kinds"),
    ("alice", "POST", "/communities", {"name": "X", "external_kinds": ["employee"]}, 422, "invalid",
     "external_kinds"),
    ("alice", "POST", "/communities", {"name": {"en": "X"}}, 422, "invalid", "name"),
    ("alice", "POST", "/communities/{open}/members", {"handle": "carol", "role": "king"}, 422, "invalid", "role"),
    ("alice", "POST", "/tokens", {"name": 3}, 422, "invalid", "name"),
    ("bob", "PUT", "/posts/{q}/reactions/love", NO_BODY, 422, "invalid", "kind"),
    ("bob", "GET", "/members?stakeholder=alien", NO_BODY, 422, "invalid", "stakeholder"),
    ("bob", "GET", "/members?q=" + "q" * 101, NO_BODY, 422, "invalid", "q"),
    ("bob", "GET", "/members?q=%00", NO_BODY, 422, "invalid", "q"),
    ("bob", "GET", "/members/a%00b", NO_BODY, 422, "invalid", "handle"),
    ("bob", "GET", "/communities/a%00b/feed", NO_BODY, 422, "invalid", "slug"),
    # conflicts
    ("bob", "POST", "/communities/{open}/join", NO_BODY, 409, "conflict", "community"),
    ("alice", "POST", "/communities/{open}/members", {"handle": "bob"}, 409, "conflict", "community"),
    ("bob", "PUT", "/members/alice/follow", NO_BODY, 409, "conflict", "member"),
    ("dave", "DELETE", "/members/alice/follow", NO_BODY, 409, "conflict", "member"),
    ("bob", "PUT", "/members/bob/follow", NO_BODY, 400, "invalid", "member"),
    ("dave", "POST", "/communities/{board}/requests", {"message": "again"}, 409, "conflict", "community"),
    ("bob", "POST", "/communities/{open}/requests", NO_BODY, 409, "conflict", "community"),
    ("dave", "POST", "/communities/{open}/requests", NO_BODY, 400, "invalid", "community"),
    ("alice", "POST", "/requests/{rejected}/approve", NO_BODY, 409, "conflict", "request"),
    ("dave", "POST", "/communities/{open}/leave", NO_BODY, 409, "conflict", "community"),
    ("alice", "POST", "/communities/{open}/leave", NO_BODY, 409, "conflict", "community"),
    ("alice", "PATCH", "/communities/{open}/members/alice", {"role": "member"}, 409, "conflict", "role"),
    ("alice", "POST", "/communities", {"name": "Product   Ideas"}, 409, "conflict", "slug"),
    ("bob", "POST", "/posts/{removed}/replies", {"body": "Too late"}, 409, "conflict", "parent"),
    ("bob", "POST", "/posts/{gone_reply}/replies", {"body": "Too late"}, 409, "conflict", "parent"),
    ("bob", "PUT", "/posts/{removed}/reactions/like", NO_BODY, 409, "conflict", "post"),
    ("alice", "PATCH", "/posts/{removed}", {"body": "Back"}, 409, "conflict", "post"),
    ("alice", "PUT", "/posts/{q}/accepted-answer", {"answer": "{gone_reply}"}, 409, "conflict", "answer"),
    # forbidden
    ("bob", "PUT", "/posts/{q}/accepted-answer", {"answer": "{answer}"}, 403, "forbidden", "post"),
    ("bob", "DELETE", "/posts/{q}/accepted-answer", NO_BODY, 403, "forbidden", "post"),
    ("dave", "PUT", "/posts/{bq}/accepted-answer", {"answer": "{alices_answer}"}, 403, "forbidden", "post"),
    ("alice", "PUT", "/posts/{discussion}/accepted-answer", {"answer": "{answer}"}, 400, "invalid", "post"),
    ("bob", "PATCH", "/posts/{q}", {"body": "Mine now"}, 403, "forbidden", "post"),
    ("bob", "DELETE", "/posts/{q}", NO_BODY, 403, "forbidden", "post"),
    ("dave", "POST", "/communities/{open}/posts", {"body": "Not a member"}, 403, "forbidden", "community"),
    ("dave", "POST", "/posts/{q}/replies", {"body": "Not a member"}, 403, "forbidden", "community"),
    ("bob", "POST", "/communities/{open}/posts", {"body": "Hear ye", "kind": "announcement"}, 403, "forbidden",
     "kind"),
    ("carol", "POST", "/communities", {"name": "Customers only"}, 403, "forbidden", None),
    ("carol", "GET", "/communities/{open}", NO_BODY, 404, "not_found", "community"),
    ("carol", "GET", "/posts/{q}", NO_BODY, 404, "not_found", "post"),
    ("carol", "POST", "/communities/{board}/requests", NO_BODY, 404, "not_found", "community"),
    ("dave", "POST", "/communities/{board}/join", NO_BODY, 403, "forbidden", "community"),
    ("dave", "GET", "/posts/987654321/revisions", NO_BODY, 404, "not_found", "post"),
    ("bob", "GET", "/posts/{removed}/revisions", NO_BODY, 403, "forbidden", "post"),
    ("bob", "POST", "/communities/{board}/members", {"handle": "dave"}, 403, "forbidden", "community"),
    ("bob", "GET", "/communities/{board}/requests", NO_BODY, 403, "forbidden", "community"),
    ("bob", "POST", "/requests/{pending}/approve", NO_BODY, 403, "forbidden", "community"),
    ("bob", "PATCH", "/communities/{open}/members/bob", {"role": "owner"}, 403, "forbidden", "community"),
    ("bob", "GET", "/communities/{secret}/members", NO_BODY, 404, "not_found", "community"),
    # bad cursors and limits
    ("bob", "GET", "/feed?cursor=!!!", NO_BODY, 400, "invalid", "cursor"),
    ("bob", "GET", "/feed?cursor=" + b64("2024-01-01T00:00:00+00:00|99999999999999999999999"), NO_BODY, 400,
     "invalid", "cursor"),
    ("bob", "GET", "/feed?cursor=" + b64("2024-01-01T00:00:00|5"), NO_BODY, 400, "invalid", "cursor"),
    ("bob", "GET", "/feed?cursor=" + b64("yesterday|5"), NO_BODY, 400, "invalid", "cursor"),
    ("bob", "GET", "/feed?cursor=" + "A" * (MAX_CURSOR_CHARS + 1), NO_BODY, 422, "invalid", "cursor"),
    ("bob", "GET", "/feed?cursor=" + "A" * 501, NO_BODY, 400, "invalid", "cursor"),
    ("bob", "GET", "/feed?cursor=" + b64(json.dumps(["2024-01-01T00:00:00", 5])), NO_BODY, 400, "invalid", "cursor"),
    ("bob", "GET", "/feed?cursor=" + b64(json.dumps(["2024-01-01T00:00:00+00:00", 2**63])), NO_BODY, 400,
     "invalid", "cursor"),
    ("bob", "GET", "/members?cursor=" + b64(json.dumps(["2024-01-01T00:00:00+00:00", 5, 6])), NO_BODY, 400,
     "invalid", "cursor"),
    ("bob", "GET", "/communities/{open}/feed?cursor=abc", NO_BODY, 400, "invalid", "cursor"),
    ("bob", "GET", "/members/alice/feed?cursor=" + b64("x|y"), NO_BODY, 400, "invalid", "cursor"),
    ("bob", "GET", "/members?cursor=garbage", NO_BODY, 400, "invalid", "cursor"),
    ("bob", "GET", "/members?cursor=" + b64(json.dumps([1, 2])), NO_BODY, 400, "invalid", "cursor"),
    ("bob", "GET", "/members?cursor=" + b64(json.dumps(["Alice", 2**70])), NO_BODY, 400, "invalid", "cursor"),
    ("bob", "GET", "/members?cursor=" + b64(json.dumps(["Alice", True])), NO_BODY, 400, "invalid", "cursor"),
    ("bob", "GET", "/members?cursor=" + b64(json.dumps(["A\u0000", 1])), NO_BODY, 400, "invalid", "cursor"),
    ("bob", "GET", "/communities?cursor=" + b64(json.dumps({"name": "x"})), NO_BODY, 400, "invalid", "cursor"),
    ("bob", "GET", "/tokens?cursor=" + b64(json.dumps([-1])), NO_BODY, 400, "invalid", "cursor"),
    ("bob", "GET", "/units?cursor=" + b64("[[[[[[") , NO_BODY, 400, "invalid", "cursor"),
    ("bob", "GET", "/feed?limit=0", NO_BODY, 422, "invalid", "limit"),
    ("bob", "GET", "/feed?limit=101", NO_BODY, 422, "invalid", "limit"),
    ("bob", "GET", "/feed?limit=-1", NO_BODY, 422, "invalid", "limit"),
    ("bob", "GET", "/feed?limit=ten", NO_BODY, 422, "invalid", "limit"),
    ("bob", "GET", "/feed?limit=1.5", NO_BODY, 422, "invalid", "limit"),
    ("bob", "GET", "/members?limit=100000000000000000000000", NO_BODY, 422, "invalid", "limit"),
    ("bob", "GET", "/communities/{open}/members?limit=0", NO_BODY, 422, "invalid", "limit"),
    ("bob", "GET", "/topics/anything/feed?limit=1000", NO_BODY, 422, "invalid", "limit"),
]


def _fill(value: Any, ids: dict[str, Any]) -> Any:
    """Put the world's ids into paths and bodies ("{q}" → 12; a body value "{q}" → the int 12)."""
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}") and value[1:-1] in ids:
            return ids[value[1:-1]]
        return value.format(**ids) if "{" in value and not value.lstrip().startswith(("{", "[")) else value
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.parametrize(("who", "method", "path", "body", "status", "code", "field"), CASES,
                         ids=[f"{c[1]} {c[2][:60]} {c[4]}" for c in CASES])
def test_bad_input_is_refused_and_writes_nothing(world, who, method, path, body, status, code, field):
    api = world.apis[who]
    path = _fill(path, world.ids)
    before = row_counts()
    if isinstance(body, str | bytes):
        response = api.call(method, path, raw=body)
    elif body is NO_BODY:
        response = api.call(method, path)
    else:
        response = api.call(method, path, _fill(body, world.ids))
    assert_error(response, status, code, field)
    assert row_counts() == before


def test_body_limit_comes_from_settings(world, settings):
    settings.SOCIALFABRIC_MAX_BODY_CHARS = 50
    api = world.apis["bob"]
    path = f"/communities/{world.ids['open']}/posts"
    before = row_counts()
    err = assert_error(api.post(path, {"body": "y" * 51}), 400, "invalid", "body")
    assert "50" in err["message"]
    assert_error(api.post(f"/posts/{world.ids['q']}/replies", {"body": "y" * 51}), 400, "invalid", "body")
    assert row_counts() == before
    assert ok(api.post(path, {"body": "y" * 50}), 201)["body"] == "y" * 50


def test_refused_second_act_leaves_the_first_intact(world):
    """Reacting is idempotent, following is not: neither duplicates a row."""
    bob = world.apis["bob"]
    ok(bob.put(f"/posts/{world.ids['q']}/reactions/celebrate"), 201)
    before = row_counts()
    ok(bob.put(f"/posts/{world.ids['q']}/reactions/celebrate"), 200)
    assert row_counts() == before
    assert_error(bob.put("/members/alice/follow"), 409, "conflict")
    assert row_counts() == before


def test_a_broken_multipart_body_is_a_400(world):
    """Found by schemathesis: a body that says multipart/form-data without a boundary made Django's
    parser raise on first look at request.FILES (the photo upload), answered as a 500."""
    api = world.apis["bob"]
    before = row_counts()
    response = api.client.generic("POST", "/api/v1/me/photo", data=b"--x\r\nnot a part",
                                  content_type="multipart/form-data",
                                  headers={"Authorization": f"Bearer {api.token}"})
    assert_error(response, 400, "malformed_body", "body")
    assert row_counts() == before


def test_the_document_declares_every_error_answer(client):
    """Each operation lists the statuses the exception handlers can give it, as references to one
    declaration each; writes add 429 with Retry-After, and the open operations only 413."""
    doc = client.get("/api/v1/openapi.json").json()
    declared = doc["components"]["responses"]
    assert declared["RateLimited"]["headers"]["Retry-After"]["required"] is True
    assert declared["Busy"]["headers"]["Retry-After"]["schema"]["minimum"] == 1
    ops = [(m.upper(), path, op) for path, item in doc["paths"].items() for m, op in item.items()]
    assert len(ops) > 30
    for method, path, op in ops:
        statuses = {str(s) for s in op["responses"]}
        assert "413" in statuses, (method, path)
        if op.get("security"):
            assert {"400", "401", "403", "404", "409", "422", "503"} <= statuses, (method, path)
            assert ("429" in statuses) == (method not in {"GET", "HEAD", "OPTIONS"}), (method, path)
        else:
            assert not {"401", "429"} & statuses, (method, path)
    for ref in (r for _, _, op in ops for r in op["responses"].values() if "$ref" in r):
        assert ref["$ref"].rsplit("/", 1)[1] in declared
