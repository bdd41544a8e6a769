"""Shared fixtures: a small organisation built through the services."""

from __future__ import annotations

import itertools

import pytest

from socialfabric.communities import services as communities
from socialfabric.org.models import Member, Unit
from tests.helpers import login

_seq = itertools.count(1)


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """Real hashing is deliberately slow; tests make hundreds of members."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_write_limits(settings):
    """Each test counts writes in its own empty "limits" cache (local memory, even when REDIS_URL
    is set), at the default rate: no count carries over from an earlier test (tests/test_limits.py)."""
    settings.CACHES = {**settings.CACHES, "limits": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                                     "LOCATION": f"limits-{next(_seq)}"}}


@pytest.fixture
def make_member(db):
    def make(handle: str | None = None, *, stakeholder: str = "employee", unit: Unit | None = None,
             level: int | None = 3, password: str | None = "correct-horse-battery", **extra) -> Member:
        handle = handle or f"member{next(_seq)}"
        return Member.objects.create_user(handle, f"{handle}@example.org", password, name=handle.title(),
                                          stakeholder=stakeholder, unit=unit, level=level, **extra)
    return make


@pytest.fixture
def unit(db) -> Unit:
    return Unit.objects.create(name="Engineering", slug="engineering")


@pytest.fixture
def alice(make_member, unit) -> Member:
    return make_member("alice", unit=unit, level=2)


@pytest.fixture
def bob(make_member, unit) -> Member:
    return make_member("bob", unit=unit, level=3)


@pytest.fixture
def carol(make_member) -> Member:
    return make_member("carol", stakeholder="customer", organisation="Acme Ltd")


@pytest.fixture
def open_community(alice, bob):
    c = communities.create_community(alice, name="Product Ideas", purpose="Ideas for the product")
    communities.join(bob, c)
    return c


@pytest.fixture
def as_alice(alice):
    return login(alice)


@pytest.fixture
def as_bob(bob):
    return login(bob)


@pytest.fixture
def two_units_talking(alice, bob, make_member, open_community) -> list[Member]:
    """Bob's unit and a Sales unit of four talking in an open community: enough for an insights
    report. The Sales people are returned."""
    from socialfabric.conversations import services as conv

    sales = Unit.objects.create(name="Sales", slug="sales")
    people = [make_member(f"seller{i}", unit=sales, level=3) for i in range(4)]
    for p in people:
        communities.join(p, open_community)
    root = conv.create_post(bob, open_community, title="Ship faster?", body="How? @alice")
    for p in people:
        reply = conv.create_reply(p, root.id, body="Smaller batches.")
        conv.react(alice, reply.id, "like")
    conv.create_reply(alice, root.id, body="Agreed.")
    return people


@pytest.fixture
def secret_community(alice):
    return communities.create_community(alice, name="Merger Talks", visibility="secret")


@pytest.fixture(scope="module")
def browser():
    """One headless Debian Chromium per browser-test module (see tests/browser.py), whose
    pages report Content-Security-Policy violations (checked after every test)."""
    from playwright.sync_api import sync_playwright

    from tests.browser import ARGS, CHROMIUM, CspWatchedBrowser

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield CspWatchedBrowser(b)
        b.close()


@pytest.fixture(autouse=True)
def _no_csp_violations(request):
    """A browser test fails when the page broke the site's Content-Security-Policy: what
    the policy blocks (an inline style, a script) is silently missing for real users."""
    if "browser" not in request.fixturenames:
        yield
        return
    watched = request.getfixturevalue("browser")
    watched.csp_violations.clear()
    yield
    assert not watched.csp_violations, "\n".join(watched.csp_violations)


class Inbox:
    """What a real SMTP server (aiosmtpd, started by the `smtp` fixture) received."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        import email
        from email import policy

        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp(settings):
    """A real SMTP server on a free local port, and Django's SMTP backend pointed at it."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.DEFAULT_FROM_EMAIL = "Social Fabric <noreply@northwind.example>"
    yield inbox
    controller.stop()
