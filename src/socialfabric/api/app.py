"""The REST API: one NinjaAPI at /api/v1/, its authentication and its error shape.

Every error, whatever raised it, answers `{"error": {"code", "message", "field"}}`:
- DomainError (raised by the services): its own status and code;
- Ninja's request validation (wrong types, missing fields): 422 "invalid" with the field;
- a body that is not JSON: 400 "malformed_json"; a broken multipart body: 400 "malformed_body";
- no or bad credentials: 401 "unauthenticated"; failed CSRF check: 403 "csrf_failed";
- a read-only token writing: 403 "insufficient_scope";
- too many writes: 429 "rate_limited" with Retry-After; a body over the limit: 413 "too_large";
- anything else is a bug: logged, and 500 "server_error" without details.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.middleware.csrf import get_token
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.operation import Operation
from ninja.parser import Parser
from ninja.throttling import BaseThrottle

from socialfabric.api import (
    routes_communities,
    routes_governance,
    routes_insights,
    routes_moderation,
    routes_notifications,
    routes_people,
    routes_posts,
    routes_search,
)
from socialfabric.api.auth import CsrfFailed, session_auth, token_auth
from socialfabric.api.common import declare_error_answers
from socialfabric.api.schemas import CsrfOut
from socialfabric.errors import BUSY_MESSAGE, RETRY_AFTER_SECONDS, DomainError, PolicyNotAccepted, is_database_busy
from socialfabric.limits import RateLimited, TooLarge, WriteThrottle

logger = logging.getLogger("socialfabric.api")

DESCRIPTION = """\
The Social Fabric network: members, units, communities, threaded conversations, reactions,
accepted answers, follows and feeds; and, for analysts and admins, the insights reports.

**Authentication**: a personal access token (`Authorization: Bearer sf_...`, create one on the
Settings page or with `POST /api/v1/tokens` over the session; a token cannot create tokens) or
the web session cookie; over the session, unsafe methods need the `X-CSRFToken` header (the
value of the `csrftoken` cookie, see `GET /api/v1/csrf`). A token's scopes: `read` allows GET
and HEAD only (other methods: 403 `insufficient_scope`), `write` everything; tokens expire
(90 days by default) and an expired one is a 401.

**Errors** always look like `{"error": {"code": "...", "message": "...", "field": "..."}}`.

**Lists** are cursor paginated: pass the `next_cursor` of one page as `cursor` for the next;
`limit` sets the page size.
"""

_CODES = {400: "invalid", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
          405: "method_not_allowed", 409: "conflict", 422: "invalid", 429: "rate_limited"}


class NotAnObject(ValueError):
    """Valid JSON, but not the object every request body of this API is."""


class ObjectParser(Parser):
    def parse_body(self, request: HttpRequest) -> dict:
        data = super().parse_body(request)
        if not isinstance(data, dict):
            raise NotAnObject(type(data).__name__)
        return data


class ApiWriteThrottle(BaseThrottle):
    """The write limit (socialfabric.limits), counted after authentication so a token's writes
    count against its member. A fresh counter per request: the instance is shared by threads."""

    def allow_request(self, request: HttpRequest) -> bool:
        throttle = WriteThrottle()
        if throttle.allow_request(request):
            return True
        request._sf_retry_after = throttle.retry_after()  # read by _http_error below
        return False


class SocialFabricAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        # Short, stable ids (listMembers style names read better in generated clients).
        return operation.view_func.__name__

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict | None = None) -> OpenAPISchema:
        # The error answers are the exception handlers' below, the same for every operation:
        # declared once here rather than in each route's response map.
        doc = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return declare_error_answers(doc)


api = SocialFabricAPI(
    title="Social Fabric",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
    auth=[token_auth, session_auth],
    parser=ObjectParser(),
    throttle=[ApiWriteThrottle()],
)


def error_body(code: str, message: str, field: str | None = None) -> dict:
    return {"error": {"code": code, "message": message, "field": field}}


def _reply(request: HttpRequest, status: int, code: str, message: str, field: str | None = None) -> HttpResponse:
    return api.create_response(request, error_body(code, message, field), status=status)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    if isinstance(exc, PolicyNotAccepted):  # with the address where the policy is accepted
        return api.create_response(request, exc.as_dict(), status=exc.status)
    response = _reply(request, exc.status, exc.code, exc.message, exc.field)
    if isinstance(exc, RateLimited):
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    # Normally stopped earlier by its Content-Length (socialfabric.web.limits); this is the
    # body that did not declare one.
    return _domain_error(request, TooLarge(settings.DATA_UPLOAD_MAX_MEMORY_SIZE))


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    loc = list(first.get("loc", ()))
    # loc is (source, [body parameter name,] field, ...): report the first field name.
    rest = loc[2:] if loc[:1] == ["body"] else loc[1:]
    field = str(rest[0]) if rest else None
    message = str(first.get("msg", "The request is not valid."))
    if field is None and loc[:1] == ["body"]:
        message = f"The body must be a JSON object as documented ({message})."
    elif field is not None:
        message = f"{field}: {message}"
    return _reply(request, 422, "invalid", message, field)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    message = exc.message if exc.message != "Unauthorized" else "Sign in, or send a token: Authorization: Bearer sf_..."
    response = _reply(request, 401, "unauthenticated", message)
    response["WWW-Authenticate"] = 'Bearer realm="Social Fabric"'
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc, CsrfFailed):
        return _reply(request, 403, "csrf_failed", exc.message)
    if isinstance(exc, Throttled):
        return _domain_error(request, RateLimited(getattr(request, "_sf_retry_after", None) or exc.wait or 1))
    if isinstance(exc.__cause__, NotAnObject):
        return _reply(request, 422, "invalid", "The body must be a JSON object as documented.")
    if exc.status_code == 400 and exc.message.startswith("Cannot parse request body"):
        return _reply(request, 400, "malformed_json", "The request body is not valid JSON.", "body")
    return _reply(request, exc.status_code, _CODES.get(exc.status_code, "error"), exc.message)


@api.exception_handler(MultiPartParserError)
def _malformed_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
    # Django parses a multipart body on first look at request.POST or FILES: the photo upload's
    # parameters, and the session's CSRF check (it looks for a form field first). A body that
    # says multipart but is not (no boundary, broken parts) is the caller's mistake, not ours.
    return _reply(request, 400, "malformed_body", "The request body is not valid multipart/form-data "
                  "(send the photo as a multipart upload with its boundary, or JSON elsewhere).", "body")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _reply(request, 404, "not_found", "Not found.")


@api.exception_handler(PermissionDenied)
def _permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _reply(request, 403, "forbidden", str(exc) or "Forbidden.")


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    if is_database_busy(exc):  # a lock not had in time: nothing written, try again shortly
        response = _reply(request, 503, "busy", BUSY_MESSAGE)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    # Only real bugs land here: every bad input is a DomainError or a validation error above.
    logger.exception("API error on %s %s", request.method, request.path, exc_info=exc)
    return _reply(request, 500, "server_error", "Something went wrong on our side; it has been logged.")


@api.get("/csrf", auth=None, response=CsrfOut, tags=["session"], summary="Get the CSRF token (and cookie)")
def csrf_token(request: HttpRequest) -> dict:
    """For browser clients using the session: send this value as X-CSRFToken on unsafe methods."""
    return {"csrf_token": get_token(request)}


api.add_router("", routes_people.router)
api.add_router("", routes_communities.router)
api.add_router("", routes_posts.router)
api.add_router("", routes_insights.router)
api.add_router("", routes_search.router)
api.add_router("", routes_notifications.router)
api.add_router("", routes_governance.router)
api.add_router("", routes_moderation.router)
