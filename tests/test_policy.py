"""Issue 11 point 1: a policy people accept before they take part (web and API), versions that
may ask everyone again, community guidelines, and the insights' real acceptance figure."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from socialfabric.activity.models import Activity
from socialfabric.communities import services as communities
from socialfabric.conversations import services as conv
from socialfabric.errors import Conflict, Forbidden, InvalidInput, NotFound, PolicyNotAccepted
from socialfabric.governance import services as governance
from socialfabric.governance.models import Acceptance, Policy
from socialfabric.insights import services as insights
from socialfabric.org import services as org
from tests.helpers import failing_act, login

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TRIGGER": "composer"}


@pytest.fixture
def staff(make_member):
    return make_member("root", is_staff=True)


@pytest.fixture
def policy(staff):
    return governance.publish(staff, title="Our social media policy", body="Be kind. Keep secrets **secret**.")


def rows() -> dict[str, int]:
    return {"policies": Policy.objects.count(), "acceptances": Acceptance.objects.count(),
            "acts": Activity.objects.count()}


def api(member) -> Client:
    _, plain = org.create_token(member, "script")
    return Client(HTTP_AUTHORIZATION=f"Bearer {plain}")


def test_without_a_policy_nobody_is_asked(alice, bob, open_community):
    assert governance.to_accept(bob, open_community) == []
    post = conv.create_post(bob, open_community, body="Hello")
    conv.react(alice, post.id, "like")
    assert "policy-notice" not in login(bob).get(reverse("web:home")).content.decode()


def test_posting_replying_and_reacting_wait_for_the_policy(alice, bob, open_community, policy):
    fail = failing_act(lambda: {"posts": conv.Post.objects.count(), **rows()})
    fail(PolicyNotAccepted, conv.create_post, bob, open_community, body="Hello")
    governance.accept(alice, policy.id)
    post = conv.create_post(alice, open_community, body="Alice accepted")
    fail(PolicyNotAccepted, conv.create_reply, bob, post.id, body="Me too")
    fail(PolicyNotAccepted, conv.react, bob, post.id, "like")
    # Reading needs no acceptance.
    assert conv.get_readable_post(bob, post.id).id == post.id
    made, new = governance.accept(bob, policy.id)
    assert new and governance.accept(bob, policy.id) == (made, False)  # idempotent, one act
    assert Activity.objects.filter(verb="accept_policy", actor=bob).count() == 1
    assert conv.create_reply(bob, post.id, body="Me too").parent_id == post.id
    assert conv.react(bob, post.id, "like")[1]


def test_a_new_version_asks_again_unless_it_is_a_correction(alice, staff, open_community, policy):
    governance.accept(alice, policy.id)
    fixed = governance.publish(staff, title=policy.title, body="Be kind. Keep secrets secret.",
                               requires_acceptance=False)
    assert fixed.version == 2 and governance.to_accept(alice, open_community) == []
    conv.create_post(alice, open_community, body="Still fine")
    with pytest.raises(Conflict, match="replaced"):
        governance.accept(alice, policy.id)  # an old version cannot be accepted any more
    third = governance.publish(staff, title=policy.title, body="New rules for customers.")
    assert [p.id for p in governance.to_accept(alice, open_community)] == [third.id]
    with pytest.raises(PolicyNotAccepted):
        conv.create_post(alice, open_community, body="Blocked again")
    governance.accept(alice, third.id)
    conv.create_post(alice, open_community, body="Fine again")
    acts = Activity.objects.filter(verb="publish_policy").order_by("id")
    assert [a.details for a in acts] == [{"version": v, "requires_acceptance": r}
                                         for v, r in ((1, True), (2, False), (3, True))]


def test_community_guidelines_bind_only_there(alice, bob, open_community, make_member):
    other = communities.create_community(alice, name="Other place")
    communities.join(bob, other)
    rules = governance.publish(alice, community=open_community, title="House rules", body="Stay on topic.")
    with pytest.raises(PolicyNotAccepted) as refused:
        conv.create_post(bob, open_community, body="Off topic")
    assert refused.value.url == f"/communities/{open_community.slug}/guidelines/"
    conv.create_post(bob, other, body="Elsewhere is fine")
    governance.accept(bob, rules.id)
    conv.create_post(bob, open_community, body="On topic")
    # Only owners (and staff) publish a community's guidelines; a hidden community's are not there.
    with pytest.raises(Forbidden):
        governance.publish(bob, community=open_community, title="Mine", body="No")
    secret = communities.create_community(alice, name="Hidden", visibility="secret")
    hidden = governance.publish(alice, community=secret, title="Secret rules", body="Hush")
    with pytest.raises(NotFound):
        governance.accept(bob, hidden.id)


def test_bad_versions_are_refused_and_write_nothing(alice, staff):
    fail = failing_act(rows)
    fail(Forbidden, governance.publish, alice, title="Mine", body="Rules", field="policy")
    fail(InvalidInput, governance.publish, staff, title="", body="Rules", field="title")
    fail(InvalidInput, governance.publish, staff, title="Policy", body="  ", field="body")
    fail(InvalidInput, governance.publish, staff, title="Policy", body="x", requires_acceptance="yes",
         field="requires_acceptance")
    fail(NotFound, governance.accept, alice, "nope", field="policy")


# --- web -------------------------------------------------------------------------------------

def test_the_web_sends_to_the_policy_and_back(alice, bob, open_community, policy):
    governance.accept(alice, policy.id)
    post = conv.create_post(alice, open_community, title="Plans", body="Ideas?")
    client = login(bob)
    home = client.get(reverse("web:home")).content.decode()
    assert "policy-notice" in home and "Our social media policy" in home
    # htmx: the message and its link in the form's slot.
    refused = client.post(reverse("web:home"), {"community": open_community.slug, "body": "Hi"}, **HTMX)
    assert refused.status_code == 403 and 'href="/policy/"' in refused.content.decode()
    # Without JavaScript, a reaction goes to the policy page and comes back after accepting.
    sent = client.post(reverse("web:post_react", args=[post.id]), {"op": "add:like"},
                       HTTP_REFERER=f"http://testserver/posts/{post.id}/")
    assert sent.status_code == 302 and sent["Location"].startswith("/policy/?next=")
    page = client.get(sent["Location"]).content.decode()
    assert "Keep secrets <strong>secret</strong>" in page and "I have read it and accept it" in page
    accepted = client.post(reverse("web:policy_accept"), {"policy": policy.id, "next": f"/posts/{post.id}/"})
    assert accepted.status_code == 302 and accepted["Location"] == f"/posts/{post.id}/"
    assert "You accepted this version" in client.get(reverse("web:policy")).content.decode()
    community_page = client.get(reverse("web:community", args=[open_community.slug])).content.decode()
    assert f'href="/communities/{open_community.slug}/guidelines/"' in community_page  # found from the community
    assert '<a href="/policy/">Policy</a>' in community_page  # and the policy from every page
    assert "policy-notice" not in client.get(reverse("web:home")).content.decode()
    assert client.post(reverse("web:post_react", args=[post.id]), {"op": "add:like"}).status_code == 302
    assert conv.Reaction.objects.filter(member=bob).count() == 1


def test_staff_publish_on_the_web_and_see_the_share(alice, bob, staff, make_member):
    client = login(staff)
    assert client.get(reverse("web:staff_policy")).status_code == 200
    made = client.post(reverse("web:staff_policy"), {"title": "Policy", "body": "Be kind.",
                                                      "requires_acceptance": "on"})
    assert made.status_code == 302
    version = governance.current()
    assert version.requires_acceptance and version.published_by == staff
    governance.accept(alice, version.id)
    page = client.get(reverse("web:staff_policy")).content.decode()
    assert "<strong>33 %</strong> of active employees accepted it" in page  # alice of alice, bob, root
    bad = client.post(reverse("web:staff_policy"), {"title": "", "body": "x"})
    assert bad.status_code == 400 and Policy.objects.count() == 1
    assert login(bob).get(reverse("web:staff_policy")).status_code == 403


# --- API -------------------------------------------------------------------------------------

def test_the_api_answers_403_policy_not_accepted_with_the_url(alice, bob, open_community, policy):
    client = api(bob)
    status = client.get("/api/v1/policy").json()
    assert status["must_accept"] is True and status["policy"]["version"] == 1 and status["accepted_at"] is None
    refused = client.post(f"/api/v1/communities/{open_community.slug}/posts", {"body": "Hi"},
                          content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["error"] == {"code": "policy_not_accepted", "field": None, "url": "/policy/",
                                       "message": "Read and accept “Our social media policy” before you post, "
                                                  "reply or react."}
    first = client.post(f"/api/v1/policies/{policy.id}/acceptance")
    again = client.post(f"/api/v1/policies/{policy.id}/acceptance")
    assert (first.status_code, again.status_code) == (201, 200)
    assert client.get("/api/v1/policy").json()["must_accept"] is False
    assert client.post(f"/api/v1/communities/{open_community.slug}/posts", {"body": "Hi"},
                       content_type="application/json").status_code == 201
    assert client.post("/api/v1/policy/versions", {"title": "Mine", "body": "x"},
                       content_type="application/json").status_code == 403
    made = api(alice).post(f"/api/v1/communities/{open_community.slug}/guidelines/versions",
                           {"title": "House rules", "body": "Stay on topic", "requires_acceptance": True},
                           content_type="application/json")
    assert made.status_code == 201 and made.json()["community"]["slug"] == open_community.slug
    assert client.get(f"/api/v1/communities/{open_community.slug}/guidelines").json()["must_accept"] is True


# --- insights --------------------------------------------------------------------------------

def test_the_insights_criterion_reads_the_real_share(alice, bob, two_units_talking, staff, make_member):
    analyst = make_member("ana", is_analyst=True)

    def criterion():
        report = insights.request_report(analyst, insights.parse_request(min_group=1))
        insights.run_queue()
        report.refresh_from_db()
        [c] = [c for c in report.result["stages"]["stages"]["internal"] if c["id"] == "policy_accepted"]
        return report.result["platform"]["policy_accepted_share"], c["holds"]

    assert criterion() == (None, None)  # no policy: no data, not a failure
    version = governance.publish(staff, title="Policy", body="Be kind.")
    employees = [alice, bob, *two_units_talking, staff, analyst]
    for member in employees[:7]:
        governance.accept(member, version.id)
    share, holds = criterion()
    assert share == pytest.approx(7 / 8) and holds is True
    assert governance.acceptance_share() == pytest.approx(7 / 8)
