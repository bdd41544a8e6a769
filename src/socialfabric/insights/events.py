"""Append interaction events. Call inside the transaction of the act itself."""

from __future__ import annotations

from socialfabric.insights.models import InteractionEvent


def record(kind: str, actor_id: int, *, target_id: int | None = None, community_id: int | None = None,
           post_id: int | None = None, at=None) -> InteractionEvent:
    event = InteractionEvent(kind=kind, actor_id=actor_id, target_id=target_id,
                             community_id=community_id, post_id=post_id)
    if at is not None:
        event.created_at = at
    event.save()
    return event
