"""Reading (issue 10 point 5): a 200-reply thread folds its deep and older branches, reply
reactions are a summary until hovered or focused, the home composer starts folded, posting
says so visibly, and the dark colour scheme is honoured. Folding is checked on the server's
HTML and in Chromium.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from socialfabric.conversations import services as conv
from tests.browser import sign_in
from tests.helpers import login


def long_thread(alice, bob, community, *, branches: int = 40, depth: int = 5):
    """A question with `branches` top-level replies, each the head of a chain `depth` long."""
    root = conv.create_post(alice, community, kind="question", title="How do we plan Q3?", body="Ideas welcome")
    chains = []
    for b in range(branches):
        parent, chain = root, []
        for d in range(depth):
            parent = conv.create_reply(bob if d % 2 == 0 else alice, parent.id, body=f"Branch {b} level {d + 1}")
            chain.append(parent)
        chains.append(chain)
    return root, chains


def test_a_long_thread_folds_deep_and_older_branches_but_keeps_every_reply_on_the_page(alice, bob,
                                                                                       open_community):
    root, chains = long_thread(alice, bob, open_community)
    conv.accept_answer(alice, root.id, chains[0][0].id)  # an old branch, the accepted answer
    page = login(bob).get(f"/posts/{root.id}/").content.decode()
    assert all(f'id="post-{r.id}"' in page for chain in chains for r in chain)  # nothing lost
    # 40 branches: the 15 newest stay open, and the accepted answer; 24 older ones fold (5 replies each).
    assert "120 earlier replies" in page
    older = page.split('class="more-replies more-older"', 1)[1].split("</details>", 1)[0]
    assert f'id="post-{chains[1][0].id}"' in older and f'id="post-{chains[0][0].id}"' not in older
    # Levels 1 to 3 open; below the third level, "2 more replies" (levels 4 and 5).
    assert page.count("2 more replies") == 40


def test_a_short_thread_folds_nothing(alice, bob, open_community):
    root, _ = long_thread(alice, bob, open_community, branches=4, depth=3)
    page = login(bob).get(f"/posts/{root.id}/").content.decode()
    assert "more-replies" not in page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_reading_a_long_thread_in_a_browser(live_server, browser, alice, bob, open_community):
    base = live_server.url
    root, chains = long_thread(alice, bob, open_community)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, base, "bob", f"/posts/{root.id}/")
    folded = page.evaluate("document.documentElement.scrollHeight")
    page.evaluate("document.querySelectorAll('details.more-replies').forEach(d => d.open = true)")
    unfolded = page.evaluate("document.documentElement.scrollHeight")
    assert folded < unfolded / 2, (folded, unfolded)

    # A link to a reply deep inside an older, folded branch opens its way to it.
    deep = chains[2][4]
    page.goto(f"{base}/posts/{root.id}/#post-{deep.id}")
    expect(page.locator(f"#post-{deep.id} .prose").first).to_be_visible()
    expect(page.locator(f"#post-{deep.id} .prose").first).to_be_in_viewport()

    # A reply's reactions: a summary until hovered or focused.
    page.goto(f"{base}/posts/{root.id}/")
    reply = chains[-1][0]
    bar = page.locator(f"#react-{reply.id}")
    like = page.locator(f"#react-{reply.id}-like")
    expect(like).to_be_hidden()
    bar.locator(".react-more").focus()
    expect(like).to_be_visible()
    like.click()
    expect(page.locator(f"#react-{reply.id}-like .count")).to_have_text("1")
    page.mouse.move(0, 0)
    page.locator("h1").focus()
    expect(page.locator(f"#react-{reply.id}-like")).to_be_visible()  # given: stays in the summary
    expect(page.locator(f"#react-{reply.id}-celebrate")).to_be_hidden()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_home_composer_starts_folded_and_posting_says_so_visibly(live_server, browser, alice, open_community):
    base = live_server.url
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, base, "alice", "/")
    message = page.get_by_label("Message")
    expect(message).to_be_hidden()
    page.get_by_text("Start a conversation").click()
    expect(message).to_be_visible()
    page.get_by_label("Title").fill("Folded composer works")
    message.fill("Hello from the home page")
    page.get_by_role("button", name="Post", exact=True).click()
    expect(page.locator("#feed-items > li").first).to_contain_text("Folded composer works")
    expect(page.locator("#flash")).to_be_visible()
    expect(page.locator("#flash")).to_have_text("Your post is live.")
    expect(message).to_be_hidden()  # folded again, ready for the next one


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_dark_colour_scheme_is_honoured(live_server, browser, alice, open_community):
    base = live_server.url

    def background(scheme: str) -> tuple[int, ...]:
        context = browser.new_context(color_scheme=scheme, viewport={"width": 1000, "height": 800})
        page = context.new_page()
        sign_in(page, base, "alice", "/")
        colour = page.evaluate("getComputedStyle(document.body).backgroundColor")
        ink = page.evaluate("getComputedStyle(document.querySelector('h1')).color")
        context.close()
        return tuple(int(x) for x in re.findall(r"\d+", colour)[:3]), tuple(int(x) for x in re.findall(r"\d+", ink)[:3])

    (light_bg, light_ink), (dark_bg, dark_ink) = background("light"), background("dark")
    assert sum(light_bg) > 600 and sum(light_ink) < 200
    assert sum(dark_bg) < 150 and sum(dark_ink) > 600
