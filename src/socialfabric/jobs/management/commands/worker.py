"""`socialfabric worker`: run background jobs, from whichever queue SOCIALFABRIC_TASKS chose.

On the database queue (the default) it is django-tasks-db's `db_worker`; before it takes jobs
it requeues the ones a dead worker left running. On Redis (SOCIALFABRIC_TASKS=rq) it is rq's
own worker, with rq's scheduler for jobs due later, on the backend's queues; before it takes
jobs it hands rq what a dead worker on this host left and requeues killed jobs
(socialfabric.jobs.redis_queue). Either way the start hooks (periodic jobs) run first.

`--batch` exits when no job is due (rq's burst mode), `--max-tasks N` after N jobs,
`--queue-name a,b` takes only those queues; `--interval` is the database queue's poll period
(a worker on Redis waits for jobs instead of polling).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks_db.management.commands.db_worker import Command as DBWorker

from socialfabric import jobs
from socialfabric.jobs import recovery


class Command(DBWorker):
    help = "Run background jobs (insights reports, e-mail) until stopped."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        # No backend by default: argparse would check a string default as a database backend
        # even when the queue is on Redis. handle() fills in the default one.
        parser.set_defaults(worker_id=recovery.worker_id(), startup_delay=False, queue_name="*", reload=False,
                            backend_name=None)

    def handle(self, *args: Any, **options: Any) -> None:
        options["backend_name"] = options["backend_name"] or DEFAULT_TASK_BACKEND_ALIAS
        if jobs.backend_kind(options["backend_name"]) == "rq":
            self.work_on_redis(options)
            return
        requeued, given_up = recovery.requeue_abandoned()
        if requeued or given_up:
            self.stderr.write(f"Jobs left by a dead worker: {requeued} requeued, {given_up} given up.")
        if not options["batch"]:
            recovery.keep_requeuing()
        jobs.worker_started()
        super().handle(*args, **options)

    def work_on_redis(self, options: dict[str, Any]) -> None:
        from django.db import connections
        from redis.exceptions import RedisError

        from socialfabric.jobs import redis_queue

        configured = task_backends[options["backend_name"]].queues
        names = sorted(configured) if options["queue_name"] in ("*", None) else options["queue_name"].split(",")
        excluded = set(filter(None, (options["exclude_queues"] or "").split(",")))
        names = [name for name in names if name not in excluded]
        unknown = sorted(set(names) - set(configured))
        if unknown or not names:
            raise CommandError(f"No such queue: {', '.join(unknown) or '(none left)'}; "
                               f"the queues are {', '.join(sorted(configured))}.")
        try:
            worker_class = redis_queue.worker_class()
        except TypeError as exc:
            raise CommandError(str(exc)) from exc
        location = redis_queue.where(redis_queue.queues(options["backend_name"])[0])
        redis_queue.die_with_parent()  # before the first fork: no horse or scheduler outlives a kill -9
        try:
            worker = redis_queue.make_worker(names, worker_class)
            released = redis_queue.release_dead_here(worker.queues)
            requeued, given_up = redis_queue.requeue_killed(worker.queues)
            if released or requeued or given_up:
                self.stderr.write(f"Jobs left by a dead worker: {released} found on this host, {requeued} requeued, "
                                  f"{given_up} given up.")
            jobs.worker_started()
            # Nothing forked from here on may share this process's database connections.
            connections.close_all()
            level = {0: "WARNING", 1: "INFO"}.get(options["verbosity"], "DEBUG")
            worker.work(burst=options["batch"], with_scheduler=True, max_jobs=options["max_tasks"],
                        logging_level=level)
            stopped_on_purpose = options["batch"] or options["max_tasks"] or worker._shutdown_requested_date
            if not stopped_on_purpose:
                # rq's loop quits on an error it does not ride out (Redis lost between two jobs):
                # exit as a failure, so that systemd restarts it and the log says why.
                raise CommandError("The worker stopped after an error (logged above); start it again.")
        except RedisError as exc:
            # Redis absent at start (once working, rq waits for it to come back, or quits as above).
            raise CommandError(f"Cannot reach Redis at {location} "
                               f"({type(exc).__name__}: {exc}).") from exc
