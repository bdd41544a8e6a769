from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "socialfabric.insights"
    label = "insights"

    def ready(self) -> None:
        from socialfabric import activity
        from socialfabric.activity.models import Verb
        from socialfabric.insights import worker

        # A queued report wakes this process's worker once the request commits.
        activity.subscribe(Verb.REQUEST_REPORT, worker.on_report_requested)
