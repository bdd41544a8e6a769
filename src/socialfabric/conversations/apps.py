from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "socialfabric.conversations"
    label = "conversations"
