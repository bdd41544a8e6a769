from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "socialfabric.org"
    label = "org"
    verbose_name = "Organisation"

    def ready(self) -> None:
        # Process-wide database housekeeping; org is the first of our apps to load.
        from socialfabric import sqlite

        sqlite.install()
