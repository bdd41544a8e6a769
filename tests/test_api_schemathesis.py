"""Property-based fuzzing of the whole API from its own OpenAPI document: no input gets a 5xx.

Schemathesis loads /api/v1/openapi.json from the Django WSGI app in-process and generates
requests for every operation (valid and invalid: wrong types, missing fields, odd text,
huge numbers). Each request is sent twice with a token: as generated, and again with its
path parameters pointing at real objects (a community, a post, a member...), so that the
generated bodies and queries also reach the services rather than stopping at a 404.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from socialfabric.communities import services as communities
from socialfabric.conversations import services as conv
from socialfabric.insights import services as insights
from socialfabric.org import services as org

# Django's bare WSGI handler: the application under test, without a server around it.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())

# Bounded: about 40 operations x (coverage phase + this many fuzzed examples) x 2 calls.
MAX_EXAMPLES = 5


@dataclass
class Fuzzed:
    headers: dict[str, str]
    main_token_id: int
    spare_token_id: int
    real: dict[str, object]


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


@pytest.fixture
def fuzz_world(alice, bob, make_member, unit, open_community, secret_community) -> Fuzzed:
    dave = make_member("dave")
    closed = communities.create_community(alice, name="Board", visibility="closed")
    question = conv.create_post(alice, open_community, kind="question", title="Why?", body="Tell me #fuzz")
    reply = conv.create_reply(bob, question.id, body="Because")
    conv.create_reply(alice, reply.id, body="Thanks @bob")
    conv.react(bob, question.id, "like")
    conv.create_post(alice, secret_community, body="Hidden #fuzz")
    pending = communities.request_to_join(dave, closed)
    org.follow(bob, alice)
    # An analyst, so that the insights operations reach their services too.
    alice.is_analyst = True
    alice.save(update_fields=["is_analyst"])
    report = insights.request_report(alice, insights.parse_request(window="quarter"))
    main, plain = org.create_token(alice, "fuzzing")
    spare, _ = org.create_token(alice, "spare")
    real = {"slug": open_community.slug, "handle": "bob", "post_id": question.id, "request_id": pending.id,
            "token_id": spare.id, "name": "fuzz", "report_id": report.id}
    return Fuzzed({"Authorization": f"Bearer {plain}"}, main.id, spare.id, real)


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_input_gets_a_server_error(case, fuzz_world):
    params = dict(case.path_parameters or {})
    if str(params.get("token_id")) == str(fuzz_world.main_token_id):
        params["token_id"] = fuzz_world.spare_token_id  # keep the token this test runs on
        case.path_parameters = params
    case.call_and_validate(headers=fuzz_world.headers, checks=[not_a_server_error])
    if params:
        real = dict(fuzz_world.real)
        if case.path.startswith("/api/v1/units/"):
            real["slug"] = "engineering"
        case.path_parameters = {key: real.get(key, value) for key, value in params.items()}
        case.call_and_validate(headers=fuzz_world.headers, checks=[not_a_server_error])
