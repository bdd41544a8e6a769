"""What base.html needs on every page: the bell's unread count, counted only if the page shows it,
and the policy a member still has to accept (asked only if the page shows the notice)."""

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


class PolicyNotice:
    def __init__(self, request: HttpRequest) -> None:
        self.request = request

    @cached_property
    def pending(self):
        """The organisation's policy version this member has yet to accept, or None."""
        from socialfabric.governance import services

        user = getattr(self.request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        missing = services.to_accept(user)
        return missing[0] if missing else None


def policy(request: HttpRequest) -> dict:
    return {"policy_notice": PolicyNotice(request)}


class Queues:
    """The header's queue links and counts, for moderators, staff and compliance officers; each
    asked only when the page shows it."""

    def __init__(self, request: HttpRequest) -> None:
        self.user = getattr(request, "user", None)

    @cached_property
    def moderates(self) -> bool:
        from socialfabric import access

        user = self.user
        return bool(user is not None and user.is_authenticated
                    and (user.is_staff or access.moderated_community_ids(user)))

    @cached_property
    def moderation(self) -> int:
        from socialfabric.governance import moderation

        return moderation.waiting_count(self.user) if self.moderates else 0

    @cached_property
    def approvals(self) -> int:
        from socialfabric.governance import signoff

        return signoff.waiting_count(self.user) if self.user is not None else 0


def queues(request: HttpRequest) -> dict:
    return {"queues": Queues(request)}
