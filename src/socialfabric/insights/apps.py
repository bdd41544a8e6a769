from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "socialfabric.insights"
    label = "insights"

    def ready(self) -> None:
        from socialfabric import jobs
        from socialfabric.insights import services

        # The scheduled refresh is a chain of jobs; a starting worker makes sure one exists.
        jobs.on_worker_start(services.start_refresh)
