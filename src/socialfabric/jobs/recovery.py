"""Jobs left running by a worker that died are run again."""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime, timedelta
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

log = logging.getLogger(__name__)
STALE_AFTER = timedelta(hours=3)  # longer than any job runs (a large insights report: minutes)
MAX_ATTEMPTS = 3


def worker_id() -> str:
    """host:pid, so that a worker's death can be told from this host."""
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


def died_here(worker: str) -> bool:
    """Whether `worker` (host:pid) was a process on this host that no longer exists."""
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return _zombie(int(pid))


def _zombie(pid: int) -> bool:
    """A process killed but not yet reaped by its parent (after `kill -9` of a whole process
    group, its orphans wait for init) still answers signal 0: it is dead all the same."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False  # no /proc (not Linux): trust the signal
    return stat[stat.rindex(")") + 2:].startswith(("Z", "X"))


def requeue_abandoned(now: datetime | None = None) -> tuple[int, int]:
    """(requeued, given up): running jobs whose worker died on this host or that ran longer than
    STALE_AFTER go back to the queue, unless they were tried MAX_ATTEMPTS times already."""
    now = now or timezone.now()
    requeued = given_up = 0
    with transaction.atomic():
        for job in DBTaskResult.objects.running().select_for_update():
            last = job.worker_ids[-1] if job.worker_ids else ""
            if not (died_here(last) or (job.started_at and job.started_at < now - STALE_AFTER)):
                continue
            if len(job.worker_ids) >= MAX_ATTEMPTS:
                job.status, job.finished_at = TaskResultStatus.FAILED, now
                job.exception_class_path = "socialfabric.jobs.recovery.Abandoned"
                job.traceback = f"the worker died {len(job.worker_ids)} times while running it"
                job.save(update_fields=["status", "finished_at", "exception_class_path", "traceback"])
                given_up += 1
            else:
                job.status, job.started_at = TaskResultStatus.READY, None
                job.save(update_fields=["status", "started_at"])
                requeued += 1
    return requeued, given_up


def keep_requeuing(every: float = 60.0) -> threading.Event:
    """Requeue abandoned jobs every `every` seconds in a daemon thread of a running worker, so
    that where several workers run, one that died has its job taken over by another at once,
    not only when a worker next starts. Setting the returned event stops the thread."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every):
            try:
                requeued, given_up = requeue_abandoned()
                if requeued or given_up:
                    log.warning("jobs left by a dead worker: %s requeued, %s given up", requeued, given_up)
            except Exception:  # the database away for a moment: the next round tries again
                log.exception("requeueing abandoned jobs failed")
            finally:
                connection.close()  # this thread's own connection

    threading.Thread(target=loop, name="requeue-abandoned-jobs", daemon=True).start()
    return stop
