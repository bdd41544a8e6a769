"""Issue 9, finding F1: the company's external boundary (docs/security.md, access.visible_members).

An external member sees themselves, the members of the communities they may read and the
external members of their own organisation; never the company's units, levels, managers or
reporting lines; SOCIALFABRIC_EXTERNALS_SEE_DIRECTORY opens the directory, never the structure.
"""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from socialfabric import access
from socialfabric.communities import services as communities
from socialfabric.conversations import services as conv
from socialfabric.errors import NotFound
from socialfabric.feed import services as feed
from socialfabric.org import services as org
from socialfabric.org.models import Follow, Member, Unit
from tests.helpers import login
from tests.test_api_helpers import Api, assert_error, ok


@pytest.fixture
def boundary(alice, bob, carol, make_member, unit) -> dict[str, Member]:
    """carol (customer, Acme Ltd) reads one mixed open community, where alice and bob are; erin
    (employee, Sales, reporting to alice) shares nothing with her; dora and ed are Acme Ltd too
    (ed a partner); zed is a customer of Globex; pia is a partner in a community carol cannot read."""
    sales = Unit.objects.create(name="Sales", slug="sales")
    erin = make_member("erin", unit=sales, level=4, manager=alice)
    bob.manager = alice
    bob.save(update_fields=["manager"])
    voice = communities.create_community(alice, name="Customer Voice", audience="mixed", external_kinds=["customer"])
    communities.join(bob, voice)
    hub = communities.create_community(alice, name="Partner Hub", audience="mixed", external_kinds=["partner"])
    pia = make_member("pia", stakeholder="partner", organisation="Vector")
    communities.join(pia, hub)
    return {
        "alice": alice, "bob": bob, "carol": carol, "erin": erin, "pia": pia,
        "dora": make_member("dora", stakeholder="customer", organisation="Acme Ltd"),
        "ed": make_member("ed", stakeholder="partner", organisation="Acme Ltd"),
        "zed": make_member("zed", stakeholder="customer", organisation="Globex"),
    }


CAROL_SEES = {"alice", "bob", "carol", "dora", "ed"}


def handles(rows) -> set[str]:
    return {r["handle"] for r in rows}


def page_handles(html: str) -> set[str]:
    return set(re.findall(r'class="author" href="/people/([^/]+)/"', html))


def test_f1_external_directory_lists_only_shared_communities_and_own_organisation(boundary):
    """F1: the web directory, the API list, search `q` and the employee filter stop at the boundary."""
    carol = boundary["carol"]
    assert {m.handle for m in org.directory(carol)} == CAROL_SEES
    web = login(carol)
    assert page_handles(web.get("/people/").content.decode()) == CAROL_SEES
    assert page_handles(web.get("/people/", {"stakeholder": "employee"}).content.decode()) == {"alice", "bob"}
    assert page_handles(web.get("/people/", {"q": "erin"}).content.decode()) == set()
    api = Api.for_member(carol)
    assert handles(ok(api.get("/members"))["items"]) == CAROL_SEES
    assert handles(ok(api.get("/members", stakeholder="employee"))["items"]) == {"alice", "bob"}
    assert handles(ok(api.get("/members", q="e"))["items"]) == {"alice", "ed"}  # not erin, zed
    assert handles(ok(api.get("/members", stakeholder="customer"))["items"]) == {"carol", "dora"}  # not zed


def test_f1_external_does_not_see_another_customer_organisation(boundary):
    """F1: a customer never lists or opens another customer organisation's members."""
    carol, zed = boundary["carol"], boundary["zed"]
    assert not access.can_see_member(carol, zed) and not access.can_see_member(zed, carol)
    assert {m.handle for m in org.directory(zed)} == {"alice", "bob", "zed"}  # Customer Voice's people, no Acme
    assert_error(Api.for_member(carol).get("/members/zed"), 404)
    assert login(carol).get("/people/zed/").status_code == 404


def test_f1_external_gets_404_on_a_profile_beyond_the_boundary(boundary, settings, tmp_path):
    """F1: web profile, API profile, photo, profile feed, follow and unfollow all answer 404
    for an employee the customer shares nothing with, exactly like an unknown handle."""
    settings.MEDIA_ROOT = tmp_path / "media"
    carol, erin = boundary["carol"], boundary["erin"]
    out = io.BytesIO()
    Image.new("RGB", (64, 64), "teal").save(out, "PNG")
    org.update_profile(erin, photo=SimpleUploadedFile("e.png", out.getvalue(), content_type="image/png"))
    erin.refresh_from_db()
    web, api = login(carol), Api.for_member(carol)
    for handle in ("erin", "no-such-person"):
        assert web.get(f"/people/{handle}/").status_code == 404
        assert web.post(f"/people/{handle}/follow/").status_code == 404
        assert web.post(f"/people/{handle}/unfollow/").status_code == 404
        assert_error(api.get(f"/members/{handle}"), 404)
        assert_error(api.get(f"/members/{handle}/feed"), 404)
        assert_error(api.get(f"/members/{handle}/followers"), 404)
        assert_error(api.put(f"/members/{handle}/follow"), 404)
        assert_error(api.delete(f"/members/{handle}/follow"), 404)
    assert web.get(f"/people/erin/photo/{64}-{erin.photo}.webp").status_code == 404
    assert_error(api.get(f"/members/erin/photo/64-{erin.photo}.webp"), 404)
    assert login(boundary["bob"]).get(f"/people/erin/photo/64-{erin.photo}.webp").status_code == 200
    assert not Follow.objects.filter(follower=carol).exists()
    with pytest.raises(NotFound):
        feed.profile_feed(carol, erin)
    with pytest.raises(NotFound):
        org.follow(carol, erin)


def test_f1_external_gets_404_on_units(boundary, unit):
    """F1: no unit page, unit list, unit feed or unit filter for an external member (404, no oracle)."""
    carol = boundary["carol"]
    web, api = login(carol), Api.for_member(carol)
    for slug in (unit.slug, "no-such-unit"):
        assert web.get(f"/units/{slug}/").status_code == 404
        assert_error(api.get(f"/units/{slug}"), 404)
        assert_error(api.get(f"/units/{slug}/feed"), 404)
        assert_error(api.get("/members", unit=slug), 400, field="unit")
    assert ok(api.get("/units"))["items"] == []
    html = web.get("/people/", {"unit": unit.slug}).content.decode()
    assert 'name="unit"' not in html and "Engineering" not in html
    assert page_handles(html) == CAROL_SEES  # the unit in the address is ignored, not an oracle


def test_f1_external_sees_no_structure_on_a_visible_employee(boundary):
    """F1: no unit, level, manager or reports on an employee the customer may see (web and API)."""
    carol = boundary["carol"]
    html = login(carol).get("/people/alice/").content.decode()
    assert "Engineering" not in html and "Level" not in html and "Reports" not in html and "/people/bob/" not in html
    html = login(carol).get("/people/bob/").content.decode()
    assert "Manager" not in html and "/people/alice/" not in html and "/units/" not in html
    directory = login(carol).get("/people/").content.decode()
    assert "Engineering" not in directory and "level" not in directory
    api = Api.for_member(carol)
    bob = ok(api.get("/members/bob"))
    assert bob["unit"] is None and bob["level"] is None and bob["manager"] is None
    assert all(m["unit"] is None and m["level"] is None for m in ok(api.get("/members"))["items"])
    voice = ok(api.get("/communities/customer-voice/members"))["items"]
    assert {m["member"]["handle"] for m in voice} == {"alice", "bob"}
    assert all(m["member"]["unit"] is None and m["member"]["level"] is None for m in voice)


def test_f1_followers_lists_and_counts_stop_at_the_boundary(boundary):
    """F1: a visible member's followers and follows list (and count) only people the viewer may see."""
    alice, carol = boundary["alice"], boundary["carol"]
    for who in ("erin", "zed", "dora"):
        org.follow(boundary[who], alice)
    api = Api.for_member(carol)
    assert {f["member"]["handle"] for f in ok(api.get("/members/alice/followers"))["items"]} == {"dora"}
    assert ok(api.get("/members/alice"))["followers"] == 1
    assert ok(Api.for_member(boundary["bob"]).get("/members/alice"))["followers"] == 3


def test_f1_employee_still_sees_everyone_and_the_structure(boundary, unit):
    """F1: employees keep the whole directory, units, levels and reporting lines."""
    bob = boundary["bob"]
    assert {m.handle for m in org.directory(bob)} == set(boundary)
    api = Api.for_member(bob)
    assert handles(ok(api.get("/members"))["items"]) == set(boundary)
    assert ok(api.get("/members/erin"))["manager"]["handle"] == "alice"
    assert ok(api.get("/members/bob"))["unit"]["slug"] == unit.slug
    assert login(bob).get(f"/units/{unit.slug}/").status_code == 200
    html = login(bob).get("/people/alice/").content.decode()
    assert "Engineering" in html and "Reports" in html


def test_f1_setting_opens_the_directory_not_the_structure(boundary, settings, unit):
    """F1: SOCIALFABRIC_EXTERNALS_SEE_DIRECTORY lets externals list every active member, and
    still never units, levels or managers."""
    settings.SOCIALFABRIC_EXTERNALS_SEE_DIRECTORY = True
    carol = boundary["carol"]
    api = Api.for_member(carol)
    assert handles(ok(api.get("/members"))["items"]) == set(boundary)
    erin = ok(api.get("/members/erin"))
    assert erin["unit"] is None and erin["level"] is None and erin["manager"] is None
    assert login(carol).get("/people/erin/").status_code == 200
    assert login(carol).get(f"/units/{unit.slug}/").status_code == 404
    assert_error(api.get(f"/units/{unit.slug}"), 404)


def test_f1_leaving_the_shared_community_closes_the_profile(boundary):
    """F1: the boundary follows membership: a community carol leaves no longer shows its people."""
    alice, carol, erin = boundary["alice"], boundary["carol"], boundary["erin"]
    beta = communities.create_community(alice, name="Customer Beta", visibility="closed", audience="mixed",
                                        external_kinds=["customer"])
    communities.add_member(alice, beta, carol)
    communities.add_member(alice, beta, erin)
    conv.create_post(erin, beta, body="Thanks for testing")
    access.forget(carol)
    assert login(carol).get("/people/erin/").status_code == 200
    communities.leave(carol, beta)
    access.forget(carol)
    assert login(carol).get("/people/erin/").status_code == 404


# --- mentions obey the boundary (issue 9, point 1) ---------------------------------------------


def _mention_rows(post) -> tuple[set[str], set[str]]:
    """The handles a post links as mentions, and those its MENTION events name."""
    from socialfabric.activity.models import Activity, Verb

    linked = set(post.mentions.values_list("handle", flat=True))
    events = set(Activity.objects.filter(verb=Verb.MENTION, object_id=post.id).values_list("target__handle",
                                                                                        flat=True))
    return linked, events


def test_f1_an_external_mention_beyond_the_boundary_stays_plain_text(boundary):
    """F1: `@erin` (an employee carol shares nothing with) in carol's post, reply or edit was a
    link to erin's profile: a directory of the staff by trial and error. Now it is plain text,
    byte for byte what a handle nobody has gives, with no mention link or event; `@bob`, whom
    carol shares Customer Voice with, is still a mention."""
    from socialfabric.communities.models import Community
    from socialfabric.conversations.text import render

    carol = boundary["carol"]
    voice = Community.objects.get(slug="customer-voice")
    communities.join(carol, voice)
    post = conv.create_post(carol, voice, body="Ask @erin")
    assert post.body_html == render("Ask @erin", set()) and "/people/erin/" not in post.body_html
    ghost = conv.create_post(carol, voice, body="Ask @ghost")
    assert ghost.body_html == render("Ask @ghost", set())
    assert post.body_html.replace("erin", "ghost") == ghost.body_html  # same answer as no such handle
    assert _mention_rows(post) == (set(), set())
    reply = conv.create_reply(carol, post.id, body="Or @erin and @bob")
    assert "/people/erin/" not in reply.body_html and 'href="/people/bob/"' in reply.body_html
    assert _mention_rows(reply) == ({"bob"}, {"bob"})
    edited = conv.edit_post(carol, post.id, body="Ask @erin or @zed, then @alice")
    assert "/people/erin/" not in edited.body_html and "/people/zed/" not in edited.body_html
    assert _mention_rows(edited) == ({"alice"}, {"alice"})


def test_f1_mentions_are_looked_up_in_one_query(boundary):
    """F1: the boundary costs no query per handle: one statement finds every mentioned member."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from socialfabric.communities.models import Community

    carol = boundary["carol"]
    voice = Community.objects.get(slug="customer-voice")
    communities.join(carol, voice)
    with CaptureQueriesContext(connection) as queries:
        conv.create_post(carol, voice, body="@alice @bob @erin @zed @dora @ghost")
    lookups = [q["sql"] for q in queries.captured_queries if '"handle" IN' in q["sql"]]
    assert len(lookups) == 1, lookups


def test_f1_employees_mention_anyone_and_the_setting_opens_mentions(boundary, settings):
    """F1: an employee's @handle links any active member; a mention event still goes only to
    those who can read the community. With SOCIALFABRIC_EXTERNALS_SEE_DIRECTORY an external
    member's mentions reach whomever the open directory shows."""
    from socialfabric.communities.models import Community

    alice, carol = boundary["alice"], boundary["carol"]
    internal = communities.create_community(alice, name="Staff Room")
    post = conv.create_post(alice, internal, body="@erin @zed @carol @ghost")
    for handle in ("erin", "zed", "carol"):
        assert f'href="/people/{handle}/"' in post.body_html
    assert _mention_rows(post) == ({"erin", "zed", "carol"}, {"erin"})  # externals can't read Staff Room
    settings.SOCIALFABRIC_EXTERNALS_SEE_DIRECTORY = True
    voice = Community.objects.get(slug="customer-voice")
    communities.join(carol, voice)
    opened = conv.create_post(carol, voice, body="Ask @erin")
    assert 'href="/people/erin/"' in opened.body_html and _mention_rows(opened) == ({"erin"}, {"erin"})
