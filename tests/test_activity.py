"""The activity stream: every act is recorded in its own transaction; consumers hear of it after
the commit, never for an act that rolled back."""

from __future__ import annotations

import inspect
import io
from collections.abc import Callable
from types import ModuleType

import pytest
from django.apps import apps
from django.db import transaction

import socialfabric.activity
from socialfabric import activity
from socialfabric.activity.models import Activity, ObjectType, Verb
from socialfabric.attachments import services as attachments
from socialfabric.communities import invitations
from socialfabric.communities import services as communities
from socialfabric.conversations import services as conv
from socialfabric.conversations.models import Post, Reaction
from socialfabric.errors import Conflict
from socialfabric.governance import audit, moderation, retention, rights, signoff
from socialfabric.governance import services as governance
from socialfabric.insights import services as insights
from socialfabric.notifications import services as notifications
from socialfabric.org import importing
from socialfabric.org import services as org
from socialfabric.org.models import Follow


def new_acts(since: int) -> list[tuple]:
    return list(Activity.objects.filter(id__gt=since).order_by("id")
                .values_list("verb", "actor_id", "target_id", "community_id", "object_id"))


def last_id() -> int:
    return Activity.objects.order_by("-id").values_list("id", flat=True).first() or 0


# --- what each act records --------------------------------------------------------------------


def test_each_social_act_appends_exactly_one_row(alice, bob, make_member, open_community):
    c = open_community.id

    mark = last_id()
    q = conv.create_post(alice, open_community, kind="question", body="Who knows?")
    assert new_acts(mark) == [(Verb.POST, alice.id, None, c, q.id)]

    mark = last_id()
    r = conv.create_reply(bob, q.id, body="I do")
    assert new_acts(mark) == [(Verb.REPLY, bob.id, alice.id, c, r.id)]
    assert Activity.objects.get(verb=Verb.REPLY).details == {"thread": q.id, "parent": q.id}

    mark = last_id()
    conv.react(alice, r.id, "like")
    assert new_acts(mark) == [(Verb.REACT, alice.id, bob.id, c, r.id)]

    mark = last_id()
    conv.accept_answer(alice, q.id, r.id)
    assert new_acts(mark) == [(Verb.ACCEPT_ANSWER, alice.id, bob.id, c, r.id)]

    mark = last_id()
    org.follow(bob, alice)
    assert new_acts(mark) == [(Verb.FOLLOW, bob.id, alice.id, None, alice.id)]

    dave = make_member("dave")
    mark = last_id()
    communities.join(dave, open_community)
    assert new_acts(mark) == [(Verb.JOIN, dave.id, None, c, c)]


def test_mention_row_besides_the_post_row(alice, bob, open_community):
    mark = last_id()
    p = conv.create_post(alice, open_community, body="cc @bob @bob @alice @nobody")
    assert sorted(new_acts(mark)) == sorted([
        (Verb.POST, alice.id, None, open_community.id, p.id),
        (Verb.MENTION, alice.id, bob.id, open_community.id, p.id),  # once; not self; not unknown
    ])


def test_reply_to_own_post_has_no_target(alice, open_community):
    p = conv.create_post(alice, open_community, body="x")
    mark = last_id()
    conv.create_reply(alice, p.id, body="adding to myself")
    assert new_acts(mark)[0][:3] == (Verb.REPLY, alice.id, None)


def test_nested_reply_targets_the_parent_author(alice, bob, make_member, open_community):
    dave = make_member("dave")
    communities.join(dave, open_community)
    p = conv.create_post(alice, open_community, body="x")
    r = conv.create_reply(bob, p.id, body="y")
    mark = last_id()
    conv.create_reply(dave, r.id, body="z")
    assert new_acts(mark)[0][:3] == (Verb.REPLY, dave.id, bob.id)


def test_approved_request_records_the_moderators_decision(alice, bob):
    closed = communities.create_community(alice, name="Board", visibility="closed")
    mark = last_id()
    req = communities.request_to_join(bob, closed)
    assert new_acts(mark) == [(Verb.REQUEST_JOIN, bob.id, None, closed.id, req.id)]
    mark = last_id()
    communities.decide_request(alice, req.id, approve=True)
    assert new_acts(mark) == [(Verb.APPROVE_JOIN, alice.id, bob.id, closed.id, req.id)]


def test_moderation_and_account_acts_name_who_was_acted_on(alice, bob, open_community):
    mark = last_id()
    communities.set_role(alice, open_community, bob, "moderator")
    communities.set_role(alice, open_community, bob, "moderator")  # no change: nothing recorded
    communities.remove_member(alice, open_community, bob)
    bobs = Activity.objects.filter(id__gt=mark)
    assert [(a.verb, a.actor_id, a.target_id, a.details) for a in bobs.order_by("id")] == [
        (Verb.SET_ROLE, alice.id, bob.id, {"role": "moderator", "was": "member"}),
        (Verb.REMOVE_MEMBER, alice.id, bob.id, {"role": "moderator"}),
    ]
    token, _plain = org.create_token(alice, "laptop")
    org.revoke_token(alice, token.id)
    org.revoke_token(alice, token.id)  # revoked already: nothing more
    tokens = Activity.objects.filter(object_type=ObjectType.TOKEN, object_id=token.id).order_by("id")
    assert [(a.verb, a.details["prefix"]) for a in tokens] == [
        (Verb.CREATE_TOKEN, token.prefix), (Verb.REVOKE_TOKEN, token.prefix)]


def test_follow_twice_leaves_one_follow_and_one_row(alice, bob):
    org.follow(bob, alice)
    mark = last_id()
    with pytest.raises(Conflict):
        org.follow(bob, alice)
    assert new_acts(mark) == [] and Follow.objects.count() == 1


def test_sign_in_and_out_are_recorded(client, alice):
    assert client.post("/signin/", {"username": "alice", "password": "correct-horse-battery"}).status_code == 302
    client.post("/signout/")
    assert list(Activity.objects.order_by("id").values_list("verb", "actor_id")) == [
        (Verb.SIGN_IN, alice.id), (Verb.SIGN_OUT, alice.id)]
    client.post("/signout/")  # signed out already: nobody to record
    assert Activity.objects.count() == 2


def test_import_is_recorded_with_its_counts(db):
    importing.import_people(io.BytesIO(b"id,name\nE1,Ada Lovelace\nE2,Grace Hopper\n"), name="staff.csv")
    row = Activity.objects.get()
    assert (row.verb, row.actor_id, row.object_type) == (Verb.IMPORT_PEOPLE, None, ObjectType.IMPORT)
    assert row.details == {"file": "staff.csv", "rows": 2, "created": 2, "updated": 0, "unchanged": 0,
                           "units_created": 0}


def test_record_refuses_to_run_outside_a_transaction(transactional_db, alice):
    with pytest.raises(RuntimeError, match="inside the act's transaction"):
        activity.record(Verb.FOLLOW, alice)
    assert not Activity.objects.exists()


# --- a failing act leaves no row, and a failing record leaves no act ---------------------------


class Boom(Exception):
    pass


def _explode(*args, **kwargs):
    raise Boom


def test_post_failing_late_leaves_no_post_and_no_row(alice, bob, open_community, monkeypatch):
    # Make the last step of posting (linking topics) fail after the post and its row were written.
    monkeypatch.setattr(conv.Topic.objects, "filter", _explode)
    before = (Post.objects.count(), Activity.objects.count())
    with pytest.raises(Boom):
        conv.create_post(alice, open_community, body="about #anything, cc @bob")
    assert (Post.objects.count(), Activity.objects.count()) == before


def test_reply_failing_late_leaves_no_reply_no_row_and_no_bump(alice, bob, open_community, monkeypatch):
    p = conv.create_post(alice, open_community, body="root")
    stamp = Post.objects.get(id=p.id).last_activity_at
    monkeypatch.setattr(conv.Topic.objects, "filter", _explode)
    before = (Post.objects.count(), Activity.objects.count())
    with pytest.raises(Boom):
        conv.create_reply(bob, p.id, body="#boom")
    assert (Post.objects.count(), Activity.objects.count()) == before
    root = Post.objects.get(id=p.id)
    assert (root.reply_count, root.last_activity_at) == (0, stamp)


def test_reaction_failing_at_record_leaves_no_reaction(alice, bob, open_community, monkeypatch):
    p = conv.create_post(alice, open_community, body="root")
    monkeypatch.setattr(socialfabric.activity, "record", _explode)
    with pytest.raises(Boom):
        conv.react(bob, p.id, "like")
    assert not Reaction.objects.exists()


def test_join_failing_at_record_leaves_no_membership(alice, make_member, open_community, monkeypatch):
    dave = make_member("dave")
    monkeypatch.setattr(socialfabric.activity, "record", _explode)
    count = open_community.memberships.count()
    with pytest.raises(Boom):
        communities.join(dave, open_community)
    assert open_community.memberships.count() == count
    open_community.refresh_from_db()
    assert open_community.member_count == count


def test_follow_failing_at_record_leaves_no_follow(alice, bob, monkeypatch):
    monkeypatch.setattr(socialfabric.activity, "record", _explode)
    with pytest.raises(Boom):
        org.follow(bob, alice)
    assert not Follow.objects.exists()


def test_accept_failing_at_record_leaves_no_acceptance(alice, bob, open_community, monkeypatch):
    q = conv.create_post(alice, open_community, kind="question", body="?")
    r = conv.create_reply(bob, q.id, body="!")
    monkeypatch.setattr(socialfabric.activity, "record", _explode)
    with pytest.raises(Boom):
        conv.accept_answer(alice, q.id, r.id)
    assert Post.objects.get(id=q.id).accepted_answer_id is None


# --- every state-changing service records its act ---------------------------------------------

SERVICE_MODULES: list[ModuleType] = [org, importing, communities, invitations, conv, insights, notifications,
                                     attachments, governance, moderation, signoff, audit, retention, rights]

# Functions that change nothing (reads, checks, helpers), by module.
READS: dict[str, set[str]] = {
    "socialfabric.org.services": {
        "get_member", "directory", "followers", "following", "is_following", "tokens", "units", "get_unit",
        "follow_counts", "reports_of", "members_with_email", "members_by_handle", "members_of_unit", "unit_members",
        "unit_children", "communities_of", "expertise_of", "photo_file", "staff_people", "staff_member",
        "staff_counts", "staff_tokens",
    },
    "socialfabric.org.importing": {"handle_base"},
    "socialfabric.communities.services": {
        "pending_requests", "members_of", "roles_of", "stewards", "my_pending_request", "pending_community_ids",
        "my_communities", "get_request", "listing", "owned_by", "staff_overview", "staff_counts",
    },
    "socialfabric.communities.invitations": {"link", "get_open", "invitable_communities", "for_staff",
                                            "counts_for_staff"},
    "socialfabric.conversations.services": {
        "clean_body", "clean_title", "get_readable_post", "thread", "build_tree", "revisions", "histories",
        "get_root",
    },
    "socialfabric.insights.services": {
        "parse_request", "default_request", "worker_id", "analyse", "latest", "get_report", "reports", "history",
        "waiting", "result_for", "person_names",
    },
    "socialfabric.governance.services": {"current", "versions", "get", "accepted_at", "to_accept",
                                          "acceptance_share", "policy_url"},
    "socialfabric.governance.moderation": {"my_flag", "queue", "waiting_count", "queue_counts", "suspensions",
                                            "watched_words"},
    "socialfabric.governance.audit": {"require_auditor", "filters", "records", "row", "community_slugs"},
    "socialfabric.governance.retention": {"require_records_officer", "rules", "holds", "active_holds", "is_held",
                                           "runs"},
    "socialfabric.governance.rights": {"is_former", "erasure_of", "exports", "offers", "download_token", "download",
                                        "download_response",
                                        "on_erase",
                                        "collect"},
    "socialfabric.governance.signoff": {"can_sign_off", "require_sign_off", "rule_of", "queue", "waiting_count",
                                         "review_of", "time_to_approval"},
    "socialfabric.attachments.services": {"storage", "prepare", "readable", "get", "open_file", "of_posts",
                                           "connect"},
    "socialfabric.notifications.services": {
        "visible", "unread_count", "listing", "get", "channels", "channel_of", "digest_frequency", "unsubscribe_token",
        "unsubscribe_preview", "level_in", "watches_topic", "describe", "fingerprint", "watch_levels",
    },
}
# The background worker's bookkeeping of report jobs (claiming, computing, requeueing): the act
# is asking for a report, recorded by request_report; a job changing state is not a new act.
JOB_BOOKKEEPING = {"socialfabric.insights.services": {"recover_stale", "claim_next", "compute", "run_queue",
                                                     "start_refresh"},
                   "socialfabric.governance.retention": {"start_retention", "request_run"},
                   # Building a requested export (request_export is the act) and deleting expired files.
                   "socialfabric.governance.rights": {"build_export", "expire_exports"}}
# Called for the person signing in: updating a token's last use is bookkeeping, not an act.
NOT_ACTS = {"socialfabric.org.services": {"authenticate_token", "find_token"},
            # Marking notifications read is the reader's bookkeeping, like a token's last use.
            "socialfabric.notifications.services": {"mark_read", "mark_all_read"},
            # Deleting a removed post's files is the removal's consequence (a consumer of it).
            "socialfabric.attachments.services": {"on_remove"},
            # Changing a post's state for a moderator's act, which records it (governance.moderation).
            "socialfabric.conversations.services": {"hide", "unhide"},
            # Scrubbing an erased handle from stored reports, for the erasure, which records it.
            "socialfabric.insights.services": {"forget_handle"}}


@pytest.fixture
def world(alice, bob, make_member, open_community, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"  # photos written by the acts stay out of ./var
    settings.STORAGES = {**settings.STORAGES, "attachments": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "files")}}}
    closed = communities.create_community(alice, name="Board", visibility="closed")
    dave = make_member("dave")
    question = conv.create_post(alice, open_community, kind="question", body="Who knows?")
    answer = conv.create_reply(bob, question.id, body="I do")
    token, _ = org.create_token(alice, "laptop")
    analyst = make_member("ana", is_analyst=True)
    return {"staff": make_member("root", is_staff=True), "analyst": analyst, "alice": alice, "bob": bob,
            "dave": dave, "open": open_community, "closed": closed, "question": question, "answer": answer,
            "token": token}


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), "teal").save(out, "PNG")
    return out.getvalue()


def _upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def _accepted(w):
    conv.accept_answer(w["alice"], w["question"].id, w["answer"].id)


def _requested(w):
    return communities.request_to_join(w["dave"], w["closed"])


def _held(w):
    moderation.add_watched_word(w["staff"], pattern="orion", action="hold")
    return conv.create_post(w["bob"], w["open"], body="About orion")


def _pending(w):
    signoff.set_rule(w["alice"], w["open"], kinds=["employee"])
    return conv.create_post(w["bob"], w["open"], body="Needs a look")


def _past_its_time(w):
    from datetime import timedelta

    from django.utils import timezone
    from freezegun import freeze_time

    retention.set_retention_rule(w["staff"], w["open"], days=1)
    with freeze_time(timezone.now() - timedelta(days=3)):
        return conv.create_post(w["bob"], w["open"], body="Old news")


def _atomic(fn):
    with transaction.atomic():
        return fn()


# function name -> (set-up, the act, the verbs it must record)
ACTS: dict[str, list[tuple[Callable, Callable, list[str]]]] = {
    "follow": [(None, lambda w: org.follow(w["bob"], w["alice"]), [Verb.FOLLOW])],
    "unfollow": [(lambda w: org.follow(w["bob"], w["alice"]), lambda w: org.unfollow(w["bob"], w["alice"]),
                  [Verb.UNFOLLOW])],
    "create_token": [(None, lambda w: org.create_token(w["bob"], "phone"), [Verb.CREATE_TOKEN])],
    "revoke_token": [(None, lambda w: org.revoke_token(w["alice"], w["token"].id), [Verb.REVOKE_TOKEN])],
    "revoke_token_as_admin": [(None, lambda w: org.revoke_token_as_admin(w["staff"], w["token"].id),
                               [Verb.REVOKE_TOKEN])],
    "signed_in": [(None, lambda w: org.signed_in(w["bob"]), [Verb.SIGN_IN])],
    "signed_out": [(None, lambda w: org.signed_out(w["bob"]), [Verb.SIGN_OUT])],
    "deactivate": [(None, lambda w: org.deactivate(w["staff"], w["dave"]), [Verb.DEACTIVATE])],
    "invite": [(None, lambda w: invitations.invite(w["alice"], email="new@example.org", name="New Person",
                                                  community_ids=[w["open"].id]), [Verb.INVITE])],
    "accept": [(lambda w: invitations.link(invitations.invite(w["staff"], email="new@example.org", name="New",
                                                              community_ids=[w["open"].id]), "").rsplit("/", 2)[1],
                lambda w: invitations.accept(w["setup"], password1="a-long-secret", password2="a-long-secret"),
                [Verb.ACCEPT_INVITATION, Verb.JOIN]),
               (lambda w: governance.publish(w["staff"], title="Policy", body="Be kind."),
                lambda w: governance.accept(w["bob"], w["setup"].id), [Verb.ACCEPT_POLICY])],
    "join_by_invitation": [(None, lambda w: communities.join_by_invitation(w["dave"], w["closed"], 1), [Verb.JOIN])],
    "invite_to_set_password": [(lambda w: w["dave"].set_unusable_password() or w["dave"].save(),
                                lambda w: org.invite_to_set_password([w["dave"]], "https://social.example"),
                                [Verb.INVITE])],
    "reactivate": [(lambda w: org.deactivate(w["staff"], w["dave"]), lambda w: org.reactivate(w["staff"], w["dave"]),
                    [Verb.REACTIVATE])],
    "set_platform_role": [
        (None, lambda w: org.set_platform_role(w["staff"], w["dave"], "analyst", grant=True), [Verb.GRANT_ROLE]),
        (None, lambda w: org.set_platform_role(w["staff"], w["analyst"], "analyst", grant=False), [Verb.REVOKE_ROLE]),
    ],
    "send_set_password_link": [(lambda w: w["dave"].set_unusable_password() or w["dave"].save(),
                                lambda w: org.send_set_password_link(w["staff"], w["dave"], "https://social.example"),
                                [Verb.INVITE]),
                               (None, lambda w: org.send_set_password_link(w["staff"], w["bob"], "https://social.example"),
                                [Verb.INVITE])],  # bob has a password: a reset link
    "resend": [(lambda w: invitations.invite(w["staff"], email="new@example.org", name="New"),
                lambda w: invitations.resend(w["staff"], w["setup"].id), [Verb.INVITE])],
    "revoke": [(lambda w: invitations.invite(w["staff"], email="new@example.org", name="New"),
                lambda w: invitations.revoke(w["staff"], w["setup"].id), [Verb.REVOKE_INVITATION])],
    "password_set": [(None, lambda w: org.password_set(w["bob"], via="change"), [Verb.SET_PASSWORD])],
    "update_profile": [
        (None, lambda w: org.update_profile(w["bob"], name="Robert", bio="Pumps", expertise=["hydraulics"]),
         [Verb.UPDATE_PROFILE]),
        (None, lambda w: org.update_profile(w["bob"], photo=_png()), [Verb.UPDATE_PROFILE]),
    ],
    "import_people": [(None, lambda w: importing.import_people(io.BytesIO(b"id,name\nX1,Xena\n")),
                       [Verb.IMPORT_PEOPLE])],
    "create_community": [(None, lambda w: communities.create_community(w["bob"], name="New"),
                          [Verb.CREATE_COMMUNITY])],
    "join": [(None, lambda w: communities.join(w["dave"], w["open"]), [Verb.JOIN])],
    "leave": [(None, lambda w: communities.leave(w["bob"], w["open"]), [Verb.LEAVE])],
    "request_to_join": [(None, _requested, [Verb.REQUEST_JOIN])],
    "decide_request": [
        (_requested, lambda w: communities.decide_request(w["alice"], w["setup"].id, approve=True),
         [Verb.APPROVE_JOIN]),
        (_requested, lambda w: communities.decide_request(w["alice"], w["setup"].id, approve=False),
         [Verb.REJECT_JOIN]),
    ],
    "add_member": [(None, lambda w: communities.add_member(w["alice"], w["closed"], w["dave"]), [Verb.ADD_MEMBER])],
    "set_role": [(None, lambda w: communities.set_role(w["alice"], w["open"], w["bob"], "moderator"),
                  [Verb.SET_ROLE])],
    "remove_member": [(None, lambda w: communities.remove_member(w["alice"], w["open"], w["bob"]),
                       [Verb.REMOVE_MEMBER])],
    "create_post": [(None, lambda w: conv.create_post(w["bob"], w["open"], body="hi @alice"),
                     [Verb.POST, Verb.MENTION]),
                    (None, lambda w: attachments.create_post(w["bob"], w["open"], body="see file",
                                                             files=[_upload("plan.png", _png())]),
                     [Verb.POST, Verb.ATTACH])],
    "create_reply": [(None, lambda w: conv.create_reply(w["alice"], w["answer"].id, body="thanks"), [Verb.REPLY]),
                     (None, lambda w: attachments.create_reply(w["alice"], w["answer"].id, body="notes",
                                                               files=[_upload("notes.txt", b"words")]),
                      [Verb.REPLY, Verb.ATTACH])],
    "publish": [(None, lambda w: governance.publish(w["staff"], title="Policy", body="Be kind."),
                 [Verb.PUBLISH_POLICY]),
                (None, lambda w: governance.publish(w["alice"], community=w["open"], title="Rules", body="On topic"),
                 [Verb.PUBLISH_POLICY])],
    "attach": [(None, lambda w: attachments.attach(w["bob"], w["answer"].id, [_upload("a.txt", b"words")]),
                [Verb.ATTACH])],
    "edit_post": [(None, lambda w: conv.edit_post(w["bob"], w["answer"].id, body="I do, @alice"),
                   [Verb.EDIT, Verb.MENTION])],
    "remove_post": [(None, lambda w: conv.remove_post(w["alice"], w["answer"].id), [Verb.REMOVE])],
    "expire": [(None, lambda w: conv.expire([w["answer"].id], reason="retention"), [Verb.REMOVE])],
    "set_retention_rule": [(None, lambda w: retention.set_retention_rule(w["staff"], w["open"], days=30),
                            [Verb.SET_RETENTION])],
    "remove_retention_rule": [(lambda w: retention.set_retention_rule(w["staff"], None, days=30),
                               lambda w: retention.remove_retention_rule(w["staff"], w["setup"].id),
                               [Verb.REMOVE_RETENTION])],
    "place_hold": [(None, lambda w: retention.place_hold(w["staff"], reason="Case 7", person=w["bob"]),
                    [Verb.PLACE_HOLD])],
    "lift_hold": [(lambda w: retention.place_hold(w["staff"], reason="Case 7", community=w["open"]),
                   lambda w: retention.lift_hold(w["staff"], w["setup"].id), [Verb.LIFT_HOLD])],
    "run_retention": [(_past_its_time, lambda w: retention.run_retention(w["staff"]),
                       [Verb.REMOVE, Verb.RUN_RETENTION])],
    "erase": [(None, lambda w: rights.erase(w["staff"], w["bob"]), [Verb.REMOVE, Verb.ERASE])],
    "anonymise": [(None, lambda w: rights.anonymise([w["answer"].id], reason="retention"), [Verb.ANONYMISE])],
    "request_export": [(None, lambda w: rights.request_export(w["bob"]), [Verb.EXPORT_DATA])],
    "react": [(None, lambda w: conv.react(w["alice"], w["answer"].id, "like"), [Verb.REACT])],
    "unreact": [(lambda w: conv.react(w["alice"], w["answer"].id, "like"),
                 lambda w: conv.unreact(w["alice"], w["answer"].id, "like"), [Verb.UNREACT])],
    "accept_answer": [
        (None, _accepted, [Verb.ACCEPT_ANSWER]),
        (_accepted, lambda w: conv.accept_answer(w["alice"], w["question"].id, None), [Verb.CLEAR_ANSWER]),
    ],
    "request_report": [(None, lambda w: insights.request_report(w["analyst"], insights.ReportRequest()),
                        [Verb.REQUEST_REPORT])],
    "schedule_due": [(None, lambda w: insights.schedule_due(), [Verb.REQUEST_REPORT])],
    "set_preferences": [(None, lambda w: notifications.set_preferences(w["bob"], channels={"reply": "email"},
                                                                       digest="daily"), [Verb.SET_NOTIFICATIONS])],
    "unsubscribe": [(None, lambda w: notifications.unsubscribe(notifications.unsubscribe_token(w["bob"], "digest")),
                     [Verb.SET_NOTIFICATIONS])],
    "watch_community": [(None, lambda w: notifications.watch_community(w["bob"], w["open"], "watching"),
                         [Verb.WATCH])],
    "watch_topic": [(lambda w: conv.create_post(w["alice"], w["open"], body="#roadmap"),
                     lambda w: notifications.watch_topic(w["bob"], "roadmap", True), [Verb.WATCH])],
    "flag_post": [(None, lambda w: moderation.flag_post(w["alice"], w["answer"].id, reason="spam"), [Verb.FLAG])],
    "moderate": [
        (None, lambda w: moderation.moderate(w["alice"], w["answer"].id, "hide"), [Verb.HIDE]),
        (lambda w: moderation.moderate(w["alice"], w["answer"].id, "hide"),
         lambda w: moderation.moderate(w["alice"], w["answer"].id, "restore"), [Verb.RESTORE]),
        (lambda w: moderation.flag_post(w["alice"], w["answer"].id, reason="spam"),
         lambda w: moderation.moderate(w["alice"], w["answer"].id, "dismiss"), [Verb.DISMISS_FLAGS]),
        (_held, lambda w: moderation.moderate(w["alice"], w["setup"].id, "dismiss"), [Verb.RELEASE, Verb.POST]),
        (None, lambda w: moderation.moderate(w["alice"], w["answer"].id, "remove"), [Verb.REMOVE]),
        (None, lambda w: moderation.moderate(w["alice"], w["answer"].id, "warn", reason="Be civil"), [Verb.WARN]),
        (None, lambda w: moderation.moderate(w["alice"], w["answer"].id, "suspend", reason="Spam", days=2),
         [Verb.SUSPEND]),
    ],
    "suspend": [(None, lambda w: moderation.suspend(w["staff"], w["bob"], community=None, days=1, reason="Pause"),
                 [Verb.SUSPEND])],
    "lift_suspension": [(lambda w: moderation.suspend(w["staff"], w["bob"], community=None, days=1, reason="P"),
                         lambda w: moderation.lift_suspension(w["staff"], w["setup"].id), [Verb.LIFT_SUSPENSION])],
    "add_watched_word": [(None, lambda w: moderation.add_watched_word(w["staff"], pattern="leak", action="flag"),
                          [Verb.ADD_WATCHED_WORD])],
    "remove_watched_word": [(lambda w: moderation.add_watched_word(w["staff"], pattern="leak", action="flag"),
                             lambda w: moderation.remove_watched_word(w["staff"], w["setup"].id),
                             [Verb.REMOVE_WATCHED_WORD])],
    "publish_held": [(_held, lambda w: _atomic(lambda: conv.publish_held(w["setup"])), [Verb.POST])],
    "export": [(None, lambda w: audit.export(w["staff"], audit.filters(), fmt="json"), [Verb.EXPORT_AUDIT])],
    "set_rule": [(None, lambda w: signoff.set_rule(w["alice"], w["open"], kinds=["customer"]),
                  [Verb.SET_APPROVAL_RULE])],
    "approve": [(_pending, lambda w: signoff.approve(w["staff"], w["setup"].id), [Verb.APPROVE_POST, Verb.POST])],
    "reject": [(_pending, lambda w: signoff.reject(w["staff"], w["setup"].id, reason="No"), [Verb.REJECT_POST])],
    "return_for_edit": [(_pending, lambda w: signoff.return_for_edit(w["staff"], w["setup"].id, reason="Shorter"),
                         [Verb.RETURN_POST])],
    "save_settings": [(None, lambda w: notifications.save_settings(w["bob"], channels={"mention": "off"},
                                                                   levels={w["open"].slug: "muted"}),
                       [Verb.SET_NOTIFICATIONS, Verb.WATCH])],
}


def _public_functions(module: ModuleType) -> set[str]:
    return {name for name, fn in inspect.getmembers(module, inspect.isfunction)
            if not name.startswith("_") and fn.__module__ == module.__name__}


def test_every_service_function_is_an_act_with_a_scenario_or_a_read():
    unclassified = []
    for module in SERVICE_MODULES:
        known = (READS.get(module.__name__, set()) | JOB_BOOKKEEPING.get(module.__name__, set())
                 | NOT_ACTS.get(module.__name__, set()) | set(ACTS))
        unclassified += [f"{module.__name__}.{name}" for name in _public_functions(module) - known]
    assert not unclassified, (
        "New service functions: give each state-changing one a scenario in ACTS (and make it record its "
        f"act), or list it in READS: {sorted(unclassified)}")


def _state() -> dict[str, str]:
    """Every row of every table of ours, hashed: any write at all shows."""
    state = {}
    for model in apps.get_models():
        if model._meta.app_label.startswith(("org", "activity", "communities", "conversations", "insights",
                                              "notifications", "attachments", "governance")):
            state[model._meta.label] = repr(list(model.objects.order_by("pk").values_list()))
    return state


def _scenarios():
    for name, cases in ACTS.items():
        for i, case in enumerate(cases):
            yield pytest.param(name, *case, id=f"{name}-{i}")


@pytest.mark.parametrize(("name", "setup", "act", "verbs"), list(_scenarios()))
def test_each_act_records_in_its_transaction(world, monkeypatch, settings, name, setup, act, verbs):
    settings.SOCIALFABRIC_INSIGHTS_REFRESH_HOURS = 24
    world["setup"] = setup(world) if setup else None
    # A failing record undoes the whole act: the act and its record are one transaction.
    before = _state()
    with monkeypatch.context() as patched:
        patched.setattr(socialfabric.activity, "record", _explode)
        with pytest.raises(Boom):
            act(world)
    assert _state() == before, f"{name} wrote something outside its record's transaction"
    # And done for real, it records its verbs.
    mark = last_id()
    act(world)
    assert sorted(v for v, *_ in new_acts(mark)) == sorted(verbs)


# --- consumers ---------------------------------------------------------------------------------


def test_consumers_hear_committed_acts_only(alice, bob, open_community, django_capture_on_commit_callbacks):
    heard: list[Activity] = []
    every: list[str] = []
    with activity.subscribed(Verb.FOLLOW, heard.append), \
            activity.subscribed(activity.ANY, lambda a: every.append(a.verb)):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            org.follow(bob, alice)
            assert heard == []  # not before the commit
            try:
                with transaction.atomic():
                    org.follow(alice, bob)
                    raise Boom
            except Boom:
                pass
        assert len(callbacks) == 1
        assert [(a.verb, a.actor_id, a.target_id) for a in heard] == [(Verb.FOLLOW, bob.id, alice.id)]
        assert every == [Verb.FOLLOW]
    # Unsubscribed when the block ends.
    with django_capture_on_commit_callbacks(execute=True):
        org.unfollow(bob, alice)
    assert len(heard) == 1 and every == [Verb.FOLLOW]


def test_a_failing_consumer_neither_undoes_the_act_nor_silences_the_others(
        alice, bob, django_capture_on_commit_callbacks, caplog):
    heard = []
    with activity.subscribed(Verb.FOLLOW, _explode), activity.subscribed(Verb.FOLLOW, heard.append):
        with django_capture_on_commit_callbacks(execute=True):
            org.follow(bob, alice)
    assert Follow.objects.filter(follower=bob, followed=alice).exists()
    assert len(heard) == 1
    assert "activity consumer" in caplog.text


def test_a_requested_report_and_its_job_are_one_transaction(make_member):
    from django_tasks_db.models import DBTaskResult

    analyst = make_member("ana", is_analyst=True)
    with pytest.raises(Boom), transaction.atomic():
        insights.request_report(analyst, insights.ReportRequest(window="quarter"))
        raise Boom
    assert not DBTaskResult.objects.exists()  # rolled back: no job either
    insights.request_report(analyst, insights.ReportRequest())
    assert list(DBTaskResult.objects.values_list("task_path", flat=True)) == [insights.compute_reports.module_path]
