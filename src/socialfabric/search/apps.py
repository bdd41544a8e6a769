from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "socialfabric.search"
    label = "search"

    def ready(self) -> None:
        from socialfabric.search import consumer

        consumer.connect()
