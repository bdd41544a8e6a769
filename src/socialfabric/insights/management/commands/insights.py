"""`socialfabric insights report --people P.csv --interactions I.csv --format json|html|csv --out F`

With both files it works on files alone: no database query is made on that path. With
neither it analyses the platform's own members and interaction events.
"""

from __future__ import annotations

import gc
import json
import os
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from socialfabric import exports
from socialfabric.errors import DomainError


class Command(BaseCommand):
    help = "Collaboration analytics: silos, hierarchy flow, participation, brokers, roadmap stage."
    requires_system_checks: list = []  # files-only mode must not need the database

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        rep = sub.add_parser("report", help="Compute the report from files")
        rep.add_argument("--people", help="PEOPLE.csv (id, unit, level, stakeholder, manager, "
                                          "leader)")
        rep.add_argument("--interactions", help="INTERACTIONS.csv (source, target, timestamp, "
                                                "kind, weight, conversation)")
        rep.add_argument("--format", choices=("json", "html", "csv"), default="json")
        rep.add_argument("--out", required=True, help="output file")
        rep.add_argument("--since", help="ISO 8601 start (inclusive)")
        rep.add_argument("--until", help="ISO 8601 end (exclusive)")
        rep.add_argument("--window", choices=("month", "quarter"), help="add a trend")
        rep.add_argument("--strict", action="store_true",
                         help="unknown ids in interactions are an error instead of dropped")
        rep.add_argument("--min-group", type=int, default=5, dest="min_group",
                         help="no figure for a group smaller than this (default 5)")
        rep.add_argument("--anonymise", action="store_true",
                         help="replace person ids by pseudonyms (for readers who are not "
                              "analysts)")
        rep.add_argument("--quiet", action="store_true", help="no progress bar")
        rep.add_argument("--include-secret", action="store_true", dest="include_secret",
                         help="platform data only: also count interactions in secret communities "
                              "(left out by default: their members did not agree to be measured)")

        ref = sub.add_parser("refresh", help="Compute the dashboard's report on the platform's "
                                             "data now (and anything else queued)")
        ref.add_argument("--since", help="first day (default: SOCIALFABRIC_INSIGHTS_DAYS days ago)")
        ref.add_argument("--until", help="day after the last (default: up to now)")
        ref.add_argument("--window", choices=("month", "quarter"), default="month")
        ref.add_argument("--min-group", type=int, default=5, dest="min_group")

    def handle(self, *args, **opts) -> None:
        if opts["action"] == "report":
            if bool(opts["people"]) != bool(opts["interactions"]):
                raise CommandError("give both --people and --interactions, or neither to analyse "
                                   "the platform's own data")
            if opts["people"] and opts["include_secret"]:
                raise CommandError("--include-secret applies to the platform's own data only")
            if opts["min_group"] < 1:
                raise CommandError("--min-group must be at least 1")
            # A short-lived batch run that builds millions of objects: the cyclic GC only
            # costs time here (memory is freed by reference counting anyway).
            gc.disable()
            run = self._report
        else:  # refresh: the dashboard's report
            run = self._background
        try:
            run(opts)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        except DatabaseError as exc:  # platform mode: no database, or not migrated
            raise CommandError(f"the platform database could not be read: "
                               f"{str(exc).splitlines()[0] if str(exc) else exc}") from None
        except MemoryError:
            raise CommandError("not enough memory for these files") from None
        except OSError as exc:
            raise CommandError(f"{exc.filename or ''}: {exc.strerror or exc}") from None

    def _background(self, opts: dict) -> None:
        from socialfabric.insights import services
        from socialfabric.insights.models import Report

        default = services.default_request()
        req = services.parse_request(since=opts["since"] if opts["since"] is not None else default.since,
                                     until=opts["until"], window=opts["window"],
                                     min_group=opts["min_group"])
        queued = services.request_report(None, req)
        started = time.perf_counter()
        from rich.console import Console

        with Console(stderr=True).status("computing the insights report on the platform's data"):
            services.run_queue()
        report = Report.objects.get(id=queued.id)
        if report.status != "ready":
            raise CommandError(f"report {report.id} {report.status}: {report.error or 'not computed'}")
        self.stdout.write(f"Report {report.id} ready: {report.people:,} people, "
                          f"{report.interactions:,} interactions, stage "
                          f"{report.stage or 'none yet'} ({time.perf_counter() - started:.1f} s)")

    def _report(self, opts: dict) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

        from socialfabric.insights.analysis import html, loader, report

        out = Path(opts["out"])
        if out.parent and not out.parent.exists():
            raise CommandError(f"{out.parent}: output folder does not exist")
        from_files = bool(opts["people"])
        if from_files:
            size = max(1, os.path.getsize(opts["interactions"])
                       if os.path.isfile(opts["interactions"]) else 1)
        else:
            from socialfabric.insights.analysis import platform

            size = max(1, platform.count_interactions())
        console = Console(stderr=True)
        started = time.perf_counter()
        with Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                      TimeElapsedColumn(), console=console, disable=opts["quiet"],
                      transient=False) as bar:
            # Reading is measured in rows; bytes per row are estimated from the first chunk.
            read = bar.add_task("reading files", total=size)
            state = {"rows": 0}

            def rows_done(count: int) -> None:
                state["rows"] += count
                bar.update(read, completed=min(size, state["rows"] * (40 if from_files else 1)))

            if from_files:
                ds = loader.load(opts["people"], opts["interactions"], strict=opts["strict"],
                                 since=opts["since"], until=opts["until"], progress=rows_done)
            else:
                ds = platform.load(since=opts["since"], until=opts["until"],
                                   exclude_secret=not opts["include_secret"], progress=rows_done)
            bar.update(read, completed=size)
            work = bar.add_task("computing metrics", total=len(report.STEPS))

            def step(name: str) -> None:
                bar.update(work, advance=1, description=f"computing: {name}")

            horizon = loader.parse_time_bound(opts["until"], "until")
            result, rows = report.analyse(ds, min_group=opts["min_group"],
                                          window=opts["window"], anonymise=opts["anonymise"],
                                          horizon=horizon, progress=step)
            if not from_files:
                platform.apply_platform_figures(result, ds, since=opts["since"],
                                                until=opts["until"], horizon=horizon)
            bar.update(work, completed=len(report.STEPS), description="computing: done")
        result["timing_seconds"] = round(time.perf_counter() - started, 3)
        fmt = opts["format"]
        if fmt == "json":
            out.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
        elif fmt == "html":
            out.write_text(html.render(result), encoding="utf-8")
        else:
            with out.open("w", newline="", encoding="utf-8") as f:
                exports.write_csv(f, rows, list(rows[0]) if rows else ["id"])
        for note in result["notes"]:
            self.stderr.write(f"note: {note}")
        if not from_files and not opts["include_secret"]:
            self.stderr.write("note: --include-secret counts interactions in secret communities")
        self.stdout.write(f"Wrote {fmt} report to {out} ({result['counts']['people']:,} people, "
                          f"{result['counts']['interactions']:,} interactions, "
                          f"{result['timing_seconds']} s)")
