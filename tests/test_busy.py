"""A write that cannot get the database's lock in time answers 503 with Retry-After — on pages
(htmx or not) and in the API — never a 500, and leaves nothing written."""

from __future__ import annotations

import sqlite3

import pytest
from django.db import OperationalError
from django.test import Client

from socialfabric.conversations import services as conv
from socialfabric.conversations.models import Post
from socialfabric.errors import is_database_busy
from socialfabric.org import services as org


@pytest.fixture
def locked(monkeypatch):
    """The post service's write meets a lock held elsewhere (as SQLite reports it after its
    busy timeout), after the row would have been inserted."""
    real = Post.objects.create

    def create(**kwargs):
        real(**kwargs)
        raise OperationalError("database is locked")

    monkeypatch.setattr(Post.objects, "create", create)


def test_busy_is_told_from_other_database_errors():
    assert is_database_busy(OperationalError("database is locked"))
    assert is_database_busy(OperationalError("ERROR: canceling statement due to lock timeout"))
    assert is_database_busy(OperationalError("deadlock detected"))
    assert not is_database_busy(OperationalError("no such table: org_member"))
    assert not is_database_busy(sqlite3.OperationalError("database is locked"))  # only Django's wrapped one
    assert not is_database_busy(ValueError("database is locked"))


def test_page_answers_503_with_retry_after(alice, open_community, locked):
    browser = Client()
    browser.force_login(alice)
    before = Post.objects.count()
    page = browser.post(f"/communities/{open_community.slug}/", {"kind": "discussion", "body": "Hello"})
    assert page.status_code == 503 and page["Retry-After"] == "2"
    assert "nothing was saved" in page.content.decode() and "Busy right now" in page.content.decode()
    assert Post.objects.count() == before
    fragment = browser.post(f"/communities/{open_community.slug}/", {"kind": "discussion", "body": "Hello"},
                            headers={"HX-Request": "true", "HX-Trigger": "composer"})
    assert fragment.status_code == 503 and fragment["HX-Retarget"] == "#composer-error"


def test_api_answers_503_with_retry_after(alice, open_community, locked):
    _token, plain = org.create_token(alice, "script")
    reply = Client().post(f"/api/v1/communities/{open_community.slug}/posts", {"body": "Hello"},
                          content_type="application/json", headers={"Authorization": f"Bearer {plain}"})
    assert reply.status_code == 503 and reply["Retry-After"] == "2"
    assert reply.json()["error"]["code"] == "busy"
    assert not Post.objects.filter(body="Hello").exists()
    with pytest.raises(OperationalError):  # the service itself does not hide it
        conv.create_post(alice, open_community, body="Hello")
