"""Health of a running installation, for load balancers and monitoring (`GET /health`).

Each check answers quickly and says what it found; the whole is healthy only if every
configured part is. Redis is checked where one is configured (REDIS_URL; always with
SOCIALFABRIC_TASKS=rq, whose job queue lives there).
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection


def _database() -> dict:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"status": "ok", "vendor": connection.vendor, "ms": round((time.perf_counter() - started) * 1000, 1)}


def _redis(url: str) -> dict:
    """A PING with the client the job queue uses (passwords, ACL users, TLS, unix sockets),
    given two seconds at most."""
    import redis

    started = time.perf_counter()
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()
    return {"status": "ok", "ms": round((time.perf_counter() - started) * 1000, 1)}


def _queue() -> dict:
    """The job queue answers (the database's, or Redis's with SOCIALFABRIC_TASKS=rq), and how
    much is due and running (a growing backlog is a worker down)."""
    from socialfabric import jobs

    return {"status": "ok", **jobs.queue_stats()}


def check() -> tuple[bool, dict]:
    """(healthy, a report per part). Failures are reported by kind, never with a traceback."""
    checks = {"database": _database, "queue": _queue}
    redis_url = getattr(settings, "REDIS_URL", "")
    if redis_url:
        checks["redis"] = lambda: _redis(redis_url)
    report: dict[str, dict] = {}
    for name, run in checks.items():
        try:
            report[name] = run()
        except Exception as exc:  # a part that is down is the answer, not an error
            report[name] = {"status": "down", "error": type(exc).__name__}
    healthy = all(part["status"] == "ok" for part in report.values())
    return healthy, report
