"""The abuse limits at the door (socialfabric.limits): a body over the limit answers 413 before
it is read, on pages and the API alike; a page's write past the caller's write limit answers
429 with Retry-After (the API counts its writes itself, after authentication). Pages get a
readable page, htmx requests the message in the form's error slot, the API its error shape."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from socialfabric.errors import DomainError
from socialfabric.limits import RateLimited, TooLarge, check_body_size, check_write_rate

API_PREFIX = "/api/"


def _answer(request: HttpRequest, err: DomainError) -> HttpResponse:
    from socialfabric.web.views.plumbing import htmx_error, is_htmx

    if request.path.startswith(API_PREFIX):
        response = JsonResponse(err.as_dict(), status=err.status)
    elif is_htmx(request):
        response = htmx_error(request, err)
    else:
        response = render(request, "socialfabric/error.html", {"error": err}, status=err.status)
    if isinstance(err, RateLimited):
        response["Retry-After"] = str(err.retry_after)
    return response


class LimitsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view, args, kwargs) -> HttpResponse | None:
        # Before CsrfViewMiddleware, which reads the form; after sessions and auth, so the
        # member is known and the page can be drawn.
        try:
            check_body_size(request)
            if not request.path.startswith(API_PREFIX):
                check_write_rate(request)
        except (TooLarge, RateLimited) as err:
            return _answer(request, err)
        return None

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if isinstance(exc, RequestDataTooBig):  # a body that did not declare its length
            from django.conf import settings

            return _answer(request, TooLarge(settings.DATA_UPLOAD_MAX_MEMORY_SIZE))
        return None
