"""Notifications live, in a real browser: two members in two browser contexts.

Bob mentions Alice in a reply; Alice's bell (her page is left open, never reloaded) rises within
5 seconds, and clicking through opens the thread at Bob's reply. The live server runs the
after-commit consumer as production does.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from socialfabric.conversations import services as conv
from socialfabric.conversations.models import Post
from tests.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_mention_raises_the_other_members_bell_without_a_reload(live_server, browser, alice, bob, open_community):
    base = live_server.url
    thread = conv.create_post(alice, open_community, title="Launch checklist", body="What is missing?")
    alices = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    bobs = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(alices, base, "alice", "/communities/product-ideas/")
    bell = alices.locator("#bell")
    expect(bell).to_have_attribute("aria-label", "Notifications")
    alices.evaluate("window.__stayed = true")  # survives only if nothing reloads the page

    sign_in(bobs, base, "bob", f"/posts/{thread.id}/")
    bobs.get_by_label("Your reply").fill("Release notes, @alice can you write them?")
    bobs.locator(f"#reply-form-{thread.id}").get_by_role("button", name="Post reply").click()
    expect(bobs.locator(f"#replies-{thread.id} > li")).to_have_count(1)
    reply = Post.objects.get(body__startswith="Release notes")

    # A reply to her thread that also names her is one notification (the reply), within 5 s.
    expect(bell).to_have_attribute("aria-label", "Notifications, 1 unread", timeout=5000)
    expect(bell.locator(".bell-count")).to_have_text("1")
    assert alices.evaluate("window.__stayed === true")

    bell.click()
    expect(alices).to_have_url(base + "/notifications/")
    item = alices.get_by_role("link", name="Bob replied to you in “Launch checklist”")
    expect(item).to_be_visible()
    item.click()
    expect(alices).to_have_url(re.compile(rf"/posts/{thread.id}/#post-{reply.id}$"))
    expect(alices.locator(f"#post-{reply.id}")).to_contain_text("Release notes")
    expect(alices.locator("#bell")).to_have_attribute("aria-label", "Notifications")  # read now


def test_the_notifications_page_and_the_feed_take_news_live(live_server, browser, alice, bob, open_community):
    base = live_server.url
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, base, "alice", "/notifications/")
    expect(page.locator("#notification-feed")).to_contain_text("Nothing yet")
    conv.create_post(bob, open_community, title="Budget review", body="@alice please look")
    expect(page.get_by_role("link", name="Bob mentioned you in “Budget review”")).to_be_visible(timeout=5000)

    page.goto(base + "/")
    expect(page.locator("#feed-items")).to_contain_text("Budget review")
    for i in range(3):
        conv.create_post(bob, open_community, title=f"Fresh idea {i}", body="news")
    news = page.get_by_role("link", name=re.compile("3 new posts"))
    expect(news).to_be_visible(timeout=6000)
    news.click()
    expect(page.locator("#feed-items > li").first).to_contain_text("Fresh idea 2")
