"""Issue 9: personal access tokens (F6) and community roles (F7).

F6: tokens are made from a signed-in session only (never by another token), carry scopes
(`read`, `write`) enforced on every API operation, expire (90 days unless chosen otherwise),
are listed for staff who can revoke them, and all die with a deactivated account.
F7: only owners grant or take away the owner and moderator roles or remove a moderator or
owner; a community always keeps one owner; role changes are recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from socialfabric.activity.models import Activity, ObjectType, Verb
from socialfabric.communities import services as communities
from socialfabric.communities.models import Membership, Role
from socialfabric.errors import Conflict, Forbidden
from socialfabric.org import services as org
from socialfabric.org.models import AccessToken
from tests.helpers import login
from tests.test_api_helpers import Api, assert_error, ok, row_counts

# --- F6: tokens ---------------------------------------------------------------------------


def _session_api(member) -> tuple[Client, str]:
    browser = login(member)
    csrf = ok(browser.get("/api/v1/csrf"))["csrf_token"]
    return browser, csrf


def test_a_token_cannot_create_a_token(alice):
    """F6: POST /api/v1/tokens authenticated by a token is 403 and makes nothing, so no child token
    can outlive its parent's revocation."""
    api = Api.for_member(alice)
    before, tokens = row_counts(), AccessToken.objects.count()
    assert_error(api.post("/tokens", {"name": "child"}), 403, "forbidden")
    assert row_counts() == before and AccessToken.objects.count() == tokens


def test_revoking_the_parent_leaves_no_working_child(alice):
    """F6: the parent cannot mint a child; once the parent is revoked nothing made by it works."""
    _, plain = org.create_token(alice, "parent")
    parent = Api(plain)
    child = parent.post("/tokens", {"name": "child"})
    assert child.status_code == 403
    assert AccessToken.objects.filter(member=alice).count() == 1
    ok(parent.delete(f"/tokens/{org.find_token(plain).id}"))
    assert_error(parent.get("/me"), 401, "unauthenticated")
    assert not AccessToken.objects.filter(member=alice, revoked_at__isnull=True).exists()


def test_a_session_still_creates_tokens_with_scopes_and_expiry(alice):
    """F6: over the signed-in session the API makes a token, by default read+write for 90 days."""
    browser, csrf = _session_api(alice)
    made = ok(browser.post("/api/v1/tokens", {"name": "laptop"}, content_type="application/json",
                           headers={"X-CSRFToken": csrf}), 201)
    assert made["scopes"] == ["read", "write"]
    made = ok(browser.post("/api/v1/tokens", {"name": "ro", "scopes": ["read"], "expires_in_days": None},
                           content_type="application/json", headers={"X-CSRFToken": csrf}), 201)
    assert made["scopes"] == ["read"] and made["expires_at"] is None


def test_a_read_token_reads_but_cannot_write(alice, open_community):
    """F6: a read-only token may GET, and gets 403 insufficient_scope on POST /communities/<slug>/posts."""
    _, plain = org.create_token(alice, "reader", scopes=["read"])
    reader = Api(plain)
    assert ok(reader.get("/me"))["handle"] == "alice"
    ok(reader.get(f"/communities/{open_community.slug}/feed"))
    before = row_counts()
    for method, path, body in [("POST", f"/communities/{open_community.slug}/posts", {"body": "hi"}),
                               ("PATCH", "/me", {"bio": "x"}), ("DELETE", "/tokens/1", None)]:
        assert_error(reader.call(method, path, body) if body else reader.call(method, path), 403,
                     "insufficient_scope")
    assert row_counts() == before


def test_a_write_token_posts(alice, open_community):
    """F6: a read+write token may POST a post."""
    _, plain = org.create_token(alice, "writer", scopes=["read", "write"])
    made = ok(Api(plain).post(f"/communities/{open_community.slug}/posts", {"body": "hello"}), 201)
    assert made["author"]["handle"] == "alice"


def test_an_expired_token_is_refused(alice):
    """F6: a token past its expiry gets 401."""
    token, plain = org.create_token(alice, "old", expires_in_days=30)
    api = Api(plain)
    assert ok(api.get("/me"))["handle"] == "alice"
    AccessToken.objects.filter(id=token.id).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_error(api.get("/me"), 401, "unauthenticated")
    assert org.authenticate_token(plain) is None


def test_tokens_expire_in_90_days_by_default_and_the_page_says_so(alice):
    """F6: the default expiry is 90 days; the token page offers 30/90/365/never and shows the expiry."""
    token, _ = org.create_token(alice, "default")
    assert timedelta(days=89, hours=23) < token.expires_at - timezone.now() <= timedelta(days=90)
    never, _ = org.create_token(alice, "forever", expires_in_days=None)
    assert never.expires_at is None
    expired, _ = org.create_token(alice, "gone", expires_in_days=1)
    AccessToken.objects.filter(id=expired.id).update(expires_at=timezone.now() - timedelta(days=1))
    page = login(alice).get("/settings/tokens/").content.decode()
    assert "expires in 89 days" in page and "never expires" in page and "expired" in page
    for choice in ('value="30"', 'value="90" selected', 'value="365"', 'value="never"', 'value="read"'):
        assert choice in page


def test_the_web_form_makes_a_read_only_token_that_never_expires(alice):
    """F6: the settings form's scope and expiry choices reach the token."""
    response = login(alice).post("/settings/tokens/", {"name": "dash", "scope": "read", "expiry": "never"})
    assert response.status_code == 200
    token = AccessToken.objects.get(member=alice, name="dash")
    assert token.scopes == "read" and token.expires_at is None


def test_staff_revoke_a_members_token_from_the_staff_page(alice, make_member):
    """F6: staff see a member's tokens on the staff person page and revoke one; it stops working at
    once and the act is recorded (REVOKE_TOKEN by the admin, towards the owner, by_admin)."""
    root = make_member("root", is_staff=True)
    token, plain = org.create_token(alice, "leaked")
    api = Api(plain)
    assert ok(api.get("/me"))["handle"] == "alice"
    staff = login(root)
    page = staff.get("/staff/people/alice/").content.decode()
    assert "leaked" in page and f"/staff/people/alice/tokens/{token.id}/revoke/" in page
    response = staff.post(f"/staff/people/alice/tokens/{token.id}/revoke/")
    assert response.status_code == 302
    assert_error(api.get("/me"), 401, "unauthenticated")
    row = Activity.objects.get(verb=Verb.REVOKE_TOKEN, object_type=ObjectType.TOKEN, object_id=token.id)
    assert row.actor_id == root.id and row.target_id == alice.id and row.details["by_admin"] is True


def test_only_staff_revoke_other_peoples_tokens(alice, bob):
    """F6: a member who is not staff cannot revoke someone else's token (nothing written)."""
    token, _ = org.create_token(alice, "mine")
    as_bob = login(bob)
    before = Activity.objects.count()
    with pytest.raises(Forbidden):
        org.revoke_token_as_admin(bob, token.id)
    assert as_bob.post(f"/staff/people/alice/tokens/{token.id}/revoke/").status_code in (403, 404)
    token.refresh_from_db()
    assert token.revoked_at is None and Activity.objects.count() == before


def test_deactivation_revokes_every_token(alice, make_member):
    """F6: deactivating a member revokes all their tokens (kept), and the staff page lists them as revoked."""
    root = make_member("root", is_staff=True)
    plains = [org.create_token(alice, n)[1] for n in ("a", "b")]
    org.deactivate(root, alice)
    assert not AccessToken.objects.filter(member=alice, revoked_at__isnull=True).exists()
    for plain in plains:
        assert org.authenticate_token(plain) is None
    page = login(root).get("/staff/people/alice/").content.decode()
    assert "API tokens" in page and page.count('<span class="tag">Revoked</span>') == 2


# --- F7: community roles ------------------------------------------------------------------


@pytest.fixture
def moderated(alice, bob, make_member, open_community):
    """alice owns, bob moderates, dave is a plain member; erin is outside."""
    communities.set_role(alice, open_community, bob, Role.MODERATOR)
    dave, erin = make_member("dave"), make_member("erin")
    communities.join(dave, open_community)
    return open_community, dave, erin


def _roles(community) -> dict[str, str]:
    return dict(Membership.objects.filter(community=community).values_list("member__handle", "role"))


def test_a_moderator_cannot_make_anyone_owner_or_moderator(alice, bob, moderated):
    """F7: a moderator cannot promote themself or others to owner or moderator (403, nothing written)."""
    community, dave, erin = moderated
    before, acts = _roles(community), Activity.objects.count()
    for act in (lambda: communities.set_role(bob, community, bob, Role.OWNER),
                lambda: communities.set_role(bob, community, dave, Role.OWNER),
                lambda: communities.set_role(bob, community, dave, Role.MODERATOR),
                lambda: communities.set_role(bob, community, alice, Role.MEMBER),
                lambda: communities.add_member(bob, community, erin, Role.OWNER),
                lambda: communities.add_member(bob, community, erin, Role.MODERATOR)):
        with pytest.raises(Forbidden):
            act()
    assert _roles(community) == before and Activity.objects.count() == acts


def test_a_moderator_cannot_promote_over_the_api(bob, moderated):
    """F7: the API answers 403 to a moderator's PATCH making themself owner, and writes nothing."""
    community, dave, _ = moderated
    api = Api.for_member(bob)
    before = row_counts()
    assert_error(api.patch(f"/communities/{community.slug}/members/bob", {"role": "owner"}), 403, "forbidden")
    assert_error(api.delete(f"/communities/{community.slug}/members/alice"), 403, "forbidden")
    assert row_counts() == before


def test_a_moderator_cannot_remove_an_owner_or_moderator_but_removes_members(alice, bob, make_member, moderated):
    """F7: moderators remove plain members only."""
    community, dave, erin = moderated
    communities.add_member(alice, community, erin, Role.MODERATOR)
    with pytest.raises(Forbidden):
        communities.remove_member(bob, community, alice)
    with pytest.raises(Forbidden):
        communities.remove_member(bob, community, erin)
    communities.add_member(bob, community, make_member("fay"))  # a plain member: allowed
    communities.remove_member(bob, community, dave)
    assert "dave" not in _roles(community) and _roles(community)["alice"] == Role.OWNER


def test_an_owner_grants_and_removes_roles_and_it_is_recorded(alice, bob, moderated):
    """F7: an owner promotes, demotes and removes; SET_ROLE and REMOVE_MEMBER are recorded."""
    community, dave, erin = moderated
    with pytest.raises(Forbidden):  # a moderator's attempt is refused and leaves no row
        communities.set_role(bob, community, bob, Role.OWNER)
    communities.set_role(alice, community, dave, Role.OWNER)
    communities.set_role(alice, community, bob, Role.MEMBER)
    communities.remove_member(alice, community, dave)
    communities.add_member(alice, community, erin, Role.MODERATOR)
    rows = list(Activity.objects.filter(community_id=community.id, verb__in=[Verb.SET_ROLE, Verb.REMOVE_MEMBER,
                                                                             Verb.ADD_MEMBER]).order_by("id")
                .values_list("verb", "actor__handle", "target__handle", "details"))
    assert rows[1:] == [
        (Verb.SET_ROLE, "alice", "dave", {"role": "owner", "was": "member"}),
        (Verb.SET_ROLE, "alice", "bob", {"role": "member", "was": "moderator"}),
        (Verb.REMOVE_MEMBER, "alice", "dave", {"role": "owner"}),
        (Verb.ADD_MEMBER, "alice", "erin", {"role": "moderator"}),
    ]


def test_the_last_owner_cannot_leave_be_demoted_or_removed(alice, make_member, moderated):
    """F7: the last owner stays: leaving, demotion and removal are a Conflict saying to hand ownership over."""
    community, _, _ = moderated
    root = make_member("root", is_staff=True)
    for act in (lambda: communities.leave(alice, community),
                lambda: communities.set_role(alice, community, alice, Role.MODERATOR),
                lambda: communities.remove_member(root, community, alice)):
        with pytest.raises(Conflict, match="hand ownership to someone first"):
            act()
    assert _roles(community)["alice"] == Role.OWNER


def test_the_add_member_form_offers_roles_only_to_owners(alice, bob, moderated):
    """F7: the community page offers moderator/owner in "Add a member" to owners only."""
    community, _, _ = moderated
    as_owner = login(alice).get(f"/communities/{community.slug}/").content.decode()
    as_moderator = login(bob).get(f"/communities/{community.slug}/").content.decode()
    assert 'value="owner"' in as_owner and 'value="moderator"' in as_owner
    assert 'id="add-role"' in as_moderator and 'value="owner"' not in as_moderator


@pytest.mark.django_db(transaction=True)
def test_two_owners_stepping_down_at_once_leave_one_owner(make_member):
    """F7: a community keeps an owner even when its two owners step down at the same moment.
    Before the fix each act checked "is there another owner?" without a lock, so on PostgreSQL
    both checks saw the other owner and both demotions committed: no owner left. The owners'
    rows are now locked: the second act waits for the first, then sees it is the last owner.
    SQLite's IMMEDIATE write transactions already serialise the two acts, so only PostgreSQL
    can tell the old code from the new one."""
    import threading

    from django.db import connection, connections, transaction

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers: the race needs PostgreSQL's concurrent writers")
    ann, ben = make_member("ann"), make_member("ben")
    community = communities.create_community(ann, name="Two Owners")
    communities.add_member(ann, community, ben, Role.OWNER)
    first_done, release = threading.Event(), threading.Event()
    outcome: dict[str, str] = {}

    def step_down(owner, *, hold: bool) -> None:
        try:
            # The outer block keeps the first act's transaction open until `release`, as a slow
            # request would: the second act runs while the first has checked but not committed.
            with transaction.atomic():
                communities.set_role(owner, community, owner, Role.MODERATOR)
                if hold:
                    first_done.set()
                    release.wait(10)
            outcome[owner.handle] = "stepped down"
        except Conflict:
            outcome[owner.handle] = "refused"
        finally:
            first_done.set()
            connections.close_all()

    first = threading.Thread(target=step_down, args=(ann,), kwargs={"hold": True})
    first.start()
    assert first_done.wait(10)
    second = threading.Thread(target=step_down, args=(ben,), kwargs={"hold": False})
    second.start()
    second.join(1.0)  # with the lock it waits for the first; without, it has committed by now
    release.set()
    first.join(10)
    second.join(10)
    assert sorted(outcome.values()) == ["refused", "stepped down"], outcome
    assert Membership.objects.filter(community=community, role=Role.OWNER).count() == 1
