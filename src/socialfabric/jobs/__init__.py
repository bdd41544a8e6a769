"""Background jobs: Django's Tasks API (django-tasks) with its database backend
(django-tasks-db) by default, run by `socialfabric worker`.

Jobs are enqueued in the transaction of the act that wants them (the database backend writes
its row there), so a job exists exactly when its act does. A job must be idempotent: a worker
killed mid-job (kill -9, a reboot) leaves it running; the next worker to start on that host
requeues it at once, any worker after STALE_AFTER, and it runs again (at most MAX_ATTEMPTS).

Apps that need something done when a worker starts (a periodic job's first run) register it
with `on_worker_start(fn)` in their AppConfig.ready().
"""

from __future__ import annotations

from collections.abc import Callable

_start_hooks: list[Callable[[], None]] = []


def on_worker_start(hook: Callable[[], None]) -> None:
    if hook not in _start_hooks:
        _start_hooks.append(hook)


def worker_started() -> None:
    for hook in list(_start_hooks):
        hook()
