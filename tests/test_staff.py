"""The staff area: only staff get in; finding accounts; every act (deactivate, reactivate,
roles, set-password links, invitations sent again or withdrawn) works, is refused where the
rules say so with nothing written, and is recorded in the activity stream."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from socialfabric.activity.models import Activity, Verb
from socialfabric.communities import invitations
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
    refused(as_root, "/staff/people/bob/password-link/", {}, 409, "has a password already")


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
    page.get_by_role("button", name="Search").click()
    assert no_horizontal_scroll(page)
    page.get_by_role("link", name="Dana").click()
    page.get_by_role("button", name="Make analyst").click()
    expect(page.get_by_text("Dana is now an analyst.")).to_be_visible()
    expect(page.get_by_role("button", name="Revoke analyst")).to_be_visible()
    assert no_horizontal_scroll(page)
    assert Member.objects.get(handle="dana").is_analyst
