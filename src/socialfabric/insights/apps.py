from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "socialfabric.insights"
    label = "insights"
