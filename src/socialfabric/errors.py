"""Domain errors raised by services; the API and web layers map them to 4xx replies.

Every error carries a stable machine `code`, a human `message` and, where one
input is at fault, the `field` it came from.
"""

from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code

    def as_dict(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "field": self.field}}


class InvalidInput(DomainError):
    status = 400
    code = "invalid"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class PolicyNotAccepted(Forbidden):
    """Posting, replying or reacting before accepting the policy (or a community's guidelines)
    in force: 403 `policy_not_accepted`, with the address where it is read and accepted."""

    code = "policy_not_accepted"

    def __init__(self, message: str, *, url: str) -> None:
        super().__init__(message, field=None)
        self.url = url

    def as_dict(self) -> dict:
        data = super().as_dict()
        data["error"]["url"] = self.url
        return data


class Conflict(DomainError):
    status = 409
    code = "conflict"


# The database could not give a lock in time (SQLite's one writer after busy_timeout, or a
# PostgreSQL lock/deadlock timeout): nothing was written, and the same request may succeed in
# a moment. Pages and the API answer 503 with Retry-After instead of an error page.
BUSY_MESSAGE = "The server is busy with other changes; nothing was saved. Try again in a moment."
RETRY_AFTER_SECONDS = 2
_BUSY_SIGNS = ("database is locked", "database table is locked", "lock timeout", "deadlock detected",
               "could not obtain lock", "canceling statement due to lock timeout")


def is_database_busy(exc: BaseException) -> bool:
    from django.db import OperationalError

    return isinstance(exc, OperationalError) and any(sign in str(exc).lower() for sign in _BUSY_SIGNS)
