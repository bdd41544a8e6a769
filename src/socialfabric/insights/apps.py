from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "socialfabric.insights"
    label = "insights"

    def ready(self) -> None:
        from socialfabric import jobs
        from socialfabric.governance import rights
        from socialfabric.insights import services

        # The scheduled refresh is a chain of jobs; a starting worker makes sure one exists.
        jobs.on_worker_start(services.start_refresh)
        # Stored reports list people by handle: an erased person's old one goes from them.
        rights.on_erase(services.forget_handle)
