"""What base.html needs on every page: the bell's unread count, counted only if the page shows it."""

from __future__ import annotations

from functools import cached_property

from django.http import HttpRequest


class Bell:
    def __init__(self, request: HttpRequest) -> None:
        self.request = request

    @cached_property
    def count(self) -> int:
        from socialfabric.notifications import services

        user = getattr(self.request, "user", None)
        return (services.unread_count(user, services.BELL_MOST)
                if user is not None and user.is_authenticated else 0)


def bell(request: HttpRequest) -> dict:
    return {"bell": Bell(request)}
