from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "socialfabric.web"
    label = "web"
