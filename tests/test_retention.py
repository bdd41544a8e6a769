"""Issue 11 point 5: retention rules (per community or organisation-wide) remove old content;
a legal hold on a member or a community suspends every removal touching it; runs happen as
a background job and each is recorded with its counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from socialfabric.activity.models import Activity, Verb
from socialfabric.communities import services as communities
from socialfabric.conversations import services as conv
from socialfabric.conversations.models import Post, PostRevision
from socialfabric.errors import Conflict, Forbidden, InvalidInput, NotFound
from socialfabric.governance import retention
from socialfabric.governance.models import RetentionRun
from tests.helpers import run_jobs


@pytest.fixture
def officer(make_member):
    return make_member("records", is_compliance_officer=True)


@pytest.fixture
def other_community(alice, bob):
    place = communities.create_community(alice, name="Other Place")
    communities.join(bob, place)
    return place


def _thread(author, replier, place, *, days_ago: int, text: str) -> tuple[Post, Post]:
    with freeze_time(timezone.now() - timedelta(days=days_ago)):
        root = conv.create_post(author, place, body=f"{text} root", kind="question", title=f"{text} title")
        reply = conv.create_reply(replier, root.id, body=f"{text} reply")
        conv.edit_post(replier, reply.id, body=f"{text} reply, edited")
    return root, reply


def _shape(place) -> list[tuple]:
    return list(Post.objects.filter(community=place).order_by("id").values_list("id", "parent_id", "root_id",
                                                                               "author_id", "created_at"))


def test_a_community_rule_removes_old_text_and_keeps_thread_shapes(alice, bob, open_community, other_community,
                                                                   officer):
    old_root, old_reply = _thread(alice, bob, open_community, days_ago=40, text="Old")
    new_root, _ = _thread(alice, bob, open_community, days_ago=5, text="New")
    elsewhere, _ = _thread(alice, bob, other_community, days_ago=400, text="Elsewhere")
    shape = _shape(open_community)
    retention.set_retention_rule(officer, open_community, days=30)

    run = retention.run_retention(officer)
    assert (run.rules, run.removed, run.held) == (1, 2, 0) and run.revisions == 1 and run.finished_at
    assert _shape(open_community) == shape  # same posts, parents, authors and times
    for post in (old_root, old_reply):
        post.refresh_from_db()
        assert post.is_removed and "Old" not in post.body + post.body_html + post.title
    assert not PostRevision.objects.filter(post__in=[old_root, old_reply]).exists()
    assert "New root" in Post.objects.get(id=new_root.id).body
    assert "Elsewhere root" in Post.objects.get(id=elsewhere.id).body  # no rule there
    removals = Activity.objects.filter(verb=Verb.REMOVE, details__by="retention")
    assert sorted(removals.values_list("object_id", flat=True)) == sorted([old_root.id, old_reply.id])
    assert set(removals.values_list("actor_id", flat=True)) == {None}
    done = Activity.objects.get(verb=Verb.RUN_RETENTION)
    assert done.details == {"rules": 1, "removed": 2, "revisions": 1, "anonymised": 0, "held": 0}
    assert done.actor_id == officer.id
    again = retention.run_retention(officer)
    assert (again.removed, again.revisions) == (0, 0)  # nothing left to do


def test_removed_posts_lose_the_text_their_removal_kept(alice, bob, open_community, officer):
    root, _ = _thread(alice, bob, open_community, days_ago=60, text="Gone")
    with freeze_time(timezone.now() - timedelta(days=50)):
        conv.remove_post(alice, root.id)
    assert PostRevision.objects.filter(post=root, body__contains="Gone root").exists()
    retention.set_retention_rule(officer, open_community, days=30)
    run = retention.run_retention(officer)
    assert not PostRevision.objects.filter(post__community=open_community).exists()
    assert run.removed == 1 and run.revisions == 2  # the reply's text; both posts' kept versions


def test_the_organisation_rule_covers_communities_without_their_own(alice, bob, open_community, other_community,
                                                                    officer):
    here, _ = _thread(alice, bob, open_community, days_ago=100, text="Here")
    there, _ = _thread(alice, bob, other_community, days_ago=100, text="There")
    retention.set_retention_rule(officer, None, days=30)
    retention.set_retention_rule(officer, other_community, days=365)  # keeps longer: takes precedence
    run = retention.run_retention()
    assert run.removed == 2 and run.started_by is None
    assert Post.objects.get(id=here.id).is_removed and not Post.objects.get(id=there.id).is_removed


def test_a_legal_hold_suspends_removal_until_lifted(alice, bob, make_member, unit, open_community, other_community,
                                                     officer):
    carol = make_member("carol2", unit=unit)
    communities.join(carol, open_community)
    communities.join(carol, other_community)
    alices, bobs = _thread(alice, bob, open_community, days_ago=90, text="Matter")
    carols, _ = _thread(carol, carol, open_community, days_ago=90, text="Carol")
    held_place, _ = _thread(carol, carol, other_community, days_ago=90, text="Held place")
    retention.set_retention_rule(officer, None, days=30)
    on_alice = retention.place_hold(officer, reason="Case 2026-114", person=alice)
    retention.place_hold(officer, reason="Regulator's inquiry", community=other_community)

    run = retention.run_retention(officer)
    assert run.held == 3  # alice's root; carol's root and reply in the held community
    assert not Post.objects.get(id=alices.id).is_removed and not Post.objects.get(id=held_place.id).is_removed
    assert Post.objects.get(id=bobs.id).is_removed and Post.objects.get(id=carols.id).is_removed
    assert PostRevision.objects.filter(post__community=other_community).exists()

    retention.lift_hold(officer, on_alice.id)
    later = retention.run_retention(officer)
    assert Post.objects.get(id=alices.id).is_removed and later.held == 2
    assert {a.verb for a in Activity.objects.filter(object_type="legal_hold")} == {Verb.PLACE_HOLD, Verb.LIFT_HOLD}
    assert retention.is_held(community=other_community) and not retention.is_held(member=alice)


def test_rules_and_holds_refuse_bad_input_and_other_people(alice, bob, open_community, officer):
    for who in (alice, bob):  # a community owner and a member: neither may
        with pytest.raises(Forbidden):
            retention.set_retention_rule(who, open_community, days=30)
        with pytest.raises(Forbidden):
            retention.place_hold(who, reason="x", person=bob)
        with pytest.raises(Forbidden):
            retention.run_retention(who)
    for days in ("0", "-3", "soon", None, str(10**9)):
        with pytest.raises(InvalidInput) as bad:
            retention.set_retention_rule(officer, open_community, days=days)
        assert bad.value.field == "days"
    with pytest.raises(InvalidInput):
        retention.place_hold(officer, reason="Case", person=alice, community=open_community)
    with pytest.raises(InvalidInput):
        retention.place_hold(officer, reason="Case")
    with pytest.raises(InvalidInput) as bad:
        retention.place_hold(officer, reason="  ", person=alice)
    assert bad.value.field == "reason"
    hold = retention.place_hold(officer, reason="Case", person=alice)
    with pytest.raises(Conflict):
        retention.place_hold(officer, reason="Again", person=alice)
    retention.lift_hold(officer, hold.id)
    with pytest.raises(Conflict):
        retention.lift_hold(officer, hold.id)
    with pytest.raises(NotFound):
        retention.lift_hold(officer, 10**6)
    with pytest.raises(NotFound):
        retention.remove_retention_rule(officer, 10**6)
    rule = retention.set_retention_rule(officer, open_community, days=30)
    assert retention.set_retention_rule(officer, open_community, days=90).id == rule.id  # one rule a community
    retention.remove_retention_rule(officer, rule.id)
    assert retention.rules(officer) == [] and [h.id for h in retention.holds(officer, lifted=True)] == [hold.id]


@pytest.mark.django_db(transaction=True)
def test_the_daily_job_runs_the_rules_and_waits_a_day(make_member, unit):
    from django_tasks_db.models import DBTaskResult

    officer = make_member("records", is_compliance_officer=True)
    author = make_member("writer", unit=unit)
    place = communities.create_community(author, name="Old news")
    with freeze_time(timezone.now() - timedelta(days=10)):
        old = conv.create_post(author, place, body="Ten days old")
    retention.set_retention_rule(officer, place, days=7)
    retention.retention_job.enqueue()
    run_jobs()
    assert Post.objects.get(id=old.id).is_removed
    from socialfabric.notifications.models import Notification

    assert not Notification.objects.filter(recipient=author).exists()  # a rule's removal tells no one
    [run] = RetentionRun.objects.all()
    assert run.removed == 1 and run.started_by is None
    [waiting] = DBTaskResult.objects.filter(status="READY", task_path=retention.retention_job.module_path)
    assert waiting.run_after > timezone.now() + timedelta(hours=23)


@pytest.mark.django_db(transaction=True)  # the worker closes connections between jobs
def test_the_page(officer, alice, bob, open_community):
    from django.urls import reverse

    from tests.helpers import login

    client = login(officer)
    assert "No retention rules" in client.get(reverse("web:staff_retention")).content.decode()
    bad = client.post(reverse("web:staff_retention_rule"), {"community": open_community.slug, "days": "0"})
    assert bad.status_code == 400 and "between 1 and" in bad.content.decode()
    made = client.post(reverse("web:staff_retention_rule"), {"community": open_community.slug, "days": "45"},
                       follow=True)
    assert "kept 45 days" in made.content.decode() and "45 days" in made.content.decode()
    unknown = client.post(reverse("web:staff_hold"), {"on": "member", "target": "nobody", "reason": "Case 9"})
    assert unknown.status_code == 404 and "No such member" in unknown.content.decode()
    held = client.post(reverse("web:staff_hold"), {"on": "community", "target": open_community.slug,
                                                   "reason": "Case 9"}, follow=True)
    assert "Legal hold placed on" in held.content.decode() and "Case 9" in held.content.decode()
    hold = retention.holds(officer)[0]
    assert client.post(reverse("web:staff_hold_lift", args=[hold.id])).status_code == 302
    assert retention.holds(officer) == []
    queued = client.post(reverse("web:staff_retention_run"), follow=True)
    assert "queued" in queued.content.decode()
    run_jobs()
    page = client.get(reverse("web:staff_retention")).content.decode()
    assert "The rules have not run yet" not in page and officer.name in page
    assert login(alice).get(reverse("web:staff_retention")).status_code == 403


@pytest.mark.django_db(transaction=True)  # the worker closes connections between jobs
def test_the_api(officer, alice, open_community):
    from django.test import Client

    from socialfabric.org import services as org

    _, plain = org.create_token(officer, "records")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {plain}")
    rule = api.post("/api/v1/retention/rules", {"community": open_community.slug, "days": 30},
                    content_type="application/json")
    assert rule.status_code == 200 and rule.json()["days"] == 30 and rule.json()["community"]["slug"]
    bad = api.post("/api/v1/retention/rules", {"days": 0}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "days"
    hold = api.post("/api/v1/retention/holds", {"member": alice.handle, "reason": "Case 12"},
                    content_type="application/json")
    assert hold.status_code == 201 and hold.json()["member"]["handle"] == alice.handle
    again = api.post("/api/v1/retention/holds", {"member": alice.handle, "reason": "Case 12"},
                     content_type="application/json")
    assert again.status_code == 409 and again.json()["error"]["code"]
    both = api.post("/api/v1/retention/holds", {"member": alice.handle, "community": open_community.slug,
                                                "reason": "x"}, content_type="application/json")
    assert both.status_code == 400
    listed = api.get("/api/v1/retention").json()
    assert [r["days"] for r in listed["rules"]] == [30] and len(listed["holds"]) == 1 and listed["runs"] == []
    assert api.post(f"/api/v1/retention/holds/{hold.json()['id']}/lift").json()["lifted_at"]
    assert api.post("/api/v1/retention/runs").status_code == 202
    run_jobs()
    assert api.get("/api/v1/retention").json()["runs"][0]["started_by"]["handle"] == officer.handle
    assert api.delete(f"/api/v1/retention/rules/{rule.json()['id']}").status_code == 204
    _, theirs = org.create_token(alice, "mine")
    assert Client(HTTP_AUTHORIZATION=f"Bearer {theirs}").get("/api/v1/retention").status_code == 403
