"""Property-based fuzzing of the whole API from its own OpenAPI document, as five callers.

Schemathesis loads /api/v1/openapi.json from the Django WSGI app in-process and generates
requests for every operation (valid and invalid: wrong types, missing fields, odd text,
huge numbers). Every operation is fuzzed as each of five callers: an analyst with a token
(who owns the communities), nobody (no credentials), a signed-in session sending the CSRF
token on writes, a customer of an outside organisation with a token, and an employee who
belongs to no community, with a token. Each request is sent twice: as generated, and again
with its path parameters pointing at real objects (a community, a post, a member...), so that
the generated bodies and queries also reach the services rather than stopping at a 404.

Every answer must keep the document's promises, not only avoid a 5xx: its status is one the
operation declares, its content type and body match what is declared for that status, and
so do its declared headers (Retry-After on a 429).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from socialfabric.communities import services as communities
from socialfabric.conversations import services as conv
from socialfabric.insights import services as insights
from socialfabric.limits import SAFE_METHODS
from socialfabric.org import services as org
from socialfabric.org.models import Member

# Django's bare WSGI handler: the application under test, without a server around it.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
# The callers below sign their own requests; left on, schemathesis would add made-up tokens
# and session cookies from the security schemes, and "anonymous" would not be.
schema.config.generation.update(with_security_parameters=False)

# Bounded: about 50 operations x 5 callers x (coverage phase + this many fuzzed examples) x 2 calls.
MAX_EXAMPLES = 3

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]

CALLERS = ["analyst", "anonymous", "session", "customer", "loner"]


@dataclass
class Caller:
    """How one caller signs its requests, and the real objects its second call points at."""

    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str | None = None  # sent as X-CSRFToken on unsafe methods, as a session client must
    real: dict[str, object] = field(default_factory=dict)

    def headers_for(self, method: str) -> dict[str, str]:
        if self.csrf is not None and method.upper() not in SAFE_METHODS:
            return {**self.headers, "X-CSRFToken": self.csrf}
        return self.headers


@dataclass
class Fuzzed:
    callers: dict[str, Caller]
    # Tokens the callers run on, each mapped to a spare: a generated DELETE /tokens/{id} must not
    # revoke the token the rest of the test needs.
    kept_tokens: dict[str, int]


@pytest.fixture(autouse=True)
def keep_test_connection():
    """Schemathesis calls the WSGI app directly, which would close the database connection
    at the end of each request and with it the test's transaction (Django's test client
    disconnects this handler the same way)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _with_token(member: Member, kept: dict[str, int], real: dict[str, object]) -> Caller:
    main, plain = org.create_token(member, "fuzzing")
    spare, _ = org.create_token(member, "spare")
    kept[str(main.id)] = spare.id
    return Caller(headers={"Authorization": f"Bearer {plain}"}, real={**real, "token_id": spare.id})


def _signed_in(member: Member, real: dict[str, object]) -> Caller:
    """The web session's cookies and the CSRF token that `GET /api/v1/csrf` hands out."""
    client = Client()
    client.force_login(member)
    answer = client.get("/api/v1/csrf")
    # The test client connects close_old_connections again after its request: undo that, or the
    # fuzzed requests below close the test's connection (PostgreSQL) in the middle of its transaction.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    assert answer.status_code == 200, answer.content
    csrf = answer.json()["csrf_token"]
    cookies = {name: morsel.value for name, morsel in client.cookies.items()}
    assert {"sessionid", "csrftoken"} <= set(cookies), cookies
    return Caller(cookies=cookies, csrf=csrf, real=real)


@pytest.fixture
def fuzz_world(alice, bob, make_member, unit, open_community, secret_community) -> Fuzzed:
    dave = make_member("dave")
    cora = make_member("cora", stakeholder="customer", organisation="Acme Ltd")
    erin = make_member("erin")  # an employee in no community
    closed = communities.create_community(alice, name="Board", visibility="closed")
    # A community customers may read and join, so that the customer's calls reach the services.
    clients = communities.create_community(alice, name="Client Corner", audience="mixed",
                                           external_kinds=["customer"])
    communities.join(cora, clients)
    question = conv.create_post(alice, open_community, kind="question", title="Why?", body="Tell me #fuzz")
    reply = conv.create_reply(bob, question.id, body="Because")
    conv.create_reply(alice, reply.id, body="Thanks @bob")
    conv.react(bob, question.id, "like")
    conv.create_post(alice, secret_community, body="Hidden #fuzz")
    asked = conv.create_post(cora, clients, kind="question", title="When?", body="Shipping dates #fuzz")
    pending = communities.request_to_join(dave, closed)
    org.follow(bob, alice)
    # An analyst, so that the insights operations reach their services too.
    alice.is_analyst = True
    alice.save(update_fields=["is_analyst"])
    report = insights.request_report(alice, insights.parse_request(window="quarter"))
    real = {"slug": open_community.slug, "handle": "bob", "post_id": question.id, "request_id": pending.id,
            "name": "fuzz", "report_id": report.id}
    kept: dict[str, int] = {}
    callers = {
        "analyst": _with_token(alice, kept, real),
        "anonymous": Caller(real=real),
        "session": _signed_in(bob, real),
        "customer": _with_token(cora, kept, {**real, "slug": clients.slug, "handle": "alice",
                                             "post_id": asked.id}),
        "loner": _with_token(erin, kept, real),
    }
    return Fuzzed(callers, kept)


@pytest.mark.parametrize("who", CALLERS)
@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_every_answer_keeps_the_document(case, fuzz_world, who):
    caller = fuzz_world.callers[who]
    params = dict(case.path_parameters or {})
    spare = fuzz_world.kept_tokens.get(str(params.get("token_id")))
    if spare is not None:
        params["token_id"] = spare  # keep the tokens this test runs on
        case.path_parameters = params
    headers = caller.headers_for(case.method)
    case.call_and_validate(headers=headers, cookies=caller.cookies, checks=CHECKS)
    if params:
        real = dict(caller.real)
        if case.path.startswith("/api/v1/units/"):
            real["slug"] = "engineering"
        case.path_parameters = {key: real.get(key, value) for key, value in params.items()}
        case.call_and_validate(headers=headers, cookies=caller.cookies, checks=CHECKS)
