"""`socialfabric serve`: the production server (gunicorn, threaded workers) and, beside it, the
background worker process. What `make run` runs; a deployment runs the same command under
systemd (docs/deploy.md) or gunicorn itself with `socialfabric.wsgi:application`.

Why gunicorn: the most widely run WSGI server for Django, pure Python (nothing to build),
threaded workers suit a database-bound app, and it handles signals, worker restarts and
graceful shutdown. (Issue 8 asks to measure it against granian under load: bench-load.)
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
        finally:
            if worker is not None:
                worker.terminate()
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    worker.kill()
