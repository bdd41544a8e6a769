from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "socialfabric.org"
    label = "org"
    verbose_name = "Organisation"

    def ready(self) -> None:
        # Process-wide database housekeeping; org is the first of our apps to load.
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from socialfabric import sqlite

        sqlite.install()
        # Sign-in and sign-out are acts too: Django's auth views announce them by signal.
        user_logged_in.connect(_signed_in, dispatch_uid="socialfabric.org.signed_in")
        user_logged_out.connect(_signed_out, dispatch_uid="socialfabric.org.signed_out")


def _signed_in(sender, request, user, **kwargs) -> None:
    from socialfabric.org import services

    services.signed_in(user)


def _signed_out(sender, request, user, **kwargs) -> None:
    from socialfabric.org import services

    if user is not None and user.is_authenticated:  # signing out when signed out already
        services.signed_out(user)
