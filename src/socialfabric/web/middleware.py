"""A page whose write could not get the database's lock in time: 503 with Retry-After and a
readable page (an htmx request gets the message in its form's error slot), never a 500."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from socialfabric.errors import BUSY_MESSAGE, RETRY_AFTER_SECONDS, DomainError, is_database_busy

log = logging.getLogger(__name__)


class Busy(DomainError):
    status = 503
    code = "busy"


class DatabaseBusyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not is_database_busy(exc):
            return None
        from django.shortcuts import render

        from socialfabric.web.views.plumbing import htmx_error, is_htmx

        # Operators should see these: a steady trickle means it is time for PostgreSQL.
        log.warning("database busy: %s %s answered 503 (%s)", request.method, request.path, exc)
        err = Busy(BUSY_MESSAGE)
        if is_htmx(request):
            response = htmx_error(request, err)
        else:
            response = render(request, "socialfabric/error.html", {"error": err}, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
