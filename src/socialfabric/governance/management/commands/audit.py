"""`socialfabric audit verify`: recompute the activity stream's hash chain and name the first
broken record (docs/governance.md, "Tamper evidence").

Exits 0 when the chain is whole, printing its head (last id and hash) for the operator to keep
somewhere else: a chain can only show what was changed before its head, so comparing the head
with last week's copy is what shows records removed from the end. Exits 1 at a broken record.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError


class Command(BaseCommand):
    help = "The audit trail: verify its hash chain."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="recompute the hash chain and name the first broken record")
        verify.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        from socialfabric.activity import chain
        from socialfabric.activity.models import Activity

        started = time.perf_counter()
        try:
            if options["quiet"]:
                verdict = chain.verify()
            else:
                from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

                total = Activity.objects.count()
                with Progress(TextColumn("checking records"), BarColumn(), MofNCompleteColumn(),
                              TimeRemainingColumn(), transient=True) as progress:
                    task = progress.add_task("verify", total=total)
                    verdict = chain.verify(progress=lambda done: progress.update(task, completed=done))
        except DatabaseError as exc:
            raise CommandError(f"The audit trail could not be read ({exc}); is the database migrated?") from None
        seconds = time.perf_counter() - started
        pace = f"in {seconds:.1f} s ({verdict.checked / max(seconds, 1e-9):,.0f} records a second)"
        if not verdict.intact:
            raise CommandError(f"The audit trail is broken at record {verdict.broken_id}: {verdict.reason}. "
                               f"{verdict.checked:,} records before it are intact (checked {pace}).")
        if not verdict.checked:
            self.stdout.write("The audit trail is empty.")
            return
        self.stdout.write(f"The audit trail is intact: {verdict.checked:,} records checked {pace}.\n"
                          f"Head: record {verdict.head_id}, hash {verdict.head_hash}")
