"""Communities: creation rules, joining, leaving, requests, audiences and secret communities."""

from __future__ import annotations

import pytest

from socialfabric import access
from socialfabric.activity.models import Activity, Verb
from socialfabric.communities import services as communities
from socialfabric.communities.models import Community, JoinRequest, Membership, Role
from socialfabric.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.helpers import failing_act


def snapshot() -> dict[str, int]:
    return {
        "community": Community.objects.count(),
        "membership": Membership.objects.count(),
        "request": JoinRequest.objects.count(),
        "activity": Activity.objects.count(),
    }


fail = failing_act(snapshot)


def fresh(c: Community) -> Community:
    return Community.objects.get(id=c.id)


# --- creation ---------------------------------------------------------------------------------


def test_create_makes_owner_membership_and_records_the_act(alice):
    c = communities.create_community(alice, name="  Product   Ideas ", purpose=" why ")
    assert (c.name, c.slug, c.purpose, c.member_count) == ("Product Ideas", "product-ideas", "why", 1)
    m = Membership.objects.get(community=c)
    assert (m.member_id, m.role) == (alice.id, Role.OWNER)
    ev = Activity.objects.get()
    assert (ev.verb, ev.actor_id, ev.community_id, ev.target_id, ev.object_type, ev.object_id) == (
        Verb.CREATE_COMMUNITY, alice.id, c.id, None, "community", c.id)
    assert access.can_moderate(alice, c)


@pytest.mark.parametrize("name", ["", "   ", None, 42, ["x"], "!!!", "a" * 121, "x\x00y", "bad \ud800"])
def test_create_rejects_bad_names(alice, name):
    fail(InvalidInput, communities.create_community, alice, name=name, field="name")


def test_create_accepts_name_of_exactly_120(alice):
    c = communities.create_community(alice, name="n" * 120)
    assert len(c.name) == 120


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"visibility": "hidden"}, "visibility"),
        ({"visibility": None}, "visibility"),
        ({"visibility": ["open"]}, "visibility"),
        ({"audience": "everyone"}, "audience"),
        ({"audience": "mixed"}, "external_kinds"),  # mixed without kinds
        ({"audience": "mixed", "external_kinds": []}, "external_kinds"),
        ({"audience": "mixed", "external_kinds": ["employee"]}, "external_kinds"),
        ({"audience": "mixed", "external_kinds": ["martian"]}, "external_kinds"),
        ({"audience": "mixed", "external_kinds": "customer"}, "external_kinds"),
        ({"audience": "internal", "external_kinds": ["customer"]}, "external_kinds"),
        ({"purpose": None}, "purpose"),
        ({"purpose": "p" * 2001}, "purpose"),
        ({"purpose": "nul\x00"}, "purpose"),
        ({"slug": 12}, "slug"),
    ],
)
def test_create_rejects_bad_options(alice, kwargs, field):
    fail(InvalidInput, communities.create_community, alice, name="Valid", field=field, **kwargs)


def test_create_mixed_community_sorts_and_dedupes_kinds(alice):
    c = communities.create_community(alice, name="Customers", audience="mixed",
                                     external_kinds=["partner", "customer", "customer"])
    assert c.external_kinds == ["customer", "partner"]


def test_duplicate_slug_is_a_conflict(alice, bob):
    communities.create_community(alice, name="Product Ideas")
    fail(Conflict, communities.create_community, bob, name="product   ideas!", field="slug")
    fail(Conflict, communities.create_community, bob, name="Other", slug="Product Ideas", field="slug")


def test_external_member_cannot_create(carol):
    fail(Forbidden, communities.create_community, carol, name="Customers only")


# --- joining and leaving ----------------------------------------------------------------------


def test_join_open_community(alice, make_member):
    c = communities.create_community(alice, name="Open")
    dave = make_member("dave")
    m = communities.join(dave, c)
    assert m.role == Role.MEMBER
    assert fresh(c).member_count == 2
    assert access.is_member(dave, c)
    ev = Activity.objects.filter(verb=Verb.JOIN, actor=dave).get()
    assert ev.community_id == c.id


def test_join_twice_is_a_conflict(bob, open_community):
    fail(Conflict, communities.join, bob, open_community)
    assert fresh(open_community).member_count == 2


def test_leave_and_rejoin(bob, open_community):
    communities.leave(bob, open_community)
    assert fresh(open_community).member_count == 1
    assert not access.is_member(bob, open_community)
    assert Activity.objects.filter(verb=Verb.LEAVE, actor=bob, community_id=open_community.id).count() == 1
    before = Activity.objects.count()  # rejoining records one more act
    communities.join(bob, open_community)
    assert Activity.objects.count() == before + 1
    assert fresh(open_community).member_count == 2


def test_leave_when_not_a_member_is_a_conflict(alice, make_member):
    c = communities.create_community(alice, name="Open")
    fail(Conflict, communities.leave, make_member("dave"), c)


def test_last_owner_cannot_leave_but_one_of_two_owners_can(alice, bob, open_community):
    fail(Conflict, communities.leave, alice, open_community)
    communities.set_role(alice, open_community, bob, "moderator")
    fail(Conflict, communities.leave, alice, open_community)  # a moderator is not an owner
    communities.set_role(alice, open_community, bob, "owner")
    communities.leave(alice, open_community)
    assert list(Membership.objects.filter(community=open_community).values_list("member_id", "role")) == [
        (bob.id, Role.OWNER)]


def test_community_keeps_one_owner_when_demoting(alice, open_community):
    fail(Conflict, communities.set_role, alice, open_community, alice, "member")
    fail(InvalidInput, communities.set_role, alice, open_community, alice, "king")


def test_only_moderators_set_roles(alice, bob, open_community):
    fail(Forbidden, communities.set_role, bob, open_community, bob, "owner")
    assert Membership.objects.get(community=open_community, member=bob).role == Role.MEMBER


# --- closed communities: requests -------------------------------------------------------------


@pytest.fixture
def closed(alice):
    return communities.create_community(alice, name="Board Prep", visibility="closed")


def test_closed_cannot_be_joined_directly(bob, closed):
    fail(Forbidden, communities.join, bob, closed)


def test_request_approve_flow(alice, bob, closed):
    req = communities.request_to_join(bob, closed, " please ")
    assert (req.status, req.message) == (JoinRequest.Status.PENDING, "please")
    assert list(communities.pending_requests(alice, closed)) == [req]
    decided = communities.decide_request(alice, req.id, approve=True)
    assert decided.status == JoinRequest.Status.APPROVED and decided.decided_by_id == alice.id
    assert decided.decided_at is not None
    assert Membership.objects.filter(community=closed, member=bob, role=Role.MEMBER).exists()
    assert fresh(closed).member_count == 2
    assert Activity.objects.filter(verb=Verb.APPROVE_JOIN, actor=alice, target=bob, community_id=closed.id).count() == 1
    # Deciding twice is a conflict; nothing changes.
    fail(Conflict, communities.decide_request, alice, req.id, approve=False)


def test_request_reject_flow(alice, bob, closed):
    req = communities.request_to_join(bob, closed)
    communities.decide_request(alice, req.id, approve=False)
    assert JoinRequest.objects.get(id=req.id).status == JoinRequest.Status.REJECTED
    assert not Membership.objects.filter(community=closed, member=bob).exists()
    # After a rejection a new request is allowed (only one *pending* at a time).
    again = communities.request_to_join(bob, closed)
    assert again.id != req.id


def test_request_twice_is_a_conflict(bob, closed):
    communities.request_to_join(bob, closed)
    fail(Conflict, communities.request_to_join, bob, closed)


def test_request_bad_message(bob, closed):
    fail(InvalidInput, communities.request_to_join, bob, closed, "m" * 501, field="message")
    fail(InvalidInput, communities.request_to_join, bob, closed, None, field="message")
    fail(InvalidInput, communities.request_to_join, bob, closed, "nul\x00", field="message")


def test_request_open_community_is_invalid(make_member, open_community):
    fail(InvalidInput, communities.request_to_join, make_member("dave"), open_community)


def test_member_cannot_request(alice, closed):
    fail(Conflict, communities.request_to_join, alice, closed)


def test_only_moderators_decide(alice, bob, closed, make_member):
    req = communities.request_to_join(bob, closed)
    dave = make_member("dave")
    fail(Forbidden, communities.decide_request, dave, req.id, approve=True)  # listed but not a moderator
    communities.add_member(alice, closed, dave)
    fail(Forbidden, communities.decide_request, dave, req.id, approve=True)  # plain member
    with pytest.raises(Forbidden):
        communities.pending_requests(dave, closed)
    communities.set_role(alice, closed, dave, "moderator")
    communities.decide_request(dave, req.id, approve=True)
    assert Membership.objects.filter(community=closed, member=bob).exists()


@pytest.mark.parametrize("rid", [0, -1, 10**30, "abc", None, [1], 1.5, True])
def test_decide_unknown_or_malformed_request_is_not_found(alice, rid):
    fail(NotFound, communities.decide_request, alice, rid, approve=True)


def test_approving_someone_who_is_already_a_member_conflicts_and_keeps_request_pending(alice, bob, closed):
    req = communities.request_to_join(bob, closed)
    communities.add_member(alice, closed, bob)
    fail(Conflict, communities.decide_request, alice, req.id, approve=True)
    assert JoinRequest.objects.get(id=req.id).status == JoinRequest.Status.PENDING


# --- audiences --------------------------------------------------------------------------------


def test_customer_cannot_join_internal_community(carol, open_community):
    # The internal community does not exist for a customer: NotFound, not Forbidden.
    fail(NotFound, communities.join, carol, open_community)
    fail(NotFound, communities.request_to_join, carol, open_community)


def test_customer_joins_mixed_community_that_admits_customers(alice, carol):
    c = communities.create_community(alice, name="Customer Voice", audience="mixed", external_kinds=["customer"])
    communities.join(carol, c)
    assert access.is_member(carol, c)


def test_partner_cannot_join_mixed_community_for_customers(alice, make_member):
    c = communities.create_community(alice, name="Customer Voice", audience="mixed", external_kinds=["customer"])
    partner = make_member("pat", stakeholder="partner")
    fail(NotFound, communities.join, partner, c)


def test_moderator_cannot_add_an_external_member_to_internal(alice, carol, open_community):
    fail(Forbidden, communities.add_member, alice, open_community, carol, field="member")


def test_closed_mixed_community_request_from_admitted_customer(alice, carol):
    c = communities.create_community(alice, name="Beta", visibility="closed", audience="mixed",
                                     external_kinds=["customer"])
    req = communities.request_to_join(carol, c)
    communities.decide_request(alice, req.id, approve=True)
    access.forget(carol)  # the service forgot its own copy of carol; this object cached "not a member"
    assert access.is_member(carol, c) and access.can_read_community(carol, c)


# --- secret communities -----------------------------------------------------------------------


def test_secret_is_invisible_and_cannot_be_joined_or_requested(bob, secret_community):
    assert not access.can_see_community(bob, secret_community)
    fail(NotFound, communities.join, bob, secret_community)
    fail(NotFound, communities.request_to_join, bob, secret_community)
    fail(NotFound, communities.leave, bob, secret_community)
    assert secret_community not in access.visible_communities(bob)


def test_only_moderators_add_members_to_secret(alice, bob, secret_community, make_member):
    communities.add_member(alice, secret_community, bob)
    assert access.can_see_community(bob, secret_community)
    dave = make_member("dave")
    fail(Forbidden, communities.add_member, bob, secret_community, dave)
    communities.set_role(alice, secret_community, bob, "moderator")
    communities.add_member(bob, secret_community, dave)
    assert fresh(secret_community).member_count == 3
    fail(Conflict, communities.add_member, alice, secret_community, dave)
    fail(InvalidInput, communities.add_member, alice, secret_community, make_member("erin"), "boss")


def test_staff_may_join_closed_and_moderate(make_member, closed):
    staff = make_member("root", is_staff=True)
    communities.join(staff, closed)
    assert access.can_moderate(staff, closed)


def test_concurrent_duplicate_request_is_a_conflict(bob, closed, monkeypatch):
    # Simulate the race: the "already asked?" check passes, then the unique constraint fires.
    communities.request_to_join(bob, closed)
    real_filter = JoinRequest.objects.filter

    def blind_filter(*args, **kwargs):
        if kwargs.get("status") == JoinRequest.Status.PENDING:
            return real_filter(id=-1)
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(JoinRequest.objects, "filter", blind_filter)
    fail(Conflict, communities.request_to_join, bob, closed)


def test_concurrent_duplicate_slug_is_a_conflict(alice, monkeypatch):
    communities.create_community(alice, name="Taken")
    real_filter = Community.objects.filter
    monkeypatch.setattr(Community.objects, "filter",
                        lambda *a, **k: real_filter(id=-1) if "slug" in k else real_filter(*a, **k))
    fail(Conflict, communities.create_community, alice, name="Taken", field="slug")
