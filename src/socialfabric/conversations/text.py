"""Markdown to safe HTML, with @mentions and #topics linked.

markdown-it renders CommonMark with raw HTML disabled; a core rule turns
@handle and #topic in text (never inside code or links) into links; nh3 then
sanitises the result: no scripts, no event handlers, only http(s)/mailto links.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

MENTION_RE = re.compile(r"(?<![\w@/])@([A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,58}[A-Za-z0-9_])?)")
TOPIC_RE = re.compile(r"(?<![\w#&/])#([A-Za-z][A-Za-z0-9_-]{0,62})")
TOKEN_RE = re.compile(f"{MENTION_RE.pattern}|{TOPIC_RE.pattern}")

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "del", "s",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title", "class"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}


def find_mentions(text: str) -> set[str]:
    """Lower-cased handles that `render` would link (when they exist)."""
    return set(_scan(text)[0])


def find_topics(text: str) -> set[str]:
    """Lower-cased topic names that `render` links."""
    return set(_scan(text)[1])


@lru_cache(maxsize=64)
def _scan(text: str) -> tuple[frozenset[str], frozenset[str]]:
    # Walk the same Markdown tokens that `render` links, so that what is recorded as a
    # mention or topic is exactly what is linked: nothing in code spans, fenced, tilde or
    # indented code blocks, or inside link text. (A regex over the source misses some of these.)
    mentions: set[str] = set()
    topics: set[str] = set()
    for block in _MD.parse(text, {"scan_only": True}):
        if block.type != "inline" or not block.children:
            continue
        in_link = 0
        for tok in block.children:
            if tok.type == "link_open":
                in_link += 1
            elif tok.type == "link_close":
                in_link -= 1
            elif tok.type == "text" and not in_link:
                for m in TOKEN_RE.finditer(tok.content):
                    if m.group(1):
                        mentions.add(m.group(1).lower())
                    else:
                        topics.add(m.group(2).lower())
    return frozenset(mentions), frozenset(topics)


def _linker() -> Callable[[StateCore], None]:
    def rule(state: StateCore) -> None:
        if state.env.get("scan_only"):  # _scan reads the plain text tokens itself
            return
        known_handles = state.env.get("handles", frozenset())
        for block in state.tokens:
            if block.type != "inline" or not block.children:
                continue
            out: list[Token] = []
            in_link = 0
            for tok in block.children:
                if tok.type == "link_open":
                    in_link += 1
                elif tok.type == "link_close":
                    in_link -= 1
                if tok.type != "text" or in_link or ("@" not in tok.content and "#" not in tok.content):
                    out.append(tok)
                    continue
                pos = 0
                for m in TOKEN_RE.finditer(tok.content):
                    handle, topic = m.group(1), m.group(2)
                    if handle and handle.lower() not in known_handles:
                        continue
                    if m.start() > pos:
                        t = Token("text", "", 0)
                        t.content = tok.content[pos:m.start()]
                        out.append(t)
                    if handle:
                        href, cls = f"/people/{handle.lower()}/", "mention"
                    else:
                        href, cls = f"/topics/{topic.lower()}/", "topic"
                    link = Token("link_open", "a", 1)
                    link.attrs = {"href": href, "class": cls}
                    text = Token("text", "", 0)
                    text.content = m.group(0)
                    out += [link, text, Token("link_close", "a", -1)]
                    pos = m.end()
                if pos < len(tok.content):
                    t = Token("text", "", 0)
                    t.content = tok.content[pos:]
                    out.append(t)
            block.children = out

    return rule


_MD = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_MD.enable(["table", "strikethrough"])
_MD.core.ruler.push("sf_mentions_topics", _linker())


def render(body: str, known_handles: set[str] | frozenset[str] = frozenset()) -> str:
    html = _MD.render(body, {"handles": set(known_handles)})
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )


# A fast path for generated text (the demo organisation, benchmarks): plain sentences with
# @handles and #topics, rendered without the parser. Same output as render() for such input
# (tests/test_text.py checks it); anything richer must go through render().
Segment = tuple[str, str]  # ("text" | "mention" | "topic", value)
_LINK_REL = 'rel="nofollow noopener noreferrer"'


def render_segments(paragraphs: list[list[Segment]]) -> tuple[str, str]:
    """Markdown source and its HTML for paragraphs of text/mention/topic segments.

    Text segments must be plain sentences (no Markdown syntax); mentions name existing
    lower-case handles and topics lower-case names.
    """
    body: list[str] = []
    out: list[str] = []
    for para in paragraphs:
        src: list[str] = []
        htm: list[str] = []
        for kind, value in para:
            if kind == "text":
                src.append(value)
                htm.append(html.escape(value, quote=False))
            elif kind == "mention":
                src.append(f"@{value}")
                htm.append(f'<a href="/people/{value}/" class="mention" {_LINK_REL}>@{value}</a>')
            else:
                src.append(f"#{value}")
                htm.append(f'<a href="/topics/{value}/" class="topic" {_LINK_REL}>#{value}</a>')
        body.append("".join(src))
        out.append(f"<p>{''.join(htm)}</p>\n")
    return "\n\n".join(body), "".join(out)
