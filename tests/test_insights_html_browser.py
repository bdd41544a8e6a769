"""The insights HTML report opened in Chromium (file://): findings first, every chart drawn."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tests.browser import CHART_LABELS, labels_clash, painted

pytestmark = pytest.mark.browser

CHARTS = CHART_LABELS
SHAPES = "rect, path, circle, polyline, line, polygon, ellipse"


def _people() -> str:
    rows = ["id,unit,level,stakeholder,manager"]
    units = ("Sales", "Research", "Support")
    for i in range(18):
        unit = units[i % 3]
        level = 1 if i == 0 else (2 if i < 3 else 3)
        rows.append(f"p{i},{unit},{level},employee,{'' if i == 0 else 'p0'}")
    rows += ["c1,,,customer,", "c2,,,partner,"]
    return "\n".join(rows) + "\n"


def _interactions() -> str:
    rows = ["source,target,timestamp,kind,weight,thread"]
    for i in range(18):
        for step, month in ((3, "01"), (1, "02"), (4, "03")):
            j = (i + step) % 18
            rows.append(f"p{i},p{j},2025-{month}-{1 + i:02d}T09:00:00Z,reply,1,t{i % 6}")
    rows += ["c1,p1,2025-02-03T10:00:00Z,question,1,q1", "p1,c1,2025-02-03T12:00:00Z,reply,1,q1",
             "c2,p4,2025-03-03T10:00:00Z,question,1,q2"]
    return "\n".join(rows) + "\n"


@pytest.fixture
def report_file(tmp_path):
    people, inter, out = tmp_path / "people.csv", tmp_path / "inter.csv", tmp_path / "r.html"
    people.write_text(_people(), encoding="utf-8")
    inter.write_text(_interactions(), encoding="utf-8")
    call_command("insights", "report", "--quiet", "--people", str(people), "--interactions",
                 str(inter), "--format", "html", "--out", str(out), "--window", "month",
                 "--min-group", "1")
    return out


def test_html_report_charts_are_drawn(browser, report_file):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(report_file.as_uri())

    # Findings come first: the first section heading, before any chart.
    assert page.locator("h2").first.inner_text() == "Findings"
    findings = page.locator("ul.findings li")
    assert findings.count() >= 4
    assert findings.first.is_visible()
    assert "people initiated at least one interaction" in findings.first.inner_text()
    assert "Roadmap stage reached" in page.locator("body").inner_text()
    first_chart_top = page.locator("svg.chart").first.bounding_box()["y"]
    assert findings.last.bounding_box()["y"] < first_chart_top

    assert page.locator("svg.chart").count() == len(CHARTS)
    for label in CHARTS:
        svg = page.locator(f'svg[aria-label="{label}"]')
        assert svg.count() == 1, label
        assert svg.is_visible(), label
        box = svg.bounding_box()
        assert box and box["width"] > 50 and box["height"] > 50, (label, box)
        shapes = svg.locator(SHAPES)
        assert shapes.count() > 0, label
        # At least one shape is really painted: it has a size on screen.
        assert painted(svg, SHAPES) > 0, label

    # Chart-specific checks: a heatmap cell per unit pair, a circle per unit, data lines.
    heat = page.locator('svg[aria-label="Unit mixing matrix"] rect')
    assert heat.count() >= 9
    units_map = page.locator('svg[aria-label^="Units sized"]')
    assert units_map.locator("circle.unit").count() == 3
    names = sorted(units_map.locator("text.unit-label").all_text_contents())
    assert names == ["Research (6)", "Sales (6)", "Support (6)"]
    assert labels_clash(units_map) == []
    assert page.locator('svg[aria-label="Headline metrics per window"]').locator(
        "polyline, path").count() > 0
    assert page.locator('svg[aria-label="Lorenz curve of participation"]').locator(
        "polyline, path").count() > 0

    # Self-contained: nothing but the file itself was requested, no script errors.
    assert all(u.startswith("file://") for u in requests), requests
    assert page.locator("script").count() == 0
    assert errors == []
    page.close()


@pytest.mark.parametrize("units", [12, 40])
def test_units_map_names_every_unit_legibly(browser, tmp_path, units):
    """Level names up to 16 units, radial ones beyond: none overlaps another or leaves the chart."""
    names = [f"{word} {i}" for i, word in enumerate(["Customer Operations Europe", "Research",
                                                     "Finance and Control", "IT"] * 10)][:units]
    people = ["id,unit,level,stakeholder,manager"] + [f"p{i},{names[i % units]},2,employee," for i in range(3 * units)]
    inter = ["source,target,timestamp,kind,weight,thread"] + [
        f"p{i},p{(i * 7 + 1) % (3 * units)},2025-01-02T09:00:00Z,reply,1,t{i}" for i in range(3 * units)]
    (tmp_path / "p.csv").write_text("\n".join(people) + "\n", encoding="utf-8")
    (tmp_path / "i.csv").write_text("\n".join(inter) + "\n", encoding="utf-8")
    out = tmp_path / "r.html"
    call_command("insights", "report", "--quiet", "--people", str(tmp_path / "p.csv"), "--interactions",
                 str(tmp_path / "i.csv"), "--format", "html", "--out", str(out), "--min-group", "1")
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(out.as_uri())
    units_map = page.locator('svg[aria-label^="Units sized"]')
    labels = units_map.locator("text.unit-label")
    assert labels.count() == units
    assert all(text.endswith("(3)") for text in labels.all_text_contents())
    assert labels_clash(units_map) == []
    assert page.locator("h3", has_text="Strongest ties between units").count() == 1
    page.close()
