"""Background jobs on Redis: django-tasks' RQ backend (django-tasks-rq), the scale-out path
chosen with SOCIALFABRIC_TASKS=rq (docs/deploy.md). The database queue's guarantees, kept:

- **A job exists exactly when its act does.** Redis is not in the act's transaction, so a job
  enqueued inside one is pushed when it commits (`RQBackend`): it never runs before the act
  is visible (a report request the worker could not see yet) and never outlives an act that
  rolled back.
- **A job whose worker was killed runs again**, at most MAX_ATTEMPTS times in all. rq notices a
  dead worker when the heartbeat of the job it was running expires (about 90 s after the last
  one) and its cleanup moves the job to the failed registry as abandoned (rq/registry.py,
  StartedJobRegistry.cleanup: `job.retry(...)` only when `job.retries_left`, else
  `record_job_failure(job, 'Moved to FailedJobRegistry, due to AbandonedJobError ...')`); a job
  whose work horse (the process rq forks for each job) was killed is failed by its worker
  (rq/worker/worker_classes.py, Worker.monitor_work_horse: 'Work-horse terminated
  unexpectedly'). rq would retry them only for a job enqueued with `Retry`, which would also
  repeat jobs that failed on their own (e-mail has its own backoff, a failed report says why).
  So `requeue_killed` puts back exactly those two kinds, at every worker start and every
  maintenance round (each minute), and a worker that died on this host is noticed at the next
  start without waiting for its heartbeat (`release_dead_here`), as the database queue does.
- **A killed worker takes its children with it** (`die_with_parent`): the work horse and rq's
  scheduler process do not live on as orphans, so a job is run again, not finished by an
  orphan while its second run starts. A worker's record in Redis names its process beyond
  host and pid (`process_identity`), so a dead one is told from a live one even when a
  container gives every worker pid 1.

Jobs must therefore be idempotent (socialfabric.jobs): they run at least once, and a worker's
crash loses none.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import socket
import sys
from collections.abc import Iterable
from datetime import timedelta
from functools import cache, partial
from pathlib import Path
from typing import Any

import django_rq
from django.db import close_old_connections, connections, transaction
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks.base import TASK_MAX_PRIORITY, Task, TaskResult, TaskResultStatus
from django_tasks.signals import task_enqueued
from django_tasks.utils import get_random_id
from django_tasks_rq import RQBackend as LibraryRQBackend
from django_tasks_rq.backend import Job, failed_callback, success_callback
from redis.exceptions import RedisError
from rq import SimpleWorker as RQSimpleWorker
from rq import Worker as RQWorker
from rq.defaults import DEFAULT_FAILURE_TTL
from rq.exceptions import InvalidJobOperation
from rq.executions import Execution
from rq.job import Callback, JobStatus
from rq.queue import Queue
from rq.results import Result
from rq.utils import as_text, current_timestamp

from socialfabric.jobs.recovery import MAX_ATTEMPTS

log = logging.getLogger(__name__)

# The beginnings of rq 3.0's failure texts for a job whose process was killed (see above).
KILLED = ("Moved to FailedJobRegistry, due to AbandonedJobError", "Work-horse terminated unexpectedly")
KILLED_RUNS = "socialfabric_killed_runs"  # in a job's meta: how many of its runs were killed
# A failed entry's score is the moment it failed plus rq's failure TTL (a year): only the last
# day's failures are read each round, never a year of them. A killed job is moved there by a
# worker's maintenance, and the same round requeues it.
LOOKBACK = timedelta(days=1)
# rq cleans its registries at most this often (its default is 10 minutes); a worker waits on
# Redis for WORKER_TTL - 15 s at a time, so maintenance is due about every minute.
MAINTENANCE_SECONDS = 60
WORKER_TTL = 75
REFRESH_LOOKUP_LIMIT = 1000  # queued jobs looked through for a waiting job of a task


class RQBackend(LibraryRQBackend):
    """django-tasks-rq's backend, except that a job enqueued inside a transaction is pushed to
    Redis when the transaction commits (and not at all if it rolls back)."""

    def enqueue(self, task: Task, args: Any, kwargs: Any) -> TaskResult:
        self.validate_task(task)
        result: TaskResult = TaskResult(
            task=task, id=get_random_id(), status=TaskResultStatus.READY, enqueued_at=None, started_at=None,
            last_attempted_at=None, finished_at=None, args=args, kwargs=kwargs, backend=self.alias, errors=[],
            worker_ids=[])
        if transaction.get_connection().in_atomic_block:
            transaction.on_commit(partial(self._push_committed, result))
            return result
        return self._push(result)

    def _push(self, result: TaskResult) -> TaskResult:
        """django-tasks-rq 0.12.0's `RQBackend.enqueue`, with the result's id given beforehand."""
        task = result.task
        queue = django_rq.get_queue(task.queue_name, job_class=Job)
        job = queue.create_job(
            task.module_path, args=result.args, kwargs=result.kwargs, job_id=result.id,
            status=JobStatus.SCHEDULED if task.run_after else JobStatus.QUEUED,
            on_failure=Callback(failed_callback), on_success=Callback(success_callback),
            meta={"backend_name": self.alias})
        if task.run_after is None:
            job = queue.enqueue_job(job, at_front=task.priority == TASK_MAX_PRIORITY)
        else:
            job = queue.schedule_job(job, task.run_after)
        object.__setattr__(result, "enqueued_at", job.enqueued_at)
        task_enqueued.send(type(self), task_result=result)
        return result

    def _push_committed(self, result: TaskResult) -> None:
        # The act is committed by now: failing the request would only make the person repeat
        # it. Say loudly what was lost instead (/health shows Redis down meanwhile).
        try:
            self._push(result)
        except RedisError:
            log.exception("could not queue job %s (%s) after its act was saved: Redis did not answer; "
                          "the job is lost", result.id, result.task.module_path)


# ------------------------------------------------------------------------- workers

class _Housekeeping:
    """What `socialfabric worker` adds to rq's workers: killed jobs requeued in each maintenance
    round, and database connections opened and closed per job, as for a request."""

    queues: list[Queue]

    def serialize(self) -> dict:
        # The worker's record in Redis also says which process it is, beyond rq's host and pid
        # (see `process_identity`), so that a worker starting later can tell it died.
        return {**super().serialize(), PROCESS_FIELD: process_identity(os.getpid())}  # type: ignore[misc]

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()  # type: ignore[misc]  # rq's: abandoned jobs to the failed registry
        requeue_killed(self.queues)

    def perform_job(self, job: Job, queue: Queue, execution: Execution) -> bool:
        # Runs in the work horse (or in the worker itself for SimpleWorker), as a request would:
        # connections past their age are dropped first, and all are closed after the job, so
        # the database sees a clean goodbye rather than a socket dropped by the horse's os._exit.
        close_old_connections()
        try:
            return super().perform_job(job, queue, execution)  # type: ignore[misc]
        finally:
            connections.close_all()


class Worker(_Housekeeping, RQWorker):
    """rq's usual worker: each job in a forked work horse, so a big report's memory goes back
    to the system after it, and a job stuck in C code is killed at its timeout."""

    def fork_work_horse(self, job: Job, queue: Queue) -> None:
        # Whatever opened a database connection in this process since the last job, the horse
        # must not inherit it: two processes on one socket corrupt each other's session.
        connections.close_all()
        super().fork_work_horse(job, queue)


class SimpleWorker(_Housekeeping, RQSimpleWorker):
    """Runs each job in the worker's own process: for tests on an in-memory database and for
    platforms without fork."""


def worker_class() -> type[RQWorker]:
    cls = django_rq.workers.get_worker_class()
    if not issubclass(cls, _Housekeeping):
        raise TypeError(f"RQ['WORKER_CLASS'] must be {__name__}.Worker or {__name__}.SimpleWorker, not "
                        f"{cls.__module__}.{cls.__qualname__}: killed jobs would never run again")
    return cls


def make_worker(queue_names: Iterable[str], cls: type[RQWorker] | None = None) -> RQWorker:
    """The worker `socialfabric worker` runs (by default the class in django-rq's RQ['WORKER_CLASS']).
    Making one talks to Redis already."""
    return django_rq.workers.get_worker(*queue_names, job_class=Job, worker_class=cls or worker_class(),
                                        maintenance_interval=MAINTENANCE_SECONDS, worker_ttl=WORKER_TTL)


def where(queue: Queue) -> str:
    """The Redis a queue lives on, for messages (never with its password)."""
    kw = queue.connection.connection_pool.connection_kwargs
    if kw.get("path"):
        return f"unix://{kw['path']}?db={kw.get('db', 0)}"
    return f"{kw.get('host', '?')}:{kw.get('port', 6379)}/{kw.get('db', 0)}"


# ------------------------------------------------------------------------- kill -9

_forking_pid = 0
_dies_with_parent = False


def _note_forking_pid() -> None:
    global _forking_pid
    _forking_pid = os.getpid()


def die_with_parent() -> None:
    """From now on every process this one forks (the work horses, the scheduler) is killed when
    this one dies, however it dies (Linux's parent-death signal; elsewhere nothing changes)."""
    global _dies_with_parent
    if _dies_with_parent or not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)  # loaded here: the child should only call into it
    pr_set_pdeathsig = 1

    def in_child() -> None:
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
        if os.getppid() != _forking_pid:  # the parent died before the line above took effect
            os._exit(1)

    os.register_at_fork(before=_note_forking_pid, after_in_child=in_child)
    _dies_with_parent = True


PROCESS_FIELD = "socialfabric_process"


@cache
def _pid_namespace() -> str:
    return os.readlink("/proc/self/ns/pid")


def process_identity(pid: int) -> str:
    """host, pid namespace, pid and start time (in clock ticks since boot) of a process on this
    machine: unlike host:pid it tells a process from a later one given the same pid, and a
    worker in one container from one in another with the same hostname and pid (often 1).
    Empty where /proc cannot say (not Linux): such a worker is left to rq's heartbeat."""
    try:
        started = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
        return f"{socket.gethostname()}|{_pid_namespace()}|{pid}|{started}"
    except (OSError, IndexError):
        return ""


def _is_zombie(pid: int) -> bool:
    """Killed but not yet reaped (after kill -9 of a process group its orphans wait for init):
    dead all the same."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return False


def worker_died_here(worker_name: str, connection: Any) -> bool:
    """Whether the rq worker of that name was a process in this machine's (container's) view
    that no longer exists. Workers elsewhere, or whose record has expired (their jobs'
    heartbeats have too), are left to rq."""
    if not worker_name:
        return False
    recorded = as_text(connection.hget(RQWorker.redis_worker_namespace_prefix + worker_name, PROCESS_FIELD) or b"")
    parts = recorded.split("|")
    if len(parts) != 4 or parts[0] != socket.gethostname() or parts[1] != _pid_namespace() or not parts[2].isdigit():
        return False
    pid = parts[2]
    now = process_identity(int(pid))  # empty once that pid is gone; another start time once reused
    return now != recorded or _is_zombie(int(pid))


def release_dead_here(queues: Iterable[Queue]) -> int:
    """Jobs being run by a worker that died on this host are handed to rq's own cleanup now
    (abandoned: failure callbacks, failed registry), not when their heartbeat runs out; then
    `requeue_killed` puts them back. How many."""
    released = 0
    for queue in queues:
        registry = queue.started_job_registry
        dead = {}
        for job_id, execution_id in registry.get_job_and_execution_ids(cleanup=False):
            try:
                execution = Execution.fetch(execution_id, job_id, queue.connection)
            except ValueError:  # its heartbeat has expired already: rq's cleanup takes it
                continue
            if worker_died_here(execution.worker_name, queue.connection):
                dead[execution.composite_key] = 0  # expired at the epoch: next in line for cleanup
        if dead:
            queue.connection.zadd(registry.key, dead, xx=True)
            registry.cleanup()
            released += len(dead)
    return released


def _was_killed(job: Job) -> bool:
    result = job.latest_result()
    return bool(result and result.type == Result.Type.FAILED and (result.exc_string or "").startswith(KILLED))


def requeue_killed(queues: Iterable[Queue]) -> tuple[int, int]:
    """(requeued, given up): jobs that failed because their process was killed go back to their
    queue, unless they were killed MAX_ATTEMPTS times already. Safe from several workers at once:
    taking a job out of the failed registry is one atomic ZREM, and only one worker wins it."""
    requeued = given_up = 0
    for queue in queues:
        registry = queue.failed_job_registry
        since = current_timestamp() + DEFAULT_FAILURE_TTL - LOOKBACK.total_seconds()
        ids = [as_text(i) for i in queue.connection.zrangebyscore(registry.key, since, "+inf")]
        for job in Job.fetch_many(ids, connection=queue.connection, serializer=queue.serializer):
            if job is None or job.get_status(refresh=False) != JobStatus.FAILED:
                continue
            killed = int(job.meta.get(KILLED_RUNS, 0))
            if killed >= MAX_ATTEMPTS or not _was_killed(job):
                continue  # given up before, or failed by itself (an error is not retried)
            killed += 1
            job.meta[KILLED_RUNS] = killed
            job.save_meta()
            if killed >= MAX_ATTEMPTS:
                log.error("job %s (%s) given up: its process was killed in each of its %d runs",
                          job.id, job.func_name, killed)
                given_up += 1
                continue
            try:
                registry.requeue(job)
            except InvalidJobOperation:  # another worker requeued it first
                continue
            log.warning("job %s (%s) requeued: its process was killed while running it (run %d of at most %d)",
                        job.id, job.func_name, killed + 1, MAX_ATTEMPTS)
            requeued += 1
    return requeued, given_up


# ------------------------------------------------------------------------- reading the queue

def queues(alias: str = DEFAULT_TASK_BACKEND_ALIAS) -> list[Queue]:
    return [django_rq.get_queue(name, job_class=Job) for name in sorted(task_backends[alias].queues)]


def stats(alias: str = DEFAULT_TASK_BACKEND_ALIAS) -> dict[str, int]:
    """Jobs due now, running, and scheduled for later, read without changing anything (rq's
    counting would clean registries up as it goes)."""
    found = {"due": 0, "running": 0, "scheduled": 0}
    for queue in queues(alias):
        found["due"] += queue.count
        found["running"] += queue.started_job_registry.get_job_count(cleanup=False)
        found["scheduled"] += queue.scheduled_job_registry.get_job_count(cleanup=False)
    return found


def waiting(task: Task) -> bool:
    """Whether a job of `task` waits to run: scheduled for later, or among the first queued."""
    queue = django_rq.get_queue(task.queue_name, job_class=Job)
    ids = queue.scheduled_job_registry.get_job_ids(cleanup=False) + queue.get_job_ids(0, REFRESH_LOOKUP_LIMIT)
    return any(job is not None and job.func_name == task.module_path
               for job in Job.fetch_many(ids, connection=queue.connection, serializer=queue.serializer))
