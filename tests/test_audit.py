"""Issue 11 point 4 (first part): the staff view of the activity stream, filtered, and its
CSV and JSON exports, themselves recorded. (The hash chain and `audit verify` come next.)"""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.test import Client
from django.urls import reverse

from socialfabric.activity.models import Activity, Verb
from socialfabric.conversations import services as conv
from socialfabric.errors import Forbidden, InvalidInput
from socialfabric.governance import audit, moderation
from socialfabric.org import services as org
from tests.helpers import login


@pytest.fixture
def staff(make_member):
    return make_member("root", is_staff=True)


@pytest.fixture
def acts(alice, bob, open_community, staff):
    post = conv.create_post(bob, open_community, body="Hello there")
    moderation.flag_post(alice, post.id, reason="spam")
    moderation.moderate(alice, post.id, "hide")
    org.set_platform_role(staff, bob, "analyst", grant=True)
    return post


def test_filters_by_actor_verb_object_community_and_time(alice, bob, staff, open_community, acts):
    everything, _ = audit.records(staff, audit.filters())
    assert {Verb.FLAG, Verb.HIDE, Verb.GRANT_ROLE, Verb.POST} <= {a.verb for a in everything}
    assert [a.id for a in everything] == sorted((a.id for a in everything), reverse=True)  # newest first
    by_alice, _ = audit.records(staff, audit.filters(actor="alice"))
    assert by_alice and {a.actor_id for a in by_alice} == {alice.id}
    hides, _ = audit.records(staff, audit.filters(verb="hide", object_type="post", object_id=str(acts.id)))
    assert [(a.verb, a.object_id) for a in hides] == [("hide", acts.id)]
    here, _ = audit.records(staff, audit.filters(community=open_community.slug))
    assert here and {a.community_id for a in here} == {open_community.id}
    assert audit.records(staff, audit.filters(since="2000-01-01", until="2000-12-31"))[0] == []
    for bad, field in (({"actor": "nobody"}, "actor"), ({"verb": "dance"}, "verb"), ({"object_type": "x"},
                       "object_type"), ({"since": "June"}, "since"), ({"since": "2026-02-01", "until": "2026-01-01"},
                       "since"), ({"community": "nowhere"}, "community"), ({"object_id": "x"}, "object_id")):
        with pytest.raises(InvalidInput) as refused:
            audit.filters(**bad)
        assert refused.value.field == field
    with pytest.raises(Forbidden):
        audit.records(alice, audit.filters())


def test_exports_are_safe_complete_and_recorded(staff, acts):
    name, text = audit.export(staff, audit.filters(), fmt="csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert name.endswith(".csv") and len(rows) == Activity.objects.count() - 1  # the export's own act comes after
    assert [r["id"] for r in rows] == sorted((r["id"] for r in rows), key=int)  # oldest first
    assert all("Hello" not in r["details"] for r in rows)  # the stream holds acts, never content
    name, text = audit.export(staff, audit.filters(verb="flag"), fmt="json")
    data = json.loads(text)
    assert data["filters"]["verb"] == "flag" and [r["verb"] for r in data["records"]] == ["flag"]
    recorded = Activity.objects.filter(verb=Verb.EXPORT_AUDIT).order_by("id")
    assert [(a.details["format"], a.details["rows"]) for a in recorded] == [("csv", len(rows)), ("json", 1)]
    with pytest.raises(InvalidInput):
        audit.export(staff, audit.filters(), fmt="xml")


def test_the_page_and_the_api(staff, alice, acts):
    page = login(staff).get(reverse("web:staff_audit"), {"verb": "hide"})
    assert page.status_code == 200 and "hide" in page.content.decode()
    assert login(staff).get(reverse("web:staff_audit"), {"verb": "dance"}).status_code == 400
    assert login(alice).get(reverse("web:staff_audit")).status_code == 403
    download = login(staff).get(reverse("web:staff_audit_export"), {"format": "csv", "actor": "alice"})
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    assert "flag" in download.content.decode()
    _, plain = org.create_token(staff, "audit")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {plain}")
    listed = client.get("/api/v1/audit", {"verb": "flag"}).json()
    assert [r["verb"] for r in listed["items"]] == ["flag"] and listed["items"][0]["actor"] == "alice"
    bad = client.get("/api/v1/audit", {"verb": "dance"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "verb"
    assert client.get("/api/v1/audit/export", {"format": "json"}).json()["records"]
