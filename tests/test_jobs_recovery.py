"""How the worker tells that the worker which held a job is dead (jobs/recovery.py)."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from socialfabric.jobs import recovery


def _here(pid: int) -> str:
    return f"{recovery.worker_id().rpartition(':')[0]}:{pid}"


def test_a_killed_worker_not_yet_reaped_counts_as_dead():
    """After `kill -9` of a process group the worker is a zombie until init reaps it, and a
    zombie still answers signal 0: the job it held must be requeued all the same."""
    living = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        for _ in range(100):  # until it has exited; not waited for, so not reaped: a zombie
            with open(f"/proc/{finished.pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                    break
            time.sleep(0.05)
        assert recovery.died_here(_here(finished.pid))
        assert not recovery.died_here(_here(living.pid))
        assert not recovery.died_here(f"another-host:{finished.pid}")  # only this host's pids are known
    finally:
        living.kill()
        living.wait()
        finished.wait()
    assert recovery.died_here(_here(finished.pid))  # reaped: gone altogether


@pytest.mark.django_db(transaction=True)  # the thread uses a connection of its own
def test_a_running_worker_takes_over_the_job_of_a_worker_that_died_beside_it():
    """Two workers: one is killed mid-job; the other, still running, requeues its job within a
    round of its watch (and then runs it), without waiting for a restart."""
    from django_tasks_db.models import DBTaskResult

    from socialfabric.insights import services

    job = DBTaskResult.objects.get(id=services.compute_reports.enqueue().id)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    job.claim(_here(dead.pid))  # as the killed worker left it
    stop = recovery.keep_requeuing(every=0.1)
    try:
        for _ in range(100):
            job.refresh_from_db()
            if job.status == "READY":
                break
            time.sleep(0.05)
    finally:
        stop.set()
        time.sleep(0.3)  # its round ends before the test database goes
    assert job.status == "READY" and job.started_at is None
