"""`socialfabric backup FILE`: a consistent copy of the database (SQLite online backup, or pg_dump)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from socialfabric.errors import DomainError
from socialfabric.ops import backup


class Command(BaseCommand):
    help = "Back up the database to a new file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the backup file to write (must not exist)")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            written = backup.backup(Path(opts["file"]))
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"Backed up the {backup.vendor()} database to {written} "
                          f"({written.stat().st_size / 1e6:.1f} MB)")
