"""`socialfabric insights report` with no files: the platform's own members and events."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from socialfabric import activity
from socialfabric.activity.models import Activity, Verb
from socialfabric.communities import services as communities
from socialfabric.communities.models import Community
from socialfabric.conversations import services as conv
from socialfabric.insights.analysis import platform
from socialfabric.org import services as org
from socialfabric.org.models import Member, Unit

SECRET_WORDS = ("Merger Talks", "Initech", "acquire", "Alice", "Bob")


def report(tmp_path, fmt: str = "json", *extra: str):
    out = tmp_path / f"report.{fmt}"
    call_command("insights", "report", "--quiet", "--format", fmt, "--out", str(out), *extra)
    text = out.read_text(encoding="utf-8")
    return (json.loads(text) if fmt == "json" else text), text


@pytest.fixture
def org_small(alice, bob, carol, make_member, open_community, secret_community):
    """Two units, a customer's question answered by an employee, a secret thread."""
    sales = Unit.objects.create(name="Sales", slug="sales")
    dave = make_member("dave", unit=sales, level=3)
    erin = make_member("erin", unit=sales, level=1)
    communities.join(dave, open_community)
    root = conv.create_post(bob, open_community, body="How do we ship faster? @alice")
    conv.create_reply(alice, root.id, body="Smaller batches.")
    reply = conv.create_reply(dave, root.id, body="Sales agrees.")
    conv.react(bob, reply.id, "like")
    org.follow(erin, dave)
    mixed = communities.create_community(alice, name="Customer Corner", audience="mixed",
                                         external_kinds=["customer"])
    communities.add_member(alice, mixed, bob)
    communities.add_member(alice, mixed, carol)
    question = conv.create_post(carol, mixed, body="Does it export CSV?", kind="question",
                                title="CSV export?")
    conv.create_reply(bob, question.id, body="Yes, from the report page.")
    communities.add_member(alice, secret_community, bob)
    secret = conv.create_post(alice, secret_community, title="Initech", body="We acquire Initech.")
    conv.create_reply(bob, secret.id, body="acquire them all")
    # A self-interaction (no service makes one) must be dropped and counted.
    activity.record(Verb.MENTION, alice, target=alice)
    return {"dave": dave, "erin": erin, "question": question}


def expected_interactions(*, include_secret: bool = False) -> int:
    """Interaction acts with a target, less self-interactions; secret communities only when asked.
    (Acts towards someone that are not interactions, such as adding a member, never count.)"""
    qs = Activity.objects.filter(target__isnull=False, verb__in=list(platform.INTERACTION_KINDS))
    if not include_secret:
        qs = qs.exclude(community_id__in=Community.objects.filter(visibility="secret").values("id"))
    return sum(1 for a, t in qs.values_list("actor_id", "target_id") if a != t)


@pytest.mark.django_db
def test_platform_json_counts_and_privacy(org_small, tmp_path):
    data, text = report(tmp_path, "json", "--min-group", "1")
    assert data["counts"]["people"] == Member.objects.count() == 5
    assert data["counts"]["interactions"] == expected_interactions()
    assert data["counts"]["interactions"] > 5
    assert data["counts"]["dropped_self"] == 1
    assert data["counts"]["external"] == 1 and data["counts"]["leaders"] == 2  # alice, erin
    assert data["silos"]["unit"]["labels"] == ["Engineering", "Sales"]
    assert set(data["silos"]["stakeholder"]["labels"]) == {"customer", "employee"}
    # Carol's question is answered by Bob: the root post's kind decides what a question is.
    q = data["boundary"]["questions"]
    assert q["count"] == 1 and q["answered"] == 1 and q["answer_rate"] == 1.0
    assert q["median_hours"] is not None and q["median_hours"] < 1
    assert "root post is a question" in data["boundary"]["question_definition"]
    assert data["platform"]["source"] == "platform"
    assert data["boundary"]["conversations"] == 2  # two threads with interactions; the secret one is left out
    # Content never enters the report: no titles, bodies, community names or person names.
    for word in SECRET_WORDS:
        assert word not in text
    # Analysts see handles; --anonymise hides them.
    assert "alice" in text
    anon, anon_text = report(tmp_path, "json", "--min-group", "1", "--anonymise")
    assert anon["counts"] == {**data["counts"]}
    for handle in ("alice", "bob", "carol", "dave", "erin"):
        assert f'"{handle}"' not in anon_text


@pytest.mark.django_db
def test_platform_leaves_out_secret_by_default_and_min_group(org_small, tmp_path):
    full, _ = report(tmp_path, "json", "--min-group", "1", "--include-secret")
    lean, _ = report(tmp_path, "json", "--min-group", "1")  # secret communities left out by default
    # Bob's reply to Alice in the secret community is the only secret event with a target.
    assert lean["counts"]["interactions"] == full["counts"]["interactions"] - 1
    private, _ = report(tmp_path, "json")  # default --min-group 5: every group is small
    assert private["network"]["influencers"] == []
    assert private["silos"]["unit"]["groups"]["Sales"]["suppressed"] is True
    rows = report(tmp_path, "csv")[1]
    assert list(csv.reader(rows.splitlines()))[1:] == []


@pytest.mark.django_db
def test_platform_window(alice, bob, make_member, unit, tmp_path):
    t0 = datetime(2025, 3, 1, tzinfo=UTC)
    for day in range(10):
        activity.record(Verb.REPLY, alice, target=bob, at=t0 + timedelta(days=day))
        activity.record(Verb.REACT, bob, target=alice, at=t0 + timedelta(days=day))
    activity.record(Verb.JOIN, bob)  # no target: not an interaction
    activity.record(Verb.SET_ROLE, alice, target=bob, at=t0 + timedelta(days=4))  # towards bob, not an interaction
    data, _ = report(tmp_path, "json", "--min-group", "1", "--since", "2025-03-03",
                     "--until", "2025-03-06T00:00:00Z", "--window", "month")
    assert data["counts"]["interactions"] == 6
    assert data["counts"]["dropped_window"] == 14
    assert data["counts"]["first"] == "2025-03-03T00:00:00+00:00"
    assert data["network"]["reciprocity"] == 1.0
    assert [w["interactions"] for w in data["trend"]["windows"]] == [6]
    with pytest.raises(CommandError, match="--since must be before --until"):
        report(tmp_path, "json", "--since", "2025-04-01", "--until", "2025-03-01")


@pytest.mark.django_db
def test_platform_html_and_bad_options(org_small, tmp_path):
    _, html = report(tmp_path, "html", "--min-group", "1")
    assert html.startswith("<!DOCTYPE html") or html.lstrip().lower().startswith("<!doctype html")
    assert "<svg" in html
    for word in SECRET_WORDS:
        assert word not in html
    with pytest.raises(CommandError, match="give both --people and --interactions"):
        report(tmp_path, "json", "--people", "p.csv")
    with pytest.raises(CommandError, match="platform's own data only"):
        report(tmp_path, "json", "--people", "p.csv", "--interactions", "i.csv",
               "--include-secret")


@pytest.mark.django_db
def test_platform_without_members(tmp_path):
    with pytest.raises(CommandError, match="no members"):
        report(tmp_path, "json")


@pytest.mark.django_db
def test_platform_loader_matches_rows(org_small):
    ds = platform.load()
    people, inter = ds.people, ds.interactions
    assert people.ids == list(Member.objects.order_by("id").values_list("handle", flat=True))
    kind = platform.INTERACTION_KINDS
    rows = [(a, t, kind[v]) for a, t, v in Activity.objects.filter(target__isnull=False, verb__in=list(kind))
            .order_by("id").values_list("actor__handle", "target__handle", "verb") if a != t]
    assert Activity.objects.filter(verb=Verb.ADD_MEMBER, target__isnull=False).exists()  # present, not read
    got = sorted(zip([people.ids[i] for i in inter.source], [people.ids[i] for i in inter.target],
                     [inter.kinds[k] for k in inter.kind], strict=True))
    assert got == sorted(rows)
    assert (inter.weight == 1).all()
    # Every interaction of one thread shares one conversation code; follows have none.
    follow = [i for i, k in enumerate(inter.kind) if inter.kinds[k] == "follow"]
    assert follow and all(inter.conversation[i] == -1 for i in follow)
    q = org_small["question"]
    assert q.id in set(inter.thread_ids.tolist())
    assert bool(people.leader[people.index["erin"]]) and not people.leader[people.index["bob"]]


@pytest.mark.django_db(transaction=True)
def test_platform_demo_organisation(tmp_path):
    from socialfabric.demo import generate

    generate(150, seed=5, posts_per_member=4, progress=False)
    data, _ = report(tmp_path, "json")
    assert data["counts"]["people"] == Member.objects.count()
    assert data["counts"]["interactions"] == expected_interactions() > 500
    unit = data["silos"]["unit"]
    assert unit["ei"] < 0  # most talk stays inside units
    assert unit["ei"] < unit["ei_expected"]
    assert data["boundary"]["questions"]["count"] > 0
    assert data["boundary"]["questions"]["answer_rate"] > 0
