from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "socialfabric.org"
    label = "org"
    verbose_name = "Organisation"
