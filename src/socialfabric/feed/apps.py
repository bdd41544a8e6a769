from django.apps import AppConfig


class FeedConfig(AppConfig):
    name = "socialfabric.feed"
    label = "feed"
