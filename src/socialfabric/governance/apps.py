from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "socialfabric.governance"
    label = "governance"
