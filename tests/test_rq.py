"""Background jobs on Redis (SOCIALFABRIC_TASKS=rq): django-tasks' RQ backend against the local
Redis, in a database of its own (number 5, emptied before and after each test).

Jobs that need no shared database (e-mail, kill -9) are run by real `socialfabric worker`
processes. Reports read the test database, which a process of its own cannot see on SQLite
(pytest-django keeps it in memory), so the same command runs in this process: with rq's
in-process worker on SQLite, with its forking worker (as in production) on PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone
from rq import Queue
from rq import Worker as RQWorker

from socialfabric import mail
from socialfabric.communities import invitations
from socialfabric.insights import services
from socialfabric.insights.models import Report, ReportStatus
from socialfabric.jobs import redis_queue
from tests import rq_tasks

# Database 5 (6, 7, ... for each further pytest-xdist worker): flushed around every test.
REDIS_URL = f"redis://127.0.0.1:6379/{5 + int(os.environ.get('PYTEST_XDIST_WORKER', 'gw0')[2:] or 0)}"
RQ_BACKEND = "socialfabric.jobs.redis_queue.RQBackend"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def redis_db():
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.fail("tests/test_rq.py needs Redis on 127.0.0.1:6379 (`make redis` starts it)")
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def on_redis(settings, redis_db) -> Queue:
    """This process's jobs go to Redis: the settings SOCIALFABRIC_TASKS=rq makes, on database 5."""
    settings.TASKS = {"default": {"BACKEND": RQ_BACKEND, "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600}}
    settings.REDIS_URL = REDIS_URL
    settings.SOCIALFABRIC_INSIGHTS_REFRESH_HOURS = 0
    return Queue("default", connection=redis_db)


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A worker process's environment, as an operator would set it (its own SQLite folder: the
    jobs it runs here touch no database)."""
    drop = ("DATABASE_URL", "SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE", "EMAIL_URL", "REDIS_URL")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update({"SOCIALFABRIC_VAR": str(tmp_path / "var"), "DJANGO_SETTINGS_MODULE": "socialfabric.settings.local",
                "SOCIALFABRIC_TASKS": "rq", "REDIS_URL": REDIS_URL, "SOCIALFABRIC_INSIGHTS_REFRESH_HOURS": "0",
                **extra})
    return env


def _cli(*args: str, env: dict[str, str], timeout: int = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "socialfabric.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def start_worker():
    """Starts `socialfabric worker` processes (until stopped); any still running at the end is
    killed, with what it forked (a test that fails half-way leaves nothing behind)."""
    started: list[subprocess.Popen] = []

    def start(env: dict[str, str], log: Path) -> subprocess.Popen:
        with log.open("a") as out:
            started.append(subprocess.Popen([sys.executable, "-m", "socialfabric.cli", "worker"], cwd=ROOT,
                                            env=env, stdout=out, stderr=subprocess.STDOUT))
        return started[-1]

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def _wait(condition: Callable[[], object], seconds: float = 30, what: str = "") -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    """A process that exists and is not a zombie (an orphan's zombie may wait for a reaper)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_worker_here(settings) -> None:
    """`socialfabric worker --batch` in this process, sharing the test database: rq's in-process
    worker on SQLite's in-memory database, the forking one production uses on PostgreSQL."""
    cls = "SimpleWorker" if connection.vendor == "sqlite" else "Worker"
    settings.RQ = {"WORKER_CLASS": f"socialfabric.jobs.redis_queue.{cls}"}
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        call_command("worker", "--batch", verbosity=0)
    finally:
        for sig, handler in handlers.items():  # rq's worker installs its own
            signal.signal(sig, handler)


@pytest.fixture
def analyst(make_member, unit):
    return make_member("ana", unit=unit, level=2, is_analyst=True)


# ----------------------------------------------------------------- enqueueing

@pytest.mark.django_db(transaction=True)
def test_a_job_reaches_redis_when_its_act_commits_and_never_for_one_rolled_back(on_redis):
    with transaction.atomic():
        result = mail.deliver.enqueue("ada@example.org", "Hello", "text", "<p>html</p>")
        assert on_redis.count == 0  # the worker must not see it before the act is visible
    assert on_redis.get_job_ids() == [result.id]  # the id given beforehand is the job's
    assert mail.deliver.get_result(result.id).status == "READY"
    with pytest.raises(RuntimeError), transaction.atomic():
        mail.deliver.enqueue("bob@example.org", "Hello", "text", "<p>html</p>")
        raise RuntimeError("the act fails")
    assert on_redis.count == 1
    mail.deliver.enqueue("cy@example.org", "Hello", "text", "<p>html</p>")  # outside a transaction: at once
    assert on_redis.count == 2


@pytest.mark.django_db(transaction=True)  # the act commits, and its e-mail goes to Redis then
def test_an_invitation_is_mailed_by_a_worker_process_on_redis(on_redis, smtp, settings, alice, open_community,
                                                             tmp_path):
    invitations.invite(alice, email="new@example.org", name="New Person", community_ids=[open_community.id])
    assert on_redis.count == 1 and smtp.messages == []  # sent by the job, not by the act
    env = _env(tmp_path, EMAIL_URL=f"smtp://127.0.0.1:{settings.EMAIL_PORT}",
               DEFAULT_FROM_EMAIL=settings.DEFAULT_FROM_EMAIL)
    done = _cli("worker", "--batch", env=env)
    assert done.returncode == 0, done.stderr
    [message] = smtp.messages
    assert message["To"] == "new@example.org" and "noreply@northwind.example" in message["From"]
    assert message["Subject"] == "Alice invites you to Social Fabric"
    assert "/invitations/" in message.get_body(("plain",)).get_content()
    assert on_redis.count == 0 and on_redis.finished_job_registry.count == 1


# ----------------------------------------------------------------- reports

@pytest.mark.django_db(transaction=True)  # the worker closes connections between jobs
def test_a_requested_report_is_computed_by_the_worker_on_redis(on_redis, settings, two_units_talking, analyst):
    report = services.request_report(analyst, services.parse_request(min_group=1))
    assert on_redis.count == 1
    _run_worker_here(settings)
    report.refresh_from_db()
    assert report.status == ReportStatus.READY, report.error
    assert report.people > 0 and report.interactions > 0
    assert on_redis.count == 0 and on_redis.failed_job_registry.count == 0


@pytest.mark.django_db(transaction=True)  # the worker closes connections between jobs
def test_the_refresh_chain_runs_on_redis(on_redis, settings, two_units_talking):
    """The start hook begins the chain on Redis too: the refresh queues the scheduled report,
    its job computes it, the next refresh waits an hour in rq's scheduled registry, and a
    second worker start adds no second chain."""
    settings.SOCIALFABRIC_INSIGHTS_REFRESH_HOURS = 24
    _run_worker_here(settings)
    report = Report.objects.get()
    assert report.status == ReportStatus.READY and report.requested_by is None
    scheduled = on_redis.scheduled_job_registry

    def chains() -> dict[str, list[str]]:  # the refresh, digests and retention wait side by side
        found: dict[str, list[str]] = {}
        for ident in scheduled.get_job_ids(cleanup=False):
            found.setdefault(on_redis.fetch_job(ident).func_name, []).append(ident)
        return found

    [job_id] = chains()[services.refresh.module_path]
    assert scheduled.get_scheduled_time(job_id) > timezone.now() + timedelta(minutes=59)
    [digests] = chains()["socialfabric.notifications.mailing.digests"]
    [retention] = chains()["socialfabric.governance.retention.retention_job"]
    _run_worker_here(settings)
    assert chains() == {services.refresh.module_path: [job_id], "socialfabric.notifications.mailing.digests": [digests],
                        "socialfabric.governance.retention.retention_job": [retention]}
    assert Report.objects.count() == 1


# ----------------------------------------------------------------- kill -9

def _job_killed_mid_run(on_redis, start_worker, tmp_path: Path, *, killed_before: int = 0):
    """A worker process takes the slow job and is killed with SIGKILL in the middle of it."""
    folder = tmp_path / "job"
    folder.mkdir()
    result = rq_tasks.slow_the_first_time.enqueue(str(folder))
    if killed_before:  # as if earlier runs had been killed too
        job = on_redis.fetch_job(result.id)
        job.meta[redis_queue.KILLED_RUNS] = killed_before
        job.save_meta()
    log = tmp_path / "worker.log"
    worker = start_worker(_env(tmp_path), log)
    runs = folder / "runs"
    _wait(lambda: runs.exists() and runs.read_text().strip(), what="the job to start")
    [horse] = [int(pid) for pid in runs.read_text().split()]
    children = _children(worker.pid)
    assert horse != worker.pid and horse in children  # the job runs in a forked work horse
    worker.send_signal(signal.SIGKILL)
    worker.wait(10)
    # Nothing the worker forked lives on: the horse (and the scheduler) die with it.
    _wait(lambda: not any(_alive(pid) for pid in children), seconds=10, what="the worker's children to die")
    assert on_redis.fetch_job(result.id).get_status() == "started"  # as the killed worker left it
    return result, folder, log


def test_a_job_whose_worker_was_killed_runs_again(on_redis, start_worker, tmp_path):
    result, folder, log = _job_killed_mid_run(on_redis, start_worker, tmp_path)
    # The next worker on this host sees the dead worker's job at once (no 90 s heartbeat wait).
    again = _cli("worker", "--batch", env=_env(tmp_path))
    assert again.returncode == 0, again.stderr
    assert "1 found on this host, 1 requeued, 0 given up" in again.stderr
    assert (folder / "done").read_text() == "2" and len((folder / "runs").read_text().split()) == 2
    job = on_redis.fetch_job(result.id)
    assert job.get_status() == "finished" and job.meta[redis_queue.KILLED_RUNS] == 1
    task_result = rq_tasks.slow_the_first_time.get_result(result.id)  # through django-tasks: the whole story
    assert task_result.status == "SUCCESSFUL"
    assert [e.exception_class_path for e in task_result.errors] == ["rq.exceptions.AbandonedJobError"]


def test_a_job_killed_in_every_one_of_its_runs_is_given_up(on_redis, start_worker, tmp_path):
    result, folder, log = _job_killed_mid_run(on_redis, start_worker, tmp_path, killed_before=2)
    again = _cli("worker", "--batch", env=_env(tmp_path))
    assert again.returncode == 0, again.stderr
    assert "0 requeued, 1 given up" in again.stderr and "given up: its process was killed" in again.stderr
    assert not (folder / "done").exists()
    assert on_redis.fetch_job(result.id).get_status() == "failed"
    assert rq_tasks.slow_the_first_time.get_result(result.id).status == "FAILED"


def test_a_job_whose_work_horse_was_killed_runs_again(on_redis, start_worker, tmp_path):
    """The kernel's OOM killer picks the biggest process: the horse computing a report, not
    its worker. The worker records the failure; the next maintenance round requeues it."""
    folder = tmp_path / "job"
    folder.mkdir()
    result = rq_tasks.slow_the_first_time.enqueue(str(folder))
    worker = start_worker(_env(tmp_path), tmp_path / "worker.log")
    runs = folder / "runs"
    _wait(lambda: runs.exists() and runs.read_text().strip(), what="the job to start")
    os.kill(int(runs.read_text()), signal.SIGKILL)
    _wait(lambda: on_redis.fetch_job(result.id).get_status() == "failed", what="the worker to record the kill")
    assert "Work-horse terminated unexpectedly" in on_redis.fetch_job(result.id).latest_result().exc_string
    worker.terminate()  # idle: it stops at once (maintenance would requeue the job within a minute)
    assert worker.wait(30) == 0
    again = _cli("worker", "--batch", env=_env(tmp_path))
    assert again.returncode == 0, again.stderr
    assert "0 found on this host, 1 requeued" in again.stderr
    assert (folder / "done").read_text() == "2"
    assert on_redis.fetch_job(result.id).get_status() == "finished"


def test_a_dead_worker_is_told_from_a_live_one_by_more_than_host_and_pid(redis_db):
    """Its record names host, pid namespace, pid and the process's start time: a pid reused
    (a container's worker is pid 1 each time) or gone is dead; another host's or container's
    workers, and records without it, are left to rq's heartbeat."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # exited and reaped: its pid no longer exists
    me = redis_queue.process_identity(os.getpid())
    host, namespace, pid, started = me.split("|")
    records = {
        "alive": me,
        "pid-reused": f"{host}|{namespace}|{pid}|{int(started) - 1}",
        "gone": f"{host}|{namespace}|{child.pid}|{started}",
        "other-container": f"{host}|pid:[1]|{child.pid}|{started}",
        "other-host": f"elsewhere.example|{namespace}|{child.pid}|{started}",
        "no-record": "",
    }
    for name, identity in records.items():
        redis_db.hset(f"rq:worker:{name}", mapping={"pid": pid, **({redis_queue.PROCESS_FIELD: identity} if identity
                                                                    else {})})
    assert {name: redis_queue.worker_died_here(name, redis_db) for name in records} == {
        "alive": False, "pid-reused": True, "gone": True, "other-container": False, "other-host": False,
        "no-record": False}


def test_a_job_that_fails_by_itself_is_not_repeated(on_redis, tmp_path):
    """Only killed runs are retried: an error is the job's answer (e-mail retries on its own)."""
    result = rq_tasks.slow_the_first_time.enqueue(str(tmp_path / "no" / "such" / "folder"))
    done = _cli("worker", "--batch", env=_env(tmp_path))
    assert done.returncode == 0, done.stderr
    assert redis_queue.requeue_killed(redis_queue.queues()) == (0, 0)
    assert on_redis.fetch_job(result.id).get_status() == "failed"
    assert "FileNotFoundError" in on_redis.fetch_job(result.id).latest_result().exc_string


# ----------------------------------------------------------------- health

@pytest.mark.django_db
def test_health_reads_the_queue_from_redis_and_says_when_redis_is_down(on_redis, settings,
                                                                       django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mail.deliver.enqueue("ada@example.org", "Hello", "text", "<p>html</p>")
    up = Client().get("/health")
    assert up.status_code == 200, up.content
    checks = up.json()["checks"]
    assert checks["queue"] == {"status": "ok", "backend": "rq", "due": 1, "running": 0, "scheduled": 0}
    assert checks["redis"]["status"] == "ok" and checks["database"]["status"] == "ok"
    closed = f"redis://127.0.0.1:{_closed_port()}/0"
    settings.RQ_QUEUES = {"default": {"URL": f"{closed}?socket_connect_timeout=2", "DEFAULT_TIMEOUT": 600}}
    settings.REDIS_URL = closed
    down = Client().get("/health")
    assert down.status_code == 503
    body = down.json()
    assert body["status"] == "down" and body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["queue"] == {"status": "down", "error": "ConnectionError"}
    assert body["checks"]["redis"] == {"status": "down", "error": "ConnectionError"}
    assert b"Traceback" not in down.content


# ----------------------------------------------------------------- the switch

def test_one_setting_switches_the_queue_to_redis_and_a_wrong_one_is_refused(tmp_path):
    env = _env(tmp_path)
    assert _cli("check", env=env).returncode == 0
    probe = ("from django.conf import settings; from socialfabric import jobs; "
             "print(settings.TASKS['default']['BACKEND'], jobs.backend_kind(), settings.RQ_QUEUES['default']['URL'])")
    shown = _cli("shell", "-v", "0", "-c", probe, env=env)
    assert shown.stdout.split() == [RQ_BACKEND, "rq", f"{REDIS_URL}?socket_connect_timeout=5&socket_timeout=10"]
    default = _cli("shell", "-v", "0", "-c", probe, env={k: v for k, v in env.items() if k != "SOCIALFABRIC_TASKS"})
    assert default.stdout.split()[:2] == ["django_tasks_db.DatabaseBackend", "db"]

    wrong = _cli("check", env={**env, "SOCIALFABRIC_TASKS": "redis"})
    assert wrong.returncode != 0 and "Traceback" not in wrong.stderr
    assert "SOCIALFABRIC_TASKS must be db (jobs in the database, the default) or rq" in wrong.stderr
    bad_url = _cli("worker", "--batch", env={**env, "REDIS_URL": "redis://:hunter2@cache.internal:6379x/0"})
    assert bad_url.returncode != 0 and "Traceback" not in bad_url.stderr
    assert "REDIS_URL 'redis://:***@cache.internal:6379x/0' cannot be used: the port must be a number" in bad_url.stderr
    assert "hunter2" not in bad_url.stderr
    port = _closed_port()
    no_redis = _cli("worker", "--batch", env={**env, "REDIS_URL": f"redis://127.0.0.1:{port}/0"})
    assert no_redis.returncode != 0 and "Traceback" not in no_redis.stderr
    assert f"Cannot reach Redis at 127.0.0.1:{port}/0" in no_redis.stderr


def test_serve_starts_the_same_worker_on_redis(redis_db, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with (tmp_path / "serve.log").open("w") as out:
        server = subprocess.Popen([sys.executable, "-m", "socialfabric.cli", "serve", "--port", str(port),
                                   "--workers", "1", "--threads", "2"], cwd=ROOT, env=_env(tmp_path), stdout=out,
                                  stderr=subprocess.STDOUT)
    try:
        _wait(lambda: RQWorker.all(connection=redis_db), what="the worker to register with Redis")
        [worker] = RQWorker.all(connection=redis_db)
        assert worker.pid in _children(server.pid) and worker.queue_names() == ["default"]
        # Registered is not yet listening: stopping it before it waits for jobs (its signal
        # handlers in place) would test start-up, not a clean stop.
        # (A worker object holds the state it was read with: read it again from Redis each time.)
        _wait(lambda: [w.get_state() for w in RQWorker.all(connection=redis_db)] == ["idle"],
              what="the worker to wait for jobs")
    finally:
        server.terminate()
        server.wait(60)
    assert RQWorker.all(connection=redis_db) == []  # stopped cleanly: it said goodbye to Redis
