"""`socialfabric import people FILE.csv`: load or update the org chart from a CSV file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from socialfabric.org.importing import COLUMNS, ImportFailed, import_people

SHOW_AT_MOST = 200  # errors listed; the rest are counted


class Command(BaseCommand):
    help = (
        "Import people from a UTF-8 CSV with the columns "
        + ", ".join(COLUMNS)
        + " (id and name required). Re-importing updates by id. See docs/import.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the CSV file ('-' reads standard input)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")
        parser.add_argument("--invite", action="store_true",
                            help="e-mail a set-your-password link to imported people who have none yet")

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(file=self.stdout._out, highlight=False)  # type: ignore[attr-defined]
        path = options["file"]
        show = not options["no_progress"] and console.is_terminal
        labels = {"check": "Checking rows", "write": "Saving people"}
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=not show,
            transient=True,
        ) as bar:
            tasks: dict[str, Any] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(labels.get(stage, stage), total=total or None)
                bar.update(tasks[stage], completed=done, total=total or None)

            try:
                if path == "-":
                    result = import_people(sys.stdin.buffer, progress=progress, name="(standard input)")
                else:
                    result = import_people(path, progress=progress, name=Path(path).name)
            except ImportFailed as exc:
                bar.stop()
                for e in exc.errors[:SHOW_AT_MOST]:
                    self.stderr.write(f"  {e}")
                if len(exc.errors) > SHOW_AT_MOST:
                    self.stderr.write(f"  … and {len(exc.errors) - SHOW_AT_MOST} more.")
                # CommandError: exit status 1 and one line, never a traceback.
                raise CommandError(f"{exc.message} Nothing was changed.") from None
            except DatabaseError as exc:
                bar.stop()
                raise CommandError(
                    f"The database refused the import ({exc}); nothing was changed. Has `socialfabric migrate` run?"
                ) from None
        self.stdout.write(
            f"Imported {result.total} people: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged; {result.units_created} new units."
        )
        if options["invite"]:
            from django.conf import settings

            from socialfabric.org import services

            people = services.members_by_handle(list(result.handles.values()))
            sent = services.invite_to_set_password(people, settings.SOCIALFABRIC_SITE_URL)
            self.stdout.write(f"Invited {sent} people to set a password (e-mail goes out through the worker; "
                              f"links point to {settings.SOCIALFABRIC_SITE_URL}).")
