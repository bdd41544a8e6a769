"""Notifications benchmark (part of `make bench`): the bell's unread count, SQLite and PostgreSQL.

For each database, in its own process:
1. Generates bench_core's platform (20,000 members, 200,000 posts and replies by default) and
   1,000,000 notifications about those posts, heavy-tailed over recipients (member 1, a
   busy moderator, holds ~2 % of them), about a tenth unread, written with the BulkWriter.
2. The unread count (notifications.services.unread_count: the member's unread notifications
   whose post they may still read, through access's SQL form of readable_notifications), exact
   as the API answers it and capped at 100 as the bell reads it ("99+"), for the busiest member
   and for typical ones: p50/p99.
3. The bare count (recipient and read_at only, the partial index notification_unread, the
   raw driver), interleaved, and the ratio of medians: what the read policy costs.
4. One bell poll end to end (Django's test client, session, middleware, the 204 answer while
   the count holds): what every open tab costs the server every 4 seconds.

Prints figures; it is not a timed test. Record results in bench/RESULTS.md.
    python bench/bench_notifications.py [--notifications 1000000] [--items 200000] [--members 20000]
                                        [--db sqlite,postgres] [--runs 300]
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import arguments, child, each_database, fresh_platform, header, pct  # noqa: E402

PG_DB = "sf_bench_notifications"



def notify(n: int, n_members: int, n_items: int, seed: int = 3) -> float:
    """n notifications (mentions, replies, reactions) about random posts, heavy-tailed recipients."""
    from django.db import transaction

    from socialfabric.bulk import BulkWriter
    from socialfabric.notifications.models import Notification

    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, n_members + 1) ** 0.9
    weights /= weights.sum()
    recipients = rng.choice(np.arange(1, n_members + 1), n, p=weights)
    posts = rng.integers(1, n_items + 1, n)
    actors = rng.integers(1, n_members + 1, n)
    kinds = rng.choice(["mention", "reply", "reaction"], n, p=[0.3, 0.5, 0.2])
    unread = rng.random(n) < 0.1
    base = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
    t = time.perf_counter()
    with transaction.atomic():
        w = BulkWriter()
        w.register(Notification, ["recipient_id", "kind", "actor_id", "post_id", "activity_id", "created_at",
                                  "updated_at", "read_at", "detail"])
        for i in range(n):
            when = w.when(base + i * 15)
            w.add(Notification, (int(recipients[i]), str(kinds[i]), int(actors[i]), int(posts[i]), i + 1, when, when,
                                 None if unread[i] else when, ""))
        w.flush()
    return time.perf_counter() - t


def one_database(kind: str, args) -> dict:
    out, _ = fresh_platform(kind, "notifications", args.members, args.items, PG_DB)
    from django.db import connection
    from django.test import Client

    from socialfabric import access
    from socialfabric.notifications import services
    from socialfabric.notifications.models import Notification
    from socialfabric.org.models import Member

    out["notify_s"] = notify(args.notifications, args.members, args.items)
    with connection.cursor() as db:
        if kind == "sqlite":
            db.execute("ANALYZE")
        else:
            db.execute("ANALYZE")
            db.execute("SHOW server_version")
            version = db.fetchone()[0]
            db.execute("SHOW shared_buffers")
            out["version"] = f"PostgreSQL {version}, shared_buffers {db.fetchone()[0]}"
    if kind == "sqlite":
        import sqlite3

        out["version"] = f"SQLite {sqlite3.sqlite_version}"
    busiest = Member.objects.get(id=1)
    typical = list(Member.objects.filter(id__in=range(200, 20_000, 97)))
    out["busiest_total"] = Notification.objects.filter(recipient=busiest).count()
    out["busiest_unread"] = Notification.objects.filter(recipient=busiest, read_at__isnull=True).count()
    out["busiest_shown"] = services.unread_count(busiest)

    raw = connection.cursor().connection
    table = Notification._meta.db_table
    mark = "?" if kind == "sqlite" else "%s"
    bare_sql = f"SELECT COUNT(*) FROM {table} WHERE recipient_id = {mark} AND read_at IS NULL"

    def counted(member: Member, at_most: int | None = None) -> float:
        access.forget(member)  # per-request state, as a fresh request would have
        t = time.perf_counter()
        services.unread_count(member, at_most)
        return (time.perf_counter() - t) * 1000

    def bare(member: Member) -> float:
        t = time.perf_counter()
        raw.execute(bare_sql, [member.id]).fetchall()
        return (time.perf_counter() - t) * 1000

    for m in typical[:20]:  # warm the caches
        counted(m)
        bare(m)
    results: dict = {}
    for label, people in (("busiest", [busiest] * args.runs), ("typical", (typical * 10)[: args.runs])):
        policy, capped, plain = [], [], []
        for m in people:
            policy.append(counted(m))
            capped.append(counted(m, services.BELL_MOST))
            plain.append(bare(m))
        results[label] = {"p50": pct(policy, 50), "p99": pct(policy, 99), "bare_p50": pct(plain, 50),
                          "bare_p99": pct(plain, 99), "ratio": pct(policy, 50) / max(pct(plain, 50), 1e-6),
                          "bell_p50": pct(capped, 50), "bell_p99": pct(capped, 99),
                          "bell_ratio": pct(capped, 50) / max(pct(plain, 50), 1e-6)}
    client = Client()
    client.force_login(busiest)
    seen = services.unread_count(busiest, services.BELL_MOST)
    polls = []
    for _ in range(20):  # warm: the first requests load the URL resolver and the middleware
        client.get("/notifications/bell/", {"seen": seen}, HTTP_HX_REQUEST="true")
    for _ in range(args.runs):
        t = time.perf_counter()
        response = client.get("/notifications/bell/", {"seen": seen}, HTTP_HX_REQUEST="true")
        polls.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 204, response.status_code
    results["poll"] = {"p50": pct(polls, 50), "p99": pct(polls, 99)}
    out["results"] = results
    return out


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--notifications", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    if child(args, one_database):
        return
    print(header("Notifications benchmark"))
    print(f"{args.notifications:,} notifications over {args.members:,} members about {args.items:,} posts")
    for r in each_database(__file__, args.db):
        print(f"\n== {r['version']} ==  platform {r['generate_s']:.0f} s, notifications written {r['notify_s']:.0f} s")
        print(f"busiest member: {r['busiest_total']:,} notifications, {r['busiest_unread']:,} unread, "
              f"{r['busiest_shown']:,} readable and unread (the bell)")
        for label in ("busiest", "typical"):
            x = r["results"][label]
            print(f"{label:<8} exact unread count (API) p50 {x['p50']:6.2f} ms  p99 {x['p99']:6.2f} ms   "
                  f"bare count p50 {x['bare_p50']:6.2f} ms  p99 {x['bare_p99']:6.2f} ms   ratio {x['ratio']:4.1f}x")
            print(f"{label:<8} bell count (stops at 100)  p50 {x['bell_p50']:6.2f} ms  p99 {x['bell_p99']:6.2f} ms"
                  f"   ratio to the bare count {x['bell_ratio']:4.1f}x")
        x = r["results"]["poll"]
        print(f"bell poll (whole request, 204)  p50 {x['p50']:6.2f} ms  p99 {x['p99']:6.2f} ms")


if __name__ == "__main__":
    main()
