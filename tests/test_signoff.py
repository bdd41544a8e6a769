"""Issue 11 point 3: compliance sign-off. A community's rule holds some members' posts; a held
post exists for nobody but its author, staff and compliance officers until approved; then it
appears once, with its original time and its notifications. Rejection and asking for an edit;
the time to approval per community."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from socialfabric import access
from socialfabric.activity.models import Activity, Verb
from socialfabric.communities import services as communities
from socialfabric.conversations import services as conv
from socialfabric.conversations.models import Post, PostState
from socialfabric.errors import Conflict, Forbidden, InvalidInput, NotFound
from socialfabric.feed import services as feed
from socialfabric.governance import signoff
from socialfabric.governance.models import ApprovalRule, Review
from socialfabric.notifications import services as notifications
from socialfabric.notifications.models import Kind, Notification
from socialfabric.search import services as search
from tests.helpers import failing_act


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def officer(make_member):
    return make_member("olga", is_compliance_officer=True)


@pytest.fixture
def customers(alice, bob, carol):
    """A mixed community where customers' posts and replies need approval; carol is a customer."""
    c = communities.create_community(alice, name="Customer Lounge", audience="mixed", external_kinds=["customer"])
    communities.join(bob, c)
    communities.join(carol, c)
    signoff.set_rule(alice, c, kinds=["customer"], replies=True)
    return c


def readable(member, post) -> bool:
    access.forget(member)
    try:
        conv.get_readable_post(member, post.id)
    except NotFound:
        return False
    return True


def test_the_rule_is_the_owners_and_checked(alice, bob, customers):
    with pytest.raises(Forbidden):
        signoff.set_rule(bob, customers, kinds=["customer"])
    with pytest.raises(InvalidInput) as wrong:
        signoff.set_rule(alice, customers, kinds=["martians"])
    assert wrong.value.field == "kinds"
    with pytest.raises(InvalidInput):
        signoff.set_rule(alice, customers, roles=["king"])
    rule = signoff.set_rule(alice, customers, kinds="customer, employee", roles=["member"])
    assert (rule.kinds, rule.roles, rule.replies) == (["customer", "employee"], ["member"], False)
    assert signoff.set_rule(alice, customers) is None and not ApprovalRule.objects.exists()  # lifted
    assert Activity.objects.filter(verb=Verb.SET_APPROVAL_RULE).count() == 3


def test_a_held_post_is_invisible_until_approved_then_appears_once(alice, bob, carol, customers, officer, committed):
    notifications.watch_community(bob, customers, "watching")
    with committed():
        held = conv.create_post(carol, customers, title="Price question", body="Can we get volume pricing? @bob")
    assert held.state == PostState.PENDING
    assert Review.objects.get(post=held).decision == "pending"
    # Nobody else: not the owner, not a member, not in the feeds, search, notifications, counts.
    for member, sees in ((carol, True), (officer, True), (alice, False), (bob, False)):
        assert readable(member, held) is sees, member.handle
    for member in (alice, bob):
        assert held.id not in {i.post.id for i in feed.community_feed(member, customers).items}
        assert held.id not in {i.post.id for i in feed.home_feed(member).items}
        assert not search.posts(member, "volume pricing").hits
    assert held.id in {i.post.id for i in feed.community_feed(carol, customers).items}  # the author sees it
    assert not Notification.objects.filter(recipient=bob).exists()
    assert not Activity.objects.filter(verb__in=[Verb.POST, Verb.MENTION], object_id=held.id).exists()
    # Replies and reactions wait too: there is nothing to reply to.
    with pytest.raises(NotFound):
        conv.react(bob, held.id, "like")
    # The queue, and the decision.
    (waiting,), _ = signoff.queue(officer)
    assert waiting.post.id == held.id
    assert signoff.waiting_count(officer) == 1 and signoff.waiting_count(alice) == 0
    with pytest.raises(Forbidden):
        signoff.queue(alice)
    with committed():
        signoff.approve(officer, held.id)
    for member in (alice, bob, officer):
        assert readable(member, held)
    assert held.id in {i.post.id for i in feed.community_feed(bob, customers).items}
    assert [h.post.id for h in search.posts(bob, "volume pricing").hits] == [held.id]
    posted = Activity.objects.filter(verb=Verb.POST, object_id=held.id)
    assert posted.count() == 1 and posted.get().created_at == held.created_at  # once, at its original time
    assert Post.objects.get(id=held.id).created_at == held.created_at
    assert sorted(Notification.objects.filter(recipient=bob).values_list("kind", flat=True)) == ["mention", "watched"]
    assert Notification.objects.get(recipient=carol, kind=Kind.SIGN_OFF).detail == "approved"
    with pytest.raises(Conflict):
        signoff.approve(officer, held.id)  # decided already


def test_held_replies_count_only_once_approved(alice, bob, carol, customers, officer, committed):
    communities.join(officer, customers)
    root = conv.create_post(bob, customers, title="Roadmap", body="What do you need?")
    with committed():
        reply = conv.create_reply(carol, root.id, body="Offline mode")
    assert reply.state == PostState.PENDING and Post.objects.get(id=root.id).reply_count == 0
    assert reply.id not in {p.id for p in conv.thread(bob, root.id)[1]}
    assert not Notification.objects.filter(recipient=bob, kind=Kind.REPLY).exists()
    with committed():
        signoff.approve(officer, reply.id)
    assert Post.objects.get(id=root.id).reply_count == 1
    assert reply.id in {p.id for p in conv.thread(bob, root.id)[1]}
    assert Notification.objects.filter(recipient=bob, kind=Kind.REPLY, post=reply).exists()


def test_an_officer_reviews_only_where_they_read(alice, officer, make_member):
    secret = communities.create_community(alice, name="Deal Room", visibility="secret")
    signoff.set_rule(alice, secret, kinds=["employee"])
    ben = make_member("ben")
    communities.add_member(alice, secret, ben)
    held = conv.create_post(ben, secret, body="Term sheet draft")
    assert held.state == PostState.PENDING
    assert not readable(officer, held) and signoff.queue(officer)[0] == []
    with pytest.raises(NotFound):
        signoff.approve(officer, held.id)
    communities.add_member(alice, secret, officer)
    access.forget(officer)
    assert [w.post.id for w in signoff.queue(officer)[0]] == [held.id]


def test_employees_are_not_held_where_the_rule_names_customers(alice, bob, customers):
    post = conv.create_post(bob, customers, body="We ship on Monday")
    assert post.state == PostState.PUBLISHED and not Review.objects.exists()


def test_reject_and_ask_for_an_edit(alice, carol, customers, officer, committed):
    communities.join(officer, customers)
    first = conv.create_post(carol, customers, body="Your product is broken, here is our contract number 1234")
    fail = failing_act(lambda: {"reviews": Review.objects.filter(decision="pending").count(),
                                "acts": Activity.objects.count()})
    fail(InvalidInput, signoff.reject, officer, first.id, reason="", field="reason")  # say why
    fail(Forbidden, signoff.reject, alice, first.id, reason="no")  # officers only
    with committed():
        signoff.return_for_edit(officer, first.id, reason="Please leave out the contract number.")
    assert Post.objects.get(id=first.id).state == PostState.RETURNED
    review = signoff.review_of(carol, Post.objects.get(id=first.id))
    assert review.decision == "returned" and "contract number" in review.reason
    assert signoff.review_of(alice, first) is None  # only the author and officers see the review
    assert Notification.objects.get(recipient=carol, kind=Kind.SIGN_OFF).detail == "returned"
    assert not readable(alice, first)
    conv.edit_post(carol, first.id, body="Your product is broken on Mondays")  # back in the queue
    assert Post.objects.get(id=first.id).state == PostState.PENDING
    assert [w.post.id for w in signoff.queue(officer)[0]] == [first.id]
    with committed():
        signoff.reject(officer, first.id, reason="Please use the support desk for this.")
    assert Post.objects.get(id=first.id).state == PostState.REJECTED and not readable(alice, first)
    assert readable(carol, first)  # the author keeps seeing it, with the reason
    assert signoff.queue(officer)[0] == []


def test_an_officer_does_not_sign_off_their_own_post(alice, customers, make_member):
    officer = make_member("oscar", is_compliance_officer=True, stakeholder="customer")
    communities.join(officer, customers)
    post = conv.create_post(officer, customers, body="Officers go out at once")
    assert post.state == PostState.PUBLISHED


def test_time_to_approval_per_community(alice, carol, customers, officer):
    communities.join(officer, customers)
    now = timezone.now()
    for hours in (1, 2, 3, 4, 10):
        post = conv.create_post(carol, customers, body=f"Question after {hours} hours")
        Review.objects.filter(post=post).update(submitted_at=now - timedelta(hours=hours))
        signoff.approve(officer, post.id)
    [row] = signoff.time_to_approval()
    assert row["community"] == customers.name and row["approved"] == 5
    assert round(row["median_hours"]) == 3 and round(row["p90_hours"]) == 10


def test_the_insights_report_shows_time_to_approval(alice, carol, customers, officer, two_units_talking,
                                                    make_member):
    from socialfabric.insights import services as insights
    from socialfabric.insights.analysis import html

    now = timezone.now()
    for hours in (2, 6):
        post = conv.create_post(carol, customers, body=f"Waited {hours} hours")
        Review.objects.filter(post=post).update(submitted_at=now - timedelta(hours=hours))
        signoff.approve(officer, post.id)
    analyst = make_member("ana", is_analyst=True)
    report = insights.request_report(analyst, insights.parse_request(min_group=1))
    insights.run_queue()
    report.refresh_from_db()
    [row] = report.result["platform"]["sign_off"]
    assert (row["community"], row["approved"]) == (customers.name, 2)
    assert row["median_hours"] == pytest.approx(4, abs=0.1) and row["p90_hours"] == pytest.approx(6, abs=0.1)
    page = html.render(report.result)
    assert "Compliance sign-off" in page and customers.name in page


def test_staff_grant_the_compliance_officer_role(make_member, carol):
    from socialfabric.errors import Forbidden as Refused
    from socialfabric.org import services as org

    staff, ann = make_member("root", is_staff=True), make_member("ann")
    org.set_platform_role(staff, ann, "compliance", grant=True)
    ann.refresh_from_db()
    assert ann.is_compliance_officer and signoff.can_sign_off(ann)
    with pytest.raises(Refused):  # external stakeholders are never given an organisation-wide role
        org.set_platform_role(staff, carol, "compliance", grant=True)
