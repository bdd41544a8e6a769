"""The activity stream: the append-only record of every act on the platform.

Services record acts with `record(...)` inside the act's own transaction; consumers
(insights, notifications, search, webhooks, audit) `subscribe(verb, handler)` and are told
after the transaction commits, never for an act that rolled back. See docs/architecture.md.
"""

from socialfabric.activity.stream import ANY, record, subscribe, subscribed, unsubscribe

__all__ = ["ANY", "record", "subscribe", "subscribed", "unsubscribe"]
