"""Invitations: who may invite whom to what; the e-mail through a real SMTP server; a link that
works once, until it expires; the account made with the invited kind, organisation and
communities; and the whole flow in Chromium."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from socialfabric.activity.models import Activity, Verb
from socialfabric.communities import invitations
from socialfabric.communities import services as communities
from socialfabric.communities.models import Invitation, Membership
from socialfabric.errors import Conflict, Forbidden, InvalidInput, NotFound
from socialfabric.org.models import Member
from tests.helpers import failing_act, run_jobs


def rows() -> dict[str, int]:
    return {"invitations": Invitation.objects.count(), "members": Member.objects.count(),
            "memberships": Membership.objects.count(), "activity": Activity.objects.count()}


fail = failing_act(rows)


@pytest.fixture
def root(make_member):
    return make_member("root", is_staff=True)


def token_of(invitation: Invitation) -> str:
    return invitations.link(invitation, "http://x").rsplit("/", 2)[1]


def test_who_may_invite_to_what(alice, bob, carol, root, open_community, secret_community):
    customers = communities.create_community(alice, name="Customer Corner", audience="mixed",
                                             external_kinds=["customer"])
    # An owner invites to what they own; a member of a community does not.
    invitations.invite(alice, email="new@example.org", name="New", community_ids=[open_community.id])
    fail(Forbidden, invitations.invite, bob, email="x@example.org", name="X", community_ids=[open_community.id])
    fail(Forbidden, invitations.invite, bob, email="x@example.org", name="X", community_ids=[])
    # Administrators invite anyone, to anything the audience admits.
    invitations.invite(root, email="buyer@acme.example", name="Buyer", stakeholder="customer",
                       organisation="Acme", community_ids=[customers.id])
    fail(InvalidInput, invitations.invite, root, email="b2@acme.example", name="B", stakeholder="customer",
         organisation="Acme", community_ids=[secret_community.id], field="communities")
    fail(InvalidInput, invitations.invite, root, email="b3@acme.example", name="B", stakeholder="customer",
         field="organisation")
    fail(InvalidInput, invitations.invite, root, email="not-an-address", name="B", field="email")
    fail(InvalidInput, invitations.invite, root, email="ok@example.org", name="", field="name")
    fail(InvalidInput, invitations.invite, root, email="ok@example.org", name="B", community_ids=[10**9],
         field="communities")
    fail(Conflict, invitations.invite, root, email="BOB@example.org", name="Bob again", field="email")


def test_accepting_makes_the_account_once(carol, root, alice, open_community):
    customers = communities.create_community(alice, name="Customer Corner", audience="mixed",
                                             external_kinds=["customer"], visibility="secret")
    invitation = invitations.invite(root, email="Buyer@Acme.example", name="Bea Buyer", stakeholder="customer",
                                    organisation="Acme", community_ids=[customers.id])
    token = token_of(invitation)
    fail(InvalidInput, invitations.accept, token, password1="short", password2="short", field="password1")
    fail(InvalidInput, invitations.accept, token, password1="a-long-secret", password2="another", field="password2")
    member = invitations.accept(token, password1="a-long-secret", password2="a-long-secret")
    assert (member.handle, member.name, member.stakeholder, member.organisation) == (
        "buyer", "Bea Buyer", "customer", "Acme")
    assert member.check_password("a-long-secret")
    assert Membership.objects.filter(member=member, community=customers).exists()  # secret: by invitation
    accepted = Activity.objects.get(verb=Verb.ACCEPT_INVITATION)
    assert (accepted.actor_id, accepted.target_id) == (member.id, root.id)
    fail(Conflict, invitations.accept, token, password1="a-long-secret", password2="a-long-secret")


@pytest.mark.parametrize("token", ["", "nonsense", "x" * 300, None, 5])
def test_bad_links_are_not_found(db, token):
    with pytest.raises(NotFound):
        invitations.get_open(token)


def test_expired_and_tampered_links(root, open_community):
    invitation = invitations.invite(root, email="late@example.org", name="Late")
    token = token_of(invitation)
    with pytest.raises(NotFound):
        invitations.get_open(token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1])
    Invitation.objects.filter(id=invitation.id).update(expires_at=timezone.now() - timedelta(seconds=1))
    fail(NotFound, invitations.accept, token, password1="a-long-secret", password2="a-long-secret")
    page = Client().get(f"/invitations/{token}/")
    assert page.status_code == 404 and "expired" in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_invitation_email_through_smtp(smtp, make_member, unit):
    alice = make_member("alice", unit=unit, level=2)
    root = make_member("root", is_staff=True)
    c = communities.create_community(alice, name="Product Ideas")
    admin = Client()
    admin.force_login(root)
    sent = admin.post("/invite/", {"email": "new.person@example.org", "name": "New Person",
                                   "stakeholder": "employee", "communities": [str(c.id)]})
    assert sent.status_code == 302
    run_jobs()
    [message] = smtp.messages
    assert message["To"] == "new.person@example.org"
    assert message["Subject"] == "Root invites you to Social Fabric"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    url = re.search(r"http://testserver(/invitations/\S+/)", text).group(1)
    assert f'href="http://testserver{url}"' in html and "Product Ideas" in text and "Product Ideas" in html
    browser = Client()
    assert browser.get(url)["Referrer-Policy"] == "same-origin"  # the link never leaves for another site
    done = browser.post(url, {"password1": "a-long-secret", "password2": "a-long-secret"})
    assert done.status_code == 302 and done["Location"] == "/"
    assert "Product Ideas" in browser.get("/").content.decode()


def test_the_invite_page_is_for_administrators_and_owners(alice, bob, root, open_community):
    member = Client()
    member.force_login(bob)
    assert member.get("/invite/").status_code == 403
    owner = Client()
    owner.force_login(alice)
    page = owner.get("/invite/").content.decode()
    assert open_community.name in page
    bad = owner.post("/invite/", {"email": "nope", "name": "N", "stakeholder": "employee",
                                  "communities": [str(open_community.id)]})
    assert bad.status_code == 400 and "is not an e-mail address" in bad.content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_invitation_in_the_browser(live_server, browser, smtp, make_member, unit):
    alice = make_member("alice", unit=unit, level=2)
    c = communities.create_community(alice, name="Partner Hub", audience="mixed", external_kinds=["partner"])
    invitations.invite(alice, email="pat@vector.example", name="Pat Partner", stakeholder="partner",
                       organisation="Vector Cloud", community_ids=[c.id], base_url=live_server.url)
    run_jobs()
    [message] = smtp.messages
    url = re.search(r"(http://\S+/invitations/\S+/)", message.get_body(("plain",)).get_content()).group(1)
    page = browser.new_page(viewport={"width": 360, "height": 800})
    page.goto(url)
    expect(page.get_by_role("heading", name="Welcome, Pat Partner")).to_be_visible()
    page.get_by_label("Password", exact=True).fill("a-long-secret")
    page.get_by_label("The same password again").fill("a-long-secret")
    page.get_by_role("button", name="Accept and sign in").click()
    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_text("Your handle is @pat")).to_be_visible()
    expect(page.get_by_role("link", name="Partner Hub").first).to_be_visible()
    page.close()
