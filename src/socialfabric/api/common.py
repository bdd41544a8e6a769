"""Helpers shared by the route modules, and the error answers every operation documents."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest

from socialfabric.api.schemas import ErrorOut
from socialfabric.limits import SAFE_METHODS
from socialfabric.org.models import Member


def viewer(request: HttpRequest) -> Member:
    """The authenticated member (token or session); the auth classes guarantee one."""
    return request.auth  # type: ignore[attr-defined]


def ok(schema: object, status: int = 200) -> dict:
    """A response map with the success schema under `status`. The error answers are not listed
    here: the handlers never return them (the API's exception handlers turn raised errors into
    them), and `declare_error_answers` adds them to every operation of the document."""
    return {status: schema}


# --- the error answers, declared once ---------------------------------------------------------

def _signed(op: dict, method: str) -> bool:
    return bool(op.get("security"))


def _writes(op: dict, method: str) -> bool:
    return bool(op.get("security")) and method.upper() not in SAFE_METHODS


def _always(op: dict, method: str) -> bool:
    return True


@dataclass(frozen=True)
class ErrorAnswer:
    """One error status as the document declares it: its reusable response (components/responses
    /<name>), the codes it carries, whether it says when to retry, and which operations give it."""

    status: int
    name: str
    description: str
    applies: Callable[[dict, str], bool]
    retry_after: bool = False


# Every status an operation can really answer with besides its success, matching the exception
# handlers in api/app.py and the limits at the door (web/limits.py). The body is always ErrorOut.
ERROR_ANSWERS: tuple[ErrorAnswer, ...] = (
    ErrorAnswer(400, "BadRequest", "`invalid` (a value the service refuses; `field` names it), "
                "`malformed_json` (the body is not JSON) or `malformed_body` (a broken multipart body).", _signed),
    ErrorAnswer(401, "Unauthenticated", "`unauthenticated`: no credentials, or a token that is unknown, revoked "
                "or expired (with `WWW-Authenticate`).", _signed),
    ErrorAnswer(403, "Forbidden", "`forbidden` (the caller may not do this), `csrf_failed` (a session write "
                "without a valid `X-CSRFToken`) or `insufficient_scope` (a read-only token writing).", _signed),
    ErrorAnswer(404, "NotFound", "`not_found`: no such object, or one the caller may not know of (a secret "
                "community, a member beyond the caller's boundary), answered alike.", _signed),
    ErrorAnswer(409, "Conflict", "`conflict`: the act clashes with what is there (twice the same follow or "
                "membership, the last owner leaving).", _signed),
    ErrorAnswer(413, "TooLarge", "`too_large`: the body is over the server's size limit; nothing was read or "
                "saved.", _always),
    ErrorAnswer(422, "Unprocessable", "`invalid`: the request does not match this document (a wrong type, a "
                "missing field, a value out of range); `field` names the first at fault.", _signed),
    ErrorAnswer(429, "RateLimited", "`rate_limited`: too many writes in a short time; nothing was saved. "
                "Retry after the seconds in `Retry-After`.", _writes, retry_after=True),
    ErrorAnswer(503, "Busy", "`busy`: the database was busy with other changes; nothing was saved. Retry "
                "after the seconds in `Retry-After`.", _signed, retry_after=True),
)

_RETRY_AFTER = {"description": "Seconds to wait before trying again.", "required": True,
                "schema": {"type": "integer", "minimum": 1}}


def _error_schemas() -> dict[str, dict]:
    """ErrorOut and the schemas it refers to, as the document's components."""
    schema = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    defs = schema.pop("$defs", {})
    return {**defs, "ErrorOut": schema}


def declare_error_answers(doc: dict) -> dict:
    """Add the error answers that apply to each operation of an OpenAPI document, as references to
    one declaration of each: a client (or a fuzzer checking the answers) learns every status and
    its shape from the document, and a new operation gets them without repeating them."""
    components = doc.setdefault("components", {})
    components.setdefault("schemas", {}).update(_error_schemas())
    responses = components.setdefault("responses", {})
    for answer in ERROR_ANSWERS:
        declared: dict = {"description": answer.description,
                          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}}
        if answer.retry_after:
            declared["headers"] = {"Retry-After": _RETRY_AFTER}
        responses[answer.name] = declared
    for item in doc.get("paths", {}).values():
        for method, op in item.items():
            for answer in ERROR_ANSWERS:
                if answer.applies(op, method):
                    op["responses"][answer.status] = {"$ref": f"#/components/responses/{answer.name}"}
    return doc
