"""Issue 11 in a real browser: a customer posts in a community whose posts need approval, a
compliance officer approves it from the queue (htmx, in place), the customer sees it published."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from socialfabric.communities import services as communities
from socialfabric.conversations.models import Post, PostState
from socialfabric.governance import signoff
from tests.browser import shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_customer_post_is_approved_from_the_queue(live_server, browser, alice, bob, carol, make_member):
    make_member("olga", is_compliance_officer=True)  # the officer who signs in below
    lounge = communities.create_community(alice, name="Customer Lounge", audience="mixed",
                                          external_kinds=["customer"])
    communities.join(carol, lounge)
    communities.join(bob, lounge)
    signoff.set_rule(alice, lounge, kinds=["customer"])
    base = live_server.url

    customer = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(customer, base, "carol", f"/communities/{lounge.slug}/")
    expect(customer.locator(".approval-note")).to_contain_text("wait for a compliance officer")
    customer.get_by_label("Message").fill("Can we visit the plant next month?")
    customer.get_by_role("button", name="Post", exact=True).click()
    first = customer.locator("#feed-items > li").first
    expect(first).to_contain_text("Can we visit the plant next month?")
    expect(first.locator(".badge-state")).to_have_text("Waiting for approval")
    post = Post.objects.get(body="Can we visit the plant next month?")
    assert post.state == PostState.PENDING

    colleague = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(colleague, base, "bob", f"/communities/{lounge.slug}/")
    expect(colleague.locator("main")).not_to_contain_text("Can we visit the plant")
    assert colleague.goto(f"{base}/posts/{post.id}/").status == 404

    checker = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(checker, base, "olga", "/approvals/")
    expect(checker.get_by_role("link", name="Approvals 1", exact=False)).to_be_visible()
    item = checker.locator(f"#review-{post.id}")
    expect(item).to_contain_text("Can we visit the plant next month?")
    shot(checker, "approvals-1280")
    item.get_by_role("button", name="Approve").click()
    expect(item).to_contain_text("Approved: the post is published.")
    post.refresh_from_db()
    assert post.state == PostState.PUBLISHED

    customer.goto(f"{base}/posts/{post.id}/")
    expect(customer.locator("main")).to_contain_text("Can we visit the plant next month?")
    expect(customer.locator(".post-state")).to_have_count(0)  # no longer waiting
    customer.goto(f"{base}/notifications/")
    expect(customer.locator("main")).to_contain_text("Compliance approved your post")
    colleague.goto(f"{base}/communities/{lounge.slug}/")
    expect(colleague.locator("main")).to_contain_text("Can we visit the plant next month?")


def test_download_my_data_appears_without_a_reload(live_server, browser, bob, open_community, settings, tmp_path):
    """The member asks for a copy; the page polls (htmx) while the worker builds it, and offers
    the download in place; the ZIP is theirs."""
    import zipfile

    from socialfabric.conversations import services as conv
    from tests.helpers import run_jobs

    settings.SOCIALFABRIC_EXPORTS_ROOT = tmp_path / "exports"
    conv.create_post(bob, open_community, title="Notes", body="Bob's own words")
    base = live_server.url
    page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    sign_in(page, base, "bob", "/settings/data/")
    page.get_by_role("button", name="Prepare a copy").click()
    expect(page.locator("#my-data-list")).to_contain_text("Being prepared")
    run_jobs()  # the worker, while the page waits
    link = page.get_by_role("link", name="Download ZIP")
    expect(link).to_be_visible(timeout=10_000)  # arrived by polling: the page was not reloaded
    shot(page, "my-data-1280")
    with page.expect_download() as got:
        link.click()
    with zipfile.ZipFile(got.value.path()) as archive:
        assert "Bob's own words" in archive.read("posts.json").decode()


def test_staff_erase_a_person_from_their_page(live_server, browser, bob, open_community, make_member):
    from socialfabric.conversations import services as conv
    from socialfabric.org.models import Member

    make_member("root", is_staff=True)
    post = conv.create_post(bob, open_community, title="Old notes", body="Words to forget")
    base = live_server.url
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, base, "root", "/staff/people/bob/")
    page.get_by_label("Type @bob to confirm").fill("@bob")
    shot(page, "staff-erase-1280")
    page.get_by_role("button", name="Erase personal data").click()
    expect(page.locator("main")).to_contain_text("now a former member")
    expect(page.locator("main")).to_contain_text("personal data erased")
    former = Member.objects.get(id=bob.id)
    assert former.name == "Former member" and page.url.endswith(f"/staff/people/{former.handle}/")
    page.goto(f"{base}/posts/{post.id}/")
    expect(page.locator("main")).to_contain_text("Former member")
    expect(page.locator("main")).not_to_contain_text("Words to forget")
