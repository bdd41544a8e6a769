"""Every metric against an independent implementation on small random graphs (hypothesis).

networkx for PageRank, constraint, effective size, assortativity, reciprocity; brute-force
loops written here for E-I, the mixing matrix, hierarchy flow and brokerage roles.
"""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from networkx.algorithms.link_analysis.pagerank_alg import _pagerank_python  # no scipy here

from socialfabric.insights.analysis import metrics

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def graphs(draw, max_people: int = 12):
    n = draw(st.integers(3, max_people))
    k = draw(st.integers(1, 4))
    groups = draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n))
    levels = draw(st.lists(st.integers(0, 4), min_size=n, max_size=n))  # 0 = not given
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1),
                                    st.sampled_from([0.5, 1.0, 2.0, 3.0])),
                          min_size=1, max_size=40))
    pairs = [(a, b, w) for a, b, w in pairs if a != b]
    groups = np.unique(groups, return_inverse=True)[1].ravel()  # every group has people
    return n, groups, np.array(levels, dtype=np.int16), pairs


def _ties(n, pairs):
    src = np.array([p[0] for p in pairs], dtype=np.int32)
    dst = np.array([p[1] for p in pairs], dtype=np.int32)
    w = np.array([p[2] for p in pairs], dtype=np.float64)
    return metrics.make_ties(n, src, dst, w)


def _digraph(n, pairs, groups):
    g = nx.DiGraph()
    g.add_nodes_from((i, {"g": int(groups[i])}) for i in range(n))
    for a, b, w in pairs:
        g.add_edge(a, b, weight=g.get_edge_data(a, b, {"weight": 0})["weight"] + w)
    return g


@SETTINGS
@given(graphs())
def test_ei_and_mixing_brute_force(data):
    n, groups, _, pairs = data
    k = int(groups.max()) + 1
    labels = [f"g{i}" for i in range(k)]
    ties = _ties(n, pairs)
    out = metrics.silos(groups.astype(np.int32), labels, ties.src, ties.dst, ties.weight, 1)
    matrix = [[0.0] * k for _ in range(k)]
    for a, b, w in pairs:  # every interaction, one by one
        matrix[groups[a]][groups[b]] += w
    assert np.allclose(np.array(out["matrix"], dtype=float), matrix, atol=1e-6)
    ext = sum(w for a, b, w in pairs if groups[a] != groups[b])
    inn = sum(w for a, b, w in pairs if groups[a] == groups[b])
    if pairs:
        assert out["ei"] == pytest.approx((ext - inn) / (ext + inn), abs=1e-6)
    cross = sum(1 for i, j in itertools.permutations(range(n), 2) if groups[i] != groups[j])
    assert out["ei_expected"] == pytest.approx(2 * cross / (n * (n - 1)) - 1, abs=1e-6)
    for g in range(k):
        members = int((groups == g).sum())
        if not members or not pairs:
            continue
        gi = sum(w for a, b, w in pairs if groups[a] == g and groups[b] == g)
        ge = sum(w for a, b, w in pairs if (groups[a] == g) != (groups[b] == g))
        want = (ge - gi) / (ge + gi) if ge + gi else None
        got = out["groups"][f"g{g}"]["ei"]
        assert got == (None if want is None else pytest.approx(want, abs=1e-6))


@SETTINGS
@given(graphs())
def test_assortativity_and_reciprocity_vs_networkx(data):
    n, groups, _, pairs = data
    if not pairs:
        return
    k = int(groups.max()) + 1
    ties = _ties(n, pairs)
    g = _digraph(n, pairs, groups)
    out = metrics.silos(groups.astype(np.int32), [str(i) for i in range(k)], ties.src, ties.dst,
                        np.ones(ties.m), 1)  # networkx counts ties, not weights
    want = nx.attribute_assortativity_coefficient(g, "g")
    if np.isfinite(want):
        assert out["assortativity"] == pytest.approx(want, abs=1e-6)
    else:
        assert out["assortativity"] is None
    assert metrics.reciprocity(ties) == pytest.approx(nx.reciprocity(g), abs=1e-12)


@SETTINGS
@given(graphs())
def test_pagerank_constraint_effective_size_vs_networkx(data):
    n, groups, _, pairs = data
    if not pairs:
        return
    ties = _ties(n, pairs)
    g = _digraph(n, pairs, groups)
    graph = metrics.build_graph(ties)
    ours = graph.pagerank(weights="weight", directed=True, damping=0.85)
    theirs = _pagerank_python(g, weight="weight", tol=1e-13, max_iter=10_000)
    assert np.allclose(ours, [theirs[i] for i in range(n)], atol=1e-7)
    con, eff = metrics.burt_local(metrics.mutual_csr(ties), np.arange(n))
    nx_con = nx.constraint(g, weight="weight")
    nx_eff = nx.effective_size(g, weight="weight")
    for v in range(n):
        if g.out_degree(v):  # networkx gives NaN without successors
            assert con[v] == pytest.approx(nx_con[v], rel=1e-9, abs=1e-12)
            assert eff[v] == pytest.approx(nx_eff[v], rel=1e-9, abs=1e-12)


@SETTINGS
@given(graphs())
def test_hierarchy_flow_brute_force(data):
    n, _, levels, pairs = data
    ties = _ties(n, pairs)
    out = metrics.hierarchy(levels, ties.src, ties.dst, ties.weight)
    known = [(a, b, w) for a, b, w in pairs if levels[a] and levels[b]]
    total = sum(w for *_, w in known)
    for key, test in (("up", lambda d: d > 0), ("down", lambda d: d < 0),
                      ("lateral", lambda d: d == 0), ("skip_level", lambda d: abs(d) >= 2)):
        share = sum(w for a, b, w in known if test(int(levels[a]) - int(levels[b])))
        assert out[key] == (pytest.approx(share / total, abs=1e-6) if total else None)
        people = [i for i in range(n) if levels[i]]
        ordered = [(i, j) for i, j in itertools.permutations(people, 2)]
        hits = sum(1 for i, j in ordered if test(int(levels[i]) - int(levels[j])))
        assert out[f"{key}_expected"] == (
            pytest.approx(hits / len(ordered), abs=1e-6) if ordered else None)


@SETTINGS
@given(graphs())
def test_brokerage_roles_brute_force(data):
    n, groups, _, pairs = data
    ties = _ties(n, pairs)
    edges = {(int(a), int(b)) for a, b in zip(ties.src, ties.dst, strict=True)}
    got = metrics.brokerage_roles(ties, groups.astype(np.int32), np.arange(n))
    for b in range(n):
        want = [0] * 5
        for a, c in itertools.permutations(range(n), 2):
            if (a, b) in edges and (b, c) in edges and (a, c) not in edges and b not in (a, c):
                ga, gb, gc = groups[a], groups[b], groups[c]
                if ga == gb == gc:
                    want[0] += 1
                elif ga != gb and gb == gc:
                    want[1] += 1
                elif ga == gb and gc != gb:
                    want[2] += 1
                elif ga == gc and ga != gb:
                    want[3] += 1
                else:
                    want[4] += 1
        assert got[b].tolist() == want


@SETTINGS
@given(st.lists(st.floats(0, 100), min_size=1, max_size=50))
def test_gini_brute_force(values):
    x = np.array(values)
    got = metrics.gini(x)
    if x.sum() <= 0:
        assert got is None
        return
    mean_abs = sum(abs(a - b) for a in values for b in values) / (len(values) ** 2)
    assert got == pytest.approx(mean_abs / (2 * x.mean()), abs=1e-9)


def test_kaplan_meier_by_hand():
    # 4 questions: answered after 1 h and 3 h, censored at 2 h and 5 h.
    times, surv = metrics.kaplan_meier(np.array([1.0, 2.0, 3.0, 5.0]),
                                       np.array([True, False, True, False]))
    # S(1) = 3/4; censoring at 2 leaves 2 at risk; S(3) = 3/4 * 1/2 = 3/8.
    assert times.tolist() == [1.0, 2.0, 3.0, 5.0]
    assert surv.tolist() == pytest.approx([0.75, 0.75, 0.375, 0.375])
    assert metrics.km_quantile(times, surv, 0.5) == 3.0
    assert metrics.km_quantile(times, surv, 0.9) is None
