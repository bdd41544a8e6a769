"""The insights documentation (docs/insights.md, shipped in the package as guide.md) as a page
of the platform: what every figure means, one click from the figure.

Our own text, rendered with Markdown (raw HTML off) and headings given ids, so a figure on
the dashboard can link to its definition (`/insights/guide/#participation-participation`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from markdown_it import MarkdownIt

from socialfabric import access
from socialfabric.org.models import Member

SOURCE = Path(__file__).with_name("guide.md")


@dataclass(frozen=True)
class Guide:
    title: str
    html: str
    contents: tuple[tuple[int, str, str], ...]  # (level, anchor, heading) of each h2 and h3


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


@lru_cache(maxsize=2)
def _render(text: str) -> Guide:
    md = MarkdownIt("commonmark", {"html": False}).enable(["table"])
    tokens = md.parse(text)
    contents, seen, title = [], set(), ""
    for i, tok in enumerate(tokens):
        if tok.type != "heading_open":
            continue
        heading = tokens[i + 1].content.replace("`", "")
        anchor = slug(heading)
        while anchor in seen:
            anchor += "-"
        seen.add(anchor)
        tok.attrSet("id", anchor)
        level = int(tok.tag[1])
        if level == 1 and not title:
            title = heading
        elif level in (2, 3):
            contents.append((level, anchor, heading))
    html = md.renderer.render(tokens, md.options, {})
    # Wide tables scroll on a phone instead of widening the page.
    html = html.replace("<table>", "<div class='table-scroll'><table>").replace("</table>", "</table></div>")
    return Guide(title or "Insights", html, tuple(contents))


# Where each dashboard section is defined: the guide's heading that starts with these words.
SECTION_HEADINGS = {"units": "Silos", "participation": "Participation", "hierarchy": "Hierarchy flow",
                    "trend": "Trend", "map": "Silos", "people": "Network roles",
                    "stage": "The roadmap stage"}


def section_anchors(member: Member) -> dict[str, str]:
    """Dashboard section → anchor of its definition in the guide."""
    contents = guide(member).contents
    out = {}
    for section, words in SECTION_HEADINGS.items():
        found = next((anchor for _level, anchor, heading in contents if heading.startswith(words)), None)
        if found:
            out[section] = found
    return out


def guide(member: Member) -> Guide:
    """The guide for someone who may see insights (the same rule as the dashboard)."""
    access.require_insights(member)
    return _render(SOURCE.read_text(encoding="utf-8"))
