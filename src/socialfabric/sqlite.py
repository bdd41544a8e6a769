"""SQLite housekeeping: WAL checkpoints off the request path.

By default SQLite checkpoints inside whichever commit pushes the write-ahead log past
1,000 pages, so one request in a few dozen pays for copying the whole log into the
database file (tens of milliseconds). Here a daemon thread per process runs a PASSIVE
checkpoint every second instead (it never blocks readers or the writer), and the
automatic checkpoint stays on only as a backstop at a much larger log size.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db.backends.signals import connection_created

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 1.0
BACKSTOP_PAGES = 20_000  # about 80 MB of log, should the checkpointer ever stall

_started: set[str] = set()
_lock = threading.Lock()


def _checkpoint_forever(path: str) -> None:
    conn = sqlite3.connect(path, timeout=5, isolation_level=None, check_same_thread=False)
    while True:
        time.sleep(INTERVAL_SECONDS)
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as exc:  # busy or gone: try again next tick
            log.debug("WAL checkpoint skipped: %s", exc)


def _on_connection(sender, connection, **kwargs) -> None:
    if connection.vendor != "sqlite" or not getattr(settings, "SOCIALFABRIC_SQLITE_CHECKPOINTER", True):
        return
    path = str(connection.settings_dict["NAME"])
    if path == ":memory:" or "mode=memory" in path:  # tests: no file, no log
        return
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
    with _lock:
        if path not in _started:
            _started.add(path)
            threading.Thread(target=_checkpoint_forever, args=(path,), name="sqlite-checkpointer",
                             daemon=True).start()


def ensure_folder() -> None:
    """Make the folder of each SQLite database file: settings only name it, creating nothing."""
    for db in settings.DATABASES.values():
        name = str(db.get("NAME") or "")
        if db.get("ENGINE", "").endswith("sqlite3") and name and name != ":memory:" and "mode=memory" not in name:
            Path(name).parent.mkdir(parents=True, exist_ok=True)


def install() -> None:
    ensure_folder()
    connection_created.connect(_on_connection, dispatch_uid="socialfabric.sqlite.checkpointer")
