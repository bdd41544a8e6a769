"""The whole insights report: every metric, the trend, the roadmap stage, person rows."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np

from socialfabric.insights.analysis import metrics as mx
from socialfabric.insights.analysis.loader import NO_TIME, Dataset, Interactions, People

SCHEMA_VERSION = 1
STEPS = ("ties", "silos", "hierarchy", "participation", "leadership", "boundary", "graph",
         "pagerank", "betweenness", "brokers", "communities", "trend", "stages")
TOP = 10

Progress = Callable[[str], None]


def _subset(inter: Interactions, mask: np.ndarray) -> Interactions:
    return Interactions(source=inter.source[mask], target=inter.target[mask],
                        weight=inter.weight[mask], time=inter.time[mask], kind=inter.kind[mask],
                        kinds=inter.kinds, conversation=inter.conversation[mask],
                        has_conversation=inter.has_conversation)


def _person_group(people: People) -> np.ndarray:
    """The group that decides privacy for a person: their unit, else their stakeholder kind."""
    stake = people.attributes["stakeholder"]
    if "unit" not in people.attributes:
        return stake
    unit = people.attributes["unit"]
    k = len(people.labels["unit"])
    return np.where(unit >= 0, unit, k + stake)


def listable(people: People, min_group: int) -> np.ndarray:
    group = _person_group(people)
    return np.bincount(group)[group] >= min_group


def pseudonym(pid: str, key: bytes | None = None) -> str:
    """A stable pseudonym for a person id: an HMAC under this installation's key, so that
    whoever knows the directory cannot recompute it (a plain hash of the handle could be
    matched against every handle). Stable while the key is; a new key gives new pseudonyms."""
    return "p-" + hmac.new(key or pseudonym_key(), pid.encode(), hashlib.sha256).hexdigest()[:12]


def pseudonym_key() -> bytes:
    """SOCIALFABRIC_PSEUDONYM_KEY when set (rotate it to unlink old pseudonyms from new ones),
    else derived from SECRET_KEY. Never written into a report."""
    from django.conf import settings

    configured = getattr(settings, "SOCIALFABRIC_PSEUDONYM_KEY", "")
    if configured:
        return configured.encode()
    return hmac.new(settings.SECRET_KEY.encode(), b"socialfabric.insights.pseudonym", hashlib.sha256).digest()


def analyse(ds: Dataset, *, min_group: int = 5, window: str | None = None,
            anonymise: bool = False, horizon: int | None = None,
            progress: Progress | None = None) -> tuple[dict, list[dict]]:


    clock = {"last": time.perf_counter()}
    step_seconds: dict[str, float] = {}

    def step(name: str) -> None:
        now = time.perf_counter()
        step_seconds[name] = round(now - clock["last"], 3)
        clock["last"] = now
        if progress:
            progress(name)

    people, inter = ds.people, ds.interactions
    report: dict = {"schema": SCHEMA_VERSION,
                    "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "settings": {"min_group": min_group, "window": window,
                                 "anonymised": anonymise},
                    "notes": list(ds.notes)}
    ties = mx.make_ties(people.n, inter.source, inter.target, inter.weight)
    step("ties")
    span = inter.time[inter.time != NO_TIME]
    report["counts"] = {
        "people": people.n, "interactions": inter.m, "ties": ties.m,
        "rows_read": inter.rows_read, "dropped_unknown": inter.dropped_unknown,
        "dropped_self": inter.dropped_self, "dropped_window": inter.dropped_window,
        "employees": int((~people.external).sum()), "external": int(people.external.sum()),
        "leaders": int(people.leader.sum()),
        "first": _iso(span.min()) if span.size else None,
        "last": _iso(span.max()) if span.size else None,
    }
    report["silos"] = {attr: mx.silos(codes, people.labels[attr], ties.src, ties.dst,
                                      ties.weight, min_group)
                       for attr, codes in people.attributes.items()}
    step("silos")
    report["hierarchy"] = mx.hierarchy(people.level, ties.src, ties.dst, ties.weight)
    step("hierarchy")
    report["participation"] = mx.participation(people, inter, min_group)
    step("participation")
    report["leadership"] = mx.leadership(people, inter, ties)
    step("leadership")
    report["boundary"] = mx.boundary(people, inter, horizon)
    report["boundary"]["units_with_external_share"] = _units_with_externals(people, ties)
    step("boundary")

    graph = mx.build_graph(ties)
    step("graph")
    pagerank = np.asarray(graph.pagerank(weights="weight", directed=True, damping=0.85))
    step("pagerank")
    between, between_meta = mx.betweenness(graph)
    step("betweenness")
    csr = mx.mutual_csr(ties)
    contacts = np.diff(csr.indptr)
    if people.n <= mx.LOCAL_ALL_MAX_PEOPLE:
        local = np.arange(people.n)
        local_meta = {"method": "exact for everyone"}
    else:
        local = np.sort(np.argsort(-contacts, kind="stable")[:mx.LOCAL_CANDIDATES])
        local_meta = {"method": f"exact for the {len(local)} people with most distinct "
                                f"contacts (of {people.n})"}
    constraint = np.full(people.n, np.nan)
    effective = np.full(people.n, np.nan)
    c_local, e_local = mx.burt_local(csr, local)
    constraint[local], effective[local] = c_local, e_local
    roles = np.full((people.n, len(mx.BROKERAGE_ROLES)), -1, dtype=np.int64)
    if "unit" in people.attributes:
        roles[local] = mx.brokerage_roles(ties, people.attributes["unit"], local)
    step("brokers")
    comm, membership = mx.communities(graph, people, min_group)
    report["communities"] = comm
    step("communities")

    ok = listable(people, min_group)
    key = pseudonym_key() if anonymise else b""
    ids = [pseudonym(p, key) for p in people.ids] if anonymise else people.ids
    out_w = np.bincount(ties.src, weights=ties.weight, minlength=people.n)
    in_w = np.bincount(ties.dst, weights=ties.weight, minlength=people.n)

    def top(values: np.ndarray, *, lowest: bool = False, extra=None) -> list[dict]:
        vals = np.where(ok & np.isfinite(values), values, np.nan)
        valid = np.flatnonzero(~np.isnan(vals) & (contacts > 0))
        order = valid[np.argsort(vals[valid] if lowest else -vals[valid], kind="stable")]
        rows = []
        for i in order[:TOP].tolist():
            row = {"id": ids[i], "value": mx._f(values[i]), "contacts": int(contacts[i])}
            if "unit" in people.attributes and people.attributes["unit"][i] >= 0:
                row["unit"] = people.labels["unit"][people.attributes["unit"][i]]
            rows.append(row)
        return rows

    role_totals = {}
    if "unit" in people.attributes:
        valid = roles[:, 0] >= 0
        role_totals = {name: int(roles[valid, j].sum())
                       for j, name in enumerate(mx.BROKERAGE_ROLES)}
    brokerage_score = np.where(roles[:, 0] >= 0, roles[:, 1:].sum(axis=1), -1).astype(float)
    brokerage_score[brokerage_score < 0] = np.nan
    report["network"] = {
        "reciprocity": mx._f(mx.reciprocity(ties)),
        "density": mx._f(ties.m / (people.n * (people.n - 1))) if people.n > 1 else None,
        "influencers": top(pagerank),
        "brokers": {
            "constraint": top(constraint, lowest=True),
            "effective_size": top(effective),
            "betweenness": top(between),
            "brokerage": top(brokerage_score),
        },
        "betweenness": between_meta,
        "local_measures": local_meta,
        "brokerage_roles": role_totals,
    }
    report["trend"] = trend(people, inter, window, min_group) if window else None
    step("trend")
    report["stages"] = stages(report)
    report["findings"] = findings(report)
    step("stages")
    report["step_seconds"] = step_seconds

    rows = []
    unit = people.attributes.get("unit")
    for i in np.flatnonzero(ok).tolist():
        row = {
            "id": ids[i],
            "unit": people.labels["unit"][unit[i]] if unit is not None and unit[i] >= 0 else "",
            "level": int(people.level[i]) or "",
            "stakeholder": people.labels["stakeholder"][people.attributes["stakeholder"][i]],
            "leader": bool(people.leader[i]),
            "initiated": mx._f(out_w[i]), "received": mx._f(in_w[i]),
            "contacts": int(contacts[i]),
            "pagerank": mx._f(pagerank[i], 8), "betweenness": mx._f(between[i], 3),
            "constraint": mx._f(constraint[i]), "effective_size": mx._f(effective[i]),
            "community": int(membership[i]) if contacts[i] else "",
        }
        for j, name in enumerate(mx.BROKERAGE_ROLES):
            row[name] = int(roles[i, j]) if roles[i, j] >= 0 else ""
        rows.append(row)
    return report, rows


def _iso(t: int) -> str:
    return datetime.fromtimestamp(int(t), UTC).isoformat(timespec="seconds")


def _units_with_externals(people: People, ties: mx.Ties) -> float | None:
    if "unit" not in people.attributes or not people.labels["unit"]:
        return None
    unit, ext = people.attributes["unit"], people.external
    emp_side = np.concatenate([np.where(ext[ties.dst] & ~ext[ties.src], ties.src, -1),
                               np.where(ext[ties.src] & ~ext[ties.dst], ties.dst, -1)])
    emp_side = emp_side[emp_side >= 0]
    units = mx.uniq(unit[emp_side])
    units = units[units >= 0]
    return mx._f(len(units) / len(people.labels["unit"]))


# --------------------------------------------------------------------------- trend
def headline(people: People, inter: Interactions) -> dict:
    ties = mx.make_ties(people.n, inter.source, inter.target, inter.weight)
    initiated = np.bincount(inter.source, weights=inter.weight, minlength=people.n)
    emp = ~people.external
    out = {
        "interactions": inter.m,
        "ties": ties.m,
        "active_share": mx._ratio(float((initiated > 0).sum()), people.n),
        "employees_active_share": mx._ratio(float((initiated[emp] > 0).sum()), float(emp.sum())),
        "gini": mx._f(mx.gini(initiated)),
        "reciprocity": mx._f(mx.reciprocity(ties)),
        "leader_activity_share": mx._ratio(float(inter.weight[people.leader[inter.source]].sum()),
                                           float(inter.weight.sum())),
    }
    for attr in ("unit", "stakeholder"):
        if attr in people.attributes:
            k = len(people.labels[attr])
            matrix = mx.mixing_matrix(people.attributes[attr], k, ties.src, ties.dst, ties.weight)
            internal = float(np.trace(matrix))
            out[f"{attr}_ei"] = mx._f(mx.ei(float(matrix.sum()) - internal, internal))
    h = mx.hierarchy(people.level, ties.src, ties.dst, ties.weight)
    for key in ("up", "down", "lateral", "skip_level"):
        out[key] = h[key]
    ext = people.external[inter.source] | people.external[inter.target]
    out["external_interaction_share"] = mx._ratio(float(inter.weight[ext].sum()),
                                                  float(inter.weight.sum()))
    return out


def window_codes(times: np.ndarray, window: str) -> tuple[np.ndarray, list[str]]:
    months = times.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)  # since 1970
    if window == "quarter":
        codes = months // 3
        labels = [f"{1970 + c // 4}-Q{c % 4 + 1}" for c in range(int(codes.max()) + 1)] \
            if codes.size else []
    else:
        codes = months
        labels = [f"{1970 + c // 12}-{c % 12 + 1:02d}" for c in range(int(codes.max()) + 1)] \
            if codes.size else []
    return codes, labels


def trend(people: People, inter: Interactions, window: str, min_group: int) -> dict:
    timed = inter.time != NO_TIME
    if not timed.any():
        return {"window": window, "windows": [], "note": "no timestamps"}
    codes, labels = window_codes(inter.time[timed], window)
    sub_all = _subset(inter, timed)
    result = []
    for c in mx.uniq(codes).tolist():
        sub = _subset(sub_all, codes == c)
        result.append({"window": labels[c], **headline(people, sub)})
    return {"window": window, "windows": result}


# --------------------------------------------------------------------------- stages
def _get(report: dict, path: str):
    node = report
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _criterion(report: dict, cid: str, text: str, path: str, op: str, threshold,
               base_path: str | None = None) -> dict:
    value = _get(report, path)
    base = _get(report, base_path) if base_path else None
    limit = threshold if base_path is None else (None if base is None else base + threshold)
    holds = None
    if value is not None and limit is not None:
        holds = bool(value >= limit) if op == ">=" else bool(value <= limit)
    return {"id": cid, "criterion": text, "metric": path, "value": value, "op": op,
            "threshold": mx._f(limit) if limit is not None else None, "holds": holds}


def stages(report: dict) -> dict:
    c = _criterion
    r = report
    plan = {
        "internal": [
            c(r, "employees_active", "At least 50 % of employees initiated an interaction",
              "participation.employees_active_share", ">=", 0.5),
            c(r, "unit_ei", "Cross-unit E-I is at least its random-mixing expectation minus 0.5",
              "silos.unit.ei", ">=", -0.5, "silos.unit.ei_expected"),
            c(r, "level_lateral_not_only", "At least 20 % of interactions cross levels (up or "
              "down)", "hierarchy.lateral", "<=", 0.8),
            c(r, "policy_accepted", "Policy accepted by at least 80 % of employees "
              "(platform data only; not in files)", "platform.policy_accepted_share", ">=", 0.8),
        ],
        "external": [
            c(r, "external_share", "At least 5 % of interactions involve external members",
              "boundary.external_interaction_share", ">=", 0.05),
            c(r, "units_engage_externals", "At least half of the units interact with "
              "external members", "boundary.units_with_external_share", ">=", 0.5),
            c(r, "answer_rate", "At least 80 % of external members' questions get an employee "
              "answer", "boundary.questions.answer_rate", ">=", 0.8),
        ],
        "harmonise": [
            c(r, "cross_stakeholder", "At least 10 % of conversations bring external members "
              "together with employees of two or more units",
              "boundary.cross_stakeholder_share", ">=", 0.10),
            c(r, "stakeholder_ei", "Stakeholder E-I is at least its random-mixing expectation "
              "minus 0.5", "silos.stakeholder.ei", ">=", -0.5, "silos.stakeholder.ei_expected"),
            c(r, "answer_time", "Median time to a first employee answer is at most 24 hours",
              "boundary.questions.median_hours", "<=", 24),
        ],
        "grow": [
            c(r, "broad_participation", "At least 70 % of employees active",
              "participation.employees_active_share", ">=", 0.7),
            c(r, "equal_participation", "Top 10 % of people make at most 50 % of the activity",
              "participation.top10_share", "<=", 0.5),
            c(r, "deep_cross_stakeholder", "At least 25 % of conversations are cross-stakeholder",
              "boundary.cross_stakeholder_share", ">=", 0.25),
            c(r, "informal_beyond_chart", "Informal communities are not a copy of the org "
              "chart: NMI with units at most 0.7", "communities.nmi.unit", "<=", 0.7),
        ],
    }
    layers = {
        "leadership": [
            c(r, "leaders_active", "At least 50 % of leaders initiated an interaction",
              "leadership.active_share", ">=", 0.5),
            c(r, "leaders_walk_the_talk", "Leaders' share of activity is at least their share "
              "of people", "leadership.activity_share", ">=", 0, "leadership.people_share"),
            c(r, "leaders_reply", "At least 30 % of leaders' interactions are replies",
              "leadership.reply_share", ">=", 0.3),
            c(r, "leaders_reach_out", "Leaders' E-I towards non-leaders is at least its "
              "random-mixing expectation minus 0.5", "leadership.ei_to_non_leaders", ">=", -0.5,
              "leadership.ei_to_non_leaders_expected"),
        ],
        "management": [
            c(r, "two_way", "At least 30 % of ties are reciprocated", "network.reciprocity",
              ">=", 0.3),
            c(r, "across_units", "Cross-unit E-I at least its expectation minus 0.5",
              "silos.unit.ei", ">=", -0.5, "silos.unit.ei_expected"),
        ],
        "execution": [
            c(r, "active", "At least 50 % of employees active",
              "participation.employees_active_share", ">=", 0.5),
            c(r, "not_concentrated", "Participation Gini at most 0.8", "participation.gini",
              "<=", 0.8),
        ],
    }
    reached = None
    for name, criteria in plan.items():
        measured = [x for x in criteria if x["holds"] is not None]
        if measured and all(x["holds"] for x in measured):
            reached = name
        else:
            break
    return {
        "reached": reached,
        "rule": "a stage is reached when every measurable criterion of it and of every earlier "
                "stage holds; criteria without data are shown as unknown and do not count",
        "stages": plan,
        "layers": layers,
    }


# --------------------------------------------------------------------------- findings
def _pct(x) -> str:
    return "n/a" if x is None else f"{100 * x:.0f}\u00a0%"  # a no-break space: "30 %" stays one piece


def _two(x) -> str:
    return "n/a" if x is None else f"{x:.2f}"


def _hours(h: float) -> str:
    """A time as people say it: minutes under an hour, hours under two days, then days."""
    if h < 1:
        return f"{max(1, round(h * 60))} min"
    if h < 48:
        return f"{h:.1f} h" if h < 10 else f"{h:.0f} h"
    return f"{h / 24:.0f} days"


def findings(r: dict) -> list[str]:
    """Plain-language sentences, each built only from a reported figure."""
    out = []
    p = r["participation"]
    out.append(f"{_pct(p['active_share'])} of the {r['counts']['people']:,} people initiated at "
               f"least one interaction; the most active 10 % made {_pct(p['top10_share'])} of "
               f"all activity (Gini {_two(p['gini'])}).")
    unit = r["silos"].get("unit")
    if unit and unit["ei"] is not None:
        tone = "inside their own units" if unit["ei"] < (unit["ei_expected"] or 0) else \
            "across units as much as random mixing would"
        out.append(f"People talk mostly {tone}: unit E-I is {unit['ei']:+.2f} against "
                   f"{(unit['ei_expected'] or 0):+.2f} if everyone mixed at random.")
    h = r["hierarchy"]
    if h["lateral"] is not None:
        out.append(f"{_pct(h['lateral'])} of interactions stay on the same level "
                   f"(random mixing: {_pct(h['lateral_expected'])}); {_pct(h['up'])} go up, "
                   f"{_pct(h['down'])} go down, {_pct(h['skip_level'])} skip a level.")
    lead = r["leadership"]
    out.append(f"Leaders are {_pct(lead['people_share'])} of people and make "
               f"{_pct(lead['activity_share'])} of the activity; {_pct(lead['active_share'])} of "
               "them took part.")
    b = r["boundary"]
    if b.get("cross_stakeholder_share") is not None:
        out.append(f"{_pct(b['cross_stakeholder_share'])} of conversations bring external "
                   "members together with employees of two or more units.")
    q = b.get("questions")
    if q and q["count"]:
        med = "never reached" if q["median_hours"] is None else _hours(q["median_hours"])
        out.append(f"External members asked {q['count']:,} questions; {_pct(q['answer_rate'])} "
                   f"got an employee answer (median time {med}).")
    comm = r["communities"]
    nmi = comm["nmi"].get("unit")
    if nmi is not None:
        out.append(f"The informal network forms {comm['count']:,} communities (modularity "
                   f"{_two(comm['modularity'])}); their match with the units is NMI {nmi:.2f}.")
    st = r["stages"]["reached"]
    out.append(f"Roadmap stage reached: {st.capitalize() if st else 'none yet'}.")
    return out
