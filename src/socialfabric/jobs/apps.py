from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "socialfabric.jobs"
    label = "jobs"
    verbose_name = "Background jobs"
