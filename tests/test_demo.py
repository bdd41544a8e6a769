"""The demo organisation: deterministic, consistent, and showing the patterns insights look for."""

from __future__ import annotations

import hashlib
import random
from collections import Counter

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count, Max

from socialfabric import demo
from socialfabric.activity.models import Activity, ObjectType, Verb
from socialfabric.communities.models import Community, Membership
from socialfabric.conversations.models import Post, Reaction
from socialfabric.conversations.text import find_mentions, find_topics, render
from socialfabric.errors import Conflict
from socialfabric.feed import services as feed
from socialfabric.org.models import Follow, Member

SMALL = 200


def fingerprint() -> str:
    """A digest of the content, independent of database ids."""
    h = hashlib.sha256()
    first = Post.objects.aggregate(m=Max("id"))["m"] or 0
    first = Post.objects.order_by("id").values_list("id", flat=True).first() or first

    def rel(pk: int | None) -> int | None:
        return None if pk is None else pk - first

    handle = dict(Member.objects.values_list("id", "handle"))
    slug = dict(Community.objects.values_list("id", "slug"))
    for row in Member.objects.order_by("handle").values_list(
            "handle", "name", "email", "unit__name", "level", "manager__handle", "stakeholder", "organisation",
            "is_staff", "date_joined"):
        h.update(repr(row).encode())
    for row in Community.objects.order_by("slug").values_list("slug", "visibility", "audience", "external_kinds",
                                                              "member_count", "created_by__handle"):
        h.update(repr(row).encode())
    for row in Membership.objects.order_by("community__slug", "member__handle").values_list(
            "community__slug", "member__handle", "role", "joined_at"):
        h.update(repr(row).encode())
    for row in Follow.objects.order_by("follower__handle", "followed__handle").values_list(
            "follower__handle", "followed__handle", "created_at"):
        h.update(repr(row).encode())
    for p in Post.objects.order_by("id").values_list(
            "id", "community_id", "author_id", "kind", "title", "body", "body_html", "parent_id", "root_id", "depth",
            "created_at", "last_activity_at", "reply_count", "accepted_answer_id"):
        h.update(repr((rel(p[0]), slug[p[1]], handle[p[2]], *p[3:7], rel(p[7]), rel(p[8]), *p[9:13],
                       rel(p[13]))).encode())
    for r in Reaction.objects.order_by("post_id", "member__handle", "kind").values_list(
            "post_id", "member__handle", "kind", "created_at"):
        h.update(repr((rel(r[0]), *r[1:])).encode())
    for e in Activity.objects.order_by("id").values_list(
            "verb", "actor_id", "target_id", "community_id", "object_type", "object_id", "created_at", "details"):
        # Objects are posts (ids relative to the first post), members or communities (by name).
        obj = {"post": rel, "member": handle.get, "community": slug.get}[e[4]](e[5])
        h.update(repr((e[0], handle[e[1]], handle.get(e[2]), slug.get(e[3]), e[4], obj, *e[6:])).encode())
    return h.hexdigest()


def counts() -> dict[str, int]:
    return {m.__name__: m.objects.count()
            for m in (Member, Community, Membership, Follow, Post, Reaction, Activity)}


@pytest.fixture
def small_demo(db) -> demo.DemoResult:
    return demo.generate(SMALL, seed=7, progress=False)


def test_same_seed_same_data_and_another_seed_differs(db):
    with transaction.atomic():
        first = demo.generate(SMALL, seed=3, progress=False)
        shape, digest = counts(), fingerprint()
        transaction.set_rollback(True)
    assert Member.objects.count() == 0
    with transaction.atomic():
        second = demo.generate(SMALL, seed=3, progress=False)
        assert counts() == shape and fingerprint() == digest
        transaction.set_rollback(True)
    assert (first.threads, first.replies, first.reactions, first.events) == (
        second.threads, second.replies, second.reactions, second.events)
    demo.generate(SMALL, seed=4, progress=False)
    assert fingerprint() != digest


def test_sizes_and_shape(small_demo):
    r = small_demo
    assert Member.objects.count() == SMALL == r.members
    assert Post.objects.count() == SMALL * 25 == r.posts
    assert Post.objects.filter(parent__isnull=True).count() == r.threads
    assert 35 <= Community.objects.count() <= 45
    assert set(Community.objects.values_list("visibility", flat=True)) == {"open", "closed", "secret"}
    assert set(Community.objects.values_list("audience", flat=True)) == {"internal", "mixed"}
    levels = Counter(Member.objects.filter(level__isnull=False).values_list("level", flat=True))
    assert set(levels) == {1, 2, 3, 4, 5}
    # Few at the top (every unit has a head, so small demos are top-heavier), many at 4-5.
    assert levels[1] + levels[2] < 0.12 * sum(levels.values())
    assert levels[3] < levels[4] < levels[5] and levels[4] + levels[5] > 0.7 * sum(levels.values())
    kinds = Counter(Member.objects.values_list("stakeholder", flat=True))
    assert kinds["employee"] > 0.75 * SMALL and kinds["customer"] and kinds["partner"] and kinds["supplier"]
    assert not Member.objects.filter(stakeholder__in=["customer", "partner", "supplier"], organisation="").exists()
    # Reporting lines point upwards.
    for level, boss_level in Member.objects.filter(manager__isnull=False).values_list("level", "manager__level"):
        assert boss_level < level or level == boss_level == 1  # executives report to the CEO
    assert Post.objects.filter(depth__gte=3).exists()


def test_denormalised_fields_match_the_rows(small_demo):
    roots = Post.objects.filter(parent__isnull=True).annotate(n=Count("descendants"),
                                                              last=Max("descendants__created_at"))
    for root in roots:
        assert root.reply_count == root.n
        assert root.last_activity_at == (root.last or root.created_at)
    children = Counter(Post.objects.filter(depth__gte=2).values_list("parent_id", flat=True))
    created = dict(Post.objects.values_list("id", "created_at"))
    for pk, parent, count, at in Post.objects.filter(parent__isnull=False).values_list(
            "id", "parent_id", "reply_count", "created_at"):
        assert count == children.get(pk, 0)
        assert at > created[parent]
    for c in Community.objects.all():
        assert c.member_count == Membership.objects.filter(community=c).count()
    for q in Post.objects.filter(accepted_answer__isnull=False).select_related("accepted_answer"):
        assert q.kind == "question" and q.accepted_answer.root_id == q.id
    assert Post.objects.filter(created_at__gt=demo.DEFAULT_END).count() == 0


def test_html_mentions_and_topics_are_what_the_services_would_store(small_demo):
    posts = list(Post.objects.prefetch_related("mentions", "topics"))
    sample = [p for p in posts if "@" in p.body or "#" in p.body]
    sample += random.Random(1).sample(posts, 200)
    assert len(sample) > 250
    handles = set(Member.objects.values_list("handle", flat=True))
    for p in sample:
        assert p.body_html == render(p.body, handles & find_mentions(p.body))
        assert {m.handle for m in p.mentions.all()} == find_mentions(p.body)
        assert {t.name for t in p.topics.all()} == find_topics(p.body)


def test_every_act_has_its_activity_row(small_demo):
    ev = Counter(Activity.objects.values_list("verb", flat=True))
    assert ev[Verb.POST] == Post.objects.filter(parent__isnull=True).count()
    assert ev[Verb.REPLY] == Post.objects.filter(parent__isnull=False).count()
    assert ev[Verb.REACT] == Reaction.objects.count() > 0
    assert ev[Verb.MENTION] == Post.mentions.through.objects.count() > 0
    assert ev[Verb.ACCEPT_ANSWER] == Post.objects.filter(accepted_answer__isnull=False).count() > 0
    assert ev[Verb.FOLLOW] == Follow.objects.count() > 0
    # Each community's owner created it; everyone else joined.
    assert ev[Verb.CREATE_COMMUNITY] == Community.objects.count()
    assert ev[Verb.JOIN] + ev[Verb.CREATE_COMMUNITY] == Membership.objects.count()
    # Reply rows point at the parent's author, at the reply's own time.
    replies = Activity.objects.filter(verb=Verb.REPLY)[:300]
    posts = Post.objects.select_related("parent").in_bulk([e.object_id for e in replies])
    for e in replies:
        assert e.object_type == ObjectType.POST
        post = posts[e.object_id]
        parent_author = post.parent.author_id
        assert e.target_id == (parent_author if parent_author != e.actor_id else None)
        assert e.created_at == post.created_at and e.community_id == post.community_id


def test_acts_respect_the_access_rules(small_demo):
    members = set(Membership.objects.values_list("community_id", "member_id"))
    moderators = set(Membership.objects.filter(role__in=["owner", "moderator"])
                     .values_list("community_id", "member_id"))
    for cid, author, kind in Post.objects.values_list("community_id", "author_id", "kind"):
        assert (cid, author) in members
        if kind == "announcement":
            assert (cid, author) in moderators
    for cid, who in Reaction.objects.values_list("post__community_id", "member_id"):
        assert (cid, who) in members
    for m in Membership.objects.select_related("community", "member"):
        assert m.community.admits(m.member.stakeholder)


def test_the_patterns_insights_must_reveal(small_demo):
    unit = dict(Member.objects.values_list("id", "unit_id"))
    pairs = [(a, t) for a, t in Activity.objects.filter(verb=Verb.REPLY, target__isnull=False)
             .values_list("actor_id", "target_id") if unit[a] and unit[t]]
    within = sum(unit[a] == unit[t] for a, t in pairs) / len(pairs)
    assert 0.5 < within < 0.95  # most talk inside units, but not all of it
    # Leaders post (announcements) but seldom reply.
    roots = Counter(Post.objects.filter(parent__isnull=True).values_list("author__level", flat=True))
    replies = Counter(Post.objects.filter(parent__isnull=False).values_list("author__level", flat=True))
    leader = (replies[1] + replies[2]) / max(1, roots[1] + roots[2])
    others = sum(replies[lv] for lv in (3, 4, 5)) / sum(roots[lv] for lv in (3, 4, 5))
    assert roots[1] + roots[2] > 0 and leader < others / 3
    assert Post.objects.filter(kind="announcement", author__level__lte=2).exists()
    # Some customer questions go unanswered; others are answered and accepted.
    questions = Post.objects.filter(kind="question", author__stakeholder="customer")
    assert questions.filter(reply_count=0).exists() and questions.filter(accepted_answer__isnull=False).exists()
    # Participation is concentrated: the top tenth writes far more than a tenth.
    written = sorted(Counter(Post.objects.values_list("author_id", flat=True)).values(), reverse=True)
    assert sum(written[: SMALL // 10]) > 0.35 * sum(written)
    followed = Counter(Follow.objects.values_list("followed_id", flat=True))
    assert sum(1 for m in unit if not followed[m]) > 0.05 * SMALL  # some have no follower at all


def test_demo_logins(small_demo):
    alex = authenticate(None, username="alex", password=demo.DEMO_PASSWORD)
    admin = authenticate(None, username="admin", password=demo.DEMO_PASSWORD)
    assert alex is not None and alex.stakeholder == "employee" and alex.unit is not None
    assert admin is not None and admin.is_staff and admin.is_analyst
    assert alex.password == admin.password  # hashed once, shared
    assert Membership.objects.filter(member=alex).count() >= 4
    assert Post.objects.filter(author=alex).exists()
    assert len(feed.home_feed(alex).items) > 0
    assert not any(m.has_usable_password() for m in Member.objects.exclude(handle__in=["alex", "admin"]))
    assert authenticate(None, username=Member.objects.exclude(handle__in=["alex", "admin"]).first().handle,
                        password=demo.DEMO_PASSWORD) is None


def test_demo_refuses_a_populated_database(small_demo):
    with pytest.raises(Conflict):
        demo.generate(SMALL, seed=1, progress=False)


def test_command_if_empty_and_errors(db, capsys, settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "attachments": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}
    call_command("demo", "--members", "120", "--seed", "2", "--no-progress", "--months", "2")
    out = capsys.readouterr().out
    assert "120 members" in out and "demo login: alex / socialfabric" in out and "3 files attached" in out
    posts = Post.objects.count()
    from socialfabric.governance.models import Flag, Review, WatchedWord

    reviewed = Review.objects.count()  # customers' posts written through the service for sign-off
    assert posts == 120 * 25 + reviewed
    assert Review.objects.filter(decision="pending").exists() and Review.objects.filter(decision="approved").exists()
    assert Flag.objects.filter(resolved_at__isnull=True).exists() and WatchedWord.objects.count() == 3
    assert "waiting for sign-off" in out and "flags in the moderation queue" in out
    from socialfabric.governance.models import LegalHold, RetentionRule, RetentionRun

    # Retention rules longer than the demo's months: recorded, run once, removing nothing yet.
    assert RetentionRule.objects.count() == 2 and LegalHold.objects.filter(lifted_at__isnull=True).count() == 1
    run = RetentionRun.objects.get()
    assert (run.removed, run.anonymised) == (0, 0) and "retention rules" in out
    from socialfabric.attachments.models import Attachment

    files = Attachment.objects.select_related("post")
    assert sorted(f.content_type for f in files) == ["application/pdf", "image/png", "text/plain"]
    assert all(f.post.author_id == f.uploader_id and f.post.community.visibility == "open" for f in files)
    from socialfabric.governance import services as governance

    assert "the policy accepted by" in out and 0.78 < governance.acceptance_share() < 0.92  # about 85 %
    login = Member.objects.get(handle=demo.DEMO_LOGIN)
    assert governance.to_accept(login) == []  # the demo logins can take part at once
    from socialfabric.activity import chain

    # Bulk-written acts, the policy's bulk acceptances and the service acts make one chain.
    verdict = chain.verify()
    assert verdict.intact and verdict.checked == Activity.objects.count()
    call_command("demo", "--members", "120", "--if-empty", "--no-progress")
    assert "no demo data added" in capsys.readouterr().out and Post.objects.count() == posts
    with pytest.raises(CommandError, match="members already"):
        call_command("demo", "--members", "120", "--no-progress")


def test_command_refuses_bad_arguments(db):
    with pytest.raises(CommandError, match="at least"):
        call_command("demo", "--members", "5", "--no-progress")
    with pytest.raises(CommandError, match="date"):
        call_command("demo", "--until", "June", "--no-progress")
    assert not Member.objects.exists()
