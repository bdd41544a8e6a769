"""The production profile: DJANGO_SETTINGS_MODULE=socialfabric.settings.production.

DEBUG is always off and a SECRET_KEY must be given. Behind an HTTPS reverse proxy set
SOCIALFABRIC_HTTPS=true: cookies become secure, HTTP is redirected, HSTS is sent and the
proxy's X-Forwarded-Proto header is trusted (the proxy must set it and strip it from clients).
"""

from __future__ import annotations

from socialfabric import secret_key
from socialfabric.settings.base import *  # noqa: F403
from socialfabric.settings.base import _bool

DEBUG = False
WHITENOISE_AUTOREFRESH = False
# Given in the environment, or kept in the var folder (made by the `socialfabric` command on
# first run, mode 0600): never the development key.
SECRET_KEY = os.environ.get("SECRET_KEY", "") or secret_key.read(VAR_DIR)  # noqa: F405
if SECRET_KEY == DEV_SECRET_KEY:  # noqa: F405
    SECRET_KEY = ""
if not SECRET_KEY:
    raise RuntimeError(f"SECRET_KEY must be set in production (or kept in {secret_key.path(VAR_DIR)})")  # noqa: F405

SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

HTTPS = _bool("SOCIALFABRIC_HTTPS", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
# Browsers' HSTS preload list: on with HTTPS (what `check --deploy` asks); a site that may
# ever serve plain HTTP on a subdomain turns it off with SOCIALFABRIC_HSTS_PRELOAD=false.
SECURE_HSTS_PRELOAD = _bool("SOCIALFABRIC_HSTS_PRELOAD", HTTPS)
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING["root"]["level"] = os.environ.get("LOG_LEVEL", "INFO")  # noqa: F405
