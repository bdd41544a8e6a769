"""What the benchmark scripts share: percentiles, the run header, the database's version, and
one process per database (so one database's caches and imports never flatter the other)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime

import numpy as np


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def header(title: str) -> str:
    return (f"{title}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} CPUs, "
            f"Python {platform.python_version()}")


def database_version() -> str:
    """`SQLite 3.x` or `PostgreSQL 15.x` for the Django connection in use."""
    from django.db import connection

    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    with connection.cursor() as db:
        db.execute("SHOW server_version")
        return f"PostgreSQL {db.fetchone()[0]}"


def each_database(script: str, kinds: str) -> Iterator[dict]:
    """Run `script --one KIND` (with this run's own arguments) for each database in `kinds`
    ("sqlite,postgres"), one process each, and yield the JSON each prints last."""
    for kind in kinds.split(","):
        done = subprocess.run([sys.executable, script, *sys.argv[1:], "--one", kind], capture_output=True, text=True)
        if done.returncode != 0:
            print(done.stderr[-3000:])
            raise SystemExit(f"{kind}: failed")
        yield json.loads(done.stdout.strip().splitlines()[-1])
