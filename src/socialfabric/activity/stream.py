"""Record acts in their transaction; tell subscribed consumers after it commits."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction

if TYPE_CHECKING:
    from socialfabric.activity.models import Activity

log = logging.getLogger(__name__)

ANY = "*"
Handler = Callable[["Activity"], None]
_handlers: dict[str, list[Handler]] = defaultdict(list)


def subscribe(verb: str, handler: Handler) -> None:
    """Call `handler(activity)` after each committed act with this verb (ANY: every act).

    Handlers run after the commit, in the process that made the act; one that fails is
    logged and does not stop the others (or undo the act). Slow work belongs in a
    background job queued by the handler.
    """
    if handler not in _handlers[verb]:
        _handlers[verb].append(handler)


def unsubscribe(verb: str, handler: Handler) -> None:
    if handler in _handlers.get(verb, []):
        _handlers[verb].remove(handler)


@contextmanager
def subscribed(verb: str, handler: Handler) -> Iterator[None]:
    """Subscribe for the duration of a block (tests, one-off listeners)."""
    subscribe(verb, handler)
    try:
        yield
    finally:
        unsubscribe(verb, handler)


def _dispatch(activity: Activity) -> None:
    for handler in [*_handlers.get(activity.verb, ()), *_handlers.get(ANY, ())]:
        try:
            handler(activity)
        except Exception:  # a consumer's bug must not break the act or the other consumers
            log.exception("activity consumer %r failed on %s", handler, activity)


def record(verb: str, actor: Any = None, *, object_type: str = "", object_id: int | None = None,
           target: Any = None, community_id: int | None = None, details: dict | None = None,
           at: datetime | None = None) -> Activity:
    """Append one act to the stream. Call it inside the act's transaction, so that the act
    and its record are written together or not at all.

    `actor` and `target` are members or member ids (None for the system / nobody).
    """
    from socialfabric.activity import chain
    from socialfabric.activity.models import Activity  # the package is imported before models are ready

    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("activity.record must run inside the act's transaction")
    activity = Activity(verb=verb, actor_id=_id(actor), object_type=object_type, object_id=object_id,
                        target_id=_id(target), community_id=community_id, details=details or {})
    if at is not None:
        activity.created_at = at
    chain.append(activity)  # its id and hash, chained to the record before
    if _handlers.get(verb) or _handlers.get(ANY):
        transaction.on_commit(lambda: _dispatch(activity))
    return activity


def _id(who: Any) -> int | None:
    if who is None or isinstance(who, int):
        return who
    return who.pk
