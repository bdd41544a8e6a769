"""Settings profiles: `socialfabric.settings` is the local (development) profile; a deployment
sets DJANGO_SETTINGS_MODULE=socialfabric.settings.production (docs/architecture.md)."""

from socialfabric.settings.base import *  # noqa: F403
