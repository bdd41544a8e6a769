"""Abuse limits shared by the web pages and the API (README, Limits; docs/security.md).

- Writes: every unsafe request (POST, PUT, PATCH, DELETE) is counted per member, or per
  address when signed out, with Django Ninja's sliding-window throttle over the "limits"
  cache (settings.SOCIALFABRIC_WRITE_RATE, e.g. "120/min"; "0" or "" switches it off). Past the
  limit: `RateLimited` (429, code "rate_limited") with Retry-After.
- Bodies: larger than settings.DATA_UPLOAD_MAX_MEMORY_SIZE (plus one photo for a multipart
  upload) is `TooLarge` (413, code "too_large"), answered before the body is read.
- Sign-in lockout is django-axes' (settings.AXES_*); `client_ip` tells it, and the write limit,
  who is calling (behind SOCIALFABRIC_TRUSTED_PROXIES proxies, from X-Forwarded-For).
"""

from __future__ import annotations

import hashlib
import ipaddress
import math

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest
from ninja.throttling import SimpleRateThrottle

from socialfabric.errors import DomainError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many changes in a short time; nothing was saved. Try again in {retry_after} "
                         f"second{'s' if retry_after != 1 else ''}.")
        self.retry_after = retry_after


class TooLarge(DomainError):
    status = 413
    code = "too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"The request is too large; nothing was saved. The limit is {limit // 1024} KB "
                         f"(a photo may add {settings.SOCIALFABRIC_PHOTO_MAX_BYTES // (1024 * 1024)} MB).")


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address, for the sign-in lockout (AXES_CLIENT_IP_CALLABLE) and the signed-out
    write limit alike: REMOTE_ADDR, unless settings.SOCIALFABRIC_TRUSTED_PROXIES says that N
    proxies stand in front of the server. Each of them appends the address it saw to
    X-Forwarded-For, so the Nth entry from the end is what the outermost trusted proxy saw;
    anything left of it was written by the client and is never read. A header with fewer entries
    than that (the request did not come through the proxies) or an entry that is not an address
    falls back to REMOTE_ADDR rather than to something the client chose."""
    remote = request.META.get("REMOTE_ADDR") or None
    hops = settings.SOCIALFABRIC_TRUSTED_PROXIES
    if hops <= 0:
        return remote
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    chain = [entry.strip() for entry in header.split(",")] if header.strip() else []
    if len(chain) < hops:
        return remote
    try:
        return str(ipaddress.ip_address(chain[-hops]))
    except ValueError:
        return remote


class WriteThrottle(SimpleRateThrottle):
    """Ninja's sliding window (timestamps per key in the cache), for unsafe methods only."""

    scope = "writes"

    def __init__(self) -> None:  # the rate is read on each request, so settings may change it
        pass

    @property
    def cache(self):  # type: ignore[override]
        return caches["limits"]

    def get_rate(self) -> str | None:
        rate = (settings.SOCIALFABRIC_WRITE_RATE or "").strip()
        return None if rate in ("", "0") else rate

    def get_cache_key(self, request: HttpRequest) -> str | None:
        member = getattr(request, "auth", None)
        if member is None or not getattr(member, "is_authenticated", False):
            user = getattr(request, "user", None)
            member = user if user is not None and user.is_authenticated else None
        ident = f"m{member.pk}" if member is not None else "ip" + hashlib.sha256(
            (client_ip(request) or "unknown").encode()).hexdigest()[:24]
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request: HttpRequest) -> bool:
        if request.method in SAFE_METHODS:
            return True
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request)

    def retry_after(self) -> int:
        wait = self.wait()
        return max(1, math.ceil(wait)) if wait is not None else 1


def check_write_rate(request: HttpRequest) -> None:
    """Count this request against its caller's write limit; RateLimited when past it."""
    throttle = WriteThrottle()
    if not throttle.allow_request(request):
        raise RateLimited(throttle.retry_after())


def body_limit(request: HttpRequest) -> int:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
    if request.content_type == "multipart/form-data":
        # One photo, or a post's files, and their part headers.
        files = settings.SOCIALFABRIC_ATTACHMENT_MAX_BYTES * settings.SOCIALFABRIC_ATTACHMENTS_PER_POST
        limit += max(settings.SOCIALFABRIC_PHOTO_MAX_BYTES, files) + 64 * 1024
    return limit


def check_body_size(request: HttpRequest) -> None:
    """TooLarge when the declared body is over the limit (Django itself stops undeclared ones)."""
    limit = body_limit(request)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if limit and length > limit:
        raise TooLarge(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


class SignInLockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check, first of AUTHENTICATION_BACKENDS. Every sign-in over HTTP
    passes its request (the sign-in form, single sign-on); a check without one (the shell, the
    test client's login) has no address to count against, so it is let through to the password
    check instead of failing as django-axes would."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
