from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "socialfabric.notifications"
    label = "notifications"

    def ready(self) -> None:
        from socialfabric import jobs
        from socialfabric.notifications import consumer, mailing

        consumer.connect()
        jobs.on_worker_start(mailing.start_digests)
