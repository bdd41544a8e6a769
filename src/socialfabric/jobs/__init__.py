"""Background jobs: Django's Tasks API (django-tasks) with its database backend
(django-tasks-db) by default, run by `socialfabric worker`.

Jobs are enqueued in the transaction of the act that wants them (the database backend writes
its row there), so a job exists exactly when its act does. A job must be idempotent: a worker
killed mid-job (kill -9, a reboot) leaves it running; the next worker to start on that host
requeues it at once, any worker after STALE_AFTER, and it runs again (at most MAX_ATTEMPTS).

Apps that need something done when a worker starts (a periodic job's first run) register it
with `on_worker_start(fn)` in their AppConfig.ready().

SOCIALFABRIC_TASKS=rq puts the queue on Redis instead (django-tasks' RQ backend, see
socialfabric.jobs.redis_queue): the same jobs, the same worker command, the same guarantees.
Code that must know which queue it talks to asks `backend_kind()`; `waiting(task)` and
`queue_stats()` answer for either.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django_tasks import DEFAULT_TASK_BACKEND_ALIAS

_start_hooks: list[Callable[[], None]] = []


def on_worker_start(hook: Callable[[], None]) -> None:
    if hook not in _start_hooks:
        _start_hooks.append(hook)


def worker_started() -> None:
    for hook in list(_start_hooks):
        hook()


def backend_kind(alias: str = DEFAULT_TASK_BACKEND_ALIAS) -> str:
    """"rq" when jobs wait on Redis (SOCIALFABRIC_TASKS=rq), "db" when in the database."""
    from django_tasks import task_backends
    from django_tasks_rq import RQBackend

    return "rq" if isinstance(task_backends[alias], RQBackend) else "db"


def waiting(task: Any) -> bool:
    """Whether a job of `task` waits to run, due now or scheduled for later."""
    if backend_kind(task.backend) == "rq":
        from socialfabric.jobs import redis_queue

        return redis_queue.waiting(task)
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(status=TaskResultStatus.READY, task_path=task.module_path).exists()


def queue_stats(alias: str = DEFAULT_TASK_BACKEND_ALIAS) -> dict[str, Any]:
    """Jobs due now and running (and, on Redis, scheduled for later): a `due` that keeps
    growing means no worker is running."""
    if backend_kind(alias) == "rq":
        from socialfabric.jobs import redis_queue

        return {"backend": "rq", **redis_queue.stats(alias)}
    from django_tasks_db.models import DBTaskResult

    return {"backend": "db", "due": DBTaskResult.objects.ready().count(),
            "running": DBTaskResult.objects.running().count()}
