"""`socialfabric demo --members 2000 --seed 1 [--if-empty] [--months 6]`: a demo organisation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from socialfabric import demo
from socialfabric.errors import DomainError
from socialfabric.org.models import Member


def _date(value: str) -> datetime:
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise CommandError(f"--until takes a date like 2026-06-01, not '{value}'.") from None


class Command(BaseCommand):
    help = "Fill an empty database with a plausible demo organisation (deterministic for a seed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--members", type=int, default=2000, help="people in the organisation (default 2000)")
        parser.add_argument("--seed", type=int, default=1, help="same seed, same data (default 1)")
        parser.add_argument("--months", type=float, default=6, help="months of activity (default 6)")
        parser.add_argument(
            "--posts-per-member", type=float, default=25, help="posts and replies per member (default 25)"
        )
        parser.add_argument(
            "--until",
            type=_date,
            default=demo.DEFAULT_END,
            help=f"the activity ends on this date (default {demo.DEFAULT_END:%Y-%m-%d})",
        )
        parser.add_argument("--if-empty", action="store_true", help="do nothing when members exist already")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            existing = Member.objects.count()
        except DatabaseError as exc:
            raise CommandError(f"The database is not ready ({exc}); run `socialfabric migrate` first.") from None
        if existing:
            if options["if_empty"]:
                self.stdout.write(f"The database has {existing} members already; no demo data added.")
                return
            raise CommandError(
                f"The database has {existing} members already; the demo only goes into an "
                "empty database (use --if-empty to skip quietly)."
            )
        try:
            result = demo.generate(
                options["members"],
                options["seed"],
                options["posts_per_member"],
                months=options["months"],
                end=options["until"],
                progress=not options["no_progress"],
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        # The demo writes in bulk, past the consumers that keep the search index: index it whole.
        from socialfabric.search import index

        indexed = index.rebuild()
        from socialfabric.demo.files import attach_samples

        files = attach_samples()
        from socialfabric.demo import governance as demo_governance

        # Before the policy: the demo's customers, who accept none, write the posts for sign-off.
        governed = demo_governance.run(options["seed"])
        from socialfabric.demo.policy import publish_and_accept

        accepted, employees = publish_and_accept(options["seed"])
        self.stdout.write(
            f"Demo organisation ready in {result.seconds:.1f} s: {result.members} members, {result.units} units, "
            f"{result.communities} communities, {result.memberships} memberships, {result.follows} follows, "
            f"{result.threads} threads + {result.replies} replies, {result.reactions} reactions, "
            f"{result.mentions} mentions, {result.accepted_answers} accepted answers, {result.events} activity rows, "
            f"{indexed} posts indexed for search, {files} files attached; the policy accepted by "
            f"{accepted} of {employees} employees; {governed['flags']} flags in the moderation queue, "
            f"{governed['waiting']} customer posts waiting for sign-off ({governed['approved']} approved); "
            f"{governed['rules']} retention rules and {governed['holds']} legal hold"
            f"{'s' if governed['holds'] != 1 else ''}."
        )
        self.stdout.write(
            f"demo login: {demo.DEMO_LOGIN} / {demo.DEMO_PASSWORD}   admin (analyst, staff, compliance officer): "
            f"{demo.ADMIN_LOGIN} / {demo.DEMO_PASSWORD}"
        )
