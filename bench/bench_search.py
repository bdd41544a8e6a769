"""Search benchmark (part of `make bench`): full-text search at 1,000,000 posts, SQLite and PostgreSQL.

For each database, in its own process:
1. Generates bench_core's platform (100,000 members, 1,000 communities, 250,000 threads +
   750,000 replies) with bodies of 10 to 60 words drawn from a 20,000-word vocabulary with
   Zipf frequencies (word r appears with probability ~ 1/r, as in natural text), then builds
   the index with `search.index.rebuild` (what `socialfabric search rebuild` runs): rows/s.
2. Searches as a member of 50 communities (an employee: open communities and their own),
   first page of 20 in relevance order (search.services.posts, the policy in the statement),
   for one-word and three-word queries drawn from three bands of the vocabulary:
   frequent (ranks 30-100: each word in ~3-10 % of posts), medium (100-1,000), rare
   (1,000-20,000); p50/p99 per band, and newest-first order.
3. The bare FTS query for the same words (MATCH / @@, ranked, LIMIT 20; no policy, no join,
   no snippets; the raw driver), interleaved with the search, and the ratio of medians.
4. Relevance without the window (every match ranked) on the frequent band, to show what the
   window buys; and indexing one new post (the consumer's statement) p50/p99.

Prints figures; it is not a timed test. Record results in bench/RESULTS.md.
    python bench/bench_search.py [--items 1000000] [--members 100000] [--db sqlite,postgres] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
PG_BASE = os.environ.get("PG_BASE", "postgres://postgres@127.0.0.1:5432")
PG_DB = "sf_bench_search"
VOCABULARY = 20_000
BANDS = {"frequent": (30, 100), "medium": (100, 1000), "rare": (1000, VOCABULARY)}


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def vocabulary(seed: int = 11) -> list[str]:
    """20,000 distinct pronounceable words (none a stem of another under Porter: all end alike)."""
    rng = np.random.default_rng(seed)
    onsets = ["b", "br", "c", "d", "dr", "f", "g", "gr", "k", "l", "m", "n", "p", "pr", "r", "s", "st", "t",
              "tr", "v", "z"]
    vowels = ["a", "e", "i", "o", "u", "ai", "ou"]
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < VOCABULARY:
        n = int(rng.integers(2, 4))
        w = "".join(onsets[int(rng.integers(len(onsets)))] + vowels[int(rng.integers(len(vowels)))]
                    for _ in range(n)) + "k"
        if w not in seen:
            seen.add(w)
            words.append(w)
    return words


def texts(n_items: int, seed: int = 5):
    """text(post_id) -> (title, body): Zipf-distributed words, drawn up front with NumPy."""
    words = np.array(vocabulary())
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, VOCABULARY + 1)
    p /= p.sum()
    lengths = rng.integers(10, 61, n_items + 1)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    drawn = words[rng.choice(VOCABULARY, int(offsets[-1]), p=p)]
    title_len = rng.integers(3, 8, n_items + 1)

    def text(post_id: int) -> tuple[str, str]:
        body = drawn[offsets[post_id]:offsets[post_id + 1]]
        return " ".join(body[: title_len[post_id]]).capitalize(), " ".join(body) + "."

    return text


def setup_django(kind: str, path: Path, pg_db: str = PG_DB) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{path}" if kind == "sqlite" else f"{PG_BASE}/{pg_db}"
    os.environ["SOCIALFABRIC_VAR"] = str(DATA)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialfabric.settings.local")
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-only")
    import django

    django.setup()


def fresh_database(kind: str, path: Path, pg_db: str = PG_DB) -> None:
    if kind == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {pg_db}")
        conn.execute(f"CREATE DATABASE {pg_db}")


def _pg_filled() -> bool:
    import psycopg

    try:
        with psycopg.connect(f"{PG_BASE}/{PG_DB}") as conn:
            return conn.execute("SELECT COUNT(*) FROM search_post").fetchone()[0] > 0
    except psycopg.Error:
        return False


def one_database(kind: str, args) -> dict:
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"search-{args.members}-{args.items}.sqlite3"
    reuse = args.keep and (path.exists() if kind == "sqlite" else _pg_filled())
    if not reuse:
        fresh_database(kind, path)
    setup_django(kind, path)
    sys.path.insert(0, str(HERE))
    from django.db import connection
    from django.test.utils import override_settings

    from bench_core import generate
    from socialfabric import access
    from socialfabric.conversations import services as conv
    from socialfabric.org.models import Member
    from socialfabric.search import index, services
    from socialfabric.search.query import parse

    out: dict = {"kind": kind}
    if not reuse:
        g = generate(path, args.members, args.items, text=texts(args.items))
        out["generate_s"] = g["seconds"]
        t = time.perf_counter()
        out["indexed"] = index.rebuild()
        out["index_s"] = time.perf_counter() - t
    else:
        out["indexed"] = index.count()
    if kind == "sqlite":
        out["version"] = f"SQLite {sqlite3.sqlite_version}"
    else:
        with connection.cursor() as db:
            db.execute("SHOW server_version")
            out["version"] = f"PostgreSQL {db.fetchone()[0]}"
            db.execute(f"SELECT pg_total_relation_size('{index.TABLE}')")
            out["index_mb"] = db.fetchone()[0] / 1e6
            db.execute("SHOW shared_buffers")
            out["version"] += f", shared_buffers {db.fetchone()[0]}"
    member = Member.objects.get(id=1)
    words = vocabulary()
    rng = np.random.default_rng(17)

    def queries(band: str, n_words: int, count: int) -> list[str]:
        lo, hi = BANDS[band]
        return [" ".join(words[int(r)] for r in rng.integers(lo, hi, n_words)) for _ in range(count)]

    def search(q: str, sort: str = "relevance") -> float:
        access.forget(member)  # per-request state, as a fresh request would have
        t = time.perf_counter()
        services.posts(member, q, sort=sort)
        return (time.perf_counter() - t) * 1000

    raw = connection.cursor().connection
    if kind == "sqlite":
        bare_sql = f"SELECT rowid, rank FROM {index.TABLE} WHERE {index.TABLE} MATCH ? ORDER BY rank LIMIT 20"
    else:
        bare_sql = (f"SELECT post_id, ts_rank(document, q) r FROM {index.TABLE}, "
                    f"websearch_to_tsquery('{index.PG_CONFIG}'::regconfig, %s) q WHERE document @@ q "
                    f"ORDER BY r DESC LIMIT 20")

    def bare(q: str) -> float:
        parsed = parse(q)
        text = parsed.fts5() if kind == "sqlite" else parsed.websearch()
        t = time.perf_counter()
        raw.execute(bare_sql, [text]).fetchall()
        return (time.perf_counter() - t) * 1000

    def matches(q: str) -> int:
        parsed = parse(q)
        with connection.cursor() as db:
            if kind == "sqlite":
                db.execute(f"SELECT COUNT(*) FROM {index.TABLE} WHERE {index.TABLE} MATCH %s", [parsed.fts5()])
            else:
                db.execute(f"SELECT COUNT(*) FROM {index.TABLE}, websearch_to_tsquery('{index.PG_CONFIG}'::regconfig,"
                           f" %s) q WHERE document @@ q", [parsed.websearch()])
            return db.fetchone()[0]

    for q in queries("medium", 1, 20):  # warm the caches
        search(q)
        bare(q)
    results: dict = {}
    for band in BANDS:
        for n_words in (1, 3):
            qs = queries(band, n_words, args.runs)
            found = [matches(q) for q in qs[:20]]
            s_ms, b_ms = [], []
            for q in qs:  # interleaved: both see the same noise
                s_ms.append(search(q))
                b_ms.append(bare(q))
            newest = [search(q, "newest") for q in qs[: max(20, args.runs // 4)]]
            results[f"{band}/{n_words}"] = {"search": s_ms, "bare": b_ms, "newest": newest,
                                            "median_matches": float(np.median(found))}
    with override_settings(SOCIALFABRIC_SEARCH_RANK_WINDOW=10**9):
        results["frequent/1 no window"] = {"search": [search(q) for q in queries("frequent", 1, 50)]}
    # Indexing a new post: what the consumer runs after a reply commits.
    from django.db.models import Max

    from socialfabric.conversations.models import Post

    roots = list(Post.objects.filter(parent__isnull=True, community_id__in=access.member_community_ids(member))
                 .values_list("id", flat=True)[:500])
    write_ms = []
    for i in range(100):
        reply = conv.create_reply(member, int(roots[i % len(roots)]), body=f"benchmark reply {words[40 + i]}")
        t = time.perf_counter()
        index.index_posts([reply.id])
        write_ms.append((time.perf_counter() - t) * 1000)
    assert services.posts(member, words[40 + 99]).hits, "a new reply must be found"
    out["write"] = write_ms
    out["results"] = results
    out["max_id"] = Post.objects.aggregate(m=Max("id"))["m"]
    return out


def report(r: dict) -> None:
    print(f"\n== {r['version']}: {r['indexed']:,} posts in the index"
          + (f", built in {r['index_s']:.1f} s ({r['indexed'] / r['index_s']:,.0f} posts/s)" if "index_s" in r else "")
          + (f", {r['index_mb']:.0f} MB" if "index_mb" in r else ""))
    print(f"  {'query':<22}{'matches':>9}  {'search p50':>10} {'p99':>8}  {'bare p50':>9} {'p99':>8}  "
          f"{'ratio p50':>9}  {'newest p99':>10}")
    for name, v in r["results"].items():
        s = v["search"]
        if "bare" not in v:
            print(f"  {name:<22}{'':>9}  {pct(s, 50):8.2f}ms {pct(s, 99):6.2f}ms")
            continue
        b = v["bare"]
        print(f"  {name:<22}{v['median_matches']:>9,.0f}  {pct(s, 50):8.2f}ms {pct(s, 99):6.2f}ms  "
              f"{pct(b, 50):7.2f}ms {pct(b, 99):6.2f}ms  {pct(s, 50) / pct(b, 50):8.2f}x  "
              f"{pct(v['newest'], 99):8.2f}ms")
    w = r["write"]
    print(f"  indexing one new post: p50 {pct(w, 50):.2f} ms  p99 {pct(w, 99):.2f} ms")
    worst = max(pct(v["search"], 99) for k, v in r["results"].items() if "bare" in v)
    print(f"  [{'met' if worst <= 50 else 'MISSED'}] search p99 <= 50 ms for one- and three-word queries "
          f"(worst band {worst:.1f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=200, help="queries per band and length")
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--keep", action="store_true", help="reuse the generated databases if they exist")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print("RESULT " + json.dumps(one_database(args.one, args)))
        return
    print(f"Social Fabric search benchmark — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {platform.node()} "
          f"({os.cpu_count()} cores, Python {platform.python_version()})")
    for kind in args.db.split(","):
        cmd = [sys.executable, __file__, "--one", kind, "--items", str(args.items), "--members", str(args.members),
               "--runs", str(args.runs), *(["--keep"] if args.keep else [])]
        done = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
        lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
        if done.returncode or not lines:
            print(f"{kind}: the benchmark failed (exit {done.returncode})")
            continue
        report(json.loads(lines[-1][7:]))


if __name__ == "__main__":
    main()
