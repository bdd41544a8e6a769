"""Findings of the security review (issue 9) that sit outside the bigger areas (the external
boundary, tokens and roles, abuse limits have their own files): each test names its finding
and failed before the fix."""

from __future__ import annotations

import csv
import hashlib
import io

import pytest
from django.test import Client

from socialfabric import exports
from socialfabric.communities import invitations
from socialfabric.communities import services as communities
from socialfabric.conversations import services as conv
from socialfabric.errors import InvalidInput
from socialfabric.insights.analysis.report import pseudonym
from socialfabric.org import services as org
from socialfabric.org.importing import ImportFailed, import_people
from tests.test_insights_cli import files, run  # noqa: F401 (fixture)

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: "Mallory \u202enimda" displays as "Mallory admin"


# ---------------------------------------------------------------- F5


def test_f5_pseudonyms_are_keyed_so_the_directory_does_not_reidentify_people(settings):
    """F5: pseudonyms were sha256(handle)[:10]: anyone with the directory could recompute them.
    Now an HMAC under the installation's key: not the plain hash, stable under one key, new
    under another (rotation)."""
    handles = [f"person{i}" for i in range(50)]
    plain = {"p-" + hashlib.sha256(h.encode()).hexdigest()[:10] for h in handles}
    keyed = {pseudonym(h) for h in handles}
    assert not keyed & plain and len(keyed) == 50
    assert all(pseudonym(h) == pseudonym(h) for h in handles[:3])  # stable
    settings.SOCIALFABRIC_PSEUDONYM_KEY = "a new key after rotation"
    assert not {pseudonym(h) for h in handles} & keyed


def test_f5_the_key_is_not_in_a_report(files, tmp_path, settings):  # noqa: F811
    """F5: the pseudonym key never leaves the server inside a report."""
    people, inter = files
    out = tmp_path / "r.json"
    assert run("--people", str(people), "--interactions", str(inter), "--out", str(out), "--anonymise",
               "--min-group", "1").returncode == 0
    text = out.read_text()
    assert '"p-' in text and '"id": "a"' not in text
    assert settings.SECRET_KEY not in text


# ---------------------------------------------------------------- F11


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"https://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1)",
                                  "\t=1", "\r=1"])
def test_f11_csv_cells_that_would_run_as_formulas_are_neutralised(cell):
    """F11: a cell starting with = + - @ tab or CR is written with a leading ' (a spreadsheet
    shows it as text); numbers and plain text are written as they are."""
    out = io.StringIO()
    exports.write_csv(out, [{"id": cell, "value": -0.25, "unit": "Sales"}], ["id", "value", "unit"])
    row = next(csv.DictReader(io.StringIO(out.getvalue())))
    assert row == {"id": "'" + cell, "value": "-0.25", "unit": "Sales"}


def test_f11_the_insights_csv_report_is_neutralised(tmp_path):
    """F11: `insights report --format csv` wrote `=HYPERLINK(...)` ids and units as they were."""
    people = tmp_path / "people.csv"
    people.write_text("id,unit,level\n=HYPERLINK(\"x\"),@Sales,1\nb,@Sales,2\nc,=cmd,2\n", encoding="utf-8")
    inter = tmp_path / "inter.csv"
    inter.write_text("source,target,timestamp\n=HYPERLINK(\"x\"),b,2024-01-01\nb,c,2024-01-02\n"
                     "c,=HYPERLINK(\"x\"),2024-01-03\n", encoding="utf-8")
    out = tmp_path / "r.csv"
    done = run("--people", str(people), "--interactions", str(inter), "--out", str(out), "--format", "csv",
               "--min-group", "1")
    assert done.returncode == 0, done.stderr
    cells = [c for line in csv.reader(out.open(encoding="utf-8")) for c in line]
    assert "'=HYPERLINK(\"x\")" in cells
    assert not [c for c in cells if c.startswith(("=", "+", "@"))]


# ---------------------------------------------------------------- F13


def test_f13_names_with_direction_overrides_or_controls_are_refused(alice, bob, open_community):
    """F13: `Mallory \\u202enimda` (displays as "Mallory admin") was accepted as a name; now names,
    community names, titles and invited names refuse bidi overrides and control characters."""
    for bad in (f"Mallory {RLO}nimda", "Mallory\u2066x\u2069", "Bell\u0007", "Esc\u001b[31m"):
        with pytest.raises(InvalidInput) as err:
            org.update_profile(bob, name=bad)
        assert err.value.field == "name" and "text-direction" in err.value.message
        with pytest.raises(InvalidInput):
            communities.create_community(alice, name=bad)
        with pytest.raises(InvalidInput):
            conv.create_post(alice, open_community, title=bad, body="Hello")
        with pytest.raises(InvalidInput):
            invitations.invite(alice, email="x@example.org", name=bad, community_ids=[open_community.id])
    bob.refresh_from_db()
    assert bob.name == "Bob"
    # Right-to-left names themselves are fine; so are marks that only set direction.
    org.update_profile(bob, name="\u05d3\u05e0\u05d4 \u200fכהן")
    bob.refresh_from_db()
    assert bob.name.startswith("\u05d3")


def test_f13_the_import_reports_such_names_by_row(db, tmp_path):
    """F13: the org-chart import names the row and column of a name with a direction override."""
    path = tmp_path / "people.csv"
    path.write_text(f"id,name,unit\nE1,Ada,Sales\nE2,Mallory {RLO}nimda,Sales\nE3,Eve,Sa{RLO}les\n", encoding="utf-8")
    with pytest.raises(ImportFailed) as failed:
        import_people(path)
    assert [(e.row, e.column) for e in failed.value.errors] == [(3, "name"), (4, "unit")]


def test_f13_the_web_form_shows_the_message(bob):
    client = Client()
    client.force_login(bob)
    page = client.post("/settings/profile/", {"name": f"Mallory {RLO}nimda", "bio": "", "expertise": ""})
    assert page.status_code in (200, 400) and "text-direction" in page.content.decode()


# ---------------------------------------------------------------- F8


def test_f8_a_secret_communitys_name_does_not_answer_exists(alice, bob, secret_community, open_community):
    """F8: creating a community named like a secret one answered 409 "address exists already"
    to someone who may not know it exists. Now it is created, with an address of its own; a
    community the creator can see still answers 409."""
    made = communities.create_community(bob, name=secret_community.name)
    assert made.slug != secret_community.slug and made.slug.startswith(secret_community.slug + "-")
    with pytest.raises(Exception) as seen:
        communities.create_community(bob, name=open_community.name)
    assert seen.value.status == 409
    # A member of the secret community knows it: for them the name is taken.
    with pytest.raises(Exception) as member:
        communities.create_community(alice, name=secret_community.name)
    assert member.value.status == 409


@pytest.mark.parametrize("cursor", ["", "garbage", "eyJ4IjoxfQ"])
def test_f8_a_topic_only_in_secret_communities_answers_as_unknown(alice, bob, secret_community, open_community,
                                                                  cursor):
    """F8: a topic used only where the viewer cannot read answered 200 with an empty list when
    any cursor was passed, 404 otherwise; now 404 exactly like an unknown topic, cursor or not."""
    from tests.test_api_helpers import Api

    conv.create_post(alice, secret_community, title="Deal", body="About #initech")
    conv.create_post(alice, open_community, title="Open", body="About #roadmap")
    api = Api.for_member(bob)
    query = f"?cursor={cursor}" if cursor else ""
    secret = api.get(f"/topics/initech/feed{query}")
    unknown = api.get(f"/topics/nosuchtopic/feed{query}")
    assert secret.status_code == unknown.status_code == 404
    assert secret.json() == unknown.json()
    web = Client()
    web.force_login(bob)
    assert web.get(f"/topics/initech/{query}").status_code == web.get(f"/topics/nosuchtopic/{query}").status_code
    assert api.get("/topics/roadmap/feed").status_code == 200
    assert Api.for_member(alice).get(f"/topics/initech/feed{query}").status_code in (200, 400)


# ---------------------------------------------------------------- removed threads


def test_removed_threads_leave_every_feed_but_stay_in_their_community_while_replies_live(alice, bob, carol,
                                                                                          open_community):
    """Found tried as a new user would: a removed thread stayed in the home feed as a
    "[removed]" card. Now it leaves the home, profile, unit and topic feeds; inside its community
    it stays (as removed) only while replies to it live on."""
    from socialfabric.feed import services as feed

    org.follow(bob, alice)
    lonely = conv.create_post(alice, open_community, title="Lonely", body="Nobody answers #x")
    answered = conv.create_post(alice, open_community, title="Answered", body="Bob answers #x")
    reply = conv.create_reply(bob, answered.id, body="Here")
    conv.remove_post(alice, lonely.id)
    conv.remove_post(alice, answered.id)

    def ids(page) -> set[int]:
        return {item.post.id for item in page.items}

    assert not ids(feed.home_feed(bob)) & {lonely.id, answered.id}
    assert not ids(feed.profile_feed(bob, alice)) & {lonely.id, answered.id}
    assert ids(feed.community_feed(bob, open_community)) & {lonely.id, answered.id} == {answered.id}
    conv.remove_post(bob, reply.id)
    assert answered.id not in ids(feed.community_feed(bob, open_community))


def test_the_home_composer_offers_announcements_only_where_the_member_may_post_them(alice, bob, open_community):
    """Found tried as a new user would: the composer offered "Announcement" to members who may
    not post one. Bob (a member, not a moderator) gets no such choice; Alice (owner) gets it,
    marked on the communities she moderates (the open_community fixture has Bob as a member)."""
    as_bob, as_alice = Client(), Client()
    as_bob.force_login(bob)
    as_alice.force_login(alice)
    bob_page, alice_page = as_bob.get("/").content.decode(), as_alice.get("/").content.decode()
    assert 'value="discussion"' in bob_page and 'value="announcement"' not in bob_page
    assert 'value="announcement"' in alice_page
    assert f'value="{open_community.slug}" data-announce' in alice_page
