from django.apps import AppConfig


class AttachmentsConfig(AppConfig):
    name = "socialfabric.attachments"
    label = "attachments"

    def ready(self) -> None:
        from socialfabric.attachments import services

        services.connect()
