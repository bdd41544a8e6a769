"""What the benchmark scripts share: percentiles, the run header, the database's version, and
one process per database (so one database's caches and imports never flatter the other)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from collections.abc import Callable, Iterator
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


def arguments(doc: str | None) -> argparse.ArgumentParser:
    """A script's arguments, with --db (the databases, each its own process) and the hidden
    --one that each_database gives its child."""
    made = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    made.add_argument("--db", default="sqlite,postgres")
    made.add_argument("--one", help=argparse.SUPPRESS)
    return made


def child(args: argparse.Namespace, one_database: Callable[[str, argparse.Namespace], dict]) -> bool:
    """In each_database's child: measure the one database, print its JSON, and say so."""
    if not args.one:
        return False
    print(json.dumps(one_database(args.one, args)))
    return True


def each_database(script: str, kinds: str) -> Iterator[dict]:
    """Run `script --one KIND` (with this run's own arguments) for each database in `kinds`
    ("sqlite,postgres"), one process each, and yield the JSON each prints last."""
    for kind in kinds.split(","):
        done = subprocess.run([sys.executable, script, *sys.argv[1:], "--one", kind], capture_output=True, text=True)
        if done.returncode != 0:
            print(done.stderr[-3000:])
            raise SystemExit(f"{kind}: failed")
        yield json.loads(done.stdout.strip().splitlines()[-1])


def fresh_platform(kind: str, name: str, members: int, items: int, pg_db: str) -> tuple[dict, object]:
    """A fresh database of `kind` ("sqlite" or "postgres"), Django set up on it, and bench_core's
    platform of `members` and `items` written into it. ({"kind", "generate_s", "version"}, the
    SQLite file's path)."""
    from pathlib import Path

    here = Path(__file__).resolve().parent
    (here / "data").mkdir(parents=True, exist_ok=True)
    path = here / "data" / f"{name}-{members}-{items}.sqlite3"
    sys.path.insert(0, str(here))
    from bench_search import fresh_database, setup_django

    fresh_database(kind, path, pg_db)
    setup_django(kind, path, pg_db)
    from bench_core import generate

    out = {"kind": kind, "generate_s": generate(path, members, items)["seconds"]}
    out["version"] = database_version()
    return out, path
