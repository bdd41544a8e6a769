"""Who is calling: a personal access token (Authorization: Bearer sf_...) or the web session.

A token carries scopes: `read` allows GET and HEAD; every other method needs `write` (403
"insufficient_scope"). Token requests carry no ambient credentials, so they need no CSRF check. Session requests
do: an unsafe method over the session cookie must carry the CSRF token (X-CSRFToken header),
as the web pages' htmx requests do.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import AuthenticationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from socialfabric.errors import Forbidden
from socialfabric.limits import SAFE_METHODS
from socialfabric.org import services as org
from socialfabric.org.models import AccessToken, Member, TokenScope


def request_token(request: HttpRequest) -> AccessToken | None:
    """The token this request was authenticated by, or None for the web session."""
    return getattr(request, "sf_token", None)


class CsrfFailed(HttpError):
    def __init__(self) -> None:
        super().__init__(403, "The CSRF check failed: send the csrftoken cookie's value as X-CSRFToken.")


class TokenAuth(HttpBearer):
    """Authorization: Bearer sf_... ; a present but wrong token is a 401, not a fall-back to the session."""

    def __call__(self, request: HttpRequest) -> Member | None:
        value = request.headers.get(self.header)
        if not value:
            return None
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer":
            raise AuthenticationError(401, "Only Bearer tokens are accepted in the Authorization header.")
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Member:
        found = org.find_token(token)
        if found is None:
            raise AuthenticationError(401, "The token is unknown, revoked, expired or its owner is inactive.")
        request.sf_token = found  # type: ignore[attr-defined]  # how this request was authenticated
        if request.method not in SAFE_METHODS and not found.has_scope(TokenScope.WRITE):
            raise Forbidden(f"This token has the scopes '{found.scopes}': {request.method} needs 'write'. "
                            "Create a token with the write scope.", field=None, code="insufficient_scope")
        return found.member


class SessionAuth(APIKeyCookie):
    """The Django session of a signed-in member, with CSRF enforced for unsafe methods."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        # CsrfViewMiddleware lets safe methods through; Ninja marks its views csrf_exempt, so check here.
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request) is not None:
            raise CsrfFailed()
        return user

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:  # pragma: no cover - __call__ decides
        return None


token_auth = TokenAuth()
session_auth = SessionAuth()
