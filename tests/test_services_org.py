"""People services: looking members up, following, personal access tokens; bad input never 500s."""

from __future__ import annotations

import pytest

from socialfabric.activity.models import Activity
from socialfabric.errors import Conflict, InvalidInput, NotFound
from socialfabric.org import services as org
from socialfabric.org.models import AccessToken, Follow


def test_get_member_by_handle_and_id(alice):
    assert org.get_member("alice") == alice
    assert org.get_member("ALICE") == alice
    assert org.get_member(alice.id) == alice


@pytest.mark.parametrize("ref", ["nobody", "", None, 0, -3, 10**30, True, [1], "nul\x00", "\ud800"])
def test_get_member_unknown_or_malformed(alice, ref):
    with pytest.raises(NotFound):
        org.get_member(ref)


def test_inactive_members_are_not_found(make_member):
    gone = make_member("gone", is_active=False)
    with pytest.raises(NotFound):
        org.get_member("gone")
    with pytest.raises(NotFound):
        org.get_member(gone.id)


def test_follow_rules(alice, bob):
    with pytest.raises(InvalidInput):
        org.follow(alice, alice)
    org.follow(alice, bob)
    with pytest.raises(Conflict):
        org.follow(alice, bob)
    assert Follow.objects.count() == 1 and Activity.objects.filter(verb="follow").count() == 1
    org.unfollow(alice, bob)
    with pytest.raises(Conflict):
        org.unfollow(alice, bob)
    assert not Follow.objects.exists()


def test_token_round_trip_and_revoke(alice, bob):
    token, plain = org.create_token(alice, "  laptop ")
    assert token.name == "laptop" and plain.startswith(org.TOKEN_PREFIX)
    assert plain not in token.digest and token.prefix == plain[:10]
    assert org.authenticate_token(plain) == alice
    assert org.authenticate_token(plain + "x") is None
    assert org.authenticate_token("") is None
    with pytest.raises(NotFound):
        org.revoke_token(bob, token.id)  # not bob's token
    org.revoke_token(alice, str(token.id))
    assert org.authenticate_token(plain) is None


@pytest.mark.parametrize("name", ["", "   ", None, 7, "n" * 101, "nul\x00", "\udfff"])
def test_token_bad_names(alice, name):
    with pytest.raises(InvalidInput) as info:
        org.create_token(alice, name)
    assert info.value.field == "name" and not AccessToken.objects.exists()


@pytest.mark.parametrize("tid", ["abc", None, [1], 1.5, 0, 10**30, True])
def test_revoke_malformed_id(alice, tid):
    with pytest.raises(NotFound):
        org.revoke_token(alice, tid)
