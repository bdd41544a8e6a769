"""Core platform benchmark (`make bench`): feed pages and replies at 1,000,000 posts on SQLite.

1. Generates 100,000 members and 1,000,000 posts and replies (plus memberships,
   follows, reactions and the activity row of every act) into a fresh SQLite file through
   the demo's BulkWriter: NumPy for the numbers, executemany in one transaction.
2. Measures, in one run, for a member in 50 communities who follows 200 people:
   - the home-feed page of 20 items in-process (feed.services.home_feed) p50/p99,
   - the same page over HTTP (the REST API on a local WSGI server) p50/p99,
   - posting a reply (conversations.services.create_reply) p50/p99,
   - the bare SQL query that produces the feed page, and the ratio feed / bare query.
3. Times the Insights dashboard's report on that platform data (`socialfabric insights
   refresh`, what the background worker runs) in a child process: wall time and peak memory.

Prints figures; it is not a timed test. Record results in bench/RESULTS.md.
    python bench/bench_core.py [--members 100000] [--items 1000000] [--keep]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import sqlite3
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def fmt(values: list[float]) -> str:
    return f"p50 {pct(values, 50):7.2f} ms   p99 {pct(values, 99):7.2f} ms   (n={len(values)})"


def setup_django(db_path: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ["SOCIALFABRIC_VAR"] = str(DATA)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialfabric.settings.local")
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-only")
    import django

    django.setup()


def stamp(seconds: np.ndarray, base: datetime) -> list[str]:
    """Django's SQLite datetime text for UTC instants (sorts correctly as text)."""
    base_s = base.timestamp()
    return [datetime.fromtimestamp(base_s + float(s), UTC).strftime("%Y-%m-%d %H:%M:%S.%f") for s in seconds]


def generate(db_path: Path, n_members: int, n_items: int, seed: int = 7, text=None) -> dict:
    """Uniform volume for the benchmark, written through the demo's BulkWriter (one transaction),
    as the services would write it: posts and replies with their counters, reactions, and the
    activity row of every act (post, reply, react, follow, join).

    `text(post_id)` gives a post's (title, body) (bench_search.py writes words people would
    search for); by default a thread is "Thread N" and a reply "Reply N"."""
    from django.core.management import call_command
    from django.db import connection, transaction
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from socialfabric.activity import chain
    from socialfabric.activity.models import Activity, ObjectType, Verb
    from socialfabric.bulk import BulkWriter
    from socialfabric.communities.models import Community, Membership
    from socialfabric.conversations.models import Post, Reaction
    from socialfabric.org.models import Follow, Member, Stakeholder, Unit

    call_command("migrate", verbosity=0)
    rng = np.random.default_rng(seed)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    span = 180 * 86400
    n_units, n_communities = 12, 1000
    n_roots = n_items // 4
    n_replies = n_items - n_roots
    steps = ["units", "members", "communities", "memberships", "follows", "posts", "replies", "reactions"]
    t0 = time.perf_counter()
    with Progress(TextColumn("{task.description:<14}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn()) as progress, transaction.atomic():
        task = progress.add_task("generating", total=len(steps) + 1)

        def step(name: str) -> None:
            progress.update(task, description=name)

        w = BulkWriter()
        step("units")
        w.register(Unit, ["id", "name", "slug", "parent_id"])
        for u in range(n_units):
            w.add(Unit, (u + 1, f"Unit {u + 1}", f"unit-{u + 1}", None))
        progress.advance(task)

        step("members")
        unit = rng.integers(1, n_units + 1, n_members)
        level = rng.choice([1, 2, 3, 4, 5], n_members, p=[0.002, 0.02, 0.1, 0.3, 0.578])
        stake = rng.choice([Stakeholder.EMPLOYEE.value, "customer", "partner", "supplier"], n_members,
                           p=[0.85, 0.1, 0.03, 0.02])
        joined = stamp(np.zeros(1), base)[0]
        w.register(Member, ["id", "password", "handle", "name", "email", "level", "stakeholder", "organisation",
                            "date_joined", "unit_id"])
        for i in range(n_members):
            w.add(Member, (i + 1, "!", f"m{i + 1}", f"Member {i + 1}", f"m{i + 1}@example.org", int(level[i]),
                           str(stake[i]), "" if stake[i] == Stakeholder.EMPLOYEE else "Outside Co", joined,
                           int(unit[i])))
        progress.advance(task)

        step("communities")
        vis = rng.choice(["open", "closed", "secret"], n_communities, p=[0.8, 0.1, 0.1])
        w.register(Community, ["id", "name", "slug", "purpose", "visibility", "created_at", "created_by_id"])
        w.register(Activity, *chain.bulk_sealer(["actor_id", "verb", "object_type", "object_id", "target_id",
                                                 "community_id", "created_at"]))
        for c in range(n_communities):
            w.add(Community, (c + 1, f"Community {c + 1}", f"c{c + 1}", "", str(vis[c]), joined, 1))
            w.add(Activity, (1, Verb.CREATE_COMMUNITY.value, ObjectType.COMMUNITY.value, c + 1, None, c + 1, joined))
        progress.advance(task)

        step("memberships")
        # Popularity is heavy-tailed: a few big communities, many small ones.
        popularity = 1.0 / np.arange(1, n_communities + 1) ** 0.8
        popularity /= popularity.sum()
        k = rng.integers(2, 15, n_members)
        member_ids = np.repeat(np.arange(1, n_members + 1), k)
        comm_ids = rng.choice(np.arange(1, n_communities + 1), member_ids.size, p=popularity)
        # The benchmark member (id 1) belongs to exactly 50 communities, across sizes.
        bench_comms = np.sort(rng.choice(np.arange(1, n_communities + 1), 50, replace=False))
        keep = member_ids != 1
        pairs = np.unique(np.stack([np.concatenate([comm_ids[keep], bench_comms]),
                                    np.concatenate([member_ids[keep], np.ones(50, dtype=np.int64)])], axis=1), axis=0)
        w.register(Membership, ["community_id", "member_id", "joined_at"])
        for c, m in pairs:
            w.add(Membership, (int(c), int(m), joined))
            w.add(Activity, (int(m), Verb.JOIN.value, ObjectType.COMMUNITY.value, int(c), None, int(c), joined))
        sizes = np.bincount(pairs[:, 0], minlength=n_communities + 1)
        w.update(Community, "member_count", [(int(sizes[c]), c) for c in range(1, n_communities + 1)])
        progress.advance(task)

        step("follows")
        f_src = rng.integers(2, n_members + 1, n_members * 5)
        f_dst = rng.integers(1, n_members + 1, f_src.size)
        bench_follows = rng.choice(np.arange(2, n_members + 1), 200, replace=False)
        f_src = np.concatenate([f_src, np.ones(200, dtype=np.int64)])
        f_dst = np.concatenate([f_dst, bench_follows])
        ok = f_src != f_dst
        fpairs = np.unique(np.stack([f_src[ok], f_dst[ok]], axis=1), axis=0)
        w.register(Follow, ["follower_id", "followed_id", "created_at"])
        for a, b in fpairs:
            w.add(Follow, (int(a), int(b), joined))
            w.add(Activity, (int(a), Verb.FOLLOW.value, ObjectType.MEMBER.value, int(b), int(b), None, joined))
        progress.advance(task)

        step("posts")
        root_comm = rng.choice(np.arange(1, n_communities + 1), n_roots, p=popularity)
        root_author = rng.integers(1, n_members + 1, n_roots)
        root_created = np.sort(rng.uniform(0, span, n_roots))
        root_kind = rng.choice(["discussion", "question", "announcement"], n_roots, p=[0.6, 0.35, 0.05])
        # Replies: each goes to a thread, after its start; about 40 % answer another reply.
        reply_root = rng.integers(0, n_roots, n_replies)
        reply_created = root_created[reply_root] + rng.exponential(86400, n_replies)
        order = np.argsort(reply_created, kind="stable")
        reply_root, reply_created = reply_root[order], reply_created[order]
        reply_author = rng.integers(1, n_members + 1, n_replies)
        last = root_created.copy()
        np.maximum.at(last, reply_root, reply_created)
        rc, rl = stamp(root_created, base), stamp(last, base)
        # Counters as create_reply keeps them: a thread counts all its replies, a reply its direct ones.
        reply_count = np.bincount(reply_root, minlength=n_items + 1)[: n_items + 1].astype(np.int64)
        post_cols = ["id", "kind", "title", "body", "body_html", "depth", "created_at", "last_activity_at",
                     "reply_count", "author_id", "community_id", "parent_id", "root_id"]
        w.register(Post, post_cols)
        # Replies first in memory (their parents decide the reply counts), written after the threads.
        last_reply: dict[int, tuple[int, int]] = {}
        to_reply = rng.random(n_replies) < 0.4
        replies = []
        rcs = stamp(reply_created, base)
        nested = np.zeros(n_items + 1, dtype=np.int64)
        for j in range(n_replies):
            r = int(reply_root[j])
            pid, depth = r + 1, 1
            prev = last_reply.get(r)
            if prev is not None and to_reply[j]:
                pid, depth = prev[0], prev[1] + 1
                nested[pid] += 1
            rid = n_roots + j + 1
            last_reply[r] = (rid, depth)
            replies.append((rid, pid, depth))
        if text is None:
            def text(post_id: int) -> tuple[str, str]:
                if post_id <= n_roots:
                    return f"Thread {post_id}", f"Thread {post_id} body"
                return "", f"Reply {post_id}"
        for i in range(n_roots):
            title, body = text(i + 1)
            w.add(Post, (i + 1, str(root_kind[i]), title, body, f"<p>{body}</p>", 0, rc[i], rl[i],
                         int(reply_count[i]), int(root_author[i]), int(root_comm[i]), None, None))
            w.add(Activity, (int(root_author[i]), Verb.POST.value, ObjectType.POST.value, i + 1, None,
                             int(root_comm[i]), rc[i]))
        progress.advance(task)

        step("replies")
        author_of = np.concatenate([[0], root_author, reply_author])  # by post id
        for j, (rid, pid, depth) in enumerate(replies):
            r = int(reply_root[j])
            who, to = int(reply_author[j]), int(author_of[pid])
            _, body = text(rid)
            w.add(Post, (rid, "reply", "", body, f"<p>{body}</p>", depth, rcs[j], rcs[j],
                         int(nested[rid]), who, int(root_comm[r]), pid, r + 1))
            w.add(Activity, (who, Verb.REPLY.value, ObjectType.POST.value, rid, to if to != who else None,
                             int(root_comm[r]), rcs[j]))
        progress.advance(task)

        step("reactions")
        n_reactions = n_items // 2
        rx_post = rng.integers(1, n_items + 1, n_reactions)
        rx_member = rng.integers(1, n_members + 1, n_reactions)
        rx_kind = rng.integers(0, 5, n_reactions)
        trip = np.unique(np.stack([rx_post, rx_member, rx_kind], axis=1), axis=0)
        kinds = ["like", "celebrate", "insightful", "support", "curious"]
        community_of = np.concatenate([[0], root_comm, root_comm[reply_root]])  # by post id
        w.register(Reaction, ["post_id", "member_id", "kind", "created_at"])
        for p, m, x in trip:
            who, to = int(m), int(author_of[p])
            w.add(Reaction, (int(p), who, kinds[int(x)], joined))
            w.add(Activity, (who, Verb.REACT.value, ObjectType.POST.value, int(p), to if to != who else None,
                             int(community_of[p]), joined))
        progress.advance(task)
        step("saving")
        w.finish()
        progress.advance(task)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"seconds": time.perf_counter() - t0, "roots": n_roots, "replies": n_replies,
            "reactions": int(trip.shape[0]), "memberships": int(pairs.shape[0]), "follows": int(fpairs.shape[0])}


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args) -> None:  # noqa: D102
        pass


def serve() -> tuple[WSGIServer, int]:
    from django.core.wsgi import get_wsgi_application

    # Django's bare handler on wsgiref: the per-request cost of the app, no server tuning.
    server = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def measure(runs: int) -> dict:
    from django.db import connection

    from socialfabric import access
    from socialfabric.conversations import services as conv
    from socialfabric.feed import services as feed
    from socialfabric.org.models import Member
    from socialfabric.org.services import create_token

    member = Member.objects.get(id=1)
    out: dict = {}

    def feed_page() -> float:
        access.forget(member)  # per-request state, as a fresh request would have
        t = time.perf_counter()
        page = feed.home_feed(member)
        dt = (time.perf_counter() - t) * 1000
        assert len(page.items) == 20 and page.next_cursor
        return dt

    for _ in range(20):
        feed_page()
    inproc = [feed_page() for _ in range(runs)]

    # The bare query: the SQL the feed page runs for its rows (authors and communities joined), no ORM.
    access.forget(member)
    sql, params = feed.page_sql(member, *feed.home_sql(member), None, 20)
    sql = sql.replace("%s", "?")  # Django's wrapper formats; plain sqlite3 wants qmark
    raw = connection.cursor().connection

    def bare() -> float:
        t = time.perf_counter()
        rows = raw.execute(sql, params).fetchall()
        dt = (time.perf_counter() - t) * 1000
        assert len(rows) == 21
        return dt

    for _ in range(20):
        bare()
    bare_ms = [bare() for _ in range(runs)]

    # Interleave to share the machine's noise: feed, bare, feed, bare ...
    inter_feed, inter_bare = [], []
    for _ in range(runs):
        inter_feed.append(feed_page())
        inter_bare.append(bare())

    # Over HTTP: the REST API's home feed with a personal access token.
    _, plain = create_token(member, "bench")
    server, port = serve()
    path = "/api/v1/feed?limit=20"
    headers = {"Authorization": f"Bearer {plain}"}

    def http_page() -> float:
        c = http.client.HTTPConnection("127.0.0.1", port)
        t = time.perf_counter()
        c.request("GET", path, headers=headers)
        resp = c.getresponse()
        body = resp.read()
        dt = (time.perf_counter() - t) * 1000
        c.close()
        assert resp.status == 200, (resp.status, body[:200])
        assert len(json.loads(body)["items"]) == 20
        return dt

    http_ms: list[float] = []
    try:
        for _ in range(10):
            http_page()
        http_ms = [http_page() for _ in range(runs)]
    except (AssertionError, OSError) as exc:
        print(f"HTTP measurement failed: {exc!r}")
    server.shutdown()

    # Replies: to threads in the member's communities, spread over the data.
    roots = list(feed.threads().filter(community_id__in=access.member_community_ids(member))
                 .values_list("id", flat=True)[:2000])
    rng = np.random.default_rng(3)
    reply_ms = []
    for i in range(runs):
        target = int(roots[int(rng.integers(0, len(roots)))])
        t = time.perf_counter()
        conv.create_reply(member, target, body=f"Benchmark reply {i} with a #topic")
        reply_ms.append((time.perf_counter() - t) * 1000)

    out.update(inproc=inproc, bare=bare_ms, inter_feed=inter_feed, inter_bare=inter_bare, http=http_ms,
               reply=reply_ms, sql=sql)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--keep", action="store_true", help="reuse bench/data/core.sqlite3 if it exists")
    args = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    db_path = DATA / f"core-{args.members}-{args.items}.sqlite3"
    reuse = args.keep and db_path.exists()
    if not reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    setup_django(db_path)
    print(f"Social Fabric core benchmark — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {platform.node()} "
          f"({os.cpu_count()} cores, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version})")
    if reuse:
        print(f"Reusing {db_path}")
    else:
        g = generate(db_path, args.members, args.items)
        print(f"Generated {args.members:,} members, {g['roots']:,} threads + {g['replies']:,} replies, "
              f"{g['reactions']:,} reactions, {g['memberships']:,} memberships, {g['follows']:,} follows "
              f"in {g['seconds']:.1f} s ({db_path.stat().st_size / 1e6:.0f} MB)")
    r = measure(args.runs)
    ratio = pct(r["inter_feed"], 50) / pct(r["inter_bare"], 50)
    ratio99 = pct(r["inter_feed"], 99) / pct(r["inter_bare"], 99)
    print()
    print("Home-feed page, 20 items, member in 50 communities following 200 people:")
    print(f"  in-process (feed.home_feed)   {fmt(r['inproc'])}")
    if r["http"]:
        print(f"  over HTTP (GET /api/v1/feed)  {fmt(r['http'])}")
    print(f"  bare SQL feed query           {fmt(r['bare'])}")
    print(f"  ratio feed page / bare query  p50 {ratio:.2f}x   p99 {ratio99:.2f}x   (interleaved runs)")
    print(f"Posting a reply (create_reply)  {fmt(r['reply'])}")
    targets = {
        "feed p99 in-process <= 25 ms": pct(r["inproc"], 99) <= 25,
        "feed / bare query <= 3x (p50)": ratio <= 3,
        "reply p99 <= 20 ms": pct(r["reply"], 99) <= 20,
    }
    for name, ok in targets.items():
        print(f"  [{'met' if ok else 'MISSED'}] {name}")
    if "--sql" in sys.argv:
        print(r["sql"])
    insights_report(db_path)


def insights_report(db_path: Path) -> None:
    """The dashboard's report on the generated platform, as the worker computes it."""
    import resource
    import subprocess

    from socialfabric.insights.analysis import platform

    events = platform.count_interactions(exclude_secret=True)
    exe = Path(sys.executable).with_name("socialfabric")
    started = time.perf_counter()
    done = subprocess.run([str(exe), "insights", "refresh", "--since", "2000-01-01"], env=os.environ.copy(),
                          capture_output=True, text=True)
    wall = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print()
    print(f"Insights dashboard report on this platform ({events:,} interaction events with a target, "
          "secret communities left out):")
    if done.returncode:
        print(f"  FAILED: {done.stderr.strip() or done.stdout.strip()}")
        return
    print(f"  {done.stdout.strip()}")
    print(f"  child process: wall {wall:.1f} s, peak RSS {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
