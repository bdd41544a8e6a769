"""Shared pieces of the browser tests: Playwright (sync API) driving Debian's Chromium.

The `browser` fixture itself (one Chromium per test module) is in conftest.py.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls made there
# (fixtures, assertions) are still plain synchronous code, so its async-safety check would
# only get in the way.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import Page, expect  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORD = "correct-horse-battery"  # conftest's make_member default

# aria-label of each insights chart's <svg> (insights/analysis/html.py).
CHART_LABELS = (
    "Unit mixing matrix",
    "Lorenz curve of participation",
    "Up, down, lateral and skip-level flow against random mixing",
    "Headline metrics per window",
    "Units sized by people, joined by cross-unit flow",
)


class CspWatchedBrowser:
    """A Playwright browser whose every page records Content-Security-Policy violations
    (Chromium reports them on the console) in `csp_violations`."""

    def __init__(self, browser) -> None:
        self._browser = browser
        self.csp_violations: list[str] = []

    def _watch(self, page: Page) -> Page:
        def console(message) -> None:
            if "Content Security Policy" in message.text:
                self.csp_violations.append(f"{page.url}: {message.text}")

        page.on("console", console)
        return page

    def new_page(self, **kwargs) -> Page:
        return self._watch(self._browser.new_page(**kwargs))

    def new_context(self, **kwargs):
        context = self._browser.new_context(**kwargs)
        context.on("page", self._watch)
        return context

    def __getattr__(self, name: str):
        return getattr(self._browser, name)


def shot(page: Page, name: str) -> None:
    """Keep a full-page screenshot when SF_SCREENSHOTS names a folder."""
    folder = os.environ.get("SF_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def sign_in(page: Page, base: str, handle: str, then: str, password: str = PASSWORD) -> None:
    """Open `then`, get sent to the sign-in form, sign in, land back on `then`."""
    page.goto(base + then)
    expect(page).to_have_url(re.compile(r"/signin/\?next="))
    page.get_by_label("Handle").fill(handle)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(base + then)


def no_horizontal_scroll(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def painted(svg, shapes: str, *, area: bool = False) -> int:
    """How many of the svg's `shapes` (a CSS selector) have a size on screen: a width or a
    height (a flat line counts), or with `area` both."""
    join = "&&" if area else "||"
    return svg.evaluate(
        f"s => [...s.querySelectorAll('{shapes}')].filter(e => {{"
        f"const r = e.getBoundingClientRect(); return r.width > 0 {join} r.height > 0; }}).length")


def labels_clash(svg, selector: str = "text.unit-label") -> list[str]:
    """Pairs of the svg's labels that overlap on screen (each label's own box, turned with the
    label, so radial names are judged by their real outline), and labels that stick out of
    the chart or are smaller than 10 px: what makes a labelled chart illegible."""
    return svg.evaluate(
        """(s, sel) => {
          const out = [], frame = s.getBoundingClientRect();
          const corners = e => {
            const b = e.getBBox(), m = e.getScreenCTM();
            return [[b.x, b.y], [b.x + b.width, b.y], [b.x + b.width, b.y + b.height], [b.x, b.y + b.height]]
              .map(([x, y]) => new DOMPoint(x, y).matrixTransform(m));
          };
          const apart = (p, q) => {  // separating axis theorem for two convex quadrilaterals
            for (const poly of [p, q]) for (let i = 0; i < 4; i++) {
              const a = poly[i], b = poly[(i + 1) % 4], nx = b.y - a.y, ny = a.x - b.x;
              const proj = r => r.map(c => c.x * nx + c.y * ny);
              const pp = proj(p), qq = proj(q), eps = 1e-6 * Math.hypot(nx, ny);
              if (Math.max(...pp) <= Math.min(...qq) + eps || Math.max(...qq) <= Math.min(...pp) + eps) return true;
            }
            return false;
          };
          const labels = [...s.querySelectorAll(sel)].map(e => [e.textContent, corners(e),
                                                            parseFloat(getComputedStyle(e).fontSize)]);
          for (const [t, c, size] of labels) {
            if (size < 10) out.push(`${t}: ${size} px`);
            if (c.some(p => p.x < frame.left - 1 || p.x > frame.right + 1 || p.y < frame.top - 1
                            || p.y > frame.bottom + 1)) out.push(`${t}: outside the chart`);
          }
          for (let i = 0; i < labels.length; i++) for (let j = i + 1; j < labels.length; j++)
            if (!apart(labels[i][1], labels[j][1])) out.push(`${labels[i][0]} / ${labels[j][0]}`);
          return out;
        }""", selector)
