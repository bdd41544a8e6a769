"""`socialfabric worker`: run background jobs (django-tasks-db's worker, with recovery).

Before it takes jobs, it requeues the ones a dead worker left running and runs the start
hooks (periodic jobs). Every option of `db_worker` applies (`--batch` exits when the queue is
empty; `--interval` is the poll period).
"""

from __future__ import annotations

from typing import Any

from django_tasks_db.management.commands.db_worker import Command as DBWorker

from socialfabric import jobs
from socialfabric.jobs import recovery


class Command(DBWorker):
    help = "Run background jobs (insights reports, e-mail) until stopped."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.set_defaults(worker_id=recovery.worker_id(), startup_delay=False, queue_name="*", reload=False)

    def handle(self, *args: Any, **options: Any) -> None:
        requeued, given_up = recovery.requeue_abandoned()
        if requeued or given_up:
            self.stderr.write(f"Jobs left by a dead worker: {requeued} requeued, {given_up} given up.")
        jobs.worker_started()
        super().handle(*args, **options)
