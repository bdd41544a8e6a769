"""People's data rights benchmark (part of `make bench`): "download my data", erasure, and
retention's "anonymise the authors". SQLite and PostgreSQL, each in its own process.

1. Generates bench_core's platform (20,000 members, 200,000 posts and replies by default).
2. Export: the --people most prolific authors' ZIPs, built as the worker builds them
   (rights.build_export): seconds, posts and bytes each (median).
3. Erasure: the same people erased with their text removed (rights.erase, one transaction each,
   one `remove` act a post): seconds each and posts per second (median).
4. Anonymise: an organisation-wide rule that makes the --anonymise oldest posts due, run once
   (batches of 500, one pseudonym a person): seconds and posts per second.

Prints figures; it is not a timed test. Record results in bench/RESULTS.md.
    python bench/bench_rights.py [--items 200000] [--members 20000] [--people 5] [--anonymise 20000]
                                 [--db sqlite,postgres]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import arguments, child, each_database, fresh_platform, header  # noqa: E402

PG_DB = "sf_bench_rights"


def one_database(kind: str, args) -> dict:
    out, _ = fresh_platform(kind, "rights", args.members, args.items, PG_DB)
    from django.conf import settings
    from django.db.models import Count

    from socialfabric.conversations.models import Post
    from socialfabric.governance import retention, rights
    from socialfabric.governance.models import DataExport
    from socialfabric.org.models import Member

    settings.SOCIALFABRIC_EXPORTS_ROOT = Path(tempfile.mkdtemp(prefix="sf-bench-exports-"))
    admin = Member.objects.get(id=1)
    Member.objects.filter(id=1).update(is_staff=True, is_superuser=True)
    admin.refresh_from_db()
    prolific = list(Member.objects.exclude(id=1).annotate(n=Count("posts")).order_by("-n", "id")[:args.people])

    exports = []
    for person in prolific:
        export = DataExport.objects.create(member=person)
        t = time.perf_counter()
        rights.build_export.call(export.id)
        took = time.perf_counter() - t
        export.refresh_from_db()
        assert export.state == DataExport.State.READY, export.state
        exports.append({"s": took, "posts": person.n, "bytes": export.size})
    out["export"] = {"s": statistics.median(e["s"] for e in exports),
                     "posts": statistics.median(e["posts"] for e in exports),
                     "bytes": statistics.median(e["bytes"] for e in exports)}

    erasures = []
    for person in prolific:
        t = time.perf_counter()
        done = rights.erase(admin, person)
        erasures.append({"s": time.perf_counter() - t, "posts": done.removed})
    out["erase"] = {"s": statistics.median(e["s"] for e in erasures),
                    "posts": statistics.median(e["posts"] for e in erasures),
                    "per_s": statistics.median(e["posts"] / e["s"] for e in erasures)}

    nth = Post.objects.order_by("created_at", "id").values_list("created_at", flat=True)[args.anonymise]
    retention.set_retention_rule(admin, None, days=1, action="anonymise")
    t = time.perf_counter()
    run = retention.run_retention(admin, now=nth + timedelta(days=1))
    took = time.perf_counter() - t
    out["anonymise"] = {"s": took, "posts": run.anonymised, "per_s": run.anonymised / took,
                        "pseudonyms": Member.objects.filter(pseudonym_of__isnull=False).count()}
    return out


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--people", type=int, default=5)
    parser.add_argument("--anonymise", type=int, default=20_000)
    args = parser.parse_args()
    if child(args, one_database):
        return
    print(header("Data rights benchmark"))
    print(f"{args.items:,} posts and replies over {args.members:,} members; the {args.people} most prolific "
          f"authors exported and erased; the {args.anonymise:,} oldest posts anonymised")
    for r in each_database(__file__, args.db):
        e, x, a = r["export"], r["erase"], r["anonymise"]
        print(f"\n== {r['version']} ==  platform {r['generate_s']:.0f} s")
        print(f"download my data (ZIP built)   {e['s'] * 1000:8.0f} ms  for {e['posts']:.0f} posts, "
              f"{e['bytes'] / 1024:.0f} KiB (median)")
        print(f"erasure, text removed          {x['s'] * 1000:8.0f} ms  for {x['posts']:.0f} posts, "
              f"{x['per_s']:,.0f} posts/s (median)")
        print(f"retention, anonymise authors   {a['s']:8.1f} s   for {a['posts']:,} posts, {a['per_s']:,.0f} posts/s, "
              f"{a['pseudonyms']:,} pseudonyms")


if __name__ == "__main__":
    main()
