"""Audit trail benchmark (part of `make bench`): the hash chain's cost to write and to verify.
SQLite and PostgreSQL, each in its own process.

1. Writes --records activity records (1,000,000 by default) over 1,000 members through the
   BulkWriter, sealed as they go (activity.chain.bulk_sealer): rows a second.
2. `audit verify`'s work (chain.verify) over all of them, --runs times: median seconds and
   records a second.
3. One act's append (stream.record, each in its own transaction, the chain's lock and head
   read included) against inserting the same row unchained, interleaved, rolled back: p50
   of each and the ratio.

Prints figures; it is not a timed test. Record results in bench/RESULTS.md.
    python bench/bench_audit.py [--records 1000000] [--db sqlite,postgres] [--runs 3]
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import arguments, child, database_version, each_database, header  # noqa: E402

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
PG_DB = "sf_bench_audit"
VERBS = ["post", "reply", "react", "follow", "join", "flag", "sign_in"]


def one_database(kind: str, args) -> dict:
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / "audit.sqlite3"
    from bench_search import fresh_database, setup_django

    fresh_database(kind, path, PG_DB)
    setup_django(kind, path, PG_DB)
    from django.core.management import call_command
    from django.db import connection, transaction

    from socialfabric.activity import chain, record
    from socialfabric.activity.models import Activity
    from socialfabric.bulk import BulkWriter
    from socialfabric.org.models import Member

    call_command("migrate", verbosity=0)
    out: dict = {"kind": kind}
    out["version"] = database_version()
    members = Member.objects.bulk_create([Member(handle=f"m{i}", name=f"Member {i}") for i in range(1000)])
    ids = [m.id for m in members]
    start = int(time.time()) - args.records  # one act a second, ending now

    t = time.perf_counter()
    with transaction.atomic():
        w = BulkWriter()
        w.register(Activity, *chain.bulk_sealer(["actor_id", "verb", "object_type", "object_id", "target_id",
                                                 "community_id", "created_at", "details"]))
        for i in range(args.records):
            w.add(Activity, (ids[i % 1000], VERBS[i % 7], "post", i, ids[(i * 7) % 1000], 1 + i % 50,
                             w.when(start + i), json.dumps({"thread": i // 5} if i % 3 else {})))
        w.finish()
    out["write_s"] = time.perf_counter() - t
    with connection.cursor() as db:
        db.execute("ANALYZE")

    runs = []
    for _ in range(args.runs):
        t = time.perf_counter()
        verdict = chain.verify()
        runs.append(time.perf_counter() - t)
        assert verdict.intact and verdict.checked == args.records, verdict
    out["verify_s"] = statistics.median(runs)
    out["verify_runs"] = runs

    chained, plain = [], []

    class Undo(Exception):
        pass

    for i in range(args.appends):
        for into in (chained, plain):
            t = time.perf_counter()
            try:
                with transaction.atomic():
                    if into is chained:
                        record("post", ids[i % 1000], object_type="post", object_id=i)
                    else:
                        Activity(verb="post", actor_id=ids[i % 1000], object_type="post", object_id=i).save()
                    into.append(time.perf_counter() - t)
                    raise Undo  # the unchained row must not stay; roll both back alike
            except Undo:
                pass
    out["append_ms"] = statistics.median(chained) * 1000
    out["plain_ms"] = statistics.median(plain) * 1000
    return out


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--appends", type=int, default=2000)
    args = parser.parse_args()
    if child(args, one_database):
        return
    print(header("Audit trail benchmark"))
    print(f"{args.records:,} activity records, verified {args.runs} times; {args.appends:,} single appends")
    for r in each_database(__file__, args.db):
        n = args.records
        print(f"\n== {r['version']} ==")
        print(f"write, sealed in bulk        {r['write_s']:6.1f} s  ({n / r['write_s']:,.0f} records/s)")
        print(f"verify, median of {args.runs}         {r['verify_s']:6.1f} s  ({n / r['verify_s']:,.0f} records/s)"
              f"  runs {', '.join(f'{x:.1f}' for x in r['verify_runs'])} s")
        print(f"one act's append, chained    p50 {r['append_ms']:5.2f} ms   unchained p50 {r['plain_ms']:5.2f} ms"
              f"   ratio {r['append_ms'] / max(r['plain_ms'], 1e-6):4.2f}x")


if __name__ == "__main__":
    main()
