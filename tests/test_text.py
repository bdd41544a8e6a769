"""Markdown rendering and sanitising; @mentions and #topics."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialfabric.conversations.text import ALLOWED_TAGS, find_mentions, find_topics, render


class Collector(HTMLParser):
    """Every start tag with its attributes, as a browser's tokenizer would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    c = Collector()
    c.feed(html)
    c.close()
    return c.tags


def hrefs(html: str) -> list[str]:
    return [a.get("href") or "" for t, a in tags(html) if t == "a"]


_SAFE_SCHEMES = {"http", "https", "mailto"}


def assert_safe(html: str) -> None:
    assert "<script" not in html.lower()
    assert not re.search(r"<[^>]*\son\w+\s*=", html, re.I), html
    for tag, attrs in tags(html):
        assert tag in ALLOWED_TAGS, tag
        for name, value in attrs.items():
            assert not name.lower().startswith("on"), (tag, name)
            assert name in {"href", "title", "class", "rel", "start", "align"}, (tag, name)
            if name == "href":
                # What a browser would follow: entities decoded, control characters and spaces dropped.
                target = re.sub(r"[\x00-\x20]", "", unescape(value or "")).lower()
                # The scheme decides what a link does: only web and mail links ("http://javascript:"
                # is a web address whose host is called javascript, and "http:0" a broken one).
                scheme = re.match(r"^([a-z][a-z0-9+.-]*):", target)
                assert scheme is None or scheme.group(1) in _SAFE_SCHEMES, value


# --- examples ---------------------------------------------------------------------------------


@pytest.mark.parametrize("src", [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    "<javascript:alert(1)>",
    "![img](javascript:alert(1))",
    '[x](http://ok.example "title\\" onmouseover=\\"alert(1))',
    "<div onclick='alert(1)'>hi</div>",
    "<iframe src=//evil.example></iframe>",
    "<style>body{display:none}</style>",
    "<svg/onload=alert(1)>",
    "```html\n<script>alert(1)</script>\n```",
    "`<script>`",
    "<!-- <script>alert(1)</script> -->",
])
def test_dangerous_input_is_neutralised(src):
    html = render(src)
    assert_safe(html)


def test_raw_html_is_escaped_not_interpreted():
    html = render("<b>bold</b> & <i>it</i>")
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "&amp;" in html
    assert [t for t, _ in tags(html)] == ["p"]


def test_javascript_link_has_no_href():
    html = render("[click](javascript:alert(1))")
    assert all(not h.lower().startswith("javascript") for h in hrefs(html))
    assert "alert" not in "".join(hrefs(html))


def test_data_link_has_no_href():
    assert not any(h.startswith("data:") for h in hrefs(render("[x](data:text/html,hi)")))


def test_ordinary_markdown_survives():
    html = render("# Title\n\n**bold** _em_ ~~gone~~\n\n- one\n- two\n\n> quote\n\n[site](https://example.org)")
    for fragment in ("<h1>Title</h1>", "<strong>bold</strong>", "<em>em</em>", "<s>gone</s>", "<li>one</li>",
                     "<blockquote>", 'href="https://example.org"'):
        assert fragment in html
    assert 'rel="nofollow noopener noreferrer"' in html


def test_images_are_dropped():
    # No remote images: they would track who reads a post.
    assert "<img" not in render("![pixel](https://tracker.example/p.png)")


def test_mentions_link_only_known_handles():
    html = render("hi @bob and @ghost", {"bob"})
    assert hrefs(html) == ["/people/bob/"]
    assert "@ghost" in html
    assert 'class="mention"' in html


def test_mentions_are_case_insensitive_and_lowercased():
    assert hrefs(render("ping @Bob", {"bob"})) == ["/people/bob/"]
    assert find_mentions("ping @Bob and @BOB") == {"bob"}


def test_email_addresses_are_not_mentions():
    assert find_mentions("write to bob@example.org") == set()
    assert hrefs(render("write to bob@example.org", {"example.org", "bob"})) == []


def test_mention_punctuation():
    assert find_mentions("thanks @a.b_c-d. and (@x)") == {"a.b_c-d", "x"}


def test_topics_are_linked_and_lowercased():
    html = render("Shipping #Roadmap items, see #q3-plan")
    assert hrefs(html) == ["/topics/roadmap/", "/topics/q3-plan/"]
    assert find_topics("Shipping #Roadmap items, see #q3-plan") == {"roadmap", "q3-plan"}


def test_headings_and_numbers_are_not_topics():
    assert find_topics("# Heading\n\nissue #42 and C#") == set()
    assert hrefs(render("# Heading\n\nissue #42 and C#")) == []


def test_entities_and_anchors_are_not_topics():
    assert find_topics("see [docs](https://example.org/#install) and &amp; &#35;x") == {"x"}


@pytest.mark.parametrize("src", [
    "`@bob #code`",
    "``@bob #code``",
    "```\n@bob #code\n```",
    "~~~\n@bob #code\n~~~",
    "    @bob #code",
    "[@bob #code](https://example.org)",
    "<https://example.org/@bob#code>",
])
def test_no_mentions_or_topics_inside_code_or_links(src):
    assert find_mentions(src) == set() and find_topics(src) == set()
    html = render(src, {"bob"})
    assert "/people/" not in html and "/topics/" not in html


def test_what_is_found_is_what_is_linked():
    src = "@bob #one `@carol #two`\n\n    @dave #three\n\n[@erin](https://x.example) #four"
    known = {"bob", "carol", "dave", "erin"}
    linked = {h for h in hrefs(render(src, known)) if h.startswith(("/people/", "/topics/"))}
    assert linked == {f"/people/{h}/" for h in find_mentions(src)} | {f"/topics/{t}/" for t in find_topics(src)}
    assert linked == {"/people/bob/", "/topics/one/", "/topics/four/"}


# --- properties -------------------------------------------------------------------------------

_PAYLOADS = [
    "<script>", "</script>", "<img src=x onerror=alert(1)>", "javascript:", "JAVASCRIPT:", "data:", "\x00",
    "[", "](", ")", "<", ">", '"', "'", "`", "```", "\n", " onclick=", "&#", ";", "@bob", "#topic", "*", "_",
    "<a href=", "&lt;", "\t", "java\nscript:", "<svg", "/>", "!", "<https://", "\\",
]

markdownish = st.lists(st.one_of(st.text(max_size=20), st.sampled_from(_PAYLOADS)), max_size=25).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markdownish)
def test_property_rendered_output_is_always_safe(src):
    html = render(src, {"bob"})
    assert_safe(html)
    # Inside a tag only: the *text* "href=javascript:" is harmless and may well be in a post.
    assert not re.search(r"<[^>]*href\s*=\s*['\"]?\s*javascript:", html, re.I)


@settings(max_examples=200, deadline=None)
@given(markdownish)
def test_property_found_mentions_and_topics_are_exactly_the_linked_ones(src):
    mentions, topics = find_mentions(src), find_topics(src)
    linked = hrefs(render(src, mentions))
    assert {h for h in linked if h.startswith("/people/")} == {f"/people/{m}/" for m in mentions}
    assert {h for h in linked if h.startswith("/topics/")} == {f"/topics/{t}/" for t in topics}


# --- the fast path for generated text ----------------------------------------------------------

_words = st.text(alphabet="abcdefghij klmnop,.?", min_size=1, max_size=30).filter(lambda t: t.strip() == t and t)
_names = st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True)
_segment = st.one_of(st.tuples(st.just("text"), _words), st.tuples(st.just("mention"), _names),
                     st.tuples(st.just("topic"), _names))
_paragraph = st.lists(_segment, min_size=1, max_size=6).map(
    # Generated sentences put text between tokens, as the demo's do.
    lambda segs: [s for pair in zip(segs, [("text", " ")] * len(segs), strict=True) for s in pair][:-1])


@given(st.lists(_paragraph, min_size=1, max_size=3))
def test_render_segments_is_render_for_plain_sentences(paragraphs):
    from socialfabric.conversations.text import render_segments

    body, html = render_segments(paragraphs)
    handles = {v for para in paragraphs for kind, v in para if kind == "mention"}
    assert html == render(body, handles)
