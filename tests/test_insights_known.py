"""Known values: Zachary's karate club (networkx) and workfrance (PyPI package onadata)."""

from __future__ import annotations

import csv
import importlib.metadata
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from networkx.algorithms.link_analysis.pagerank_alg import _pagerank_python  # no scipy here

from socialfabric.insights.analysis import loader, metrics, report


def _write(path: Path, header: list[str], rows) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture(scope="module")
def karate(tmp_path_factory):
    g = nx.karate_club_graph()
    d = tmp_path_factory.mktemp("karate")
    people = _write(d / "people.csv", ["id", "unit"], [(n, a["club"]) for n, a in g.nodes(data=True)])
    inter = _write(d / "inter.csv", ["source", "target"], list(g.edges()))
    ds = loader.load(people, inter)
    result, rows = report.analyse(ds, min_group=1)
    return g, ds, result, rows


def test_karate_ei_and_assortativity(karate):
    g, _, r, _ = karate
    unit = r["silos"]["unit"]
    assert unit["ei"] == pytest.approx(-0.718, abs=5e-4)
    assert unit["assortativity_undirected"] == pytest.approx(0.7175, abs=5e-5)
    assert unit["assortativity_undirected"] == pytest.approx(
        nx.attribute_assortativity_coefficient(g, "club"), abs=1e-6)
    assert r["counts"] == r["counts"] | {"people": 34, "interactions": 78, "ties": 78}


def test_karate_leiden_best_modularity(karate):
    g, ds, r, _ = karate
    assert r["communities"]["runs"] >= 5
    assert r["communities"]["modularity"] == pytest.approx(0.4198, abs=1e-4)
    # The reported partition really has that modularity (independent check by networkx).
    _, membership = metrics.communities(report.mx.build_graph(
        metrics.make_ties(34, ds.interactions.source, ds.interactions.target,
                          ds.interactions.weight)), ds.people, 1)
    parts = [set(np.flatnonzero(membership == c).tolist()) for c in np.unique(membership)]
    assert nx.community.modularity(g, parts, weight=None) == pytest.approx(0.4198, abs=1e-4)
    assert 0 < r["communities"]["nmi"]["unit"] <= 1


def test_karate_json_keys(karate):
    _, _, r, rows = karate
    for path in ("counts.people", "counts.interactions", "counts.ties", "silos.unit.ei",
                 "silos.unit.ei_expected", "silos.unit.assortativity", "silos.unit.matrix",
                 "hierarchy.up", "hierarchy.down", "hierarchy.lateral", "hierarchy.skip_level",
                 "participation.gini", "participation.top1_share", "participation.top10_share",
                 "participation.active_share", "network.reciprocity", "network.influencers",
                 "network.brokers", "communities.count", "communities.modularity",
                 "communities.nmi.unit", "communities.ari.unit", "stages"):
        node = r
        for part in path.split("."):
            assert part in node, path
            node = node[part]
    assert set(r["silos"]["unit"]["groups"]) == {"Mr. Hi", "Officer"}
    assert len(rows) == 34


def _workfrance_files() -> tuple[Path, Path]:
    # The package's __init__ imports pandas; reading its data files needs no import.
    files = {f.name: f for f in importlib.metadata.files("onadata") if f.name.endswith(".csv")}
    return (Path(files["workfrance_vertices.csv"].locate()),
            Path(files["workfrance_edgelist.csv"].locate()))


def test_workfrance_against_networkx(tmp_path):
    vertices, edges = _workfrance_files()
    with vertices.open(newline="") as f:
        nodes = [(r["id"], r["dept"]) for r in csv.DictReader(f)]
    with edges.open(newline="") as f:
        links = [(r["from"], r["to"], float(r["mins"])) for r in csv.DictReader(f)]
    assert len(nodes) == 211 and len(links) == 932
    people = _write(tmp_path / "p.csv", ["id", "unit"], nodes)
    inter = _write(tmp_path / "i.csv", ["source", "target", "weight"], links)
    ds = loader.load(people, inter)
    r, rows = report.analyse(ds, min_group=1)

    g = nx.DiGraph()
    g.add_nodes_from((n, {"unit": d}) for n, d in nodes)
    for a, b, w in links:
        if a != b:
            g.add_edge(a, b, weight=g.get_edge_data(a, b, {"weight": 0})["weight"] + w)
    assert r["counts"]["ties"] == g.number_of_edges()
    assert r["network"]["reciprocity"] == pytest.approx(nx.reciprocity(g), abs=1e-6)
    # networkx's assortativity counts ties, not weights: compare on unit weights.
    ties = metrics.make_ties(ds.people.n, ds.interactions.source, ds.interactions.target,
                             ds.interactions.weight)
    unweighted = metrics.silos(ds.people.attributes["unit"], ds.people.labels["unit"], ties.src,
                               ties.dst, np.ones(ties.m), 1)
    assert unweighted["assortativity"] == pytest.approx(
        nx.attribute_assortativity_coefficient(g, "unit"), abs=1e-6)
    by_id = {row["id"]: row for row in rows}
    pr = _pagerank_python(g, weight="weight", tol=1e-12, max_iter=1000)
    for node, value in pr.items():
        assert by_id[node]["pagerank"] == pytest.approx(value, abs=1e-6)
    con = nx.constraint(g, weight="weight")
    eff = nx.effective_size(g, weight="weight")
    # networkx gives NaN to people without out-ties (it checks G[v], the successors only).
    checked = 0
    for node in g:
        if g.out_degree(node):
            checked += 1
            assert by_id[node]["constraint"] == pytest.approx(con[node], rel=1e-5)
            assert by_id[node]["effective_size"] == pytest.approx(eff[node], rel=1e-5)
    assert checked > 150
    bc = nx.betweenness_centrality(g, normalized=False)
    for node, value in bc.items():
        assert by_id[node]["betweenness"] == pytest.approx(value, abs=1e-3)
    # Weighted E-I by hand from networkx's edges.
    ext = sum(d["weight"] for a, b, d in g.edges(data=True) if g.nodes[a]["unit"] != g.nodes[b]["unit"])
    tot = sum(d["weight"] for _, _, d in g.edges(data=True))
    assert r["silos"]["unit"]["ei"] == pytest.approx((2 * ext - tot) / tot, abs=1e-6)
    assert r["communities"]["modularity"] > 0.3
