"""The staff area: only staff get in; finding accounts; every act (deactivate, reactivate,
roles, set-password links, invitations sent again or withdrawn) works, is refused where the
rules say so with nothing written, and is recorded in the activity stream."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from socialfabric.activity.models import Activity, Verb
from socialfabric.communities import invitations
from socialfabric.communities import services as communities
from socialfabric.communities.models import Invitation
from socialfabric.org.models import AccessToken, Member
from tests.helpers import login, run_jobs

PAGES = ["/staff/people/", "/staff/people/bob/", "/staff/invitations/", "/staff/communities/"]


@pytest.fixture
def root(make_member):
    return make_member("root", is_staff=True)


@pytest.fixture
def as_root(root) -> Client:
    return login(root)


def state() -> dict:
    return {"members": list(Member.objects.order_by("id").values_list("is_active", "is_staff", "is_analyst")),
            "invitations": list(Invitation.objects.order_by("id").values_list("revoked_at", "expires_at")),
            "activity": Activity.objects.count()}


def refused(client: Client, url: str, data: dict, status: int, says: str) -> None:
    before = state()
    response = client.post(url, data)
    assert response.status_code == status and says in response.content.decode()
    assert state() == before, "a refused act wrote something"


@pytest.mark.parametrize("path", ["/staff/", *PAGES])
def test_only_staff_get_in(path, client, as_bob, as_root, bob):
    assert client.get(path)["Location"].startswith("/signin/")
    assert as_bob.get(path).status_code == 403
    assert as_root.get(path).status_code in (200, 302)


def test_the_menu_shows_staff_to_staff_only(as_bob, as_root):
    assert 'href="/staff/"' not in as_bob.get("/").content.decode()
    assert 'href="/staff/"' in as_root.get("/").content.decode()


def test_find_accounts_by_name_email_kind_status_and_role(as_root, make_member, root):
    make_member("imported", password=None)
    gone = make_member("gone")
    gone.is_active = False
    gone.save()
    make_member("buyer", stakeholder="customer", organisation="Acme")
    make_member("ana", is_analyst=True)

    def found(**query) -> set[str]:
        page = as_root.get("/staff/people/", query)
        assert page.status_code == 200
        return set(re.findall(r'href="/staff/people/([^/"]+)/"', page.content.decode()))

    assert found(q="imported@example") == {"imported"}  # e-mail, which the directory does not search
    assert found(status="no_password") == {"imported"}
    assert found(status="deactivated") == {"gone"}
    assert "gone" in found() and "gone" not in found(status="active")
    assert found(stakeholder="customer") == {"buyer"}
    assert found(role="analyst") == {"ana"} and found(role="staff") == {"root"}
    assert "root" not in found(status="never_signed_in")  # force_login counts as a sign-in
    assert as_root.get("/staff/people/", {"status": "asleep"}).status_code == 400


def test_deactivate_and_reactivate(as_root, root, bob):
    from socialfabric.org import services as org

    org.create_token(bob, "laptop")
    done = as_root.post("/staff/people/bob/deactivate/")
    assert done.status_code == 302 and "deactivated" in as_root.get(done["Location"]).content.decode()
    assert not Member.objects.get(id=bob.id).is_active
    assert not AccessToken.objects.filter(member=bob, revoked_at__isnull=True).exists()
    assert Client().login(username="bob", password="correct-horse-battery") is False
    refused(as_root, "/staff/people/bob/role/", {"role": "analyst", "grant": "1"}, 403, "reactivate it first")
    assert as_root.post("/staff/people/bob/reactivate/").status_code == 302
    assert Client().login(username="bob", password="correct-horse-battery") is True
    back = Activity.objects.get(verb=Verb.REACTIVATE)
    assert (back.actor_id, back.target_id) == (root.id, bob.id)
    refused(as_root, "/staff/people/bob/reactivate/", {}, 409, "active already")
    refused(as_root, "/staff/people/root/deactivate/", {}, 409, "your own account")


def test_roles_granted_and_revoked_under_the_rules(as_root, root, bob, make_member):
    assert as_root.post("/staff/people/bob/role/", {"role": "analyst", "grant": "1"}).status_code == 302
    assert as_root.post("/staff/people/bob/role/", {"role": "staff", "grant": "1"}).status_code == 302
    bob.refresh_from_db()
    assert bob.is_analyst and bob.is_staff
    granted = Activity.objects.filter(verb=Verb.GRANT_ROLE, target=bob).order_by("id")
    assert [(a.actor_id, a.details["role"]) for a in granted] == [(root.id, "analyst"), (root.id, "staff")]
    assert as_root.post("/staff/people/bob/role/", {"role": "analyst", "grant": "0"}).status_code == 302
    assert Activity.objects.filter(verb=Verb.REVOKE_ROLE, target=bob, details__role="analyst").count() == 1
    assert not Member.objects.get(id=bob.id).is_analyst
    # Refused, with nothing written:
    refused(as_root, "/staff/people/root/role/", {"role": "staff", "grant": "0"}, 403, "your own staff role")
    make_member("buyer", stakeholder="customer", organisation="Acme")
    refused(as_root, "/staff/people/buyer/role/", {"role": "analyst", "grant": "1"}, 403, "external stakeholder")
    make_member("founder", is_superuser=True, is_staff=True)
    refused(as_root, "/staff/people/founder/role/", {"role": "staff", "grant": "0"}, 403, "superuser")
    refused(as_root, "/staff/people/bob/role/", {"role": "owner", "grant": "1"}, 400, "role must be one of")
    refused(as_root, "/staff/people/bob/role/", {"role": "staff", "grant": "1"}, 409, "has that role already")
    refused(Client(), "/staff/people/bob/role/", {"role": "staff", "grant": "0"}, 302, "")  # anonymous: sign in
    # Bob, staff now, may revoke root's staff role (not his own); the last word is recorded.
    assert login(bob).post("/staff/people/root/role/", {"role": "staff", "grant": "0"}).status_code == 302
    assert not Member.objects.get(id=root.id).is_staff


@pytest.mark.django_db(transaction=True)  # the worker closes connections between jobs
def test_a_set_password_link_for_someone_without_one_arrives(smtp, as_root, make_member, bob):
    imported = make_member("imported", password=None)
    assert as_root.post("/staff/people/imported/password-link/").status_code == 302
    run_jobs()
    [message] = smtp.messages
    assert message["To"] == imported.email
    url = re.search(r"http://testserver(/password/reset/\S+/)", message.get_body(("plain",)).get_content()).group(1)
    assert Client().get(url, follow=True).status_code == 200
    assert Activity.objects.filter(verb=Verb.INVITE, target=imported, details__via="set_password").exists()
    assert "Sent a link" in as_root.get("/staff/people/", {"status": "invited"}).content.decode()


@pytest.mark.django_db(transaction=True)  # the worker closes connections between jobs
def test_a_member_with_a_password_gets_a_link_to_choose_a_new_one(smtp, as_root, root, bob, make_member):
    """Someone who forgot their password asks the help desk: staff send Django's reset link. The
    old password keeps working until the link is used; the link works once."""
    done = as_root.post("/staff/people/bob/password-link/", follow=True)
    assert "choose a new password is on its way to Bob" in done.content.decode()
    run_jobs()
    [message] = smtp.messages
    text = message.get_body(("plain",)).get_content()
    assert message["To"] == bob.email and "An administrator" in text and "Reset" in message["Subject"]
    # The password still works until the link is used (checked without signing in: a sign-in
    # changes last_login, which Django's reset token covers, and would end the link).
    assert Member.objects.get(id=bob.id).check_password("correct-horse-battery")
    url = re.search(r"http://testserver(/password/reset/\S+/)", text).group(1)
    form = Client()
    page = form.get(url, follow=True)
    assert page.status_code == 200
    chosen = form.post(page.redirect_chain[-1][0], {"new_password1": "a-brand-new-secret-9",
                                                     "new_password2": "a-brand-new-secret-9"})
    assert chosen.status_code == 302
    assert Client().login(username="bob", password="a-brand-new-secret-9")
    assert "This link no longer works" in Client().get(url, follow=True).content.decode()  # once only
    event = Activity.objects.get(verb=Verb.INVITE, target=bob)
    assert (event.actor_id, event.details) == (root.id, {"via": "password_reset"})
    # No address, no link; a deactivated account gets none either.
    make_member("nomail")
    Member.objects.filter(handle="nomail").update(email="")
    refused(as_root, "/staff/people/nomail/password-link/", {}, 409, "no e-mail address")
    Member.objects.filter(id=bob.id).update(is_active=False)
    refused(as_root, "/staff/people/bob/password-link/", {}, 409, "reactivate it first")


@pytest.mark.django_db(transaction=True)  # the worker closes connections between jobs
def test_invitations_sent_again_or_withdrawn(smtp, as_root, root, alice, open_community):
    first = invitations.invite(root, email="new@example.org", name="New Person", community_ids=[open_community.id],
                               base_url="http://testserver/")
    old_link = invitations.link(first, "http://testserver").removeprefix("http://testserver")
    page = as_root.get("/staff/invitations/", {"status": "pending"}).content.decode()
    assert "new@example.org" in page and "Product Ideas" in page
    assert as_root.post(f"/staff/invitations/{first.id}/resend/").status_code == 302
    run_jobs()
    resent = Invitation.objects.latest("id")
    assert resent.id != first.id and list(resent.communities.all()) == [open_community]
    assert Client().get(old_link).status_code == 404  # the old link no longer works
    new_link = re.search(r"http://testserver(/invitations/\S+/)",
                         smtp.messages[-1].get_body(("plain",)).get_content()).group(1)
    assert new_link != old_link and Client().get(new_link).status_code == 200
    event = Activity.objects.filter(verb=Verb.INVITE, object_id=resent.id).get()
    assert event.details["resend_of"] == first.id and event.actor_id == root.id
    assert "withdrawn" in as_root.get("/staff/invitations/", {"status": "withdrawn"}).content.decode().lower()
    # Withdraw the new one: its link stops working too, and it cannot be withdrawn twice.
    assert as_root.post(f"/staff/invitations/{resent.id}/revoke/").status_code == 302
    assert Client().get(new_link).status_code == 404
    assert Activity.objects.filter(verb=Verb.REVOKE_INVITATION, object_id=resent.id, actor=root).exists()
    refused(as_root, f"/staff/invitations/{resent.id}/revoke/", {}, 409, "withdrawn already")
    refused(as_root, f"/staff/invitations/{resent.id}/resend/", {}, 409, "withdrawn already")
    refused(as_root, "/staff/invitations/999999/revoke/", {}, 404, "No such invitation")
    refused(as_root, "/staff/invitations/abc/revoke/", {}, 404, "No such invitation")


def test_an_accepted_invitation_cannot_be_withdrawn(as_root, root):
    invitation = invitations.invite(root, email="new@example.org", name="New")
    invitations.accept(invitations.link(invitation, "").rsplit("/", 2)[1], password1="a-long-secret",
                       password2="a-long-secret")
    refused(as_root, f"/staff/invitations/{invitation.id}/revoke/", {}, 409, "accepted already")
    assert "@new" in as_root.get("/staff/invitations/", {"status": "accepted"}).content.decode()


def test_communities_list_with_owners(as_root, as_bob, alice, open_community, secret_community):
    """Staff may know every community exists (the rule of access.visible_communities_q), secret
    ones too, with kind, size and owners; the list shows no posts."""
    from socialfabric.conversations import services as conv

    conv.create_post(alice, secret_community, title="Initech", body="We acquire Initech.")
    page = as_root.get("/staff/communities/").content.decode()
    assert "Product Ideas" in page and "Merger Talks" in page and "Secret" in page
    assert 'href="/staff/people/alice/"' in page  # the owner
    assert "Initech" not in page
    assert as_bob.get("/staff/communities/").status_code == 403


ACTIONS = [("/staff/people/bob/deactivate/", {}), ("/staff/people/bob/role/", {"role": "analyst", "grant": "1"}),
           ("/staff/people/bob/password-link/", {}), ("/staff/invitations/1/resend/", {}),
           ("/staff/invitations/1/revoke/", {})]


def test_every_kind_of_viewer_but_staff_is_kept_out(alice, bob, carol, make_member, open_community, root, as_root):
    """Pages × viewers: signed out, an employee, a community owner, an analyst, an external
    stakeholder, a deactivated staff member's old session: none of them sees or does anything."""
    invitations.invite(root, email="new@example.org", name="New")
    old_staff = login(make_member("former", is_staff=True))
    Member.objects.filter(handle="former").update(is_active=False)
    outsiders = {"owner": login(alice), "employee": login(bob), "customer": login(carol),
                 "analyst": login(make_member("ana", is_analyst=True))}
    for path in ["/staff/", *PAGES]:
        for who, client in outsiders.items():
            page = client.get(path)
            assert page.status_code == 403 and "Only administrators" in page.content.decode(), (who, path)
        for client in (Client(), old_staff):
            assert client.get(path)["Location"].startswith("/signin/"), path
    for url, data in ACTIONS:
        for client in outsiders.values():
            refused(client, url, data, 403, "Only administrators")
        refused(Client(), url, data, 302, "")
        refused(old_staff, url, data, 302, "")
        # A GET to an action is refused too, without acting.
        before = state()
        assert as_root.get(url).status_code == 400 and state() == before


def test_the_landing_page_counts_what_needs_a_look(as_root, make_member, alice, secret_community, root):
    from socialfabric.org import services as org

    org.invite_to_set_password([make_member("imported", password=None)], "http://testserver/")
    gone = make_member("gone")
    Member.objects.filter(id=gone.id).update(is_active=False)
    invitations.invite(root, email="new@example.org", name="New")
    page = as_root.get("/staff/").content.decode()
    assert "4 accounts" in page  # root, alice, imported, gone
    assert 'href="/staff/people/?status=deactivated">1 deactivated' in page
    assert 'href="/staff/people/?status=no_password">1 without a password yet' in page
    assert 'href="/staff/people/?status=invited">1 of them sent a link' in page
    assert 'href="/staff/invitations/?status=pending">1 pending' in page
    assert "1 community" in page and "1 secret" in page
    assert 'aria-current="page">Overview' in page


def test_filters_never_signed_in_and_invited(as_root, make_member, root):
    from socialfabric.org import services as org

    imported = make_member("imported", password=None)
    make_member("waiting", password=None)
    org.send_set_password_link(root, imported, "http://testserver/")

    def found(**query) -> set[str]:
        return set(re.findall(r'href="/staff/people/([^/"]+)/"', as_root.get("/staff/people/", query)
                              .content.decode()))

    assert found(status="never_signed_in") == {"imported", "waiting"}
    assert found(status="no_password") == {"imported", "waiting"}
    assert found(status="invited") == {"imported"}  # sent a link, not used yet
    assert found(q="IMPORTED", status="invited") == {"imported"}
    assert "link sent just now" in as_root.get("/staff/people/", {"status": "invited"}).content.decode()
    assert found(q="nobody-by-that-name") == set()
    for bad in ({"stakeholder": "alien"}, {"role": "owner"}, {"q": "x" * 101}, {"q": "nul\x00"},
                {"cursor": "not-a-cursor"}):
        assert as_root.get("/staff/people/", bad).status_code == 400, bad


def test_accounts_are_paged_with_the_filters_kept(as_root, make_member):
    import html

    for i in range(30):
        make_member(f"new{i:02}", password=None)
    first = as_root.get("/staff/people/", {"status": "no_password"}).content.decode()
    seen = re.findall(r'href="/staff/people/(new\d+)/"', first)
    more = html.unescape(re.search(r'rel="next" href="([^"]+)"', first).group(1))
    assert "status=no_password" in more
    rest = re.findall(r'href="/staff/people/(new\d+)/"', as_root.get("/staff/people/" + more).content.decode())
    assert len(seen) == 24 and sorted(seen + rest) == [f"new{i:02}" for i in range(30)]


def test_deactivation_ends_stored_sessions_so_reactivation_revives_none(as_root, root, bob):
    """Deactivating deletes the member's sessions; reactivating lets them sign in again, afresh:
    the browser left signed in on some shared machine stays signed out."""
    from django.contrib.sessions.models import Session

    def sessions_of(member: Member) -> int:
        return sum(1 for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(member.id))

    laptop = login(bob)
    assert sessions_of(bob) == 1 and laptop.get("/").status_code == 200
    assert as_root.post("/staff/people/bob/deactivate/").status_code == 302
    assert sessions_of(bob) == 0 and sessions_of(root) == 1  # only his
    assert Activity.objects.get(verb=Verb.DEACTIVATE).details == {"tokens_revoked": 0, "sessions_ended": 1}
    assert as_root.post("/staff/people/bob/reactivate/").status_code == 302
    assert laptop.get("/")["Location"].startswith("/signin/")
    assert Client().login(username="bob", password="correct-horse-battery")


def test_a_session_left_by_an_older_deactivation_ends_at_reactivation(root, bob):
    """Before deactivation ended sessions, they stayed stored (anonymous while inactive);
    reactivation ends any such session rather than reviving it."""
    from socialfabric.org import services as org

    laptop = login(bob)
    Member.objects.filter(id=bob.id).update(is_active=False)  # as an older deactivation left it
    assert laptop.get("/")["Location"].startswith("/signin/")
    org.reactivate(root, Member.objects.get(id=bob.id))
    assert laptop.get("/")["Location"].startswith("/signin/")


def test_superusers_are_changed_by_superusers_only(as_root, root, make_member):
    founder = make_member("founder", is_superuser=True, is_staff=True)
    card = as_root.get("/staff/people/founder/").content.decode()
    assert "Only a superuser may change the roles of a superuser." in card
    assert "Only a superuser may deactivate a superuser" in card and "Deactivate account" not in card
    refused(as_root, "/staff/people/founder/deactivate/", {}, 403, "Only a superuser")
    # The founder may do both to another superuser, and to root.
    make_member("cofounder", is_superuser=True, is_staff=True)
    as_founder = login(founder)
    assert "Deactivate account" in as_founder.get("/staff/people/cofounder/").content.decode()
    assert as_founder.post("/staff/people/cofounder/deactivate/").status_code == 302
    assert as_founder.post("/staff/people/root/role/", {"role": "staff", "grant": "0"}).status_code == 302
    assert not Member.objects.get(handle="cofounder").is_active and not Member.objects.get(id=root.id).is_staff


def test_the_card_offers_what_the_rules_allow_and_says_why_not(as_root, root, make_member):
    make_member("buyer", stakeholder="customer", organisation="Acme")
    card = as_root.get("/staff/people/buyer/").content.decode()
    assert "Make analyst" not in card and "Make staff" not in card
    assert card.count("external stakeholder") == 1  # one reason for both roles
    mine = as_root.get("/staff/people/root/").content.decode()
    assert "Revoke staff" not in mine and "your own staff role" in mine
    assert "Deactivate account" not in mine and "cannot deactivate your own account" in mine
    assert "Make analyst" in mine  # staff may make themselves analysts
    # A deactivated former staff member: staff can still take the role away, not give one.
    former = make_member("former", is_staff=True)
    Member.objects.filter(id=former.id).update(is_active=False)
    card = as_root.get("/staff/people/former/").content.decode()
    assert "Revoke staff" in card and "Reactivate account" in card and "reactivate it first" in card
    assert as_root.post("/staff/people/former/role/", {"role": "staff", "grant": "0"}).status_code == 302
    assert not Member.objects.get(id=former.id).is_staff


def test_odd_addresses_answer_not_found(as_root, bob):
    assert as_root.get("/staff/people/BOB/").status_code == 200  # handles are lower case
    for path in ["/staff/people/nobody/", "/staff/people/nul%00/", "/staff/people/%ED%A0%80/"]:
        assert as_root.get(path).status_code == 404, path
        assert as_root.post(path + "deactivate/").status_code == 404, path


def test_communities_list_says_when_each_was_last_active(as_root, alice, open_community):
    from datetime import timedelta

    from django.utils import timezone
    from freezegun import freeze_time

    with freeze_time(timezone.now() - timedelta(days=3)):  # the stream is append-only: its acts happen then
        communities.create_community(alice, name="Merger Talks", visibility="secret")
    page = as_root.get("/staff/communities/").content.decode()
    assert "Last activity" in page and "just now" in page and "3\xa0days ago" in page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_pages_in_a_phone_browser(live_server, browser, make_member):
    """At 360 px: find an account, make them an analyst from their card; no sideways scroll, and
    nothing the Content-Security-Policy blocks (checked for every browser test)."""
    from playwright.sync_api import expect

    from tests.browser import no_horizontal_scroll, sign_in

    make_member("root", is_staff=True)
    make_member("dana")
    page = browser.new_page(viewport={"width": 360, "height": 800})
    sign_in(page, live_server.url, "root", "/staff/people/")
    page.get_by_label("Name, handle or e-mail").fill("dana")
    page.get_by_role("search", name="Find accounts").get_by_role("button", name="Search").click()
    assert no_horizontal_scroll(page)
    page.get_by_role("link", name="Dana").click()
    page.get_by_role("button", name="Make analyst").click()
    expect(page.get_by_text("Dana is now an analyst.")).to_be_visible()
    expect(page.get_by_role("button", name="Revoke analyst")).to_be_visible()
    assert no_horizontal_scroll(page)
    assert Member.objects.get(handle="dana").is_analyst
    for path in ("/staff/", "/staff/invitations/", "/staff/communities/"):
        page.goto(live_server.url + path)
        assert no_horizontal_scroll(page), path
