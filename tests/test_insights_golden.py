"""The insights on the demo organisation do not move when the platform's plumbing changes.

`tests/data/demo_report_*.json` were computed from the demo organisation (300 members,
seed 1) before the activity stream replaced the insights' own event table (issue 7). Any
refactoring below the insights must leave every figure of those reports as it was: the
dashboard's report (secret communities left out) and the CLI's `--include-secret` one.

To record new reference reports after a deliberate change to the analysis itself:
`SOCIALFABRIC_WRITE_GOLDEN=1 pytest tests/test_insights_golden.py` (on SQLite).
"""

from __future__ import annotations

import json
import math
import os
from datetime import date
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
# Wall-clock fields: when and how fast a report was computed, not what it found.
VOLATILE = {"generated_at", "timing_seconds", "timings", "step_seconds", "seconds"}
UNTIL = date(2026, 6, 2)  # the demo ends on 2026-06-01: a closed window, no "now" in it


def _strip(value):
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _reports() -> dict[str, dict]:
    from socialfabric.insights import services
    from socialfabric.insights.analysis import platform, report

    dashboard = services.analyse(services.ReportRequest(until=UNTIL, window="month", min_group=5))
    ds = platform.load(until=UNTIL.isoformat(), exclude_secret=False)
    horizon = services._epoch(UNTIL)
    everything, _rows = report.analyse(ds, min_group=5, window="quarter", horizon=horizon)
    platform.apply_platform_figures(everything, ds, until=UNTIL.isoformat(), horizon=horizon)
    # JSON round trip: the reports are stored and served as JSON, compare them as such.
    return {name: json.loads(json.dumps(_strip(r))) for name, r in
            (("dashboard", dashboard), ("include_secret", everything))}


def _diff(expected, actual, path: str = "") -> list[str]:
    """Every figure that differs, by its path in the report."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = [f"{path}.{k}: missing" for k in expected.keys() - actual.keys()]
        out += [f"{path}.{k}: unexpected" for k in actual.keys() - expected.keys()]
        for k in expected.keys() & actual.keys():
            out += _diff(expected[k], actual[k], f"{path}.{k}")
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{path}: {len(expected)} items, now {len(actual)}"]
        return [d for i, (e, a) in enumerate(zip(expected, actual, strict=True)) for d in _diff(e, a, f"{path}[{i}]")]
    if isinstance(expected, float) and isinstance(actual, float):
        # Summation order may differ between databases' row orders: allow the last bits.
        same = math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-12)
        return [] if same else [f"{path}: {expected} -> {actual}"]
    return [] if expected == actual else [f"{path}: {expected!r} -> {actual!r}"]


@pytest.mark.django_db(transaction=True)
def test_demo_insights_identical_figure_by_figure():
    from socialfabric.demo import generate

    generate(300, seed=1, progress=False)
    reports = _reports()
    for name, actual in reports.items():
        path = DATA / f"demo_report_{name}.json"
        if os.environ.get("SOCIALFABRIC_WRITE_GOLDEN"):
            path.parent.mkdir(exist_ok=True)
            path.write_text(json.dumps(actual, indent=1, sort_keys=True) + "\n")
        expected = json.loads(path.read_text())
        assert expected["counts"]["interactions"] > 1000  # a real organisation, not an empty report
        differences = _diff(expected, actual)
        assert not differences, f"{name}: {len(differences)} figures changed, e.g. {differences[:10]}"
