"""Backups of the database and their restore, for SQLite and PostgreSQL.

SQLite: SQLite's online backup API, a consistent copy while the server runs. PostgreSQL:
`pg_dump --format=custom` and `pg_restore --clean`, with the connection settings Django uses.
A restore replaces the whole database: stop the web and worker processes first.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.db import connections

from socialfabric.errors import InvalidInput


def _settings(alias: str = "default") -> dict:
    return connections[alias].settings_dict


def vendor(alias: str = "default") -> str:
    return connections[alias].vendor


def _pg_env(db: dict) -> tuple[list[str], dict]:
    args = ["--host", str(db.get("HOST") or "127.0.0.1"), "--port", str(db.get("PORT") or 5432),
            "--username", str(db.get("USER") or "postgres"), "--dbname", str(db["NAME"])]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise InvalidInput(f"{name} is not installed (Debian: apt-get install postgresql-client).")
    return found


def backup(target: Path, alias: str = "default") -> Path:
    """Write a consistent copy of the database to `target` (refuses to overwrite)."""
    if target.exists():
        raise InvalidInput(f"{target} exists already; choose a new file name.", field="target")
    if not target.parent.is_dir():
        raise InvalidInput(f"{target.parent} is not a folder.", field="target")
    db = _settings(alias)
    if vendor(alias) == "sqlite":
        source = sqlite3.connect(str(db["NAME"]))
        dest = sqlite3.connect(str(target))
        try:
            with dest:
                source.backup(dest)
        finally:
            dest.close()
            source.close()
    elif vendor(alias) == "postgresql":
        args, env = _pg_env(db)
        done = subprocess.run([_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(target), *args],
                              env=env, capture_output=True, text=True)
        if done.returncode != 0:
            target.unlink(missing_ok=True)
            raise InvalidInput(f"pg_dump failed: {done.stderr.strip()[:500]}")
    else:
        raise InvalidInput(f"Backups of {vendor(alias)} databases are not supported.")
    return target


def restore(source: Path, alias: str = "default") -> None:
    """Replace the database with the backup in `source`."""
    if not source.is_file():
        raise InvalidInput(f"{source} is not a file.", field="source")
    db = _settings(alias)
    connections[alias].close()
    if vendor(alias) == "sqlite":
        with source.open("rb") as head:
            if head.read(16) != b"SQLite format 3\x00":  # SQLite takes a tiny file for an empty database
                raise InvalidInput(f"{source} is not a SQLite database.", field="source")
        backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            if backup_db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise InvalidInput(f"{source} is not an intact SQLite database.", field="source")
        except sqlite3.DatabaseError:
            raise InvalidInput(f"{source} is not a SQLite database.", field="source") from None
        live = sqlite3.connect(str(db["NAME"]))
        try:
            with live:
                backup_db.backup(live)
        finally:
            live.close()
            backup_db.close()
    elif vendor(alias) == "postgresql":
        args, env = _pg_env(db)
        done = subprocess.run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
                               *args, str(source)], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise InvalidInput(f"pg_restore failed: {done.stderr.strip()[:500]}")
    else:
        raise InvalidInput(f"Restoring {vendor(alias)} databases is not supported.")
