"""Jobs for tests/test_rq.py, importable by a worker in another process (the repository root is
its working directory)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from django_tasks import task


@task()
def slow_the_first_time(folder: str) -> int:
    """Notes each run's pid in `folder`/runs; the first run then waits two minutes (the test
    kills it meanwhile), a later one finishes at once and writes `folder`/done."""
    runs = Path(folder) / "runs"
    with runs.open("a") as out:
        out.write(f"{os.getpid()}\n")
    count = len(runs.read_text().split())
    if count == 1:
        time.sleep(120)
    (Path(folder) / "done").write_text(str(count))
    return count
