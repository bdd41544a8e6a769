"""URLs under /api/v1/: the API, and JSON errors for unknown routes and wrong methods."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt

from socialfabric.api.app import api, error_body


def _json_405(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Ninja answers a wrong method with a plain-text 405; answer in the API's error shape."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith("application/json"):
            allowed = response.get("Allow", "")
            body = error_body("method_not_allowed", f"{request.method} is not allowed here; use {allowed}.")
            replacement = HttpResponse(json.dumps(body), status=405, content_type="application/json")
            replacement["Allow"] = allowed
            return replacement
        return response

    return wrapper


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    return JsonResponse(error_body("not_found", "There is no such API endpoint.", None), status=404)


_patterns, _app_name, _namespace = api.urls
for _pattern in _patterns:
    _pattern.callback = _json_405(_pattern.callback)

urlpatterns = [
    path("", include((_patterns, _app_name), namespace=_namespace)),
    re_path(r"^(?P<rest>.*)$", not_found),
]
