from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "socialfabric.governance"
    label = "governance"

    def ready(self) -> None:
        from socialfabric import jobs
        from socialfabric.governance import retention

        jobs.on_worker_start(retention.start_retention)
