"""One self-contained HTML page: findings first, then inline SVG charts (no scripts, no CDN)."""

from __future__ import annotations

import math
from collections.abc import Callable
from html import escape

PersonUrl = Callable[[str], str | None]

PALETTE = ("#2f6fad", "#e07b39", "#3a9d5d", "#b8475a", "#7d5ba6", "#8c6d3f", "#4aa3a1")


def _num(x, digits: int = 2) -> str:
    if x is None:
        return "n/a"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return str(x)


def _svg(width: int, height: int, body: str, label: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}" '
            f'class="chart">{body}</svg>')


def heatmap(silo: dict, title: str) -> str:
    labels = silo["labels"]
    matrix = silo["matrix"]
    k = len(labels)
    if k == 0:
        return ""
    show = min(k, 30)  # the 30 first groups keep the chart readable; the JSON has all
    cell = max(12, min(40, 480 // show))
    left, top = 140, 110
    vals = [v for row in matrix[:show] for v in row[:show] if v is not None]
    vmax = max(vals) if vals else 1.0
    parts = []
    for i in range(show):
        y = top + i * cell
        parts.append(f'<text x="{left - 6}" y="{y + cell * 0.7:.1f}" text-anchor="end" '
                     f'font-size="11">{escape(labels[i][:20])}</text>')
        for j in range(show):
            v = matrix[i][j]
            x = left + j * cell
            if v is None:
                fill = "#ddd"
            else:
                a = math.sqrt(v / vmax) if vmax else 0
                fill = f"rgba(47,111,173,{a:.3f})"
            parts.append(f'<rect x="{x}" y="{y}" width="{cell - 1}" height="{cell - 1}" '
                         f'fill="{fill}"><title>{escape(labels[i])} → {escape(labels[j])}: '
                         f'{_num(v)}</title></rect>')
    for j in range(show):
        x = left + j * cell + cell * 0.6
        parts.append(f'<text transform="translate({x:.1f},{top - 6}) rotate(-60)" '
                     f'font-size="11">{escape(labels[j][:20])}</text>')
    w, h = left + show * cell + 20, top + show * cell + 20
    return _svg(w, h, "".join(parts), title)


def lorenz(points: list[list[float]]) -> str:
    size, pad = 320, 40
    def xy(p):
        return pad + p[0] * size, pad + size - p[1] * size
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in map(xy, points))
    body = (f'<rect x="{pad}" y="{pad}" width="{size}" height="{size}" fill="none" stroke="#999"/>'
            f'<line x1="{pad}" y1="{pad + size}" x2="{pad + size}" y2="{pad}" stroke="#bbb" '
            f'stroke-dasharray="4 3"/>'
            f'<polyline points="{path}" fill="none" stroke="{PALETTE[0]}" stroke-width="2.5"/>'
            f'<text x="{pad + size / 2}" y="{pad + size + 30}" text-anchor="middle" '
            f'font-size="12">share of people (least active first)</text>'
            f'<text transform="translate(14,{pad + size / 2}) rotate(-90)" text-anchor="middle" '
            f'font-size="12">share of activity</text>')
    return _svg(size + 2 * pad, size + 2 * pad + 10, body, "Lorenz curve of participation")


def flow_bars(h: dict) -> str:
    keys = ("up", "down", "lateral", "skip_level")
    width, bar, gap, left = 520, 16, 22, 90
    parts = []
    for i, key in enumerate(keys):
        y = 20 + i * (2 * bar + gap)
        obs, exp = h.get(key), h.get(f"{key}_expected")
        parts.append(f'<text x="{left - 8}" y="{y + bar + 4}" text-anchor="end" '
                     f'font-size="12">{key.replace("_", " ")}</text>')
        for j, (val, colour, name) in enumerate(((obs, PALETTE[0], "observed"),
                                                  (exp, "#bbb", "random mixing"))):
            wv = (val or 0) * (width - left - 60)
            parts.append(f'<rect class="bar" x="{left}" y="{y + j * bar}" width="{wv:.1f}" '
                         f'height="{bar - 2}" fill="{colour}"><title>{name}: {_num(val, 3)}'
                         f'</title></rect><text x="{left + wv + 4:.1f}" y="{y + j * bar + 12}" '
                         f'font-size="11">{_num(100 * val if val is not None else None, 1)} %'
                         f'</text>')
    parts.append(f'<rect x="{left}" y="{4 * (2 * bar + gap) + 20}" width="12" height="10" '
                 f'fill="{PALETTE[0]}"/><text x="{left + 16}" y="{4 * (2 * bar + gap) + 29}" '
                 'font-size="11">observed</text>'
                 f'<rect x="{left + 90}" y="{4 * (2 * bar + gap) + 20}" width="12" height="10" '
                 f'fill="#bbb"/><text x="{left + 106}" y="{4 * (2 * bar + gap) + 29}" '
                 'font-size="11">expected under random mixing</text>')
    return _svg(width, 4 * (2 * bar + gap) + 44, "".join(parts),
                "Up, down, lateral and skip-level flow against random mixing")


def trend_lines(trend: dict | None) -> str:
    if not trend or len(trend.get("windows", [])) < 1:
        return "<p>No trend: run with <code>--window month</code> or <code>quarter</code> on " \
               "timestamped interactions.</p>"
    rows = trend["windows"]
    series = [("active_share", "people active"), ("unit_ei", "unit E-I (−1…1 → 0…1)"),
              ("external_interaction_share", "with externals"), ("reciprocity", "reciprocity"),
              ("gini", "participation Gini")]
    width, height, left, top = 640, 260, 50, 20
    plot_w, plot_h = width - left - 170, height - top - 40
    n = len(rows)
    def x(i):
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)
    parts = [f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" '
             'stroke="#999"/>',
             f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" font-size="10">0</text>',
             f'<text x="{left - 6}" y="{top + 10}" text-anchor="end" font-size="10">1</text>']
    for s, (key, name) in enumerate(series):
        pts = []
        for i, row in enumerate(rows):
            v = row.get(key)
            if v is None:
                continue
            if key == "unit_ei":
                v = (v + 1) / 2
            pts.append((x(i), top + plot_h - v * plot_h))
        if not pts:
            continue
        colour = PALETTE[s % len(PALETTE)]
        parts.append('<polyline class="trend" points="'
                     + " ".join(f"{a:.1f},{b:.1f}" for a, b in pts)
                     + f'" fill="none" stroke="{colour}" stroke-width="2"/>')
        parts.extend(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="2.5" fill="{colour}"/>'
                     for a, b in pts)
        parts.append(f'<text x="{left + plot_w + 10}" y="{top + 14 + 18 * s}" font-size="12" '
                     f'fill="{colour}">{escape(name)}</text>')
    step = max(1, n // 8)
    for i in range(0, n, step):
        parts.append(f'<text x="{x(i):.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
                     f'font-size="10">{escape(rows[i]["window"])}</text>')
    return _svg(width, height, "".join(parts), "Headline metrics per window")


def units_map(silo: dict | None) -> str:
    if not silo:
        return "<p>No unit column: no units map.</p>"
    labels, matrix = silo["labels"], silo["matrix"]
    sizes = [g.get("people") for g in silo["groups"].values()]
    k = min(len(labels), 40)
    if k == 0:
        return ""
    size, cx, cy, radius = 520, 260, 260, 190
    pos = [(cx + radius * math.cos(2 * math.pi * i / k), cy + radius * math.sin(2 * math.pi * i / k))
           for i in range(k)]
    flows = []
    for i in range(k):
        for j in range(i + 1, k):
            a, b = matrix[i][j], matrix[j][i]
            if a is None or b is None or a + b <= 0:
                continue
            flows.append((a + b, i, j))
    fmax = max((f[0] for f in flows), default=1.0)
    parts = []
    for f, i, j in sorted(flows)[-200:]:
        parts.append(f'<line x1="{pos[i][0]:.1f}" y1="{pos[i][1]:.1f}" x2="{pos[j][0]:.1f}" '
                     f'y2="{pos[j][1]:.1f}" stroke="#7a9cc6" stroke-opacity="0.6" '
                     f'stroke-width="{0.5 + 7 * f / fmax:.2f}"><title>{escape(labels[i])} ↔ '
                     f'{escape(labels[j])}: {_num(f)}</title></line>')
    smax = max((s or 0 for s in sizes[:k]), default=1) or 1
    for i in range(k):
        s = sizes[i] or 0
        r = 4 + 22 * math.sqrt(s / smax)
        parts.append(f'<circle class="unit" cx="{pos[i][0]:.1f}" cy="{pos[i][1]:.1f}" '
                     f'r="{r:.1f}" fill="{PALETTE[i % len(PALETTE)]}" fill-opacity="0.85">'
                     f'<title>{escape(labels[i])}: {s or "fewer than the minimum"} people'
                     f'</title></circle><text x="{pos[i][0]:.1f}" y="{pos[i][1] + r + 12:.1f}" '
                     f'text-anchor="middle" font-size="10">{escape(labels[i][:18])}</text>')
    return _svg(size, size + 20, "".join(parts), "Units sized by people, joined by cross-unit flow")


def _criteria_table(criteria: dict) -> str:
    rows = []
    for group, items in criteria.items():
        for c in items:
            state = {True: "✔ holds", False: "✘ not yet", None: "? no data"}[c["holds"]]
            rows.append(f"<tr><td>{escape(group)}</td><td>{escape(c['criterion'])}</td>"
                        f"<td>{_num(c['value'], 3)}</td><td>{escape(c['op'])} "
                        f"{_num(c['threshold'], 3)}</td><td>{state}</td></tr>")
    return ("<div class='table-scroll'><table><tr><th>stage / layer</th><th>criterion</th>"
            "<th>value</th><th>needs</th><th></th></tr>" + "".join(rows) + "</table></div>")


def _people_table(rows: list[dict], title: str, person_url: PersonUrl | None = None) -> str:
    if not rows:
        return ""

    def who(pid: str) -> str:
        url = person_url(pid) if person_url else None
        return f'<a href="{escape(url)}">{escape(pid)}</a>' if url else escape(pid)

    body = "".join(f"<tr><td>{who(r['id'])}</td><td>{escape(r.get('unit', ''))}</td>"
                   f"<td>{_num(r['value'], 4)}</td><td>{r['contacts']}</td></tr>" for r in rows)
    return (f"<h3>{escape(title)}</h3><div class='table-scroll'><table><tr><th>id</th><th>unit</th>"
            f"<th>value</th><th>contacts</th></tr>{body}</table></div>")


CSS = """body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;color:#222;
line-height:1.45;padding:0 1em}h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:3px 8px;
font-size:.9em;text-align:left}.findings li{margin:.3em 0}.stage{font-size:1.3em;font-weight:600}
.chart{max-width:100%;height:auto;display:block;margin:1em 0}.table-scroll{overflow-x:auto}
.note{color:#666;font-size:.9em}"""


def _day(iso: str | None) -> str:
    return escape(str(iso or "")[:10])


def summary(report: dict) -> str:
    c = report["counts"]
    span = f"; activity from {_day(c['first'])} to {_day(c['last'])}" if c.get("first") else ""
    generated = str(report["generated_at"])
    return (f"<p class='note'>{c['people']:,} people, {c['interactions']:,} interactions, "
            f"{c['ties']:,} distinct ties{span}. Generated {escape(generated[:10])} "
            f"{escape(generated[11:16])} UTC.</p>")


def findings(report: dict) -> str:
    return ("<ul class='findings'>" + "".join(f"<li>{escape(s)}</li>" for s in report["findings"])
            + "</ul>")


def stage(report: dict) -> str:
    st = report["stages"]
    return "\n".join([
        f"<p class='stage'>Roadmap stage reached: "
        f"{escape((st['reached'] or 'none yet').capitalize())}</p>",
        f"<p class='note'>{escape(st.get('rule', ''))}</p>",
        _criteria_table(st["stages"]),
        "<h3>Layers</h3>", _criteria_table(st["layers"]),
    ])


def sections(report: dict, person_url: PersonUrl | None = None) -> list[tuple[str, str, str]]:
    """The charts and tables after the findings, as (anchor, heading, HTML) in reading order.

    Shared by the standalone file and the in-platform dashboard; every text from the
    report is escaped here, so the HTML may be inserted as is.
    """
    unit = report["silos"].get("unit")
    part = report["participation"]
    out = []
    if unit:
        out.append(("units", "Who talks to whom: units",
                    f"<p>E-I {_num(unit['ei'])} (random mixing {_num(unit['ei_expected'])}); "
                    f"assortativity {_num(unit['assortativity'])}. Darker = more interaction; "
                    "rows send, columns receive.</p>" + heatmap(unit, "Unit mixing matrix")))
    out += [
        ("participation", "Participation",
         f"<p>Gini {_num(part['gini'])}; top 1 % make "
         f"{_num(100 * (part['top1_share'] or 0), 1)} % of activity.</p>"
         + lorenz(part["lorenz"])),
        ("hierarchy", "Across the hierarchy", flow_bars(report["hierarchy"])),
        ("trend", "Trend", trend_lines(report.get("trend"))),
        ("map", "Units map", units_map(unit)),
        ("people", "Influencers and brokers", "".join([
            _people_table(report["network"]["influencers"], "Influencers (PageRank)", person_url),
            _people_table(report["network"]["brokers"]["effective_size"],
                          "Brokers (effective size)", person_url),
            _people_table(report["network"]["brokers"]["betweenness"],
                          "Brokers (betweenness)", person_url)])),
    ]
    return out


def notes(report: dict) -> str:
    return "<ul>" + "".join(f"<li>{escape(n)}</li>" for n in report["notes"]) + "</ul>"


def render(report: dict) -> str:
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>Social Fabric insights</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>How social is this organisation?</h1>",
        summary(report),
        "<h2>Findings</h2>", findings(report),
        stage(report),
    ]
    for _anchor, heading, body in sections(report):
        parts += [f"<h2>{escape(heading)}</h2>", body]
    parts += ["<h2>Notes</h2>", notes(report), "</body></html>"]
    return "\n".join(parts)
