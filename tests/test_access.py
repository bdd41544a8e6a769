"""Privacy: who may know of, read and act in which community, through every read path."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from socialfabric import access
from socialfabric.activity.models import Activity, Verb
from socialfabric.communities import services as communities
from socialfabric.communities.models import Community
from socialfabric.conversations import services as conv
from socialfabric.conversations.models import Post
from socialfabric.errors import Forbidden, NotFound
from socialfabric.feed import services as feed
from socialfabric.org import services as org
from socialfabric.org.models import Member


@pytest.fixture
def world(alice, make_member):
    """One community of each kind, all owned by alice."""
    c = communities.create_community
    return {
        "open": c(alice, name="Open Internal"),
        "closed": c(alice, name="Closed Internal", visibility="closed"),
        "secret": c(alice, name="Secret Internal", visibility="secret"),
        "mixed_open": c(alice, name="Customer Voice", audience="mixed", external_kinds=["customer", "partner"]),
        "mixed_closed": c(alice, name="Customer Beta", visibility="closed", audience="mixed",
                          external_kinds=["customer"]),
        "mixed_secret": c(alice, name="Key Accounts", visibility="secret", audience="mixed",
                          external_kinds=["customer"]),
        "partners": c(alice, name="Partner Hub", audience="mixed", external_kinds=["partner"]),
    }


def names(qs) -> set[str]:
    return set(qs.values_list("name", flat=True))


# --- lists ------------------------------------------------------------------------------------


def test_employee_lists_everything_but_secret(bob, world):
    assert names(access.visible_communities(bob)) == {
        "Open Internal", "Closed Internal", "Customer Voice", "Customer Beta", "Partner Hub"}


def test_member_of_secret_lists_it(alice, bob, world):
    communities.add_member(alice, world["secret"], bob)
    assert "Secret Internal" in names(access.visible_communities(bob))
    assert "Key Accounts" not in names(access.visible_communities(bob))


def test_external_lists_only_mixed_communities_admitting_their_kind(carol, world, make_member):
    assert names(access.visible_communities(carol)) == {"Customer Voice", "Customer Beta"}
    partner = make_member("pat", stakeholder="partner")
    assert names(access.visible_communities(partner)) == {"Customer Voice", "Partner Hub"}
    public = make_member("pub", stakeholder="public")
    assert names(access.visible_communities(public)) == set()


def test_external_member_of_secret_mixed_lists_it(alice, carol, world):
    communities.add_member(alice, world["mixed_secret"], carol)
    assert "Key Accounts" in names(access.visible_communities(carol))


def test_staff_and_anonymous(make_member, world):
    staff = make_member("root", is_staff=True)
    assert access.visible_communities(staff).count() == len(world)
    assert access.visible_communities(AnonymousUser()).count() == 0
    assert access.readable_community_ids(AnonymousUser()) == set()


# --- single community -------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["secret", "mixed_secret"])
def test_secret_community_is_not_found_not_forbidden(bob, world, key):
    c = world[key]
    for ref in (c.slug, c.id, str(c.slug)):
        with pytest.raises(NotFound) as info:
            access.get_visible_community(bob, ref)
        assert info.value.code == "not_found"
    # ...with the same message as a community that does not exist.
    with pytest.raises(NotFound) as missing:
        access.get_visible_community(bob, "no-such-community")
    with pytest.raises(NotFound) as hidden:
        access.get_visible_community(bob, c.slug)
    assert (missing.value.message, missing.value.field) == (hidden.value.message, hidden.value.field)


@pytest.mark.parametrize("ref", [None, 0, -1, 10**30, True, [1], "nul\x00", "\ud800"])
def test_get_visible_community_bad_refs(bob, world, ref):
    with pytest.raises(NotFound):
        access.get_visible_community(bob, ref)


def test_customer_cannot_see_internal_or_other_kinds(carol, world):
    for key in ("open", "closed", "secret", "partners", "mixed_secret"):
        with pytest.raises(NotFound):
            access.get_visible_community(carol, world[key].slug)
    assert access.get_visible_community(carol, world["mixed_open"].slug) == world["mixed_open"]
    assert access.get_visible_community(carol, world["mixed_closed"].id) == world["mixed_closed"]


def test_read_rights(bob, carol, world):
    assert access.can_read_community(bob, world["open"])
    assert access.can_read_community(bob, world["mixed_open"])
    assert not access.can_read_community(bob, world["closed"])
    assert not access.can_read_community(bob, world["secret"])
    assert access.can_read_community(carol, world["mixed_open"])
    assert not access.can_read_community(carol, world["mixed_closed"])
    assert not access.can_read_community(carol, world["open"])
    assert not access.can_read_community(carol, world["partners"])
    assert access.readable_community_ids(carol) == {world["mixed_open"].id}


# --- posts ------------------------------------------------------------------------------------


def test_posts_in_secret_are_not_found_for_outsiders(alice, bob, carol, world):
    for key in ("secret", "mixed_secret"):
        post = conv.create_post(alice, world[key], body="confidential")
        reply = conv.create_reply(alice, post.id, body="also confidential")
        for who in (bob, carol):
            for pid in (post.id, reply.id):
                with pytest.raises(NotFound):
                    conv.get_readable_post(who, pid)
                with pytest.raises(NotFound):
                    conv.thread(who, pid)
                with pytest.raises(NotFound):
                    conv.react(who, pid, "like")


def test_posts_in_closed_are_readable_only_by_members(alice, bob, world):
    post = conv.create_post(alice, world["closed"], body="board only")
    with pytest.raises(Forbidden):
        conv.get_readable_post(bob, post.id)
    with pytest.raises(Forbidden):
        conv.react(bob, post.id, "like")
    req = communities.request_to_join(bob, world["closed"])
    communities.decide_request(alice, req.id, approve=True)
    access.forget(bob)
    assert conv.get_readable_post(bob, post.id).id == post.id


def test_leaving_a_closed_community_ends_reading(alice, bob, world):
    post = conv.create_post(alice, world["closed"], body="board only")
    communities.add_member(alice, world["closed"], bob)
    access.forget(bob)
    assert conv.get_readable_post(bob, post.id)
    communities.leave(bob, world["closed"])
    with pytest.raises(Forbidden):
        conv.get_readable_post(bob, post.id)


def test_leaving_a_secret_community_hides_it_again(alice, bob, world):
    communities.add_member(alice, world["secret"], bob)
    access.forget(bob)
    post = conv.create_post(bob, world["secret"], body="mine")
    communities.leave(bob, world["secret"])
    with pytest.raises(NotFound):
        conv.get_readable_post(bob, post.id)
    with pytest.raises(NotFound):
        access.get_visible_community(bob, world["secret"].slug)
    # Not even one's own old threads come back through the profile feed.
    assert post.id not in [i.post.id for i in feed.profile_feed(bob, bob).items]


def test_external_member_reads_only_admitted_communities(alice, carol, world):
    posts = {key: conv.create_post(alice, c, body=key) for key, c in world.items()}
    readable = {key for key, p in posts.items() if _can_read(carol, p.id)}
    assert readable == {"mixed_open"}


def _can_read(member, post_id: int) -> bool:
    try:
        conv.get_readable_post(member, post_id)
    except (NotFound, Forbidden):
        return False
    return True


# --- mentions do not open doors ---------------------------------------------------------------


def test_mentioning_a_non_member_in_secret_reveals_nothing(alice, bob, unit, world):
    post = conv.create_post(alice, world["secret"], body="should we tell @bob? #hush")
    # No mention event ties bob to a community he cannot read ...
    assert not Activity.objects.filter(verb=Verb.MENTION, target=bob).exists()
    # ... but bob still cannot reach the post or the community by any path.
    with pytest.raises(NotFound):
        conv.get_readable_post(bob, post.id)
    org.follow(bob, alice)
    every_feed = [feed.home_feed(bob), feed.profile_feed(bob, alice), feed.unit_feed(bob, unit)]
    assert all(post.id not in [i.post.id for i in f.items] for f in every_feed)
    with pytest.raises(NotFound):
        feed.topic_feed(bob, "hush")
    assert world["secret"] not in access.visible_communities(bob)
    # A reply mentioning him does not let him in either.
    conv.create_reply(alice, post.id, body="@bob is not here")
    with pytest.raises(NotFound):
        conv.thread(bob, post.id)


# --- acting -----------------------------------------------------------------------------------


def test_posting_rules(alice, bob, carol, world):
    with pytest.raises(NotFound):
        access.require_can_post(bob, world["secret"], "discussion")
    with pytest.raises(Forbidden):
        access.require_can_post(bob, world["closed"], "discussion")
    with pytest.raises(Forbidden):
        access.require_can_post(bob, world["open"], "discussion")  # readable, not joined
    communities.join(bob, world["open"])
    access.require_can_post(bob, world["open"], "discussion")
    with pytest.raises(Forbidden):
        access.require_can_post(bob, world["open"], "announcement")
    access.require_can_post(alice, world["open"], "announcement")
    with pytest.raises(NotFound):
        access.require_can_post(carol, world["open"], "discussion")


def test_staff_sees_and_moderates_everything(make_member, world):
    staff = make_member("root", is_staff=True)
    for c in world.values():
        assert access.can_see_community(staff, c) and access.can_read_community(staff, c)
        assert access.can_moderate(staff, c)
        access.require_can_post(staff, c, "announcement")


def test_nothing_for_anonymous(alice, world):
    anon = AnonymousUser()
    post = conv.create_post(alice, world["open"], body="open")
    for c in world.values():
        assert not access.can_see_community(anon, c)
        assert not access.can_moderate(anon, c)
    with pytest.raises(NotFound):
        conv.get_readable_post(anon, post.id)
    assert Post.objects.filter(access.readable_posts_filter(anon)).count() == 0


def test_readable_posts_filter_matches_the_rules(alice, bob, carol, world):
    for key, c in world.items():
        conv.create_post(alice, c, body=key)
    assert set(Post.objects.filter(access.readable_posts_filter(bob)).values_list("body", flat=True)) == {
        "open", "mixed_open", "partners"}
    assert set(Post.objects.filter(access.readable_posts_filter(carol)).values_list("body", flat=True)) == {
        "mixed_open"}
    assert access.filter_readable_ids(carol, [c.id for c in world.values()]) == {world["mixed_open"].id}


# --- one policy, every form -------------------------------------------------------------------


def _viewers(alice, bob, carol, make_member, world) -> dict:
    partner = make_member("pat", stakeholder="partner", organisation="Vector")
    communities.add_member(alice, world["mixed_secret"], carol)
    communities.add_member(alice, world["secret"], bob)
    return {"owner": alice, "employee": bob, "customer": carol, "partner": partner,
            "public": make_member("pub", stakeholder="public"),
            "staff": make_member("root", is_staff=True), "anonymous": AnonymousUser()}


def test_queryset_and_sql_forms_of_the_read_policy_agree(alice, bob, carol, make_member, world):
    """access.py writes each rule once in both forms; they must select exactly the same posts."""
    from django.db import connection

    for key, c in world.items():
        p = conv.create_post(alice, c, body=key)
        conv.create_reply(alice, p.id, body=f"re {key}")
    table = Post._meta.db_table
    for role, viewer in _viewers(alice, bob, carol, make_member, world).items():
        via_orm = set(Post.objects.visible_to(viewer).values_list("id", flat=True))
        assert via_orm == set(Post.objects.filter(access.readable_posts_filter(viewer)).values_list("id", flat=True))
        sql, params = access.readable_posts_sql(viewer, alias="q")
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT q.id FROM {table} q WHERE {sql}", params)
            via_sql = {row[0] for row in cursor.fetchall()}
        assert via_sql == via_orm, role
        # And the rule is the one the rows obey one by one.
        expected = {p.id for p in Post.objects.select_related("community")
                    if access.can_read_community(viewer, p.community)}
        assert via_orm == expected, role
    assert len(set(Post.objects.visible_to(AnonymousUser()))) == 0


def test_queryset_sql_and_row_forms_of_the_external_boundary_agree(alice, bob, carol, make_member, world, settings):
    """F1: visible_members (Q), visible_members_rule (SQL) and can_see_member (rows) select the same
    members for every kind of viewer, with the directory closed to externals and opened to them."""
    from django.db import connection

    viewers = _viewers(alice, bob, carol, make_member, world)
    communities.join(bob, world["mixed_open"])
    make_member("dora", stakeholder="customer", organisation="Acme Ltd")
    make_member("ed", stakeholder="partner", organisation="Acme Ltd")
    make_member("acme-staffer", organisation="Acme Ltd")  # an employee: not carol's organisation's member
    make_member("zed", stakeholder="customer", organisation="Globex")
    make_member("gone", stakeholder="customer", organisation="Acme Ltd", is_active=False)
    table = Member._meta.db_table
    for opened in (False, True):
        settings.SOCIALFABRIC_EXTERNALS_SEE_DIRECTORY = opened
        for role, viewer in viewers.items():
            via_orm = set(Member.objects.filter(access.visible_members(viewer)).values_list("id", flat=True))
            rule = access.visible_members_rule(viewer, alias="v")
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT v.id FROM {table} v WHERE {rule.sql}", list(rule.params))
                via_sql = {row[0] for row in cursor.fetchall()}
            rows = {m.id for m in Member.objects.all() if access.can_see_member(viewer, m)}
            assert via_orm == via_sql == rows, (role, opened)
    settings.SOCIALFABRIC_EXTERNALS_SEE_DIRECTORY = False
    assert names(Member.objects.visible_to(carol)) == {"Alice", "Bob", "Carol", "Dora", "Ed"}


def test_community_and_member_querysets_follow_the_policy(alice, bob, carol, make_member, world):
    viewers = _viewers(alice, bob, carol, make_member, world)
    gone = make_member("gone")
    gone.is_active = False
    gone.save()
    for role, viewer in viewers.items():
        listed = set(Community.objects.visible_to(viewer))
        assert listed == {c for c in Community.objects.all() if access.can_see_community(viewer, c)}, role
        readable = set(Community.objects.readable_by(viewer))
        assert readable == {c for c in Community.objects.all() if access.can_read_community(viewer, c)}, role
        people = set(Member.objects.visible_to(viewer))
        assert people == {m for m in Member.objects.all() if access.can_see_member(viewer, m)}, role
        assert gone not in people


def test_the_three_forms_agree_on_posts_that_are_not_published(alice, bob, carol, make_member, world):
    """Posts in every state, replies under hidden and held threads, for every kind of viewer
    (a moderator, a compliance officer and an author among them): the Q, the SQL and the row
    form of the read policy select the same posts, and the notifications' rule follows them."""
    from django.db import connection

    from socialfabric.conversations.models import PostState
    from socialfabric.notifications.models import Kind, Notification

    viewers = _viewers(alice, bob, carol, make_member, world)
    mod = make_member("mod")
    officer = make_member("olga", is_compliance_officer=True)
    viewers.update(moderator=mod, officer=officer)
    for key, c in world.items():
        if c.visibility != "secret":
            communities.add_member(alice, c, mod, "moderator")
        for state in PostState.values:
            root = conv.create_post(alice, c, body=f"{key} {state}")
            conv.create_reply(alice, root.id, body=f"re {key} {state}")  # a published reply under it
            Post.objects.filter(id=root.id).update(state=state)
            # and a reply in this state under a published thread
            other = conv.create_post(alice, c, body=f"{key} published for {state}")
            Post.objects.filter(id=conv.create_reply(alice, other.id, body=f"reply {state}").id).update(state=state)
    table = Post._meta.db_table
    for role, viewer in viewers.items():
        access.forget(viewer) if viewer.is_authenticated else None
        via_orm = set(Post.objects.visible_to(viewer).values_list("id", flat=True))
        sql, params = access.readable_posts_sql(viewer, alias="q")
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT q.id FROM {table} q WHERE {sql}", params)
            via_sql = {row[0] for row in cursor.fetchall()}
        rows = {p.id for p in Post.objects.select_related("community", "root")
                if viewer.is_authenticated and access.can_read_post(viewer, p)}
        assert via_sql == via_orm == rows, role
        if viewer.is_authenticated:
            unpublished = Post.objects.exclude(state=PostState.PUBLISHED)
            assert {p.id for p in unpublished if p.id in rows} <= (
                set(unpublished.filter(author=viewer).values_list("id", flat=True))
                | set(unpublished.filter(community_id__in=access.moderated_community_ids(viewer))
                      .values_list("id", flat=True))
                | (set(unpublished.values_list("id", flat=True)) if viewer.is_staff or viewer.is_compliance_officer
                   else set())), role
            # A notification about each post shows exactly when the post is readable.
            Notification.objects.bulk_create([Notification(recipient=viewer, kind=Kind.MENTION, post_id=i,
                                                            activity_id=10**9 + i) for i in
                                              Post.objects.values_list("id", flat=True)])
            shown = set(Notification.objects.filter(access.readable_notifications(viewer), recipient=viewer)
                        .values_list("post_id", flat=True))
            assert shown == rows, role
    # The moderator reads the hidden and held threads where they moderate, not those in sign-off.
    assert Post.objects.visible_to(mod).filter(state=PostState.HIDDEN).exists()
    assert not Post.objects.visible_to(mod).filter(state=PostState.PENDING).exclude(author=mod).exists()
    assert Post.objects.visible_to(officer).filter(state=PostState.PENDING).exists()
