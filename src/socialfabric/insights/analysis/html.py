"""One self-contained HTML page: findings first, then inline SVG charts (no scripts, no CDN)."""

from __future__ import annotations

import math
from collections.abc import Callable
from html import escape

PersonUrl = Callable[[str], str | None]
PersonName = Callable[[str], str]

PALETTE = ("#2f6fad", "#e07b39", "#3a9d5d", "#b8475a", "#7d5ba6", "#8c6d3f", "#4aa3a1")


def rounded(x) -> str:
    """A figure as people read it: whole numbers grouped, two decimals for a value such as a
    Gini or an E-I (0.57, not 0.568445), fewer as it grows, two significant digits for a tiny
    one such as a PageRank (0.0042). The JSON keeps every digit."""
    if x is None:
        return "n/a"
    if isinstance(x, bool) or not isinstance(x, int | float):
        return escape(str(x))
    if isinstance(x, int) or float(x).is_integer() and abs(x) >= 10:
        return f"{int(x):,}"
    a = abs(x)
    if a >= 100:
        return f"{x:,.0f}"
    if a >= 10:
        return f"{x:.1f}"
    if a >= 0.01 or a == 0:
        return f"{x:.2f}"
    return f"{x:.2g}"


def _score(x) -> str:
    """A ranking score (PageRank, betweenness): two significant digits below 1, so that
    neighbours in the ranking stay apart (0.071, 0.034, 0.031)."""
    if isinstance(x, float) and 0 < abs(x) < 1:
        return f"{x:.2g}"
    return rounded(x)


def percent(x) -> str:
    return "n/a" if x is None else f"{100 * x:.0f}\u00a0%"


def _figure(metric: str, x) -> str:
    """A criterion's value in its own unit: shares as percentages, times in hours."""
    if x is None:
        return "n/a"
    if metric.endswith(("_share", "answer_rate", ".lateral")):
        return percent(x)
    if metric.endswith("_hours"):
        return f"{x:.1f} h" if abs(x) < 10 else f"{x:,.0f} h"
    return rounded(x)


def _svg(width: int, height: int, body: str, label: str, wide: bool = False) -> str:
    """An inline chart; a `wide` one (dense labels) keeps its size in a box that scrolls
    sideways on a phone rather than shrinking its text out of reach."""
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}" '
           f'class="chart">{body}</svg>')
    return f"<div class='chart-scroll'>{svg}</div>" if wide else svg


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
                     f'font-size="11">{escape(_short(labels[i], 20))}</text>')
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
                         f'{rounded(v)}</title></rect>')
    for j in range(show):
        x = left + j * cell + cell * 0.6
        parts.append(f'<text transform="translate({x:.1f},{top - 6}) rotate(-60)" '
                     f'font-size="11">{escape(_short(labels[j], 20))}</text>')
    w, h = left + show * cell + 20, top + show * cell + 20
    return _svg(w, h, "".join(parts), title, wide=True)


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
                         f'height="{bar - 2}" fill="{colour}"><title>{name}: {percent(val)}'
                         f'</title></rect><text x="{left + wv + 4:.1f}" y="{y + j * bar + 12}" '
                         f'font-size="11">{percent(val)}</text>')
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


def _short(label: str, n: int) -> str:
    return label if len(label) <= n else label[: n - 1] + "…"


def units_map(silo: dict | None) -> str:
    """Units on a circle, sized by people and joined by the interactions between them, every
    unit named beside its circle (outside the ring, so names never cross the lines), a legend
    under it, and the strongest ties as a table for who would rather read than look."""
    if not silo:
        return "<p>No unit column: no units map.</p>"
    labels, matrix = silo["labels"], silo["matrix"]
    sizes = [g.get("people") for g in silo["groups"].values()]
    k = min(len(labels), 40)
    if k == 0:
        return ""
    # Up to 16 units the names stand level beside their circles; more would collide near the
    # top and bottom of the ring, so they run outwards along the radius (as in a chord diagram),
    # turned on the left half so that none reads upside down. The margin fits the longest name.
    radial = k > 16
    font = 12 if k <= 28 else 11
    longest = max(len(_short(label, 24)) + 2 + len(f"{size or 'few'}")
                  for label, size in zip(labels[:k], sizes[:k], strict=False))
    room = 26 + 10 + longest * font * 0.58  # circle, gap, text
    radius = 180 if k <= 16 else 200
    side = radius + room
    upright = room if radial else 30 + 26 + 2 * font
    cx, cy = side, upright + radius
    width, height = round(2 * side), round(2 * (upright + radius) + 40)
    angle = [2 * math.pi * i / k - math.pi / 2 for i in range(k)]  # the first unit at the top
    pos = [(cx + radius * math.cos(a), cy + radius * math.sin(a)) for a in angle]
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
                     f'{escape(labels[j])}: {rounded(f)} interactions</title></line>')
    smax = max((s or 0 for s in sizes[:k]), default=1) or 1
    biggest = min(26.0, math.pi * radius / k - 2)  # neighbours on the ring never touch
    for i in range(k):
        s = sizes[i] or 0
        r = 4 + (biggest - 4) * math.sqrt(s / smax)
        cos, sin = math.cos(angle[i]), math.sin(angle[i])
        people = f"{s:,}" if s else "few"
        if radial:
            lx, ly = pos[i][0] + (r + 5) * cos, pos[i][1] + (r + 5) * sin
            turn = math.degrees(angle[i]) + (180 if cos < 0 else 0)
            anchor = "end" if cos < 0 else "start"
            place = (f'x="{lx:.1f}" y="{ly:.1f}" dominant-baseline="central" '
                     f'transform="rotate({turn:.1f} {lx:.1f} {ly:.1f})"')
        else:
            lx, ly = pos[i][0] + (r + 6) * cos, pos[i][1] + (r + 6) * sin + font * 0.35 + 4 * sin
            anchor = "start" if cos > 0.3 else "end" if cos < -0.3 else "middle"
            place = f'x="{lx:.1f}" y="{ly:.1f}"'
        parts.append(f'<circle class="unit" cx="{pos[i][0]:.1f}" cy="{pos[i][1]:.1f}" '
                     f'r="{r:.1f}" fill="{PALETTE[i % len(PALETTE)]}" fill-opacity="0.85">'
                     f'<title>{escape(labels[i])}: {s or "fewer than the minimum of"} people'
                     f'</title></circle><text class="unit-label" {place} '
                     f'text-anchor="{anchor}" font-size="{font}">{escape(_short(labels[i], 24))} '
                     f'<tspan fill="#666">({people})</tspan></text>')
    legend_y = height - 24
    parts.append(f'<circle cx="24" cy="{legend_y - 4}" r="7" fill="{PALETTE[0]}" fill-opacity="0.85"/>'
                 f'<text x="38" y="{legend_y}" font-size="12">circle area: people in the unit '
                 '(in brackets)</text>'
                 f'<line x1="330" y1="{legend_y - 4}" x2="370" y2="{legend_y - 4}" stroke="#7a9cc6" '
                 f'stroke-width="5"/><text x="378" y="{legend_y}" font-size="12">line width: '
                 'interactions between two units, both ways</text>')
    chart = _svg(width, height, "".join(parts), "Units sized by people, joined by cross-unit flow",
                 wide=True)
    note = f"<p class='note'>The first {k} of {len(labels)} units.</p>" if len(labels) > k else ""
    strongest = sorted(flows, reverse=True)[:8]
    table = ""
    if strongest:
        body = "".join(f"<tr><td>{escape(labels[i])}</td><td>{escape(labels[j])}</td>"
                       f"<td class='num'>{rounded(f)}</td></tr>" for f, i, j in strongest)
        table = ("<h3>Strongest ties between units</h3><div class='table-scroll'><table><tr>"
                 "<th>unit</th><th>unit</th><th>interactions</th></tr>" + body + "</table></div>")
    return chart + note + table


def _criteria_table(criteria: dict) -> str:
    rows = []
    for group, items in criteria.items():
        for c in items:
            state = {True: "✔ holds", False: "✘ not yet", None: "? no data"}[c["holds"]]
            op = {">=": "≥", "<=": "≤"}.get(c["op"], c["op"])
            rows.append(f"<tr><td>{escape(group)}</td><td>{escape(c['criterion'])}</td>"
                        f"<td class='num'>{_figure(c['metric'], c['value'])}</td><td>{escape(op)} "
                        f"{_figure(c['metric'], c['threshold'])}</td><td>{state}</td></tr>")
    return ("<div class='table-scroll'><table><tr><th>stage / layer</th><th>criterion</th>"
            "<th>value</th><th>needs</th><th></th></tr>" + "".join(rows) + "</table></div>")


def _people_table(rows: list[dict], title: str, person_url: PersonUrl | None = None,
                  person_name: PersonName | None = None) -> str:
    """People by name (a link to their profile) where the reader may see names, by pseudonym
    otherwise; the figure rounded."""
    if not rows:
        return ""

    def who(pid: str) -> str:
        name = person_name(pid) if person_name else pid
        url = person_url(pid) if person_url else None
        return f'<a href="{escape(url)}">{escape(name)}</a>' if url else escape(name)

    body = "".join(f"<tr><td>{who(r['id'])}</td><td>{escape(r.get('unit', ''))}</td>"
                   f"<td class='num'>{_score(r['value'])}</td><td class='num'>{rounded(r['contacts'])}"
                   f"</td></tr>" for r in rows)
    return (f"<h3>{escape(title)}</h3><div class='table-scroll'><table><tr><th>person</th><th>unit</th>"
            f"<th>score</th><th>contacts</th></tr>{body}</table></div>")


CSS = """body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;color:#222;
line-height:1.45;padding:0 1em}h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:3px 8px;
font-size:.9em;text-align:left}.findings li{margin:.3em 0}.stage{font-size:1.3em;font-weight:600}
.chart{max-width:100%;height:auto;display:block;margin:1em 0}.table-scroll{overflow-x:auto}
.note{color:#666;font-size:.9em}.chart-scroll{overflow-x:auto}.chart-scroll .chart{min-width:34rem}
td.num{text-align:right;font-variant-numeric:tabular-nums}"""


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


def sections(report: dict, person_url: PersonUrl | None = None,
             person_name: PersonName | None = None) -> list[tuple[str, str, str]]:
    """The charts and tables after the findings, as (anchor, heading, HTML) in reading order.

    Shared by the standalone file and the in-platform dashboard; every text from the
    report is escaped here, so the HTML may be inserted as is.
    """
    unit = report["silos"].get("unit")
    part = report["participation"]
    out = []
    if unit:
        out.append(("units", "Who talks to whom: units",
                    f"<p>E-I {rounded(unit['ei'])} (random mixing {rounded(unit['ei_expected'])}); "
                    f"assortativity {rounded(unit['assortativity'])}. Darker = more interaction; "
                    "rows send, columns receive.</p>" + heatmap(unit, "Unit mixing matrix")))
    out += [
        ("participation", "Participation",
         f"<p>Gini {rounded(part['gini'])}; the most active 1 % make "
         f"{percent(part['top1_share'])} of activity.</p>"
         + lorenz(part["lorenz"])),
        ("hierarchy", "Across the hierarchy", flow_bars(report["hierarchy"])),
        ("trend", "Trend", trend_lines(report.get("trend"))),
        ("map", "Units map", units_map(unit)),
        ("people", "Influencers and brokers", "".join([
            _people_table(report["network"]["influencers"], "Influencers (PageRank)", person_url, person_name),
            _people_table(report["network"]["brokers"]["effective_size"],
                          "Brokers (effective size)", person_url, person_name),
            _people_table(report["network"]["brokers"]["betweenness"],
                          "Brokers (betweenness)", person_url, person_name)])),
    ]
    signed = (report.get("platform") or {}).get("sign_off")
    if signed:
        rows = "".join(f"<tr><td>{escape(r['community'])}</td><td>{r['approved']}</td>"
                       f"<td>{rounded(r['median_hours'])} h</td><td>{rounded(r['p90_hours'])} h</td></tr>"
                       for r in signed)
        out.append(("sign-off", "Compliance sign-off",
                    "<p>Posts that waited for a compliance officer, by community: how long until approval.</p>"
                    "<table><thead><tr><th>Community</th><th>Approved</th><th>Median wait</th><th>90 % within</th>"
                    f"</tr></thead><tbody>{rows}</tbody></table>"))
    return out


def notes(report: dict) -> str:
    return "<ul>" + "".join(f"<li>{escape(n)}</li>" for n in report["notes"]) + "</ul>"


def render(report: dict, person_name: PersonName | None = None) -> str:
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>Social Fabric insights</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>How social is this organisation?</h1>",
        summary(report),
        "<h2>Findings</h2>", findings(report),
        stage(report),
    ]
    for _anchor, heading, body in sections(report, person_name=person_name):
        parts += [f"<h2>{escape(heading)}</h2>", body]
    parts += ["<h2>Notes</h2>", notes(report), "</body></html>"]
    return "\n".join(parts)
