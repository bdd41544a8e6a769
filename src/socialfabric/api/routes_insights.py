"""Insights reports on the platform's data, for analysts and admins.

Asking for a report queues it (202): the background worker computes it, and the report
is read back by id. Nothing is computed on a request.
"""

from django.http import HttpRequest
from ninja import Router, Status

from socialfabric.api.common import ok, viewer
from socialfabric.api.schemas import Cursor, Id, Limit, ReportDetailOut, ReportIn, ReportPage
from socialfabric.errors import NotFound
from socialfabric.insights import services
from socialfabric.insights.models import Report
from socialfabric.org.models import Member
from socialfabric.paging import keyset_page

router = Router(tags=["insights"])


def _report(r: Report) -> dict:
    return {"id": r.id, "status": r.status, "requested_at": r.requested_at, "started_at": r.started_at,
            "finished_at": r.finished_at, "since": r.since, "until": r.until, "window": r.window,
            "min_group": r.min_group, "people": r.people, "interactions": r.interactions,
            "stage": r.stage or None, "seconds": r.seconds, "error": r.error or None}


def _detail(member: Member, r: Report) -> dict:
    return {**_report(r), "result": services.result_for(member, r)}


@router.get("/insights/reports", response=ok(ReportPage), summary="Insights reports, newest first")
def list_reports(request: HttpRequest, cursor: Cursor | None = None, limit: Limit | None = None) -> dict:
    rows, nxt = keyset_page(services.reports(viewer(request)), ("-id",), cursor, limit)
    return {"items": [_report(r) for r in rows], "next_cursor": nxt}


@router.post("/insights/reports", response=ok(ReportDetailOut, 202),
             summary="Ask for a report; it is computed in the background")
def request_report(request: HttpRequest, payload: ReportIn) -> Status:
    """Answers 202 with the queued report (or the same one already waiting); poll
    `GET /insights/reports/{id}` until its status is `ready` or `failed`."""
    member = viewer(request)
    req = services.parse_request(since=payload.since, until=payload.until, window=payload.window,
                                 min_group=payload.min_group)
    return Status(202, _detail(member, services.request_report(member, req)))


@router.get("/insights/reports/latest", response=ok(ReportDetailOut),
            summary="The newest ready report, with its result")
def latest_report(request: HttpRequest) -> dict:
    member = viewer(request)
    report = services.latest(member)
    if report is None:
        raise NotFound("No report is ready yet.", field=None)
    return _detail(member, report)


@router.get("/insights/reports/{report_id}", response=ok(ReportDetailOut), summary="One report")
def get_report(request: HttpRequest, report_id: Id) -> dict:
    member = viewer(request)
    return _detail(member, services.get_report(member, report_id))
