"""Health of a running installation, for load balancers and monitoring (`GET /health`).

Each check answers quickly and says what it found; the whole is healthy only if every
configured part is. Redis is checked only where one is configured (REDIS_URL).
"""

from __future__ import annotations

import os
import socket
import time
from urllib.parse import urlparse

from django.db import connection


def _database() -> dict:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"status": "ok", "vendor": connection.vendor, "ms": round((time.perf_counter() - started) * 1000, 1)}


def _redis(url: str) -> dict:
    """A PING over a plain socket: the check needs no client library."""
    parts = urlparse(url)
    started = time.perf_counter()
    with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=2) as sock:
        if parts.password:
            sock.sendall(f"AUTH {parts.password}\r\n".encode())
            sock.recv(64)
        sock.sendall(b"PING\r\n")
        reply = sock.recv(64)
    if not reply.startswith(b"+PONG"):
        raise ConnectionError(reply.decode(errors="replace").strip() or "no answer")
    return {"status": "ok", "ms": round((time.perf_counter() - started) * 1000, 1)}


def _queue() -> dict:
    """The job queue answers, and how much is due and running (a growing backlog is a worker down)."""
    from django_tasks_db.models import DBTaskResult

    return {"status": "ok", "due": DBTaskResult.objects.ready().count(),
            "running": DBTaskResult.objects.running().count()}


def check() -> tuple[bool, dict]:
    """(healthy, a report per part). Failures are reported by kind, never with a traceback."""
    checks = {"database": _database, "queue": _queue}
    redis_url = os.environ.get("REDIS_URL")
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
