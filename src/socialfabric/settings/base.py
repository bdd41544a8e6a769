"""Settings shared by every profile, read from the environment with safe defaults.

DATABASE_URL  default sqlite:///./var/socialfabric.sqlite3
SECRET_KEY    default: a development key (DEBUG only); required when DEBUG is off
DEBUG         default true for local runs (the production profile forces it off)
ALLOWED_HOSTS comma-separated, default 127.0.0.1,localhost
SOCIALFABRIC_VAR  the folder for the SQLite database and other state (default ./var)
SOCIALFABRIC_MEDIA_ROOT  members' uploaded photos (default $SOCIALFABRIC_VAR/media)
SOCIALFABRIC_EXPORTS_ROOT  members' data exports, until they expire (default $SOCIALFABRIC_VAR/exports)
SOCIALFABRIC_TASKS  where background jobs wait: db (default) or rq (Redis at REDIS_URL,
              default redis://127.0.0.1:6379/0)

Reading settings creates nothing on disk: the SQLite database's folder is made when the
apps load (socialfabric.sqlite.install), before the first connection.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent  # the socialfabric package
VAR_DIR = Path(os.environ.get("SOCIALFABRIC_VAR", Path.cwd() / "var"))


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _bool("DEBUG", True)
DEV_SECRET_KEY = "dev-only-insecure-key-change-me"
SECRET_KEY = os.environ.get("SECRET_KEY", "") or DEV_SECRET_KEY  # each profile decides if that will do

ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h.strip()
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "testserver", "::1", "[::1]"}

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "mozilla_django_oidc",
    "axes",  # sign-in throttling and lockout (its own tables: failures per handle and address)
    "ninja",  # serves the API docs page's assets locally, no CDN
    "socialfabric.org",
    "socialfabric.activity",
    "django_tasks",
    "django_tasks_db",
    "django_rq",  # the RQ backend's queues (SOCIALFABRIC_TASKS=rq); installed either way, so one set of migrations
    "socialfabric.jobs",
    "socialfabric.ops",
    "socialfabric.communities",
    "socialfabric.conversations",
    "socialfabric.governance",
    "socialfabric.feed",
    "socialfabric.insights",
    "socialfabric.search",
    "socialfabric.notifications",
    "socialfabric.attachments",
    "socialfabric.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "socialfabric.web.limits.LimitsMiddleware",  # 413 for oversized bodies, 429 for too many web writes
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "socialfabric.web.middleware.DatabaseBusyMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: answers a locked-out sign-in
]

ROOT_URLCONF = "socialfabric.urls"
WSGI_APPLICATION = "socialfabric.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "socialfabric.web.context.bell",
                "socialfabric.web.context.policy",
                "socialfabric.web.context.queues",
            ],
        },
    },
]

_default_db = f"sqlite:///{VAR_DIR / 'socialfabric.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default_db), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and the one writer work side by side; IMMEDIATE avoids
    # "database is locked" upgrades inside write transactions.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

AUTH_USER_MODEL = "org.Member"
# Single sign-on with OpenID Connect, on when OIDC_CLIENT_ID is set (docs/deploy.md). Members
# are matched by e-mail. The endpoints are the ones the provider's discovery document lists.
SOCIALFABRIC_OIDC_ENABLED = bool(os.environ.get("OIDC_CLIENT_ID"))
SOCIALFABRIC_OIDC_NAME = os.environ.get("OIDC_PROVIDER_NAME", "your organisation's sign-in")
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("OIDC_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_USERINFO_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_JWKS_ENDPOINT", "") or None
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = "openid email"
OIDC_CREATE_USER = False  # only members the organisation knows
LOGIN_REDIRECT_URL_FAILURE = "/signin/?sso=failed"
# django-axes' backend first: it refuses a locked-out handle+address before any password is checked.
AUTHENTICATION_BACKENDS = ["socialfabric.limits.SignInLockoutBackend", "django.contrib.auth.backends.ModelBackend",
                           "socialfabric.org.oidc.MemberBackend"]
LOGIN_URL = "/signin/"
LOGIN_REDIRECT_URL = "/"
# Django's four validators: not like the member's handle/name/e-mail, at least 12 characters,
# not one of the 20,000 most common passwords, not all digits (README, Limits).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
     "OPTIONS": {"user_attributes": ("handle", "name", "email")}},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Abuse limits (README, Limits; docs/security.md).
# Sign-in: django-axes counts failed sign-ins per handle *and* address in the database (so the
# count is shared by every server process); after AXES_FAILURE_LIMIT failures that pair is
# refused for SOCIALFABRIC_SIGNIN_LOCKOUT_MINUTES, then may try again; a success clears it.
# Other addresses and other handles are unaffected, so an attacker cannot lock a member out
# from everywhere. Single sign-on, password reset and API tokens do not go through it.
AXES_ENABLED = _bool("SOCIALFABRIC_SIGNIN_LOCKOUT", True)
AXES_FAILURE_LIMIT = int(os.environ.get("SOCIALFABRIC_SIGNIN_FAILURES", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("SOCIALFABRIC_SIGNIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"  # what the sign-in form and authenticate() call the handle
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "socialfabric.web.views.account.locked_out"
AXES_CLIENT_IP_CALLABLE = "socialfabric.limits.client_ip"  # the one rule for "which address", shared with writes


def _proxy_hops(value: str) -> int:
    from django.core.exceptions import ImproperlyConfigured

    try:
        hops = int(value.strip() or "0")
    except ValueError:
        hops = -1
    if hops < 0:
        raise ImproperlyConfigured(f"SOCIALFABRIC_TRUSTED_PROXIES must be how many proxies stand in front of the "
                                   f"server, 0 or more, not {value!r}.")
    return hops


# Behind a reverse proxy every request arrives from the proxy's address, so the lockout above and
# the signed-out write limit below would count everyone as one caller. This many proxies in front
# of the server (nginx or Caddy: 1) append the address they saw to X-Forwarded-For, and
# limits.client_ip takes the caller's address from that many entries before the header's end.
# 0, the default, ignores the header: any client can write one, and trusting a forged one would
# let an attacker pick a fresh address for every guess.
SOCIALFABRIC_TRUSTED_PROXIES = _proxy_hops(os.environ.get("SOCIALFABRIC_TRUSTED_PROXIES", "0"))
AXES_VERBOSE = False
# Writes: every unsafe request (web form posts and htmx actions, API POST/PUT/PATCH/DELETE) is
# counted per member (per address when signed out) over a sliding minute; past the limit the
# answer is 429 with Retry-After. "0" switches the limit off. The count lives in the "limits"
# cache: Redis when REDIS_URL is set (shared by every process and host), otherwise each server
# process's memory (the limit then holds per process: with N processes a member may make up to
# N times as many writes; the sign-in lockout above is in the database either way).
SOCIALFABRIC_WRITE_RATE = os.environ.get("SOCIALFABRIC_WRITE_RATE", "120/min")
# Bodies larger than this (bytes, without uploaded files) answer 413; a multipart upload may add
# one photo of SOCIALFABRIC_PHOTO_MAX_BYTES.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("SOCIALFABRIC_MAX_REQUEST_BYTES", str(1024 * 1024)))
# Per post, reply or edit: distinct @mentions and #topics it may carry.
SOCIALFABRIC_MAX_MENTIONS = int(os.environ.get("SOCIALFABRIC_MAX_MENTIONS", "20"))
SOCIALFABRIC_MAX_TOPICS = int(os.environ.get("SOCIALFABRIC_MAX_TOPICS", "10"))

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
# Serve the apps' static files straight from the package: no collectstatic step to run.
# (A deployment that runs collectstatic sets SOCIALFABRIC_STATIC_ROOT.)
STATIC_ROOT = os.environ.get("SOCIALFABRIC_STATIC_ROOT") or None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CSRF_FAILURE_VIEW = "socialfabric.web.views.plumbing.csrf_failure"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads it to send X-CSRFToken
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy on every response, in every profile (so development shows what
# production would block): scripts, styles, images and fonts only from this site, no inline
# script or style attribute, no plugins, no framing, forms post only here. Member content is
# sanitised Markdown already; this is the second wall if that ever fails. htmx's own indicator
# <style> is switched off in base.html's htmx-config; SVG charts use presentation attributes.
# `data:` images: the API docs' icons. SOCIALFABRIC_CSP_REPORT_URI sends violation reports.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        **({"report-uri": [os.environ["SOCIALFABRIC_CSP_REPORT_URI"]]}
           if os.environ.get("SOCIALFABRIC_CSP_REPORT_URI") else {}),
    },
}

# Limits documented in README: bodies are Markdown source.
# The external boundary (docs/security.md): false keeps external members to the people they
# share a readable community with and their own organisation; true opens the whole directory
# to them (never the units, levels and reporting lines).
SOCIALFABRIC_EXTERNALS_SEE_DIRECTORY = _bool("SOCIALFABRIC_EXTERNALS_SEE_DIRECTORY", False)
SOCIALFABRIC_MAX_BODY_CHARS = int(os.environ.get("SOCIALFABRIC_MAX_BODY_CHARS", "10000"))
SOCIALFABRIC_MAX_TITLE_CHARS = 200
SOCIALFABRIC_PAGE_SIZE = 20
# Search (docs/search.md): the text search language (a PostgreSQL configuration name; "english"
# also stems on SQLite; `socialfabric search rebuild` after a change), and how many of the newest
# matches a relevance-ordered search ranks.
SOCIALFABRIC_SEARCH_LANGUAGE = os.environ.get("SOCIALFABRIC_SEARCH_LANGUAGE", "english")
SOCIALFABRIC_SEARCH_RANK_WINDOW = int(os.environ.get("SOCIALFABRIC_SEARCH_RANK_WINDOW", "500"))
SOCIALFABRIC_MAX_PAGE_SIZE = 100

# Uploaded files (members' photos, as resized thumbnails) live here, beside the SQLite
# database: back the folder up with the database (docs/deploy.md). They are served by a view
# that checks who may see them (socialfabric.web.views.people.person_photo), never by
# whitenoise or the proxy, so there is no MEDIA_URL.
MEDIA_ROOT = Path(os.environ.get("SOCIALFABRIC_MEDIA_ROOT", "") or VAR_DIR / "media")
# A photo upload larger than this is refused before it is decoded; so is one whose header
# claims more pixels than SOCIALFABRIC_PHOTO_MAX_PIXELS (a "decompression bomb": a small
# file that would unpack into gigabytes). The proxy's body limit should be a little larger.
SOCIALFABRIC_PHOTO_MAX_BYTES = int(os.environ.get("SOCIALFABRIC_PHOTO_MAX_BYTES", str(5 * 1024 * 1024)))
SOCIALFABRIC_PHOTO_MAX_PIXELS = 40_000_000

# Members' "download my data" ZIPs wait here until their link expires (docs/governance.md);
# served by a view that checks the signed link and the owner, never by the proxy.
SOCIALFABRIC_EXPORTS_ROOT = Path(os.environ.get("SOCIALFABRIC_EXPORTS_ROOT", "") or VAR_DIR / "exports")
SOCIALFABRIC_EXPORT_DAYS = 7

# Files on posts and replies (docs/attachments.md): stored through Django's storage API in the
# "attachments" storage, a local folder by default (beside the photos; back it up with them),
# or an S3-compatible bucket with django-storages when SOCIALFABRIC_S3_BUCKET is set (private:
# the platform reads the objects and serves them through its access-checked view; no public or
# presigned URL is ever handed out). Limits: per file, per post, and pixels per image.
SOCIALFABRIC_ATTACHMENT_MAX_BYTES = int(os.environ.get("SOCIALFABRIC_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
SOCIALFABRIC_ATTACHMENTS_PER_POST = int(os.environ.get("SOCIALFABRIC_ATTACHMENTS_PER_POST", "5"))
SOCIALFABRIC_ATTACHMENT_MAX_PIXELS = 40_000_000
_S3_BUCKET = os.environ.get("SOCIALFABRIC_S3_BUCKET", "")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "attachments": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"bucket_name": _S3_BUCKET, "location": "attachments", "default_acl": "private",
                    "querystring_auth": True, "file_overwrite": True,
                    "endpoint_url": os.environ.get("SOCIALFABRIC_S3_ENDPOINT_URL") or None,
                    "region_name": os.environ.get("SOCIALFABRIC_S3_REGION") or None},
    } if _S3_BUCKET else {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(Path(os.environ.get("SOCIALFABRIC_ATTACHMENTS_ROOT", "")
                                         or MEDIA_ROOT / "attachments")), "base_url": None},
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# E-mail: EMAIL_URL (smtp://user:password@host:587?tls=true, smtps://…:465, or
# file:///folder); without one, messages are written as files under var/mail (make run).
# Every message is sent by a background job (socialfabric.mail).
def _email(url: str) -> dict:
    from urllib.parse import parse_qs, unquote, urlparse

    if not url:
        return {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                "EMAIL_FILE_PATH": str(VAR_DIR / "mail")}
    parts = urlparse(url)
    if parts.scheme == "file":
        return {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "EMAIL_FILE_PATH": parts.path}
    if parts.scheme not in ("smtp", "smtps"):
        raise RuntimeError(f"EMAIL_URL must start with smtp://, smtps:// or file://, not {parts.scheme}://")
    query = parse_qs(parts.query)
    return {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": parts.hostname or "localhost",
            "EMAIL_PORT": parts.port or (465 if parts.scheme == "smtps" else 25),
            "EMAIL_HOST_USER": unquote(parts.username or ""), "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
            "EMAIL_USE_SSL": parts.scheme == "smtps",
            "EMAIL_USE_TLS": query.get("tls", ["false"])[0].lower() in ("1", "true", "yes"), "EMAIL_TIMEOUT": 20}


globals().update(_email(os.environ.get("EMAIL_URL", "")))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Social Fabric <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Links in e-mail sent without a request at hand (invitations from the command line).
SOCIALFABRIC_SITE_URL = os.environ.get("SOCIALFABRIC_SITE_URL", "http://127.0.0.1:8000")
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600  # a reset or set-your-password link works for three days

# Background jobs: Django's Tasks API, run by `socialfabric worker` (docs/architecture.md).
# Insights reports are such jobs, never computed on a request. SOCIALFABRIC_TASKS picks where
# jobs wait: `db` (the default) in the database, written in the act's own transaction; `rq` on
# Redis at REDIS_URL (django-tasks' RQ backend), the scale-out path (docs/deploy.md). A misspelt
# choice or an unusable REDIS_URL stops every command at start with a readable message rather
# than leaving acts whose jobs go nowhere.
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
RQ_JOB_TIMEOUT = 3 * 3600  # on Redis a job running longer is stopped; none runs that long (a big report: minutes)


def _redis_url(url: str) -> str:
    """REDIS_URL checked, with connection timeouts added unless it gives its own: a Redis that
    does not answer fails an enqueue or /health within seconds instead of hanging a request."""
    import re
    from urllib.parse import parse_qs, urlparse

    from django.core.exceptions import ImproperlyConfigured

    shown = re.sub(r"//([^:/@]*):[^@/]*@", r"//\1:***@", url)  # never print the password
    parts = urlparse(url)
    problem = ""
    if parts.scheme not in ("redis", "rediss", "unix"):
        problem = "it must start with redis://, rediss:// (TLS) or unix://"
    elif parts.scheme == "unix":
        problem = "" if parts.path else "a unix:// address needs the socket's path"
    else:
        try:
            parts.port  # noqa: B018 (raises on a port that is not a number)
        except ValueError:
            problem = "the port must be a number from 1 to 65535"
        if not parts.hostname:
            problem = "it names no host"
        elif parts.path.strip("/") and not parts.path.strip("/").isdigit():
            problem = "the database number after the host must be a number, as in /0"
    if problem:
        raise ImproperlyConfigured(f"REDIS_URL {shown!r} cannot be used: {problem} "
                                   f"(for example {DEFAULT_REDIS_URL}).")
    given = parse_qs(parts.query)
    timeouts = [f"{k}={v}" for k, v in (("socket_connect_timeout", 5), ("socket_timeout", 10)) if k not in given]
    return f"{url}{'&' if parts.query else '?'}{'&'.join(timeouts)}" if timeouts else url


def _tasks(choice: str, redis_url: str) -> dict:
    from django.core.exceptions import ImproperlyConfigured

    kind = choice.strip().lower() or "db"
    if kind not in ("db", "rq"):
        raise ImproperlyConfigured(f"SOCIALFABRIC_TASKS must be db (jobs in the database, the default) or rq "
                                   f"(jobs on Redis at REDIS_URL), not {choice!r}.")
    if kind == "rq":
        redis_url = redis_url or DEFAULT_REDIS_URL
    backend = "socialfabric.jobs.redis_queue.RQBackend" if kind == "rq" else "django_tasks_db.DatabaseBackend"
    return {
        "SOCIALFABRIC_TASKS": kind,
        "REDIS_URL": redis_url,  # also checked by /health when set
        "TASKS": {"default": {"BACKEND": backend, "QUEUES": ["default"]}},
        # django-rq's queue settings, read by the RQ backend and `socialfabric worker` on rq.
        "RQ_QUEUES": {"default": {"URL": _redis_url(redis_url) if kind == "rq" else DEFAULT_REDIS_URL,
                                  "DEFAULT_TIMEOUT": RQ_JOB_TIMEOUT}},
        "RQ": {"WORKER_CLASS": "socialfabric.jobs.redis_queue.Worker"},
    }


globals().update(_tasks(os.environ.get("SOCIALFABRIC_TASKS", ""), os.environ.get("REDIS_URL", "")))

# The "limits" cache keeps the write counts (SOCIALFABRIC_WRITE_RATE above).
_LIMITS_REDIS = globals()["REDIS_URL"]  # set by _tasks just above
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "limits": ({"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _redis_url(_LIMITS_REDIS),
                "KEY_PREFIX": "sf-limits"} if _LIMITS_REDIS else
               {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "sf-limits"}),
}

# The scheduled refresh: every N hours (0: only on request), over the last N days.
SOCIALFABRIC_INSIGHTS_REFRESH_HOURS = float(os.environ.get("SOCIALFABRIC_INSIGHTS_REFRESH_HOURS", "24"))
SOCIALFABRIC_INSIGHTS_DAYS = int(os.environ.get("SOCIALFABRIC_INSIGHTS_DAYS", "365"))
# The key of the insights' pseudonyms (an HMAC of each person id): derived from SECRET_KEY
# unless given; set a new one to make old pseudonyms unlinkable to new ones.
SOCIALFABRIC_PSEUDONYM_KEY = os.environ.get("SOCIALFABRIC_PSEUDONYM_KEY", "")
