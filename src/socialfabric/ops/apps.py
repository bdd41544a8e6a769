from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "socialfabric.ops"
    label = "ops"
    verbose_name = "Operations"
