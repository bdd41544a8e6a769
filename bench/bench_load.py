"""Load and fault benchmark (`make bench-load`): the production server under 200 members at once.

For each database (SQLite, then PostgreSQL):
1. a fresh database with the demo organisation (1,000 members), API tokens for 200 of them;
2. `socialfabric serve` (gunicorn threads + the job worker, production settings) on a free port;
3. 200 simulated members, one thread each, for DURATION seconds with a short think time:
   80 % reads (home feed, a community's feed, a thread, a profile), 20 % writes (posts,
   replies, reactions, follows), each with the member's own token;
4. per endpoint p50/p99 and throughput, errors by kind, then every acknowledged write is
   looked up in the database (nothing lost);
5. faults: the same load again, and half-way `kill -9` of the web server (master and
   workers) and of the job worker while an insights report is queued; restart; then
   integrity (SQLite `PRAGMA integrity_check`, PostgreSQL amcheck on every index of ours),
   every acknowledged write present, every post with its activity row, thread counters
   equal to the replies, and the queued report computed (no job lost).

Prints figures; it is not a timed test. Bounded in time and count, local addresses only.
    python bench/bench_load.py [--members 200] [--duration 60] [--db sqlite,postgres]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "load"
PG_BASE = os.environ.get("PG_BASE", "postgres://postgres@127.0.0.1:5432")
READS = [("home feed", 35), ("community feed", 20), ("thread", 15), ("profile", 10)]
WRITES = [("post", 5), ("reply", 8), ("reaction", 5), ("follow", 2)]

SETUP = r"""
import json, random
from socialfabric.org.models import Member
from socialfabric.org import services as org
from socialfabric.communities.models import Membership
from socialfabric.conversations.models import Post
rng = random.Random(5)
people = list(Member.objects.filter(is_active=True, stakeholder="employee").order_by("id")[:N])
out = []
for m in people:
    _t, plain = org.create_token(m, "load")
    mine = list(Membership.objects.filter(member=m).values_list("community__slug", flat=True))
    if not mine:
        continue
    threads = list(Post.objects.filter(parent__isnull=True, community__slug__in=mine).order_by("-id")
                   .values_list("id", flat=True)[:30])
    out.append({"handle": m.handle, "token": plain, "communities": mine, "threads": threads})
handles = list(Member.objects.filter(is_active=True).values_list("handle", flat=True))
admin = Member.objects.get(handle="admin")
_t, admin_token = org.create_token(admin, "load-admin")
print(json.dumps({"members": out, "handles": handles, "admin": admin_token}))
"""

CHECK = r"""
import json
from django.db import connection
from socialfabric.activity.models import Activity
from socialfabric.conversations.models import Post
from socialfabric.insights.models import Report
ack = json.load(open(ACK))
posts = set(ack["posts"])
found = set(Post.objects.filter(id__in=list(posts)).values_list("id", flat=True))
with_activity = set(Activity.objects.filter(object_type="post", object_id__in=list(posts),
                                            verb__in=["post", "reply"]).values_list("object_id", flat=True))
table = Post._meta.db_table
with connection.cursor() as c:
    c.execute(f"SELECT COUNT(*) FROM {table} t WHERE t.parent_id IS NULL AND t.reply_count <> "
              f"(SELECT COUNT(*) FROM {table} r WHERE r.root_id = t.id)")
    bad_counters = c.fetchone()[0]
    c.execute(f"SELECT COUNT(*) FROM {table} p WHERE NOT EXISTS (SELECT 1 FROM activity_activity a "
              f"WHERE a.object_type = 'post' AND a.object_id = p.id AND a.verb IN ('post', 'reply'))")
    posts_without_activity = c.fetchone()[0]
    if connection.vendor == "sqlite":
        c.execute("PRAGMA integrity_check")
        integrity = c.fetchone()[0]
    else:
        c.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
        c.execute("SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                  "JOIN pg_am a ON a.oid = c.relam "
                  "WHERE a.amname = 'btree' AND c.relnamespace = 'public'::regnamespace")
        names = [r[0] for r in c.fetchall()]
        for name in names:
            c.execute("SELECT bt_index_check(%s::regclass, true)", [name])
        integrity = f"ok (amcheck on {len(names)} indexes)"
reports = list(Report.objects.values_list("status", flat=True))
print(json.dumps({"acknowledged": len(posts), "missing": len(posts - found),
                  "missing_activity": len(posts - with_activity), "posts_without_activity": posts_without_activity,
                  "bad_thread_counters": bad_counters, "integrity": integrity, "reports": reports}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(env: dict, *args: str, timeout: int = 600) -> str:
    done = subprocess.run([sys.executable, "-m", "socialfabric.cli", *args], env=env, capture_output=True,
                          text=True, timeout=timeout)
    if done.returncode != 0:
        raise SystemExit(f"socialfabric {' '.join(args[:2])} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def shell(env: dict, code: str) -> dict:
    return json.loads(cli(env, "shell", "-c", code).strip().splitlines()[-1])


class Server:
    def __init__(self, env: dict, port: int, args, log: Path) -> None:
        self.env, self.port, self.log = env, port, log
        self.workers, self.threads, self.server = args.workers, args.threads, args.server
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("a") as log:  # warnings and errors of server and worker, to explain any 5xx
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "socialfabric.cli", "serve", "--server", self.server, "--port", str(self.port),
                 "--workers", str(self.workers), "--threads", str(self.threads)], env=self.env, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)
        for _ in range(300):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/health")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("the server did not start")

    def kill9(self) -> None:
        """kill -9 of everything the serve command started: gunicorn master, workers, job worker."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


class Load:
    def __init__(self, port: int, setup: dict, duration: float) -> None:
        self.port, self.setup, self.duration = port, setup, duration
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.status: Counter = Counter()
        self.errors: Counter = Counter()
        self.acknowledged: list[int] = []
        self.lock = threading.Lock()

    def run(self, members: list[dict], fault: callable | None = None) -> float:
        deadline = time.monotonic() + self.duration
        threads = [threading.Thread(target=self.member, args=(m, deadline, i), daemon=True)
                   for i, m in enumerate(members)]
        started = time.monotonic()
        for t in threads:
            t.start()
        if fault:
            time.sleep(self.duration / 2)
            fault()
        for t in threads:
            t.join(self.duration + 60)
        return time.monotonic() - started

    def member(self, me: dict, deadline: float, seed: int) -> None:
        rng = random.Random(seed)
        actions = READS + WRITES
        names, weights = [a for a, _ in actions], [w for _, w in actions]
        conn = None
        headers = {"Authorization": f"Bearer {me['token']}", "Content-Type": "application/json"}
        while time.monotonic() < deadline:
            action = rng.choices(names, weights)[0]
            method, path, body = self.request(action, me, rng)
            t = time.perf_counter()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
                response = conn.getresponse()
                data = response.read()
                ms = (time.perf_counter() - t) * 1000
                with self.lock:
                    self.latency[action].append(ms)
                    self.status[(action, response.status)] += 1
                    if response.status >= 500:
                        self.errors[f"HTTP {response.status}"] += 1
                    elif action in ("post", "reply") and response.status == 201:
                        self.acknowledged.append(json.loads(data)["id"])
                        if action == "post":
                            me["threads"].insert(0, json.loads(data)["id"])
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as exc:
                with self.lock:
                    self.errors[f"connection: {type(exc).__name__}"] += 1
                if conn is not None:
                    conn.close()
                conn = None
                time.sleep(0.2)
            time.sleep(rng.uniform(0.05, 0.5))  # think time

    def request(self, action: str, me: dict, rng: random.Random) -> tuple[str, str, dict | None]:
        community = rng.choice(me["communities"])
        thread = rng.choice(me["threads"]) if me["threads"] else None
        if action == "home feed":
            return "GET", "/api/v1/feed", None
        if action == "community feed":
            return "GET", f"/api/v1/communities/{community}/feed", None
        if action == "thread" and thread:
            return "GET", f"/api/v1/posts/{thread}", None
        if action == "profile":
            return "GET", f"/api/v1/members/{rng.choice(self.setup['handles'])}", None
        if action == "reply" and thread:
            return "POST", f"/api/v1/posts/{thread}/replies", {"body": f"A reply under load {rng.random():.6f}"}
        if action == "reaction" and thread:
            return "PUT", f"/api/v1/posts/{thread}/reactions/{rng.choice(['like', 'insightful'])}", None
        if action == "follow":
            return "PUT", f"/api/v1/members/{rng.choice(self.setup['handles'])}/follow", None
        return "POST", f"/api/v1/communities/{community}/posts", {"body": f"Load test post {rng.random():.6f}"}

    def report(self, seconds: float) -> dict:
        total = sum(len(v) for v in self.latency.values())
        rows = {}
        for action, _w in READS + WRITES:
            ms = self.latency.get(action, [])
            if ms:
                rows[action] = {"n": len(ms), "p50": float(np.percentile(ms, 50)), "p99": float(np.percentile(ms, 99))}
        by_status = Counter()
        for (_action, status), n in self.status.items():
            by_status[status] += n
        return {"seconds": seconds, "requests": total, "throughput": total / seconds, "endpoints": rows,
                "statuses": dict(sorted(by_status.items())), "errors": dict(self.errors),
                "acknowledged_writes": len(self.acknowledged)}


def print_report(title: str, r: dict) -> None:
    print(f"\n{title}: {r['requests']:,} requests in {r['seconds']:.0f} s = {r['throughput']:.0f} req/s; "
          f"statuses {r['statuses']}; errors {r['errors'] or 'none'}; "
          f"{r['acknowledged_writes']:,} acknowledged posts and replies")
    print(f"  {'endpoint':<16}{'n':>7}{'p50 ms':>10}{'p99 ms':>10}")
    for action, row in r["endpoints"].items():
        print(f"  {action:<16}{row['n']:>7}{row['p50']:>10.1f}{row['p99']:>10.1f}")


def one_database(kind: str, args) -> dict:
    folder = DATA / kind
    subprocess.run(["rm", "-rf", str(folder)], check=True)
    folder.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update({"DJANGO_SETTINGS_MODULE": "socialfabric.settings.production", "SOCIALFABRIC_VAR": str(folder),
                "SECRET_KEY": "bench-load-" + "k" * 40, "SOCIALFABRIC_INSIGHTS_REFRESH_HOURS": "0",
                "LOG_LEVEL": "WARNING"})
    if kind == "postgres":
        import psycopg

        with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS sf_load WITH (FORCE)")
            conn.execute("CREATE DATABASE sf_load")
        env["DATABASE_URL"] = f"{PG_BASE}/sf_load"
    cli(env, "migrate", "--noinput")
    cli(env, "demo", "--members", "1000", "--seed", "1", "--no-progress")
    setup = shell(env, SETUP.replace("[:N]", f"[:{args.members}]"))
    print(f"\n=== {kind}: {len(setup['members'])} members with tokens ===")
    results = {}
    for phase in args.phases.split(","):
        port = free_port()
        server = Server(env, port, args, folder / f"server-{phase}.log")
        server.start()
        load = Load(port, setup, args.duration)

        def fault(port: int = port, server: Server = server) -> None:
            # Queue a report, then kill -9 the web server and the worker; restart.
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("POST", "/api/v1/insights/reports", body=json.dumps({"window": "quarter"}),
                         headers={"Authorization": f"Bearer {setup['admin']}", "Content-Type": "application/json"})
            print(f"  fault: report queued ({conn.getresponse().status}); kill -9 of server and worker", flush=True)
            time.sleep(1.0)
            server.kill9()
            t = time.monotonic()
            server.start()
            print(f"  fault: restarted in {time.monotonic() - t:.1f} s", flush=True)

        seconds = load.run(setup["members"], fault if phase == "faults" else None)
        result = load.report(seconds)
        if phase == "faults":
            for _ in range(120):  # the requeued report job runs again after the restart
                state = shell(env, "from socialfabric.insights.models import Report; import json; "
                                   "print(json.dumps({'pending': Report.objects.filter(status__in=['queued', "
                                   "'running']).count()}))")
                if state["pending"] == 0:
                    break
                time.sleep(2)
        server.stop()
        ack = folder / f"ack-{phase}.json"
        ack.write_text(json.dumps({"posts": load.acknowledged}))
        result["check"] = shell(env, CHECK.replace("open(ACK)", f"open({str(ack)!r})"))
        print_report(f"{kind} {phase}", result)
        print(f"  check: {result['check']}")
        results[phase] = result
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--server", default="granian", choices=("granian", "gunicorn"), help="as serve --server")
    parser.add_argument("--phases", default="load,faults", help="load, faults or both")
    args = parser.parse_args()
    print(f"Social Fabric load benchmark — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} — "
          f"{os.uname().nodename} ({os.cpu_count()} cores); {args.members} members, {args.duration:.0f} s, "
          f"{args.server} {args.workers} workers x {args.threads} threads")
    out = {kind: one_database(kind, args) for kind in args.db.split(",")}
    result = DATA / f"results-{args.server}.json"
    result.write_text(json.dumps(out, indent=1))
    print(f"\nAll figures in {result}")


if __name__ == "__main__":
    main()
