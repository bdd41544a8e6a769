"""Governance benchmark (part of `make bench`): the approval queue page, the moderation queue,
and what the post-state rule costs the home feed. SQLite and PostgreSQL, each in its own process.

1. Generates bench_core's platform (20,000 members, 200,000 posts and replies by default), then
   puts --pending of its threads in compliance sign-off (state pending, a review each) and
   --flags flags on replies, written in bulk.
2. The approval queue page (/approvals/, a compliance officer who reads the open communities)
   and its API (/api/v1/approvals), whole requests through Django's test client: p50/p99.
3. The moderation queue page for staff (/moderation/, the organisation's queue): p50/p99.
4. The home feed statement for typical members with the read policy as it is (community and
   post state) and with the community rule alone, interleaved: the ratio of medians is what the
   state rule costs the hottest read.

Prints figures; it is not a timed test. Record results in bench/RESULTS.md.
    python bench/bench_governance.py [--pending 10000] [--flags 5000] [--items 200000] [--members 20000]
                                     [--db sqlite,postgres] [--runs 200]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import arguments, child, each_database, fresh_platform, header, pct  # noqa: E402

PG_DB = "sf_bench_governance"



def govern(n_pending: int, n_flags: int, seed: int = 5) -> float:
    """Threads into sign-off and flags on replies, as the services would leave them."""
    from django.db import connection, transaction

    from socialfabric.bulk import BulkWriter
    from socialfabric.conversations.models import Post, PostState
    from socialfabric.governance.models import Flag, Review

    rng = np.random.default_rng(seed)
    t = time.perf_counter()
    with transaction.atomic():
        roots = list(Post.objects.filter(parent__isnull=True).values_list("id", "community_id", "created_at"))
        replies = list(Post.objects.filter(parent__isnull=False).values_list("id", "community_id", "created_at"))
        chosen = [roots[i] for i in rng.choice(len(roots), min(n_pending, len(roots)), replace=False)]
        ids = [c[0] for c in chosen]
        for start in range(0, len(ids), 5000):
            Post.objects.filter(id__in=ids[start:start + 5000]).update(state=PostState.PENDING)
        w = BulkWriter()
        w.register(Review, ["post_id", "community_id", "submitted_at", "decision", "reason"])
        w.register(Flag, ["post_id", "member_id", "community_id", "reason", "text", "created_at", "outcome"])
        for post_id, community_id, created in chosen:
            w.add(Review, (post_id, community_id, w.when(int(created.timestamp())), "pending", ""))
        flagged = rng.choice(len(replies), min(n_flags, len(replies)), replace=False)
        for n, i in enumerate(flagged):
            post_id, community_id, created = replies[int(i)]
            w.add(Flag, (post_id, 2 + n % 1000, community_id, "spam", "", w.when(int(created.timestamp()) + 60),
                         ""))
        w.flush()
    with connection.cursor() as db:
        db.execute("ANALYZE")
    return time.perf_counter() - t


def one_database(kind: str, args) -> dict:
    out, _ = fresh_platform(kind, "governance", args.members, args.items, PG_DB)
    from django.test import Client

    from socialfabric import access
    from socialfabric.feed import services as feed
    from socialfabric.org.models import Member

    out["govern_s"] = govern(args.pending, args.flags)
    Member.objects.filter(id=1).update(is_compliance_officer=True)
    Member.objects.filter(id=3).update(is_staff=True)

    def timed(client: Client, url: str, runs: int) -> dict:
        for _ in range(10):  # warm: the URL resolver, middleware, templates
            assert client.get(url).status_code == 200
        took = []
        for _ in range(runs):
            t = time.perf_counter()
            response = client.get(url)
            took.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        return {"p50": pct(took, 50), "p99": pct(took, 99)}

    results: dict = {}
    officer = Client()
    officer.force_login(Member.objects.get(id=1))
    results["approvals_page"] = timed(officer, "/approvals/", args.runs)
    results["approvals_api"] = timed(officer, "/api/v1/approvals", args.runs)
    staff = Client()
    staff.force_login(Member.objects.get(id=3))
    results["moderation_page"] = timed(staff, "/moderation/", args.runs)

    # The state rule's cost on the home feed: the policy as it is against the community rule alone.
    typical = list(Member.objects.filter(id__in=range(200, args.members, 97), is_staff=False))[:40]
    whole, alone = access.readable_posts_sql, (
        lambda viewer, alias="p", published_only=False: whole(viewer, alias, published_only=True))
    policy, bare = [], []
    for m in (typical * 10)[: args.runs]:
        for fn, into in ((whole, policy), (alone, bare)):
            access.readable_posts_sql = fn
            access.forget(m)
            t = time.perf_counter()
            feed.home_feed(m)
            into.append((time.perf_counter() - t) * 1000)
    access.readable_posts_sql = whole
    results["home_feed"] = {"p50": pct(policy, 50), "p99": pct(policy, 99), "bare_p50": pct(bare, 50),
                            "bare_p99": pct(bare, 99), "ratio": pct(policy, 50) / max(pct(bare, 50), 1e-6)}
    out["results"] = results
    return out


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--pending", type=int, default=10_000)
    parser.add_argument("--flags", type=int, default=5_000)
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    if child(args, one_database):
        return
    print(header("Governance benchmark"))
    print(f"{args.items:,} posts and replies over {args.members:,} members; {args.pending:,} threads waiting "
          f"for sign-off, {args.flags:,} flags")
    for r in each_database(__file__, args.db):
        print(f"\n== {r['version']} ==  platform {r['generate_s']:.0f} s, sign-off and flags written "
              f"{r['govern_s']:.1f} s")
        for key, label in (("approvals_page", "approval queue page (/approvals/)"),
                           ("approvals_api", "approval queue API (/api/v1/approvals)"),
                           ("moderation_page", "moderation queue page, staff (/moderation/)")):
            x = r["results"][key]
            print(f"{label:<46} p50 {x['p50']:7.2f} ms  p99 {x['p99']:7.2f} ms")
        x = r["results"]["home_feed"]
        print(f"home feed, read policy with post states         p50 {x['p50']:7.2f} ms  p99 {x['p99']:7.2f} ms")
        print(f"home feed, community rule alone                 p50 {x['bare_p50']:7.2f} ms  "
              f"p99 {x['bare_p99']:7.2f} ms   ratio {x['ratio']:4.2f}x")


if __name__ == "__main__":
    main()
