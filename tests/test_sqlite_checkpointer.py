"""The WAL checkpointer moves checkpoints off the request path and keeps the log from growing."""

from __future__ import annotations

import os
import sqlite3
import time

from socialfabric import sqlite as housekeeping


class _FakeConnection:
    """Just enough of a Django connection for the signal handler."""

    vendor = "sqlite"

    def __init__(self, path: str) -> None:
        self.settings_dict = {"NAME": path}
        self.raw = sqlite3.connect(path, isolation_level=None)

    def cursor(self):
        return self.raw  # sqlite3.Connection is a context manager with execute()


def test_background_checkpointer_copies_the_log_without_commits_doing_it(tmp_path, monkeypatch):
    monkeypatch.setattr(housekeeping, "INTERVAL_SECONDS", 0.05)
    path = str(tmp_path / "db.sqlite3")
    fake = _FakeConnection(path)
    fake.raw.execute("PRAGMA journal_mode=WAL")
    housekeeping._on_connection(sender=None, connection=fake)
    # The commit path no longer checkpoints at 1,000 pages.
    assert fake.raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == housekeeping.BACKSTOP_PAGES
    assert path in housekeeping._started

    # A control database, same settings, no checkpointer: its log is never copied back.
    control_path = str(tmp_path / "control.sqlite3")
    control = sqlite3.connect(control_path, isolation_level=None)
    control.execute("PRAGMA journal_mode=WAL")
    control.execute(f"PRAGMA wal_autocheckpoint={housekeeping.BACKSTOP_PAGES}")
    for conn in (fake.raw, control):
        conn.execute("CREATE TABLE t (x BLOB)")
        for _ in range(200):
            conn.execute("INSERT INTO t VALUES (randomblob(4000))")
    # ~400 pages sit in each log, under the backstop: only the checkpointer copies them into
    # the database file, which the test watches grow without checkpointing anything itself.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and os.path.getsize(path) < 800_000:
        time.sleep(0.05)
    assert os.path.getsize(path) >= 800_000
    assert os.path.getsize(control_path) < 100_000
    other = sqlite3.connect(path)
    assert other.execute("SELECT count(*) FROM t").fetchone()[0] == 200


def test_in_memory_test_databases_are_left_alone():
    before = set(housekeeping._started)
    fake = _FakeConnection(":memory:")
    fake.settings_dict["NAME"] = "file:memorydb_default?mode=memory&cache=shared"
    housekeeping._on_connection(sender=None, connection=fake)
    assert housekeeping._started == before
