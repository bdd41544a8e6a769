"""Assertions shared by the service tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

ANY_FIELD = "__any__"


def failing_act(snapshot: Callable[[], dict[str, int]]) -> Callable:
    """A `fail(exc, fn, *args, field=..., **kwargs)` that calls fn expecting `exc` and asserts
    that the row counts in `snapshot()` did not change: a failed act writes nothing."""

    def fail(exc: type[Exception], fn, *args, field: str | None = ANY_FIELD, **kwargs):
        before = snapshot()
        with pytest.raises(exc) as info:
            fn(*args, **kwargs)
        assert snapshot() == before, "a failed act left rows behind"
        if field != ANY_FIELD:
            assert info.value.field == field
        return info.value

    return fail


def login(member):
    """A test client signed in as `member` (no password round trip)."""
    from django.test import Client

    client = Client()
    client.force_login(member)
    return client


def run_jobs() -> None:
    """Run the queued background jobs (e-mail among them) as `socialfabric worker --batch` does."""
    from django.core.management import call_command

    call_command("worker", "--batch", "--interval", "0")
