"""`socialfabric backup` and `restore`, as an operator runs them, on the database kind this
suite runs on (a scratch SQLite file, or a scratch PostgreSQL database): restore brings back
exactly the rows of the backup."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest

COUNT = ("from socialfabric.org.models import Member; from socialfabric.conversations.models import Post; "
         "from socialfabric.activity.models import Activity; "
         "print(Member.objects.count(), Post.objects.count(), Activity.objects.count())")


@pytest.fixture
def scratch(tmp_path):
    """Environment for a fresh database of the suite's kind; dropped afterwards."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update({"SOCIALFABRIC_VAR": str(tmp_path / "var"), "DJANGO_SETTINGS_MODULE": "socialfabric.settings.local"})
    url = os.environ.get("DATABASE_URL", "")
    name = None
    if url.startswith("postgres"):
        import psycopg

        name = f"sf_backup_{uuid.uuid4().hex[:8]}"
        base = url.rsplit("/", 1)[0]
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        env["DATABASE_URL"] = f"{base}/{name}"
    yield env
    if name:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "socialfabric.cli", *args], env=env, capture_output=True,
                          text=True, timeout=300)


def counts(env: dict) -> list[int]:
    done = cli(env, "shell", "-c", COUNT)
    assert done.returncode == 0, done.stderr
    return [int(x) for x in done.stdout.strip().splitlines()[-1].split()]


def test_backup_then_restore_brings_back_every_row(scratch, tmp_path):
    assert cli(scratch, "migrate", "--noinput").returncode == 0
    made = cli(scratch, "demo", "--members", "120", "--seed", "2", "--no-progress")
    assert made.returncode == 0, made.stderr
    before = counts(scratch)
    assert before[0] == 120 and before[1] > 100 and before[2] > before[1]
    target = tmp_path / "backup.db"
    done = cli(scratch, "backup", str(target))
    assert done.returncode == 0, done.stderr
    assert target.stat().st_size > 10_000 and "Backed up" in done.stdout
    # Life goes on after the backup: people join, replies disappear.
    assert cli(scratch, "shell", "-c", "from socialfabric.org.models import Member; "
                                       "from socialfabric.conversations.models import Post; "
                                       "Member.objects.create(handle='newcomer', name='New Comer'); "
                                       "Post.objects.filter(parent__isnull=False).delete()").returncode == 0
    assert counts(scratch) != before
    refused = cli(scratch, "restore", str(target))
    assert refused.returncode != 0 and "--yes" in refused.stderr
    restored = cli(scratch, "restore", "--yes", str(target))
    assert restored.returncode == 0, restored.stderr
    assert counts(scratch) == before


def test_backup_and_restore_refuse_bad_files(scratch, tmp_path):
    assert cli(scratch, "migrate", "--noinput").returncode == 0
    existing = tmp_path / "taken.db"
    existing.write_text("x")
    done = cli(scratch, "backup", str(existing))
    assert done.returncode != 0 and "exists already" in done.stderr and "Traceback" not in done.stderr
    done = cli(scratch, "restore", "--yes", str(tmp_path / "missing.db"))
    assert done.returncode != 0 and "is not a file" in done.stderr and "Traceback" not in done.stderr
    if not scratch.get("DATABASE_URL"):
        done = cli(scratch, "restore", "--yes", str(existing))  # not a SQLite database
        assert done.returncode != 0 and "not a SQLite database" in done.stderr
