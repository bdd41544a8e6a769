"""`socialfabric restore FILE`: replace the database with a backup (stop the server first)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from socialfabric.errors import DomainError
from socialfabric.ops import backup


class Command(BaseCommand):
    help = "Replace the database with a backup made by `socialfabric backup`."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the backup file")
        parser.add_argument("--yes", action="store_true", help="do not ask: everything since the backup is lost")

    def handle(self, *args: Any, **opts: Any) -> None:
        if not opts["yes"]:
            raise CommandError("A restore replaces everything written since the backup: stop the web and worker "
                               "processes, then run it again with --yes.")
        try:
            backup.restore(Path(opts["file"]))
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"Restored the {backup.vendor()} database from {opts['file']}. Run `socialfabric migrate` "
                          "if the backup is older than this version.")
