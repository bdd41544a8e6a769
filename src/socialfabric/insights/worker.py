"""The background worker that computes insights reports, off every request path.

Two ways to run it:
- in the web process: `socialfabric.wsgi` starts one daemon thread (`start()`), so
  `make run` and a plain WSGI server need nothing else; a request that queues a report
  wakes it at once;
- as its own process: `socialfabric insights worker` (set SOCIALFABRIC_INSIGHTS_WORKER=0
  for the web processes), which is what a large organisation wants, since a report on
  millions of interactions takes a core and a few GB for a minute.

Several workers may run at once (several web processes, say): each report is claimed by
exactly one (`services.claim_next`). Between rounds the worker also queues the scheduled
refresh (`services.schedule_due`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections, connections

log = logging.getLogger(__name__)

POLL_SECONDS = 5.0

_wake = threading.Event()
_stop = threading.Event()
_thread: threading.Thread | None = None
_lock = threading.Lock()


def wake() -> None:
    """Tell this process's worker (if any) to look at the queue now."""
    _wake.set()


def on_report_requested(_activity) -> None:
    """Activity consumer: a report was asked for (see insights.apps)."""
    wake()


def run_round(*, schedule: bool = True) -> int:
    """One round: queue the scheduled refresh if due, compute everything queued."""
    from socialfabric.insights import services

    if schedule:
        services.schedule_due()
    return services.run_queue()


def loop(*, poll: float = POLL_SECONDS, schedule: bool = True,
         stop: Callable[[], bool] = _stop.is_set) -> None:
    while not stop():
        close_old_connections()
        try:
            run_round(schedule=schedule)
        except Exception:  # the database is away, say: try again next round
            log.exception("insights worker round failed")
        finally:
            # Connections are per thread: close this one's, a long-lived one would go stale.
            connections.close_all()
        _wake.wait(poll)
        _wake.clear()


def enabled() -> bool:
    return bool(getattr(settings, "SOCIALFABRIC_INSIGHTS_WORKER", True))


def start(*, poll: float = POLL_SECONDS) -> threading.Thread | None:
    """Start this process's worker thread once (no-op when disabled in the settings)."""
    global _thread
    if not enabled():
        return None
    with _lock:
        if _thread is None or not _thread.is_alive():
            _stop.clear()
            _thread = threading.Thread(target=loop, kwargs={"poll": poll}, name="insights-worker",
                                       daemon=True)
            _thread.start()
        return _thread


def stop(timeout: float = 30.0) -> None:
    """Stop this process's worker thread after its current round (tests, clean shutdowns)."""
    global _thread
    with _lock:
        thread, _thread = _thread, None
    if thread is not None:
        _stop.set()
        _wake.set()
        thread.join(timeout)
