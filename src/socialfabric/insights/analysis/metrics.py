"""Collaboration metrics over interaction arrays: vectorised NumPy plus igraph's C core.

Conventions (docs/insights.md says more): interactions are directed; self-interactions
are dropped by the loader; a repeated source->target pair adds its weights into one
*tie*; people without interactions still count in participation.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import igraph as ig
import numpy as np

from socialfabric.insights.analysis.loader import NO_TIME, Dataset, Interactions, People

# Below these sizes the expensive metrics are exact for everyone; above them see the docs.
EXACT_BETWEENNESS_MAX_PEOPLE = 5_000
BETWEENNESS_PIVOTS = 32
BETWEENNESS_BATCHES = 4
LOCAL_ALL_MAX_PEOPLE = 20_000  # constraint, effective size, brokerage roles for everyone
LOCAL_CANDIDATES = 2_000  # otherwise: for the people with most distinct contacts
LEIDENALG_MAX_TIES = 200_000  # leidenalg package up to here, igraph's C Leiden above
LEIDEN_RUNS = 5
LEIDEN_BIG_ITERATIONS = 1  # one full Leiden pass per run on big graphs (time budget)
REPLY_KINDS = frozenset({"reply", "answer", "accepted_answer", "comment"})


def _f(x: float | np.floating | None, digits: int = 6) -> float | None:
    """A JSON-safe float (None for NaN/inf), rounded for stable output."""
    if x is None:
        return None
    x = float(x)
    if not math.isfinite(x):
        return None
    return round(x, digits)


def _ratio(a: float, b: float) -> float | None:
    return _f(a / b) if b else None


def uniq(x: np.ndarray) -> np.ndarray:
    """Sorted distinct values by sorting: NumPy 2's hash-based np.unique is much slower on
    millions of distinct integers."""
    if x.size == 0:
        return x
    s = np.sort(x)
    return s[np.r_[True, s[1:] != s[:-1]]]


# --------------------------------------------------------------------------- ties
@dataclass
class Ties:
    src: np.ndarray  # int32, sorted by (src, dst), unique
    dst: np.ndarray
    weight: np.ndarray  # summed weights
    n: int

    @property
    def m(self) -> int:
        return len(self.src)


def make_ties(n: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray) -> Ties:
    key = src.astype(np.int64) * n + dst
    uniq, inverse = np.unique(key, return_inverse=True)
    w = np.bincount(inverse.ravel(), weights=weight, minlength=len(uniq))
    return Ties(src=(uniq // n).astype(np.int32), dst=(uniq % n).astype(np.int32), weight=w, n=n)


# --------------------------------------------------------------------------- silos
def ei(external: float, internal: float) -> float | None:
    """Krackhardt & Stern (1988): (E - I) / (E + I)."""
    total = external + internal
    return (external - internal) / total if total else None


def nominal_assortativity(matrix: np.ndarray) -> float | None:
    """Newman (2003) r = (Tr e - sum a_i b_i) / (1 - sum a_i b_i) of the mixing matrix."""
    total = matrix.sum()
    if total <= 0:
        return None
    e = matrix / total
    ab = float(e.sum(axis=1) @ e.sum(axis=0))
    if abs(1 - ab) < 1e-15:
        return None
    return (float(np.trace(e)) - ab) / (1 - ab)


def mixing_matrix(codes: np.ndarray, k: int, src: np.ndarray, dst: np.ndarray,
                  weight: np.ndarray) -> np.ndarray:
    gs, gt = codes[src], codes[dst]
    ok = (gs >= 0) & (gt >= 0)
    flat = gs[ok].astype(np.int64) * k + gt[ok]
    return np.bincount(flat, weights=weight[ok], minlength=k * k).reshape(k, k)


def silos(codes: np.ndarray, labels: list[str], src: np.ndarray, dst: np.ndarray,
          weight: np.ndarray, min_group: int) -> dict:
    k = len(labels)
    sizes = np.bincount(codes[codes >= 0], minlength=k).astype(np.float64)
    matrix = mixing_matrix(codes, k, src, dst, weight)
    internal = float(np.trace(matrix))
    external = float(matrix.sum()) - internal
    n_known = sizes.sum()
    pairs = n_known * (n_known - 1)
    within = float((sizes * (sizes - 1)).sum())
    expected = 2 * (1 - within / pairs) - 1 if pairs > 0 else None
    groups = {}
    for g, name in enumerate(labels):
        s = sizes[g]
        if s < min_group:
            groups[name] = {"people": None, "suppressed": True}
            continue
        gi = float(matrix[g, g])
        ge = float(matrix[g, :].sum() + matrix[:, g].sum() - 2 * gi)
        # Random mixing: ordered pairs inside the group vs pairs with one end in it.
        inside, across = s * (s - 1), 2 * s * (n_known - s)
        groups[name] = {
            "people": int(s), "suppressed": False, "internal": _f(gi), "external": _f(ge),
            "ei": _f(ei(ge, gi)), "ei_expected": _f(ei(across, inside)),
        }
    small = {labels[g] for g in range(k) if sizes[g] < min_group}
    return {
        "groups_count": k,
        "ei": _f(ei(external, internal)),
        "ei_expected": _f(expected),
        "internal": _f(internal), "external": _f(external),
        "assortativity": _f(nominal_assortativity(matrix)),
        "assortativity_undirected": _f(nominal_assortativity(matrix + matrix.T)),
        "labels": [("(small groups)" if lb in small else lb) for lb in labels],
        "matrix": _matrix_private(matrix, sizes, min_group),
        "groups": groups,
    }


def _matrix_private(matrix: np.ndarray, sizes: np.ndarray, min_group: int) -> list[list]:
    """Rows and columns of groups below the minimum size are blanked (None)."""
    small = sizes < min_group
    out = [[_f(v) for v in row] for row in matrix]
    for i in np.flatnonzero(small):
        for j in range(len(out)):
            out[i][j] = None
            out[j][i] = None
    return out


# --------------------------------------------------------------------------- hierarchy
def hierarchy(level: np.ndarray, src: np.ndarray, dst: np.ndarray, weight: np.ndarray) -> dict:
    """Up (towards level 1), down, lateral, skip-level (|delta level| >= 2) shares."""
    ls, lt = level[src], level[dst]
    ok = (ls > 0) & (lt > 0)
    delta = ls[ok].astype(np.int32) - lt[ok]
    w = weight[ok]
    total = float(w.sum())
    observed = {
        "up": float(w[delta > 0].sum()), "down": float(w[delta < 0].sum()),
        "lateral": float(w[delta == 0].sum()), "skip_level": float(w[np.abs(delta) >= 2].sum()),
    }
    # Random mixing: every ordered pair of distinct people with a level equally likely.
    counts = np.bincount(level[level > 0]).astype(np.float64)
    lv = np.arange(len(counts))
    pairs = np.outer(counts, counts) - np.diag(counts)
    d = lv[:, None] - lv[None, :]
    ptotal = pairs.sum()
    expected = {
        "up": pairs[d > 0].sum(), "down": pairs[d < 0].sum(),
        "lateral": pairs[d == 0].sum(), "skip_level": pairs[np.abs(d) >= 2].sum(),
    }
    out: dict = {"interactions_with_levels": _f(total)}
    for key in ("up", "down", "lateral", "skip_level"):
        out[key] = _ratio(observed[key], total)
        out[f"{key}_expected"] = _ratio(float(expected[key]), float(ptotal))
    return out


# --------------------------------------------------------------------------- participation
def gini(x: np.ndarray) -> float | None:
    """Gini of non-negative values: sum_i (2i - n - 1) x_(i) / (n sum x), i = 1..n."""
    n = len(x)
    total = float(x.sum())
    if n == 0 or total <= 0:
        return None
    s = np.sort(x)
    i = np.arange(1, n + 1, dtype=np.float64)
    return float(((2 * i - n - 1) * s).sum() / (n * total))


def lorenz(x: np.ndarray, points: int = 101) -> list[list[float]]:
    """Cumulative share of activity held by the least active p share of people."""
    n = len(x)
    total = float(x.sum())
    if n == 0 or total <= 0:
        return [[0.0, 0.0], [1.0, 1.0]]
    cum = np.concatenate([[0.0], np.cumsum(np.sort(x)) / total])
    p = np.linspace(0, 1, points)
    y = np.interp(p * n, np.arange(n + 1), cum)
    return [[_f(a, 4), _f(b, 4)] for a, b in zip(p, y, strict=True)]


def top_share(x: np.ndarray, fraction: float) -> float | None:
    total = float(x.sum())
    if total <= 0:
        return None
    k = max(1, math.ceil(len(x) * fraction))
    return float(np.partition(x, len(x) - k)[len(x) - k:].sum() / total)


def split_90_9_1(x: np.ndarray) -> dict:
    """Lurkers (no activity), heavy (fewest most active people making half of it), the rest."""
    n = len(x)
    total = float(x.sum())
    if n == 0 or total <= 0:
        return {"lurkers": 1.0 if n else None, "contributors": 0.0, "heavy": 0.0}
    s = np.sort(x)[::-1]
    heavy = int(np.searchsorted(np.cumsum(s), total / 2 - 1e-9 * total) + 1)
    active = int((x > 0).sum())
    return {"lurkers": _f((n - active) / n), "contributors": _f((active - heavy) / n),
            "heavy": _f(heavy / n)}


def participation_summary(initiated: np.ndarray) -> dict:
    return {
        "people": len(initiated),
        "gini": _f(gini(initiated)),
        "top1_share": _f(top_share(initiated, 0.01)),
        "top10_share": _f(top_share(initiated, 0.10)),
        "active_share": _ratio(float((initiated > 0).sum()), len(initiated)),
        "split_90_9_1": split_90_9_1(initiated),
    }


def participation(people: People, inter: Interactions, min_group: int) -> dict:
    initiated = np.bincount(inter.source, weights=inter.weight, minlength=people.n)
    out = participation_summary(initiated)
    out["lorenz"] = lorenz(initiated)
    employees = ~people.external
    out["employees_active_share"] = _ratio(float((initiated[employees] > 0).sum()),
                                           float(employees.sum()))
    by_unit = {}
    if "unit" in people.attributes:
        codes = people.attributes["unit"]
        for g, name in enumerate(people.labels["unit"]):
            members = codes == g
            if members.sum() < min_group:
                by_unit[name] = {"people": None, "suppressed": True}
                continue
            by_unit[name] = {**participation_summary(initiated[members]), "suppressed": False}
    out["by_unit"] = by_unit
    return out


# --------------------------------------------------------------------------- leadership
def leadership(people: People, inter: Interactions, ties: Ties) -> dict:
    lead = people.leader
    n_leaders = int(lead.sum())
    total = float(inter.weight.sum())
    from_leader = lead[inter.source]
    leader_w = float(inter.weight[from_leader].sum())
    reply_share = None
    if inter.kinds:
        is_reply = np.array([k.lower() in REPLY_KINDS for k in inter.kinds] + [False])
        kinds = np.where(inter.kind >= 0, inter.kind, len(inter.kinds))
        lw = inter.weight[from_leader]
        reply_share = _ratio(float(lw[is_reply[kinds[from_leader]]].sum()), float(lw.sum()))
    ts, tt = lead[ties.src], lead[ties.dst]
    reach = uniq(ties.dst[ts]).size
    inside = float(ties.weight[ts & tt].sum())
    across = float(ties.weight[ts ^ tt].sum())
    n = people.n
    active_leaders = uniq(inter.source[from_leader]).size
    return {
        "leaders": n_leaders,
        "people_share": _ratio(n_leaders, n),
        "activity_share": _ratio(leader_w, total),
        "received_share": _ratio(float(inter.weight[lead[inter.target]].sum()), total),
        "active_share": _ratio(active_leaders, n_leaders),
        "reply_share": reply_share,
        "distinct_reach": int(reach),
        "distinct_reach_share": _ratio(reach, n - 1) if n > 1 else None,
        "ei_to_non_leaders": _f(ei(across, inside)),
        "ei_to_non_leaders_expected": _f(ei(2 * n_leaders * (n - n_leaders),
                                            n_leaders * (n_leaders - 1))),
    }


# --------------------------------------------------------------------------- network
def reciprocity(ties: Ties) -> float | None:
    """Share of distinct directed ties whose reverse tie exists (networkx's definition)."""
    if ties.m == 0:
        return None
    key = ties.src.astype(np.int64) * ties.n + ties.dst  # sorted and unique by construction
    rev = ties.dst.astype(np.int64) * ties.n + ties.src
    pos = np.searchsorted(key, rev)
    pos[pos >= len(key)] = 0
    return float((key[pos] == rev).mean())


def build_graph(ties: Ties) -> ig.Graph:
    g = ig.Graph(n=ties.n, directed=True)
    g.add_edges(np.column_stack([ties.src, ties.dst]).tolist())
    g.es["weight"] = ties.weight.tolist()
    return g


@dataclass
class Csr:
    """Undirected 'mutual weight' adjacency: z_ij = w_ij + w_ji (Burt's convention)."""
    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray


def mutual_csr(ties: Ties) -> Csr:
    a = np.concatenate([ties.src, ties.dst]).astype(np.int64)
    b = np.concatenate([ties.dst, ties.src]).astype(np.int64)
    w = np.concatenate([ties.weight, ties.weight])
    key, inverse = np.unique(a * ties.n + b, return_inverse=True)
    z = np.bincount(inverse.ravel(), weights=w, minlength=len(key))
    rows = key // ties.n
    indptr = np.zeros(ties.n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=ties.n), out=indptr[1:])
    return Csr(indptr=indptr, indices=(key % ties.n).astype(np.int64), data=z)


def burt_local(csr: Csr, people: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Burt's constraint and effective size (networkx's weighted directed formulas).

    p_ij = z_ij / sum_k z_ik;  m_jq = z_jq / max_k z_jk
    constraint_i = sum_{j in N(i)} (p_ij + sum_{q != i,j} p_iq p_qj)^2
    effective_size_i = sum_{j in N(i)} (1 - sum_{q != i,j} p_iq m_jq)
    Cost per person: the sum of its neighbours' degrees.
    """
    n = len(csr.indptr) - 1
    deg = np.diff(csr.indptr)
    rowsum = np.zeros(n)
    rowmax = np.zeros(n)
    nonempty = np.flatnonzero(deg > 0)
    if nonempty.size:
        # Segments of non-empty rows are contiguous and in order, so reduceat is exact.
        rowsum[nonempty] = np.add.reduceat(csr.data, csr.indptr[nonempty])
        rowmax[nonempty] = np.maximum.reduceat(csr.data, csr.indptr[nonempty])
    constraint = np.full(len(people), np.nan)
    eff = np.full(len(people), np.nan)
    p_scratch = np.zeros(n)
    for out_pos, i in enumerate(people.tolist()):
        lo, hi = csr.indptr[i], csr.indptr[i + 1]
        if hi == lo:
            continue
        nb = csr.indices[lo:hi]
        p_i = csr.data[lo:hi] / rowsum[i]
        p_scratch[nb] = p_i
        # All 2-paths i - q - j for q in N(i): rows of the neighbours, concatenated.
        starts, ends = csr.indptr[nb], csr.indptr[nb + 1]
        lens = ends - starts
        idx = np.repeat(ends - lens.cumsum(), lens) + np.arange(lens.sum())
        qrep = np.repeat(np.arange(len(nb)), lens)  # which neighbour q (position in nb)
        j = csr.indices[idx]
        z_qj = csr.data[idx]
        keep = (j != i) & (p_scratch[j] > 0)  # j must be a neighbour of i, and not i
        j, z_qj, qrep = j[keep], z_qj[keep], qrep[keep]
        # indirect_ij = sum_q p_iq p_qj, with p_qj = z_qj / rowsum_q
        qnode = nb[qrep]
        indirect = np.zeros(n)
        np.add.at(indirect, j, p_i[qrep] * z_qj / rowsum[qnode])
        constraint[out_pos] = float(((p_i + indirect[nb]) ** 2).sum())
        # redundancy_j = sum_q p_iq m_jq with m_jq = z_jq / max_k z_jk: z symmetric, so
        # the same 2-path list serves with the roles of q and j swapped.
        red = np.zeros(n)
        np.add.at(red, qnode, p_scratch[j] * z_qj / rowmax[qnode])
        eff[out_pos] = float((1 - red[nb]).sum())
        p_scratch[nb] = 0.0
    return constraint, eff


def brokerage_roles(ties: Ties, codes: np.ndarray, people: np.ndarray) -> np.ndarray:
    """Gould & Fernandez (1989) roles of broker b in open 2-paths a -> b -> c.

    Open: a != c and no tie a -> c. Columns: coordinator (a, b, c same group),
    gatekeeper (a outside, b and c same), representative (a and b same, c outside),
    consultant (a and c same, b outside), liaison (all three different).
    People or ends without a group are left out.
    """
    n = ties.n
    out_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(ties.src, minlength=n), out=out_ptr[1:])
    out_idx = ties.dst.astype(np.int64)  # ties are sorted by (src, dst)
    order = np.lexsort((ties.src, ties.dst))
    in_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(ties.dst, minlength=n), out=in_ptr[1:])
    in_idx = ties.src[order].astype(np.int64)
    result = np.zeros((len(people), 5), dtype=np.int64)
    tie_key = ties.src.astype(np.int64) * n + ties.dst
    if not len(tie_key):
        return result
    for pos, b in enumerate(people.tolist()):
        gb = codes[b]
        if gb < 0:
            continue
        a = in_idx[in_ptr[b]:in_ptr[b + 1]]
        c = out_idx[out_ptr[b]:out_ptr[b + 1]]
        a = a[codes[a] >= 0]
        c = c[codes[c] >= 0]
        if not len(a) or not len(c):
            continue
        # All pairs (a, c), minus a == c, minus closed pairs with a tie a -> c.
        pa = np.repeat(a, len(c))
        pc = np.tile(c, len(a))
        keep = pa != pc
        pa, pc = pa[keep], pc[keep]
        key = pa * n + pc
        hit = np.searchsorted(tie_key, key)
        hit[hit >= len(tie_key)] = 0
        open_ = tie_key[hit] != key
        ga, gc = codes[pa[open_]], codes[pc[open_]]
        result[pos] = [
            int(((ga == gb) & (gc == gb)).sum()),
            int(((ga != gb) & (gc == gb)).sum()),
            int(((ga == gb) & (gc != gb)).sum()),
            int(((ga == gc) & (ga != gb)).sum()),
            int(((ga != gb) & (gc != gb) & (ga != gc)).sum()),
        ]
    return result


BROKERAGE_ROLES = ("coordinator", "gatekeeper", "representative", "consultant", "liaison")


def betweenness(graph: ig.Graph, seed: int = 0) -> tuple[np.ndarray, dict]:
    """Directed, unweighted (hop) shortest paths; Brandes (2001), pivots per Brandes & Pich."""
    n = graph.vcount()
    if n <= EXACT_BETWEENNESS_MAX_PEOPLE:
        return np.asarray(graph.betweenness(directed=True), dtype=np.float64), {
            "method": "exact", "pivots": n, "relative_standard_error_top": 0.0}
    rng = np.random.default_rng(seed)
    pivots = rng.choice(n, size=BETWEENNESS_PIVOTS, replace=False)
    batches = np.array_split(pivots, BETWEENNESS_BATCHES)
    estimates = []
    for batch in batches:
        part = np.asarray(graph.betweenness(directed=True, sources=batch.tolist()))
        estimates.append(part * n / len(batch))
    est = np.vstack(estimates)
    mean = est.mean(axis=0)
    # Error of the mean from the spread of independent batch estimates, for the top 10.
    top = np.argsort(-mean)[:10]
    se = est[:, top].std(axis=0, ddof=1) / math.sqrt(len(batches))
    rel = float(np.mean(se / np.where(mean[top] > 0, mean[top], np.nan)))
    return mean, {"method": "sampled", "pivots": int(len(pivots)),
                  "relative_standard_error_top": _f(rel, 4)}


# --------------------------------------------------------------------------- communities
def nmi_ari(a: np.ndarray, b: np.ndarray) -> tuple[float | None, float | None]:
    """NMI (arithmetic-mean normalisation, Danon et al. 2005) and ARI (Hubert & Arabie 1985)."""
    if len(a) < 2:
        return None, None
    return (ig.compare_communities(a.tolist(), b.tolist(), method="nmi"),
            ig.compare_communities(a.tolist(), b.tolist(), method="adjusted_rand"))


def communities(graph: ig.Graph, people: People, min_group: int, runs: int = LEIDEN_RUNS
                ) -> tuple[dict, np.ndarray]:
    """Leiden (Traag et al. 2019) modularity communities of the undirected weighted graph."""
    und = graph.as_undirected(mode="collapse", combine_edges={"weight": "sum"})
    memberships = []
    quality = []
    for seed in range(runs):
        if und.ecount() <= LEIDENALG_MAX_TIES:
            import leidenalg
            part = leidenalg.find_partition(und, leidenalg.ModularityVertexPartition,
                                            weights="weight", n_iterations=-1, seed=seed)
            membership = np.asarray(part.membership)
        else:
            random.seed(seed)  # python-igraph draws from Python's random module
            part = und.community_leiden(objective_function="modularity", weights="weight",
                                        n_iterations=LEIDEN_BIG_ITERATIONS)
            membership = np.asarray(part.membership)
        memberships.append(membership)
        quality.append(und.modularity(membership.tolist(), weights="weight"))
    best = int(np.argmax(quality))
    member = memberships[best]
    active = np.asarray(und.degree()) > 0
    sizes = np.bincount(member[active]) if active.any() else np.zeros(0, dtype=int)
    out: dict = {
        "runs": runs,
        "count": int((sizes >= 2).sum()),
        "modularity": _f(quality[best]),
        "modularity_mean": _f(np.mean(quality)),
        "modularity_spread": _f(np.std(quality)),
        "nmi": {}, "ari": {}, "nmi_spread": {}, "ari_spread": {},
    }
    for attr in ("unit", "level", "stakeholder"):
        if attr not in people.attributes:
            continue
        codes = people.attributes[attr]
        mask = active & (codes >= 0)
        pairs = [nmi_ari(m[mask], codes[mask]) for m in memberships]
        nmis = [p[0] for p in pairs if p[0] is not None]
        aris = [p[1] for p in pairs if p[1] is not None]
        out["nmi"][attr] = _f(np.mean(nmis)) if nmis else None
        out["ari"][attr] = _f(np.mean(aris)) if aris else None
        out["nmi_spread"][attr] = _f(np.std(nmis)) if nmis else None
        out["ari_spread"][attr] = _f(np.std(aris)) if aris else None
    spanning = []
    if "unit" in people.attributes:
        codes = people.attributes["unit"]
        k = len(people.labels["unit"])
        ok = active & (codes >= 0)
        pair = uniq(member[ok].astype(np.int64) * max(k, 1) + codes[ok])
        span = np.bincount(pair // max(k, 1), minlength=len(sizes))
        for c in np.argsort(-span)[:5]:
            if sizes[c] >= min_group and span[c] > 1:
                spanning.append({"community": int(c), "people": int(sizes[c]),
                                 "units": int(span[c]), "unit_share": _ratio(span[c], k)})
    out["spanning_units"] = spanning
    return out, member


# --------------------------------------------------------------------------- boundary
def kaplan_meier(durations: np.ndarray, observed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Survival S(t) at each distinct event time (Kaplan & Meier 1958); censored = not observed."""
    if len(durations) == 0:
        return np.zeros(0), np.zeros(0)
    times, inverse = np.unique(durations, return_inverse=True)
    events = np.bincount(inverse, weights=observed.astype(float), minlength=len(times))
    leaving = np.bincount(inverse, minlength=len(times))
    at_risk = len(durations) - np.concatenate([[0], np.cumsum(leaving)[:-1]])
    surv = np.cumprod(1 - events / at_risk)
    return times, surv


def km_quantile(times: np.ndarray, surv: np.ndarray, q: float) -> float | None:
    """Smallest t with S(t) <= 1 - q (None when the curve never gets there)."""
    hit = np.flatnonzero(surv <= 1 - q + 1e-12)
    return float(times[hit[0]]) if hit.size else None


def boundary(people: People, inter: Interactions, horizon: int | None) -> dict:
    out: dict = {"conversations": None, "cross_stakeholder_share": None,
                 "external_interaction_share": None, "questions": None}
    total = float(inter.weight.sum())
    ext_any = people.external[inter.source] | people.external[inter.target]
    out["external_interaction_share"] = _ratio(float(inter.weight[ext_any].sum()), total)
    if not inter.has_conversation:
        out["note"] = "no conversation/thread column: conversation figures need one"
        return out
    has = inter.conversation >= 0
    conv = inter.conversation[has]
    if not conv.size:
        return out
    n_conv = int(conv.max()) + 1
    # Everyone who took part in a conversation, as source or target.
    cc = np.concatenate([conv, conv]).astype(np.int64)
    pp = np.concatenate([inter.source[has], inter.target[has]]).astype(np.int64)
    pairs = uniq(cc * people.n + pp)
    pc, pperson = pairs // people.n, pairs % people.n
    present = np.bincount(pc, minlength=n_conv) > 0
    ext = np.bincount(pc, weights=people.external[pperson], minlength=n_conv) > 0
    units = people.attributes.get("unit")
    if units is not None:
        emp = ~people.external[pperson] & (units[pperson] >= 0)
        k = max(len(people.labels["unit"]), 1)
        cu = uniq(pc[emp] * k + units[pperson[emp]])
        n_units = np.bincount(cu // k, minlength=n_conv)
    else:
        n_units = np.zeros(n_conv, dtype=np.int64)
    cross = present & ext & (n_units >= 2)
    out["conversations"] = int(present.sum())
    out["cross_stakeholder_share"] = _ratio(float(cross.sum()), float(present.sum()))
    out["question_definition"] = ("a conversation whose first interaction (by time) comes "
                                  "from an external member")
    if not inter.has_time:
        out["note"] = "no timestamps: answer times need them"
        return out
    timed = has & (inter.time != NO_TIME)
    c, t, s = inter.conversation[timed], inter.time[timed], inter.source[timed]
    # One int64 sort key (conversation, time) instead of a slower lexsort.
    t0 = t - t.min()
    order = np.argsort(c.astype(np.int64) * (int(t0.max()) + 1) + t0, kind="stable")
    c, t, s = c[order], t[order], s[order]
    first = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
    start_t, starter = t[first], s[first]
    is_q = people.external[starter]
    # First interaction by an employee in each conversation (rows are in time order).
    emp_row = np.flatnonzero(~people.external[s])
    ce = c[emp_row]
    firsts = emp_row[np.r_[True, ce[1:] != ce[:-1]]] if ce.size else emp_row
    big = np.iinfo(np.int64).max
    first_emp = np.full(n_conv, big, dtype=np.int64)
    first_emp[c[firsts]] = t[firsts]
    qc = c[first][is_q]
    q_start = start_t[is_q]
    answer = first_emp[qc]
    answered = answer != big
    end = horizon if horizon is not None else int(inter.time[inter.time != NO_TIME].max())
    duration = np.where(answered, answer - q_start, np.maximum(end - q_start, 0)).astype(float)
    times, surv = kaplan_meier(duration, answered)
    within = None
    if times.size:
        idx = np.searchsorted(times, 24 * 3600, side="right") - 1
        within = 1 - float(surv[idx]) if idx >= 0 else 0.0
    med, p90 = km_quantile(times, surv, 0.5), km_quantile(times, surv, 0.9)
    out["questions"] = {
        "count": int(is_q.sum()),
        "answered": int(answered.sum()),
        "answer_rate": _ratio(float(answered.sum()), float(is_q.sum())),
        "median_hours": _f(med / 3600, 3) if med is not None else None,
        "p90_hours": _f(p90 / 3600, 3) if p90 is not None else None,
        "within_24h_share": _f(within),
        "method": "Kaplan-Meier; unanswered questions censored at the end of the window",
    }
    return out


__all__ = ["Dataset", "make_ties"]
