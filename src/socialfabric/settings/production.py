"""The production profile: DJANGO_SETTINGS_MODULE=socialfabric.settings.production.

DEBUG is always off and a SECRET_KEY must be given. Behind an HTTPS reverse proxy set
SOCIALFABRIC_HTTPS=true: cookies become secure, HTTP is redirected, HSTS is sent and the
proxy's X-Forwarded-Proto header is trusted (the proxy must set it and strip it from clients).
"""

from __future__ import annotations

from socialfabric.settings.base import *  # noqa: F403
from socialfabric.settings.base import _bool

DEBUG = False
WHITENOISE_AUTOREFRESH = False
if not SECRET_KEY or SECRET_KEY == "dev-only-insecure-key-change-me":  # noqa: F405
    raise RuntimeError("SECRET_KEY must be set in production")

SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

HTTPS = _bool("SOCIALFABRIC_HTTPS", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING["root"]["level"] = os.environ.get("LOG_LEVEL", "INFO")  # noqa: F405
