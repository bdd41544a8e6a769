"""The Insights dashboard: stored reports rendered as findings and charts.

Nothing here computes a report: a page shows what the background worker stored
(`insights.services`), and asking for a new report only queues it. Charts are the same
inline SVG as the standalone HTML report (`insights.analysis.html`), which escapes every
text it takes from the report, so its output is inserted as is.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe

from socialfabric import access
from socialfabric.errors import DomainError
from socialfabric.insights import guide as guides
from socialfabric.insights import services
from socialfabric.insights.analysis import html as charts
from socialfabric.insights.models import Report, Window
from socialfabric.web.views.plumbing import is_htmx, member_view, post_only

POLL = "3s"


def _person_url(handle: str) -> str | None:
    return reverse("web:person", args=[handle])


def _context(request: HttpRequest, report: Report | None, **extra) -> dict:
    member = request.user
    result = services.result_for(member, report) if report is not None else None
    ctx = {
        "nav": "insights",
        "report": report,
        "history": services.history(member),
        "waiting": services.waiting(member),
        "windows": Window.choices,
        "form": {"since": services.default_request().since.isoformat(), "until": "",
                 "window": Window.MONTH, "min_group": 5},
        "names": access.sees_names_in_insights(member),
        "poll": POLL,
        **extra,
    }
    if result is not None:
        link = _person_url if ctx["names"] else None
        names = services.person_names(member, result)
        definitions = guides.section_anchors(member)
        ctx.update(
            stage_definition=definitions.get("stage"),
            result=result,
            summary=mark_safe(charts.summary(result)),
            findings=result["findings"],
            stage_html=mark_safe(charts.stage(result)),
            sections=[(a, h, mark_safe(body), definitions.get(a)) for a, h, body
                      in charts.sections(result, link, lambda handle: names.get(handle, handle))],
            notes=result["notes"],
        )
    return ctx


@member_view
def dashboard(request: HttpRequest) -> HttpResponse:
    report = services.latest(request.user)
    return render(request, "socialfabric/insights.html", _context(request, report, latest=True))


@member_view
def guide(request: HttpRequest) -> HttpResponse:
    found = guides.guide(request.user)
    return render(request, "socialfabric/insights_guide.html",
                  {"nav": "insights", "guide": found, "body": mark_safe(found.html)})


@member_view
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    report = services.get_report(request.user, report_id)
    return render(request, "socialfabric/insights.html", _context(request, report))


@member_view
@post_only
def report_request(request: HttpRequest) -> HttpResponse:
    member = request.user
    data = {k: request.POST.get(k, "") for k in ("since", "until", "window", "min_group")}
    try:
        req = services.parse_request(since=data["since"], until=data["until"],
                                     window=data["window"] or Window.MONTH,
                                     min_group=data["min_group"] or 5)
        report = services.request_report(member, req)
    except DomainError as err:
        if err.status == 403:
            raise
        ctx = _context(request, services.latest(member), latest=True, form=data, form_error=err)
        return render(request, "socialfabric/insights.html", ctx, status=err.status)
    messages.info(request, f"Report {report.id} is queued: it is computed in the background "
                           "and appears here when ready.")
    return redirect("web:insights_report", report_id=report.id)


@member_view
def report_status(request: HttpRequest, report_id: int) -> HttpResponse:
    """The waiting notice, polled by htmx; once the report is done the page reloads."""
    report = services.get_report(request.user, report_id)
    if not is_htmx(request):
        return redirect("web:insights_report", report_id=report.id)
    if not report.pending:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return render(request, "socialfabric/_insights_status.html",
                  {"report": report, "poll": POLL, "watch": report})


def _download(request: HttpRequest, report_id: int, ext: str, content_type: str, body) -> HttpResponse:
    """The stored result as a file; a report not ready yet sends back to its page."""
    report = services.get_report(request.user, report_id)
    result = services.result_for(request.user, report)
    if result is None:
        return redirect("web:insights_report", report_id=report.id)
    response = HttpResponse(body(result), content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="insights-{report.id}.{ext}"'
    return response


@member_view
def report_html(request: HttpRequest, report_id: int) -> HttpResponse:
    def standalone(result: dict) -> str:
        names = services.person_names(request.user, result)
        return charts.render(result, lambda handle: names.get(handle, handle))

    return _download(request, report_id, "html", "text/html", standalone)


@member_view
def report_json(request: HttpRequest, report_id: int) -> HttpResponse:
    return _download(request, report_id, "json", "application/json",
                     lambda result: json.dumps(result, indent=1, ensure_ascii=False))
