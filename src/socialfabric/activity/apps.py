from django.apps import AppConfig


class ActivityConfig(AppConfig):
    name = "socialfabric.activity"
    label = "activity"
    verbose_name = "Activity stream"
