"""Helpers shared by the route modules."""

from __future__ import annotations

from django.http import HttpRequest

from socialfabric.api.schemas import ErrorOut
from socialfabric.org.models import Member

# Documented on every operation; the handlers never return these themselves: the API's
# exception handlers turn raised errors into them.
ERRORS: dict = {frozenset({400, 401, 403, 404, 409, 422}): ErrorOut}


def viewer(request: HttpRequest) -> Member:
    """The authenticated member (token or session); the auth classes guarantee one."""
    return request.auth  # type: ignore[attr-defined]


def ok(schema: object, status: int = 200) -> dict:
    """A response map: the success schema under `status` plus the documented errors."""
    return {status: schema, **ERRORS}
