"""Insights reports on the platform's own data: ask for one, compute it in the background,
read the cached result.

A report is a row (`Report`) that starts queued with its job (`compute_reports`); the
background worker (`socialfabric worker`) claims it, computes it with the same analysis as the CLI
and stores the result. Pages and the API only ever read stored results: nothing here is
computed on a request. Interactions in secret communities never enter a report (even a
count would say something about a secret community), and person-level figures carry names
only for analysts (`access.sees_names_in_insights`).
"""

from __future__ import annotations

import copy
import logging
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from socialfabric import access, activity, jobs
from socialfabric.activity.models import ObjectType, Verb
from socialfabric.errors import Conflict, DomainError, InvalidInput, NotFound
from socialfabric.insights.models import Report, ReportStatus, Window
from socialfabric.jobs import recovery
from socialfabric.org.models import Member
from socialfabric.validation import parse_id

log = logging.getLogger(__name__)

MAX_WAITING = 5  # queued reports at once: asking again only waits longer
MIN_GROUP_RANGE = (1, 1000)
# A report running longer than this was left by a worker that died (process killed,
# server restarted): it is queued again once, then given up. A worker that died on this
# host is noticed at once (its pid is gone).
STALE_AFTER = timedelta(hours=2)
LIST_FIELDS = ("id", "status", "requested_at", "started_at", "worker", "finished_at", "since", "until",
               "window", "min_group", "people", "interactions", "stage", "seconds", "error",
               "requested_by")


@dataclass(frozen=True)
class ReportRequest:
    since: date | None = None
    until: date | None = None
    window: str = Window.MONTH
    min_group: int = 5


def _date(value: object, field: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InvalidInput(f"{field} must be a date like 2026-01-31.", field=field)


def parse_request(*, since: object = None, until: object = None, window: object = Window.MONTH,
                  min_group: object = 5) -> ReportRequest:
    lo, hi = _date(since, "since"), _date(until, "until")
    if lo and hi and lo >= hi:
        raise InvalidInput("since must be before until.", field="since")
    if window not in Window.values:
        raise InvalidInput(f"window must be one of {', '.join(Window.values)}.", field="window")
    if isinstance(min_group, str) and min_group.strip().isdigit():
        min_group = int(min_group)
    low, high = MIN_GROUP_RANGE
    if isinstance(min_group, bool) or not isinstance(min_group, int) or not low <= min_group <= high:
        raise InvalidInput(f"min_group must be a whole number from {low} to {high}.", field="min_group")
    return ReportRequest(since=lo, until=hi, window=str(window), min_group=min_group)


def default_request(today: date | None = None) -> ReportRequest:
    """What the scheduled refresh computes: the last N days up to now, by month."""
    today = today or timezone.now().date()
    days = int(getattr(settings, "SOCIALFABRIC_INSIGHTS_DAYS", 365))
    return ReportRequest(since=today - timedelta(days=days), until=None, window=Window.MONTH)


def _waiting(req: ReportRequest):
    return Report.objects.filter(status__in=(ReportStatus.QUEUED, ReportStatus.RUNNING),
                                 since=req.since, until=req.until, window=req.window,
                                 min_group=req.min_group)


def request_report(member: Member | None, req: ReportRequest) -> Report:
    """Queue a report (member None: the scheduler). The same request already waiting is
    returned instead of queued twice."""
    if member is not None:
        access.require_insights(member)
    with transaction.atomic():
        same = _waiting(req).order_by("requested_at").first()
        if same is not None:
            return same
        if Report.objects.filter(status=ReportStatus.QUEUED).count() >= MAX_WAITING:
            raise Conflict("Several reports are already waiting to be computed; try again when "
                           "they are ready.", field=None, code="busy")
        report = Report.objects.create(requested_by=member, since=req.since, until=req.until,
                                       window=req.window, min_group=req.min_group)
        # The job is written in this transaction: it exists exactly when the request does.
        compute_reports.enqueue()
        activity.record(Verb.REQUEST_REPORT, member, object_type=ObjectType.REPORT, object_id=report.id,
                        details={"since": req.since and req.since.isoformat(),
                                 "until": req.until and req.until.isoformat(),
                                 "window": req.window, "min_group": req.min_group},
                        at=report.requested_at)
    return report


def schedule_due(now: datetime | None = None) -> Report | None:
    """Queue the scheduled refresh when the newest report is older than the refresh period."""
    hours = float(getattr(settings, "SOCIALFABRIC_INSIGHTS_REFRESH_HOURS", 24))
    if hours <= 0:
        return None
    now = now or timezone.now()
    fresh = Report.objects.filter(requested_at__gt=now - timedelta(hours=hours)).exclude(
        status=ReportStatus.FAILED)
    if fresh.exists():
        return None
    return request_report(None, default_request(now.date()))


# A report names the worker computing it as host:pid, like the job queue (socialfabric.jobs).
worker_id = recovery.worker_id


def recover_stale(now: datetime | None = None) -> int:
    """Running reports whose worker died: queue them again once, then give up."""
    now = now or timezone.now()
    running = Report.objects.filter(status=ReportStatus.RUNNING)
    dead = [r.id for r in running.only("id", "worker") if r.worker and recovery.died_here(r.worker)]
    stale = running.filter(Q(started_at__lt=now - STALE_AFTER) | Q(id__in=dead))
    again = stale.filter(error="").update(status=ReportStatus.QUEUED, started_at=None,
                                          error="the first attempt was interrupted")
    given_up = stale.update(status=ReportStatus.FAILED, finished_at=now,
                            error="the computation was interrupted twice")
    return again + given_up


def claim_next() -> Report | None:
    """The oldest queued report, now marked running by this worker (one winner per report:
    the conditional update is atomic on SQLite and PostgreSQL alike)."""
    while True:
        candidate = (Report.objects.filter(status=ReportStatus.QUEUED).order_by("requested_at", "id")
                     .values_list("id", flat=True).first())
        if candidate is None:
            return None
        won = Report.objects.filter(id=candidate, status=ReportStatus.QUEUED).update(
            status=ReportStatus.RUNNING, started_at=timezone.now(), worker=worker_id())
        if won:
            return Report.objects.get(id=candidate)


def _epoch(d: date | None) -> int | None:
    return None if d is None else int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp())


def analyse(req: ReportRequest, *, now: datetime | None = None) -> dict:
    """The report on the platform's data, as the CLI computes it, without secret communities."""
    from socialfabric.insights.analysis import platform, report

    started = time.perf_counter()
    since = req.since.isoformat() if req.since else None
    until = req.until.isoformat() if req.until else None
    ds = platform.load(since=since, until=until, exclude_secret=True)
    # Unanswered questions are censored at the end of the window, or now for an open one.
    horizon = _epoch(req.until) if req.until else int((now or timezone.now()).timestamp())
    result, _rows = report.analyse(ds, min_group=req.min_group, window=req.window, horizon=horizon)
    platform.apply_platform_figures(result, ds, since=since, until=until, horizon=horizon)
    result["window_of_activity"] = {"since": since, "until": until}
    result["timing_seconds"] = round(time.perf_counter() - started, 3)
    return result


def compute(report: Report) -> Report:
    """Compute a claimed report and store its result (or a readable failure)."""
    req = ReportRequest(since=report.since, until=report.until, window=report.window,
                        min_group=report.min_group)
    fields = ["status", "finished_at", "error", "result", "people", "interactions", "stage", "seconds"]
    try:
        result = analyse(req)
    except DomainError as exc:
        report.status, report.error = ReportStatus.FAILED, exc.message
    except MemoryError:
        report.status, report.error = ReportStatus.FAILED, "not enough memory for this report"
    except Exception:  # a bug: keep the worker alive, say so on the page, log the details
        log.exception("insights report %s failed", report.pk)
        report.status, report.error = ReportStatus.FAILED, "internal error (details in the server log)"
    else:
        report.status, report.error, report.result = ReportStatus.READY, "", result
        report.people = result["counts"]["people"]
        report.interactions = result["counts"]["interactions"]
        report.stage = result["stages"]["reached"] or ""
        report.seconds = result["timing_seconds"]
    report.finished_at = timezone.now()
    # Only this worker holds a running report, so the write needs no lock.
    Report.objects.filter(id=report.id, status=ReportStatus.RUNNING).update(
        **{f: getattr(report, f) for f in fields})
    return report


def run_queue(limit: int | None = None) -> int:
    """Compute queued reports until none is left (or `limit` are done); how many were done."""
    recover_stale()
    done = 0
    while limit is None or done < limit:
        report = claim_next()
        if report is None:
            break
        compute(report)
        done += 1
    return done


# ------------------------------------------------------------------------- reading

def latest(member: Member) -> Report | None:
    access.require_insights(member)
    return Report.objects.filter(status=ReportStatus.READY).order_by("-finished_at", "-id").first()


def get_report(member: Member, report_id: object) -> Report:
    access.require_insights(member)
    rid = parse_id(report_id, field="report", message="No such report.")
    report = Report.objects.filter(id=rid).first()
    if report is None:
        raise NotFound("No such report.", field="report")
    return report


def reports(member: Member):
    """Every report without its body (lists never load results)."""
    access.require_insights(member)
    return Report.objects.only(*LIST_FIELDS)


def history(member: Member, limit: int = 20) -> list[Report]:
    return list(reports(member).select_related("requested_by").order_by("-requested_at", "-id")[:limit])


def waiting(member: Member) -> list[Report]:
    access.require_insights(member)
    return list(Report.objects.filter(status__in=(ReportStatus.QUEUED, ReportStatus.RUNNING))
                .only(*LIST_FIELDS).order_by("requested_at", "id"))


def result_for(member: Member, report: Report) -> dict | None:
    """The stored result as this member may read it: pseudonyms instead of names for
    anyone who is not an analyst (the same pseudonyms as the CLI's --anonymise)."""
    access.require_insights(member)
    if report.result is None:
        return None
    if access.sees_names_in_insights(member):
        return report.result
    from socialfabric.insights.analysis.report import pseudonym, pseudonym_key

    # Person ids live only in the network's lists: copy those, share the rest of the result.
    network = copy.deepcopy(report.result.get("network", {}))
    key = pseudonym_key()
    for rows in [network.get("influencers", []), *network.get("brokers", {}).values()]:
        for row in rows:
            row["id"] = pseudonym(row["id"], key)
    settings_ = {**report.result.get("settings", {}), "anonymised": True}
    return {**report.result, "network": network, "settings": settings_}


def person_names(member: Member, result: dict | None) -> dict[str, str]:
    """Names of the people a result lists by handle, for a reader who sees names (an empty
    map for pseudonyms); someone no longer visible (deactivated) keeps their handle."""
    if result is None or not access.sees_names_in_insights(member):
        return {}
    network = result.get("network", {})
    handles = {row["id"] for rows in [network.get("influencers", []), *network.get("brokers", {}).values()]
               for row in rows}
    found = Member.objects.filter(access.visible_members(member), handle__in=handles)
    return {handle: name or handle for handle, name in found.values_list("handle", "name")}


def forget_handle(old: str, new: str) -> int:
    """An erased person's handle, replaced in the stored reports' lists of people (influencers,
    brokers) by their former-member handle: the figures stay, the name they went by does not
    (governance.rights.erase). How many reports changed."""
    changed = 0
    for report in Report.objects.filter(result__isnull=False).only("id", "result").iterator():
        network = (report.result or {}).get("network") or {}
        lists = [network.get("influencers") or [], *(network.get("brokers") or {}).values()]
        hits = [row for rows in lists for row in rows if isinstance(row, dict) and row.get("id") == old]
        for row in hits:
            row["id"] = new
        if hits:
            Report.objects.filter(id=report.id).update(result=report.result)
            changed += 1
    return changed


# ------------------------------------------------------------------------- jobs
# Background jobs (Django's Tasks API, see socialfabric.jobs), both idempotent: computing
# claims each queued report once (a second run finds nothing to do), and the refresh only
# queues a report when none is fresh.

# The refresh looks again this often (it queues a report only when the newest is older than
# SOCIALFABRIC_INSIGHTS_REFRESH_HOURS).
REFRESH_CHECK = timedelta(hours=1)


@task()
def compute_reports() -> int:
    """Compute every queued report; how many were computed."""
    return run_queue()


@task()
def refresh() -> None:
    """Queue the scheduled report when due, then look again in an hour (one chain at a time)."""
    schedule_due()
    _schedule_next(timezone.now() + REFRESH_CHECK)


def _schedule_next(when) -> None:
    if float(getattr(settings, "SOCIALFABRIC_INSIGHTS_REFRESH_HOURS", 24)) <= 0:
        return
    # Waiting includes one scheduled for later, on either queue (database or Redis).
    if not jobs.waiting(refresh):
        refresh.using(run_after=when).enqueue()


def start_refresh() -> None:
    """Worker start hook: the refresh chain runs now, unless one is already waiting."""
    _schedule_next(timezone.now())
