"""The local profile (the default): DEBUG from the environment, on unless said otherwise, and
only ever for this machine. A deployment uses socialfabric.settings.production."""

from socialfabric.settings.base import *  # noqa: F403
from socialfabric.settings.base import ALLOWED_HOSTS, DEBUG, DEV_SECRET_KEY, LOCAL_HOSTS, SECRET_KEY

if not DEBUG and SECRET_KEY == DEV_SECRET_KEY:
    raise RuntimeError("SECRET_KEY must be set when DEBUG is off")
if DEBUG and not set(ALLOWED_HOSTS) <= LOCAL_HOSTS:
    # The debug pages show settings and tracebacks: never to anyone but this machine.
    raise RuntimeError(f"DEBUG is on with non-local ALLOWED_HOSTS {ALLOWED_HOSTS}: "
                       "use the production profile (socialfabric.settings.production) to serve others")
