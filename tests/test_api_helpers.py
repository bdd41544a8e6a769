"""Helpers for the API tests (no tests here): a token client, error checks, row counts."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.test import Client

from socialfabric.activity.models import Activity
from socialfabric.communities.models import Community, JoinRequest, Membership
from socialfabric.conversations.models import Post, PostRevision, Reaction, Topic
from socialfabric.org import services as org
from socialfabric.org.models import AccessToken, Follow, Member

BASE = "/api/v1"
_NO_BODY = object()


class Api:
    """A client speaking to /api/v1 with a bearer token (or nothing)."""

    def __init__(self, token: str | None = None, client: Client | None = None) -> None:
        self.client = client or Client()
        self.token = token

    @classmethod
    def for_member(cls, member: Member) -> Api:
        _, plain = org.create_token(member, "tests")
        return cls(plain)

    def call(self, method: str, path: str, body: Any = _NO_BODY, *, raw: bytes | str | None = None,
             query: dict | None = None, headers: dict | None = None):
        url = BASE + path + (f"?{urlencode(query)}" if query else "")
        hdrs = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        hdrs.update(headers or {})
        data: bytes | str = b""
        if raw is not None:
            data = raw
        elif body is not _NO_BODY:
            data = json.dumps(body)
        return self.client.generic(method, url, data=data, content_type="application/json", headers=hdrs)

    def get(self, path: str, **query: Any):
        return self.call("GET", path, query={k: v for k, v in query.items() if v is not None} or None)

    def post(self, path: str, body: Any = _NO_BODY, **kw: Any):
        return self.call("POST", path, body, **kw)

    def put(self, path: str, body: Any = _NO_BODY, **kw: Any):
        return self.call("PUT", path, body, **kw)

    def patch(self, path: str, body: Any = _NO_BODY, **kw: Any):
        return self.call("PATCH", path, body, **kw)

    def delete(self, path: str, body: Any = _NO_BODY, **kw: Any):
        return self.call("DELETE", path, body, **kw)


def ok(response, status: int = 200) -> Any:
    """Assert the status and return the JSON body."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    return response.json() if response.content else None


def assert_error(response, status: int, code: str | None = None, field: str | None | object = ...) -> dict:
    """Assert a 4xx reply in the API's error shape, with this code and field."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    err = body["error"]
    assert set(err) == {"code", "message", "field"}, err
    assert isinstance(err["message"], str) and err["message"]
    if code is not None:
        assert err["code"] == code, err
    if field is not ...:
        assert err["field"] == field, err
    return err


MODELS = (Member, AccessToken, Follow, Community, Membership, JoinRequest, Post, PostRevision, Reaction, Topic,
          Activity)


def row_counts() -> dict[str, int]:
    """Rows per table, to show a refused request wrote nothing."""
    counts = {m.__name__: m.objects.count() for m in MODELS}
    # Edits change rows in place: fingerprint the posts' mutable state too.
    counts["post_state"] = hash(tuple(Post.objects.order_by("id").values_list(
        "id", "body", "title", "deleted_at", "accepted_answer_id", "reply_count", "last_activity_at")))
    counts["roles"] = hash(tuple(Membership.objects.order_by("id").values_list("id", "role")))
    counts["requests"] = hash(tuple(JoinRequest.objects.order_by("id").values_list("id", "status")))
    counts["revoked"] = AccessToken.objects.filter(revoked_at__isnull=False).count()
    return counts
