"""An administrator deactivates an account: its sessions and API tokens stop working at once."""

from __future__ import annotations

import pytest
from django.test import Client

from socialfabric.errors import Conflict, Forbidden
from socialfabric.org import services as org
from socialfabric.org.models import AccessToken


def test_deactivation_ends_sessions_and_tokens_at_once(alice, bob, make_member):
    root = make_member("root", is_staff=True)
    session = Client()
    session.force_login(bob)
    _token, plain = org.create_token(bob, "script")
    api = {"Authorization": f"Bearer {plain}"}
    assert session.get("/").status_code == 200
    assert Client().get("/api/v1/me", headers=api).status_code == 200
    admin = Client()
    admin.force_login(root)
    profile = admin.get("/people/bob/").content.decode()
    assert "Deactivate account" in profile
    done = admin.post("/people/bob/deactivate/")
    assert done.status_code == 302
    # The very next request of bob's open session is anonymous; the token is refused.
    assert session.get("/").status_code == 302 and "/signin/" in session.get("/")["Location"]
    assert Client().get("/api/v1/me", headers=api).status_code == 401
    assert AccessToken.objects.filter(member=bob, revoked_at__isnull=True).count() == 0
    assert not Client().login(username="bob", password="correct-horse-battery")
    assert admin.get("/people/bob/").status_code == 404  # gone from the directory
    assert "Deactivate account" not in admin.get("/people/root/").content.decode()  # not oneself


def test_only_staff_deactivate_and_never_themselves(alice, bob, make_member):
    root = make_member("root", is_staff=True)
    with pytest.raises(Forbidden):
        org.deactivate(alice, bob)
    member = Client()
    member.force_login(alice)
    assert "Deactivate account" not in member.get("/people/bob/").content.decode()
    assert member.post("/people/bob/deactivate/").status_code == 403
    bob.refresh_from_db()
    assert bob.is_active
    with pytest.raises(Conflict):
        org.deactivate(root, root)
    org.deactivate(root, bob)
    with pytest.raises(Conflict):
        org.deactivate(root, bob)
