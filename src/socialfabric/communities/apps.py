from django.apps import AppConfig


class CommunitiesConfig(AppConfig):
    name = "socialfabric.communities"
    label = "communities"
