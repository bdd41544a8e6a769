"""`socialfabric search rebuild`: write the full-text index again from the posts.

Needed after a change of SOCIALFABRIC_SEARCH_LANGUAGE, after rows were written in bulk past
the consumers, or to repair an index a failed consumer left behind (docs/search.md).
`socialfabric search status` prints how many posts the index holds.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError


class Command(BaseCommand):
    help = "The full-text search index: rebuild it, or show its size."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        rebuild = sub.add_parser("rebuild", help="empty the index and index every live post again")
        rebuild.add_argument("--quiet", action="store_true", help="no progress bar")
        sub.add_parser("status", help="how many posts the index holds")

    def handle(self, *args: Any, **options: Any) -> None:
        from socialfabric.search import index

        try:
            if options["action"] == "status":
                self.stdout.write(f"{index.count():,} posts in the search index ({index.language()}).")
                return
            started = time.perf_counter()
            if options["quiet"]:
                total = index.rebuild()
            else:
                from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

                with Progress(TextColumn("indexing posts"), BarColumn(), MofNCompleteColumn(),
                              TimeRemainingColumn()) as progress:
                    task = progress.add_task("index", total=None)
                    total = index.rebuild(progress=lambda done, all_: progress.update(task, completed=done, total=all_))
        except DatabaseError as exc:
            raise CommandError(f"The index could not be written ({exc}); is the database migrated?") from None
        seconds = time.perf_counter() - started
        self.stdout.write(f"{total:,} posts indexed in {seconds:.1f} s ({total / max(seconds, 1e-9):,.0f} a second).")
