"""Issue 11 point 6: people's data rights. "Download my data" builds a ZIP of JSON in the
background, offered by a link that expires; erasure by an administrator leaves a pseudonymous
former member, thread shapes and insights figures intact, and is refused under a legal hold.
Retention's "anonymise the authors" signs old posts with one pseudonym a person."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import date, timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from socialfabric.activity.models import Activity, Verb
from socialfabric.communities import services as communities
from socialfabric.conversations import services as conv
from socialfabric.conversations.models import Post
from socialfabric.errors import Conflict, Forbidden, NotFound
from socialfabric.governance import retention, rights
from socialfabric.governance.models import DataExport, Erasure, Pseudonym
from socialfabric.insights import services as insights
from socialfabric.insights.models import Report
from socialfabric.org import services as org
from socialfabric.org.models import AccessToken, Follow, Member
from socialfabric.search import services as search
from tests.helpers import login, run_jobs

pytestmark = pytest.mark.django_db(transaction=True)  # the worker runs (it closes connections)


@pytest.fixture(autouse=True)
def _exports_apart(settings, tmp_path):
    """Each test's ZIPs in its own folder (parallel workers number their exports alike)."""
    settings.SOCIALFABRIC_EXPORTS_ROOT = tmp_path / "exports"


@pytest.fixture
def admin(make_member):
    return make_member("admin", is_staff=True)


@pytest.fixture
def private_place(alice, bob):
    place = communities.create_community(alice, name="Board Room", visibility="closed")
    communities.add_member(alice, place, bob)
    return place


def _zip(member) -> dict[str, object]:
    export = rights.request_export(member)
    run_jobs()
    export.refresh_from_db()
    assert export.state == DataExport.State.READY and export.size > 0
    _, path = rights.download(member, rights.download_token(export))
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist() if name != "photo.webp"}


def test_the_export_holds_everything_the_person_wrote_and_nothing_of_others_private_content(
        alice, bob, open_community, private_place, make_member):
    dave = make_member("dave")
    communities.join(dave, open_community)
    secret = conv.create_post(alice, private_place, title="Confidential merger", body="Acquire Initech quietly")
    bobs_reply = conv.create_reply(bob, secret.id, body="Bob replies in the board room")
    open_post = conv.create_post(bob, open_community, title="Bob asks openly", body="Bob's open question",
                                 kind="question")
    conv.create_reply(alice, open_post.id, body="Alice's answer nobody else owns")
    conv.react(bob, secret.id, "like")
    org.follow(bob, dave)
    org.follow(dave, bob)
    org.update_profile(bob, bio="Bob likes graphs", expertise="graphs, python")

    files = _zip(bob)
    assert set(files) == {"README.txt", "profile.json", "posts.json", "replies.json", "reactions.json",
                          "follows.json", "memberships.json", "acceptances.json"}
    profile = json.loads(files["profile.json"])
    assert (profile["handle"], profile["bio"]) == ("bob", "Bob likes graphs")
    assert profile["expertise"] == ["graphs", "python"]
    posts = json.loads(files["posts.json"])
    assert [(p["id"], p["title"], p["body"]) for p in posts] == [(open_post.id, "Bob asks openly",
                                                                  "Bob's open question")]
    replies = json.loads(files["replies.json"])
    assert [(r["id"], r["parent"], r["body"]) for r in replies] == [(bobs_reply.id, secret.id,
                                                                     "Bob replies in the board room")]
    assert json.loads(files["reactions.json"]) == [{"post": secret.id, "kind": "like",
                                                    "created_at": json.loads(files["reactions.json"])[0]["created_at"]}]
    follows = json.loads(files["follows.json"])
    assert [f["handle"] for f in follows["following"]] == ["dave"] and [f["handle"] for f in follows["followers"]] \
        == ["dave"]
    assert {m["community"] for m in json.loads(files["memberships.json"])} == {open_community.slug, private_place.slug}
    everything = "".join(files.values())
    for others in ("Confidential merger", "Acquire Initech", "Alice's answer"):
        assert others not in everything  # what others wrote is never in it, only ids
    assert Activity.objects.filter(verb=Verb.EXPORT_DATA, actor=bob).count() == 1


def test_the_download_link_is_the_owners_and_expires(alice, bob, open_community, settings):
    conv.create_post(bob, open_community, title="Mine", body="My words")
    export = rights.request_export(bob)
    with pytest.raises(Conflict):
        rights.request_export(bob)  # one at a time
    with pytest.raises(NotFound):
        rights.download(bob, rights.download_token(export))  # not built yet
    run_jobs()
    token = rights.download_token(export)
    assert rights.download(bob, token)[0].id == export.id
    with pytest.raises(NotFound):
        rights.download(alice, token)  # someone else's link reads as no link
    with pytest.raises(NotFound):
        rights.download(bob, token[:-2] + "xx")  # forged
    page = login(bob).get("/settings/data/")
    [link] = re.findall(r'href="(/settings/data/download/[^"/]+/)"', page.content.decode())
    got = login(bob).get(link)
    assert got.status_code == 200 and got["Content-Type"] == "application/zip"
    assert "attachment" in got["Content-Disposition"]
    assert "My words" in zipfile.ZipFile(io.BytesIO(b"".join(got.streaming_content))).read("posts.json").decode()
    assert login(alice).get(link).status_code == 404
    with freeze_time(timezone.now() + timedelta(days=settings.SOCIALFABRIC_EXPORT_DAYS, hours=1)):
        assert rights.expire_exports() == 1
        with pytest.raises(NotFound):
            rights.download(bob, token)
    export.refresh_from_db()
    assert export.state == DataExport.State.EXPIRED
    assert not rights._export_path(export.id).exists()


def _shape() -> list[tuple]:
    return list(Post.objects.order_by("id").values_list("id", "parent_id", "root_id", "community_id", "author_id",
                                                        "created_at", "state", "reply_count"))


def _figures() -> dict:
    report = insights.analyse(insights.ReportRequest(since=date(2000, 1, 1)), now=timezone.now())
    report.pop("timing_seconds"), report.pop("step_seconds")
    return report


def test_erasure_keeps_thread_shapes_and_insights_figures(two_units_talking, alice, bob, open_community, admin):
    seller = two_units_talking[0]
    org.update_profile(seller, bio="I sell things", expertise="sales")
    org.follow(seller, bob)
    org.create_token(seller, "laptop")
    conv.create_post(seller, open_community, title="Seller's own thread", body="Pricing for @bob")
    shape, figures = _shape(), _figures()
    handle = seller.handle
    stored = Report.objects.create(status="done", result={"network": {
        "influencers": [{"id": handle, "value": 0.3}, {"id": "bob", "value": 0.2}],
        "brokers": {"betweenness": [{"id": handle, "value": 4}]}}})

    erasure = rights.erase(admin, seller)
    seller.refresh_from_db()
    assert (seller.name, seller.email, seller.bio, seller.photo, seller.is_active) == ("Former member", "", "", "",
                                                                                        False)
    assert seller.handle.startswith("former-") and not seller.has_usable_password()
    assert not Member.objects.filter(handle=handle).exists()
    assert not seller.expertise.exists() and not Follow.objects.filter(follower=seller).exists()
    assert not AccessToken.objects.filter(member=seller).exists()
    assert (erasure.posts, erasure.removed, erasure.text_kept) == (2, 2, False)
    assert _shape() == shape  # the same posts, parents, threads, authors (rows), times and counts
    assert not Post.objects.filter(author=seller, body__contains="Smaller batches").exists()
    assert _figures() == figures  # every insights figure unchanged
    stored.refresh_from_db()  # stored reports keep their figures, not the name
    assert handle not in json.dumps(stored.result) and stored.result["network"]["influencers"][0] == {
        "id": seller.handle, "value": 0.3}
    assert not search.search(alice, "Pricing").hits
    act = Activity.objects.get(verb=Verb.ERASE)
    assert (act.actor_id, act.target_id, act.details) == (admin.id, seller.id,
                                                          {"text_kept": False, "posts": 2, "removed": 2})
    assert login(alice).get(f"/people/{seller.handle}/").status_code == 404
    with pytest.raises(Conflict):
        rights.erase(admin, seller)


def test_erasure_can_keep_the_text_signed_by_the_former_member(alice, bob, open_community, admin):
    post = conv.create_post(bob, open_community, title="Kept", body="Worth keeping")
    rights.erase(admin, bob, keep_text=True)
    post.refresh_from_db()
    assert post.body == "Worth keeping" and post.author.name == "Former member"
    page = login(alice).get(f"/posts/{post.id}/").content.decode()
    assert "Worth keeping" in page and "Former member" in page and "Bob" not in page


def test_erasure_is_refused_under_a_legal_hold_and_by_non_admins(alice, bob, open_community, admin, make_member):
    conv.create_post(bob, open_community, title="Evidence", body="Kept for the case")
    officer = make_member("records", is_compliance_officer=True)
    with pytest.raises(Forbidden):
        rights.erase(alice, bob)
    with pytest.raises(Conflict):
        rights.erase(admin, admin)
    hold = retention.place_hold(officer, person=bob, reason="Case 12")
    with pytest.raises(Conflict, match="legal hold"):
        rights.erase(admin, bob)
    retention.lift_hold(officer, hold.id)
    on_place = retention.place_hold(officer, community=open_community, reason="Case 13")
    with pytest.raises(Conflict, match="Product Ideas"):
        rights.erase(admin, bob)
    assert Member.objects.get(id=bob.id).name == "Bob"  # nothing half-done
    retention.lift_hold(officer, on_place.id)
    rights.erase(admin, bob)
    assert Erasure.objects.filter(member=bob).exists()


def test_retention_anonymises_old_authors_with_one_pseudonym_each(alice, bob, open_community, make_member):
    officer = make_member("records", is_compliance_officer=True)
    with freeze_time(timezone.now() - timedelta(days=90)):
        old = conv.create_post(bob, open_community, title="Old thread", body="Old words")
        old_reply = conv.create_reply(alice, old.id, body="Old answer")
        conv.create_reply(bob, old.id, body="Old follow-up")
    held_author = make_member("held")
    communities.join(held_author, open_community)
    with freeze_time(timezone.now() - timedelta(days=90)):
        kept = conv.create_post(held_author, open_community, title="Held", body="Under hold")
    new = conv.create_post(bob, open_community, title="New", body="Fresh")
    retention.place_hold(officer, person=held_author, reason="Case 7")
    retention.set_retention_rule(officer, open_community, days=30, action="anonymise")

    run = retention.run_retention(officer)
    assert (run.anonymised, run.removed, run.held) == (3, 0, 1)
    bobs = Post.objects.filter(title="Old thread").get().author
    assert bobs.name == "Former member" and bobs.stakeholder == bob.stakeholder and not bobs.is_active
    assert Post.objects.get(body="Old follow-up").author_id == bobs.id  # one voice a person
    assert Post.objects.get(id=old_reply.id).author.name == "Former member"
    assert Post.objects.get(id=old_reply.id).author_id != bobs.id
    assert Post.objects.get(id=old.id).body == "Old words"  # the text stays
    assert Post.objects.get(id=new.id).author_id == bob.id and Post.objects.get(id=kept.id).author_id == held_author.id
    assert Pseudonym.objects.get(person=bob).alias_id == bobs.id
    assert Activity.objects.filter(verb=Verb.ANONYMISE, target=bob).count() == 2
    assert retention.run_retention(officer).anonymised == 0  # done once


def test_the_pages(alice, bob, open_community, admin):
    from django.urls import reverse

    conv.create_post(bob, open_community, title="Mine", body="My words")
    me = login(bob)
    assert "not asked for a copy yet" in me.get(reverse("web:my_data")).content.decode()
    asked = me.post(reverse("web:my_data"), follow=True).content.decode()
    assert "being prepared" in asked and 'hx-trigger="every 3s"' in asked  # the list polls while it is
    again = me.post(reverse("web:my_data"))
    assert again.status_code == 409 and "prepared already" in again.content.decode()
    run_jobs()
    listed = me.get(reverse("web:my_data"), HTTP_HX_REQUEST="true").content.decode()
    assert "Download ZIP" in listed and "every 3s" not in listed and "<html" not in listed

    staff = login(admin)
    wrong = staff.post(reverse("web:staff_erase", args=["bob"]), {"confirm": "alice"}, follow=True)
    assert "nothing was erased" in wrong.content.decode() and Member.objects.get(id=bob.id).name == "Bob"
    done = staff.post(reverse("web:staff_erase", args=["bob"]), {"confirm": "@Bob"}, follow=True).content.decode()
    assert "now a former member" in done and "personal data erased" in done and "Reactivate" not in done
    former = Member.objects.get(id=bob.id)
    assert former.name == "Former member" and not Post.objects.filter(body="My words").exists()
    assert login(alice).post(reverse("web:staff_erase", args=[former.handle]), {"confirm": former.handle}) \
        .status_code == 403
    with pytest.raises(Conflict):
        org.reactivate(admin, former)  # an erased account is never used again


def test_the_api(alice, bob, open_community, admin, make_member):
    from django.test import Client

    conv.create_post(bob, open_community, title="Mine", body="Via the API")
    _, mine = org.create_token(bob, "script")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {mine}")
    asked = api.post("/api/v1/me/data-exports")
    assert asked.status_code == 202 and asked.json()["state"] == "queued" and asked.json()["download_url"] is None
    assert api.post("/api/v1/me/data-exports").json()["error"]["code"] == "conflict"
    run_jobs()
    [ready] = api.get("/api/v1/me/data-exports").json()
    assert ready["state"] == "ready" and ready["counts"]["posts.json"] == 1 and ready["size"] > 0
    got = api.get(ready["download_url"])
    assert got.status_code == 200 and got["Content-Type"] == "application/zip"
    assert "Via the API" in zipfile.ZipFile(io.BytesIO(b"".join(got.streaming_content))).read("posts.json").decode()
    _, theirs = org.create_token(alice, "script")
    assert Client(HTTP_AUTHORIZATION=f"Bearer {theirs}").get(ready["download_url"]).status_code == 404

    officer = make_member("records", is_compliance_officer=True)
    hold = retention.place_hold(officer, person=bob, reason="Case 3")
    _, root = org.create_token(admin, "admin")
    staff = Client(HTTP_AUTHORIZATION=f"Bearer {root}")
    refused = staff.post("/api/v1/members/bob/erasure", {}, content_type="application/json")
    assert refused.status_code == 409 and "legal hold" in refused.json()["error"]["message"]
    retention.lift_hold(officer, hold.id)
    done = staff.post("/api/v1/members/bob/erasure", {"keep_text": True}, content_type="application/json")
    assert done.status_code == 200 and done.json()["text_kept"] is True and done.json()["posts"] == 1
    assert done.json()["member"]["name"] == "Former member" and done.json()["member"]["handle"] != "bob"
    assert api.get("/api/v1/me").status_code == 401  # bob's token is gone with him
    assert Client(HTTP_AUTHORIZATION=f"Bearer {theirs}").post(
        f"/api/v1/members/{done.json()['member']['handle']}/erasure", {}, content_type="application/json"
    ).status_code == 403
    rule = staff.post("/api/v1/retention/rules", {"days": 30, "action": "anonymise"}, content_type="application/json")
    assert rule.status_code == 200 and rule.json()["action"] == "anonymise"
    bad = staff.post("/api/v1/retention/rules", {"days": 30, "action": "shred"}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "action"
