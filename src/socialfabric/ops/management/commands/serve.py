"""`socialfabric serve`: the production server (granian, by default) and, beside it, the
background worker process. What `make run` runs; a deployment runs the same command under
systemd (docs/deploy.md).

Why granian: measured against gunicorn (gthread) on `make bench-load` (200 members, 80 %
reads, 20 % writes, same 2 workers x 8 threads, bench/RESULTS.md), it served more requests
with a lower p99 on SQLite in both orders of the A/B runs (1.16-1.84x the throughput; home
feed p99 0.6x), and on PostgreSQL its p99 was lower in both runs with throughput within the
noise. Its HTTP handling is Rust, so the Python threads do only Django's work. gunicorn stays
one switch away (`--server gunicorn` or SOCIALFABRIC_SERVER=gunicorn), the best known WSGI
server, for operators who standardise on it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from socialfabric.wsgi import application

        return application


def _serve_gunicorn(opts: dict[str, Any]) -> None:
    _Gunicorn({
        "bind": f"{opts['host']}:{opts['port']}",
        "workers": opts["workers"],
        "threads": opts["threads"],
        "worker_class": "gthread",
        "timeout": 60,
        "graceful_timeout": 20,
        "accesslog": "-",
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": "socialfabric",
    }).run()


def _serve_granian(opts: dict[str, Any]) -> None:
    from granian import Granian
    from granian.constants import Interfaces
    from granian.log import LogLevels

    Granian(
        "socialfabric.wsgi:application",
        address=opts["host"],
        port=opts["port"],
        interface=Interfaces.WSGI,
        workers=opts["workers"],
        blocking_threads=opts["threads"],  # WSGI calls run on these: the threads per process
        respawn_failed_workers=True,
        workers_kill_timeout=20,
        log_level=LogLevels.warning,
        log_access=True,
    ).serve()


SERVERS = {"gunicorn": _serve_gunicorn, "granian": _serve_granian}


class Command(BaseCommand):
    help = "Serve Social Fabric with the production server and start the background worker beside it."
    requires_system_checks: list = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=int(os.environ.get("SOCIALFABRIC_WEB_WORKERS", "2")),
                            help="web processes (default 2, or SOCIALFABRIC_WEB_WORKERS)")
        parser.add_argument("--threads", type=int, default=int(os.environ.get("SOCIALFABRIC_WEB_THREADS", "8")),
                            help="threads per web process (default 8)")
        parser.add_argument("--server", choices=SERVERS, default=os.environ.get("SOCIALFABRIC_SERVER", "granian"),
                            help="the HTTP server: granian (default) or gunicorn; or SOCIALFABRIC_SERVER")
        parser.add_argument("--no-worker", action="store_true",
                            help="do not start the background worker (it runs elsewhere)")

    def handle(self, *args: Any, **opts: Any) -> None:
        if not 1 <= opts["port"] <= 65535 or opts["workers"] < 1 or opts["threads"] < 1:
            raise CommandError("--port must be 1-65535, --workers and --threads at least 1")
        # The background worker in a process of its own beside the web processes.
        worker = None
        if not opts["no_worker"]:
            worker = subprocess.Popen([sys.executable, "-m", "socialfabric.cli", "worker"])
        try:
            SERVERS[opts["server"]](opts)
        finally:
            if worker is not None:
                worker.terminate()
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    worker.kill()
