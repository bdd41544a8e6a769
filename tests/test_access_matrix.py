"""The access matrix: every role x every kind of community x every path, against a written table.

Issue 9 point 8. The organisation is tests/access_world.py: ten roles, and one community of
each visibility (open, closed, secret) x audience (internal, mixed), each holding a question
with a reply, a topic, a resident (a member of that community only) and, if closed, a request
to join.

The expected answers are written out below, not computed from access.py:
- GRID says, per role and kind of community, what the role may do there (letters);
- ROLE_FLAGS says what the role is (signed in, employee, analyst, staff...);
- WEB and API give every URL pattern and every API operation one row: what it acts on and
  its answer as "the first of these that holds" (letters -> status).
A new URL pattern or API operation without a row fails `test_every_path_has_a_row`.

Besides the status, every answer a role gets is searched for what it must not see: the name
of a community it may not know of, the question and reply of a community it may not read.
Lists (home feed, communities, directory...) must show exactly what the role may see.
Writes run inside a transaction that is rolled back, so each row sees the same world.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from socialfabric.api.app import api
from tests import access_world
from tests.access_world import KINDS, ROLES, Place, World

# --- the table ----------------------------------------------------------------------------
#
# What a role may do in a community of each kind:
#   s  knows it exists (its page; its name in lists)      r  reads its posts
#   b  belongs to it (its threads reach the home feed)     w  writes there: starts threads, replies
#   m  moderates it                                        o  owns it: grants and removes roles
#   a  asked its question (is the author)                  p  may see its resident, a member of it only
#   j  may join it at once                                 q  may ask to join it
GRID = """
role       open-internal  open-mixed  closed-internal  closed-mixed  secret-internal  secret-mixed
anonymous  .              .           .                .             .                .
employee   srpj           srpj        spq              spq           p                p
member     srbwap         srbwap      srbwap           srbwap        srbwap           srbwap
moderator  srbwmp         srbwmp      srbwmp           srbwmp        srbwmp           srbwmp
owner      srbwmop        srbwmop     srbwmop          srbwmop       srbwmop          srbwmop
customer   .              srbwp       .                srbwp         .                srbwp
partner    .              srpj        .                sq            .                .
supplier   .              .           .                .             .                .
analyst    srpj           srpj        spq              spq           p                p
staff      srwmopj        srwmopj     srwmopjq         srwmopjq      srwmopjq         srwmopjq
compliance srpj           srpj        spq              spq           p                p
"""
# What a role is, whatever the community:
#   i  signed in          e  an employee (sees the company's units and levels, creates communities)
#   v  invites people (staff; owners, to their communities)
#   n  sees the insights  t  staff (the staff area, deactivating accounts)
#   d  moderates somewhere (has a moderation queue)   c  signs off posts (compliance officers, staff)
ROLE_FLAGS = {"anonymous": "", "employee": "ie", "member": "ie", "moderator": "ied", "owner": "ievd",
              "customer": "i", "partner": "i", "supplier": "i", "analyst": "ien", "staff": "ievntdc",
              "compliance": "iec"}

SIGN_IN = "sign in"  # a page: 302 to /signin/?next=...; the API: 401


@dataclass(frozen=True)
class Row:
    """One path. `on`: what its arguments point at ("-": nothing of a community; otherwise
    "community", "question", "reply", "topic", "resident" or "request" of each kind). `answers`:
    (letters, status) pairs, the first whose letters all hold giving the answer ("" always holds).
    `lists`: (letter, marker) for a list, which must show a place's marker exactly when the letter
    holds. `public`: answers a visitor too (otherwise: sign in first). `query`: a query string
    for the address, its {placeholders} filled like the path's (a search's words and filters)."""

    method: str
    on: str
    answers: tuple[tuple[str, object], ...]
    data: dict | None = None
    lists: tuple[str, str] | None = None
    public: bool = False
    query: str = ""


def ok(status: object = 200, **kw) -> Row:
    return Row(kw.pop("method", "GET"), kw.pop("on", "-"), (("", status),), **kw)


def only(letters: str, status: object, otherwise: object, *, method: str = "GET", on: str = "-", **kw) -> Row:
    return Row(method, on, ((letters, status), ("", otherwise)), **kw)


def read(status: object = 200, *, method: str = "GET", on: str = "question", **kw) -> Row:
    """Readers get `status`; those who know the community exists 403; the rest 404, as if nothing were there."""
    return Row(method, on, (("r", status), ("s", 403), ("", 404)), **kw)


def moderate(status: object, *, method: str = "POST", on: str = "community", letters: str = "m", **kw) -> Row:
    return Row(method, on, ((letters, status), ("s", 403), ("", 404)), **kw)


POST = "POST"
WEB: dict[str, Row] = {
    "health": ok(public=True),
    "oidc_authentication_init": ok(404, public=True),  # single sign-on is off unless configured
    "oidc_authentication_callback": ok(404, public=True),
    "web:signin": Row("GET", "-", (("i", 302), ("", 200)), public=True),  # signed in already: to the home page
    "web:invite": only("v", 200, 403),
    "web:invitation": ok(404, public=True),  # a link that is not a signed invitation
    "web:signout": ok(302, method=POST, public=True),
    "web:password_reset": ok(public=True),
    "web:password_reset_done": ok(public=True),
    "web:password_reset_confirm": ok(public=True),  # says the link is not valid
    "web:password_reset_complete": ok(public=True),
    "web:password_change": ok(),
    "web:password_change_done": ok(302, public=True),  # to the tokens page, which asks to sign in
    "web:home": ok(lists=("b", "question")),
    "web:communities": ok(lists=("s", "community")),
    "web:community": Row("GET", "community", (("s", 200), ("", 404)), lists=("r", "question")),
    "web:community_join": Row(POST, "community", (("b", 409), ("j", 302), ("s", 403), ("", 404))),
    "web:community_leave": Row(POST, "community", (("bo", 409), ("b", 302), ("s", 409), ("", 404))),
    "web:community_request": Row(POST, "community", (("b", 409), ("q", 302), ("j", 400), ("s", 409), ("", 404))),
    "web:community_decide": moderate(302, on="request", data={"decision": "approve"}),
    "web:community_add_member": moderate(302, data={"handle": "newcomer", "role": "member"}),
    "web:post": read(lists=("r", "question")),
    "web:post_reply": Row(POST, "question", (("w", 302), ("s", 403), ("", 404)), data={"body": "Me too"}),
    "web:post_react": read(302, method=POST, data={"op": "add:like"}),
    "web:post_accept": Row(POST, "question", (("ra", 302), ("rm", 302), ("s", 403), ("", 404)),
                           data={"answer": "<reply>"}),
    "web:post_edit": Row("GET", "question", (("a", 200), ("s", 403), ("", 404))),
    "web:post_remove": Row(POST, "question", (("a", 302), ("m", 302), ("s", 403), ("", 404))),
    "web:people": ok(lists=("p", "resident")),
    "web:person": only("p", 200, 404, on="resident"),
    "web:person_follow": only("p", 302, 404, method=POST, on="resident"),
    "web:person_unfollow": only("p", 409, 404, method=POST, on="resident"),  # one who does not follow them
    "web:person_deactivate": Row(POST, "resident", (("t", 302), ("p", 403), ("", 404))),
    "web:person_photo": only("p", 200, 404, on="resident"),
    "web:unit": only("e", 200, 404),
    "web:topic": only("r", 200, 404, on="topic", lists=("r", "question")),
    # Search: "Asked" is in every question's body; a community's filter answers like its page.
    "web:search": Row("GET", "community", (("s", 200), ("", 404)), lists=("r", "question"),
                      query="q=Asked&community={slug}"),
    "web:insights": only("n", 200, 403),
    "web:insights_guide": only("n", 200, 403),
    "web:insights_request": only("n", 302, 403, method=POST, data={"window": "month"}),
    "web:insights_report": only("n", 200, 403),
    "web:insights_status": only("n", 302, 403),  # the report is ready: to its page
    "web:insights_html": only("n", 200, 403),
    "web:insights_json": only("n", 200, 403),
    "web:profile_edit": ok(),
    "web:staff": only("t", 200, 403),
    "web:staff_people": only("t", 200, 403),
    "web:staff_person": only("t", 200, 403),
    "web:staff_deactivate": only("t", 302, 403, method=POST),
    "web:staff_reactivate": only("t", 409, 403, method=POST),  # the newcomer is active
    "web:staff_role": only("t", 302, 403, method=POST, data={"role": "analyst", "grant": "1"}),
    "web:staff_erase": only("t", 302, 403, method=POST, data={"confirm": "newcomer"}),
    "web:staff_password_link": only("t", 302, 403, method=POST),
    "web:staff_token_revoke": only("t", 302, 403, method=POST),
    "web:staff_invitations": only("t", 200, 403),
    "web:staff_invitation_resend": only("t", 302, 403, method=POST),
    "web:staff_invitation_revoke": only("t", 302, 403, method=POST),
    "web:staff_communities": only("t", 200, 403),
    "web:tokens": ok(),
    "web:my_data": ok(),
    "web:my_data_download": ok(404),  # a link that is not one of the member's
    # Notifications: each role has one about every place's question; only readable ones show.
    "web:notifications": ok(lists=("r", "question")),
    "web:notifications_bell": ok(),
    "web:notification": Row("GET", "question", (("r", 302), ("", 404))),  # to the thread, or as if none
    "web:notifications_read_all": ok(302, method=POST),
    "web:notification_settings": ok(),
    "web:community_watch": read(302, method=POST, on="community", data={"level": "watching"}),
    "web:topic_watch": only("r", 302, 404, method=POST, on="topic"),
    "web:feed_news": ok(302),  # not from htmx: to the home page
    "web:unsubscribe": ok(404, public=True),  # a link that is not signed
    "web:token_revoke": ok(404, method=POST),  # someone else's token: as if there were none
    # The policy: everyone signed in reads and accepts it; staff publish; a community's guidelines
    # to who may know the community.
    "web:policy": ok(),
    "web:policy_accept": ok(302, method=POST, data={"policy": "<policy>"}),
    "web:staff_policy": only("t", 200, 403),
    "web:community_guidelines": Row("GET", "community", (("s", 200), ("", 404))),
    # Moderation (issue 11): anyone who reads flags, once and not their own; a community's queue to its
    # moderators; the queue of all one moderates to who moderates somewhere.
    "web:post_flag": Row(POST, "question", (("a", 409), ("r", 302), ("s", 403), ("", 404)),
                         data={"reason": "spam"}),
    "web:post_moderate": moderate(302, on="question", data={"action": "warn", "reason": "Be civil"}),
    "web:moderation": only("d", 200, 403, lists=("m", "question")),
    "web:community_moderation": moderate(200, method="GET", lists=("m", "question")),
    "web:suspension_lift": ok(404, method=POST),  # no such suspension
    "web:staff_watched_words": only("t", 200, 403),
    "web:staff_watched_word_remove": only("t", 404, 403, method=POST),  # no such word
    "web:staff_audit": only("t", 200, 403),
    "web:staff_audit_export": only("t", 200, 403),
    # Retention and legal hold: staff and compliance officers ("c"). An unknown handle, rule or
    # hold answers 404 to them (the form again, with the error), 403 to everyone else.
    "web:staff_retention": only("c", 200, 403),
    "web:staff_retention_rule": only("c", 302, 403, method=POST, data={"days": "30"}),
    "web:staff_retention_rule_remove": only("c", 404, 403, method=POST),
    "web:staff_hold": only("c", 404, 403, method=POST, data={"on": "member", "target": "nobody", "reason": "Case"}),
    "web:staff_hold_lift": only("c", 404, 403, method=POST),
    "web:staff_retention_run": only("c", 302, 403, method=POST),
    # Sign-off: the rule to who may see the community; deciding to compliance officers (the
    # question waits for nothing: 404), refused to everyone else before anything is looked up.
    "web:community_approval": Row("GET", "community", (("s", 200), ("", 404))),
    "web:approvals": only("c", 200, 403),
    "web:post_sign_off": Row(POST, "question", (("c", 404), ("", 403)), data={"decision": "approve"}),
    # Files: to readers of their post only; to anyone else as if there were none (not even 403).
    "web:attachment": Row("GET", "question", (("r", 200), ("", 404))),
    "web:attachment_preview": Row("GET", "question", (("r", 200), ("", 404))),
}

V1 = "/api/v1"
API: dict[tuple[str, str], Row] = {
    ("GET", f"{V1}/csrf"): ok(public=True),
    ("GET", f"{V1}/me"): ok(),
    ("PATCH", f"{V1}/me"): ok(data={"bio": "Hello"}),
    ("POST", f"{V1}/me/photo"): ok(422),  # no file in the request
    ("DELETE", f"{V1}/me/photo"): ok(),
    ("GET", f"{V1}/members"): ok(lists=("p", "resident")),
    ("GET", f"{V1}/members/{{handle}}"): only("p", 200, 404, on="resident"),
    ("GET", f"{V1}/members/{{handle}}/photo/{{size}}-{{key}}.webp"): only("p", 200, 404, on="resident"),
    ("PUT", f"{V1}/members/{{handle}}/follow"): only("p", 201, 404, on="resident"),
    ("DELETE", f"{V1}/members/{{handle}}/follow"): only("p", 409, 404, on="resident"),  # not following them
    ("GET", f"{V1}/members/{{handle}}/followers"): only("p", 200, 404, on="resident"),
    ("GET", f"{V1}/members/{{handle}}/following"): only("p", 200, 404, on="resident"),
    ("GET", f"{V1}/members/{{handle}}/feed"): only("p", 200, 404, on="resident"),
    ("GET", f"{V1}/units"): ok(),  # empty for external members (the unit name is looked for below)
    ("GET", f"{V1}/units/{{slug}}"): only("e", 200, 404),
    ("GET", f"{V1}/units/{{slug}}/feed"): only("e", 200, 404),
    ("POST", f"{V1}/tokens"): ok(201, data={"name": "script"}),
    ("GET", f"{V1}/tokens"): ok(),
    ("GET", f"{V1}/me/data-exports"): ok(),
    ("POST", f"{V1}/me/data-exports"): ok(202),
    ("GET", f"{V1}/me/data-exports/download/{{token}}"): ok(404),
    ("POST", f"{V1}/members/{{handle}}/erasure"): only("t", 200, 403, data={"keep_text": False}),
    ("DELETE", f"{V1}/tokens/{{token_id}}"): ok(404),  # someone else's token
    ("GET", f"{V1}/insights/reports"): only("n", 200, 403),
    ("POST", f"{V1}/insights/reports"): only("n", 202, 403, data={"window": "month"}),
    ("GET", f"{V1}/insights/reports/latest"): only("n", 200, 403),
    ("GET", f"{V1}/insights/reports/{{report_id}}"): only("n", 200, 403),
    ("GET", f"{V1}/communities"): ok(lists=("s", "community")),
    ("POST", f"{V1}/communities"): only("e", 201, 403, data={"name": "A new one"}),
    ("GET", f"{V1}/communities/{{slug}}"): Row("GET", "community", (("s", 200), ("", 404))),
    ("POST", f"{V1}/communities/{{slug}}/join"): Row(POST, "community", (("b", 409), ("j", 201), ("s", 403),
                                                                          ("", 404))),
    ("POST", f"{V1}/communities/{{slug}}/leave"): Row(POST, "community", (("bo", 409), ("b", 204), ("s", 409),
                                                                           ("", 404))),
    ("POST", f"{V1}/communities/{{slug}}/requests"): Row(POST, "community", (("b", 409), ("q", 201), ("j", 400),
                                                                              ("s", 409), ("", 404))),
    ("GET", f"{V1}/communities/{{slug}}/requests"): moderate(200, method="GET"),
    ("POST", f"{V1}/requests/{{request_id}}/approve"): moderate(200, on="request"),
    ("POST", f"{V1}/requests/{{request_id}}/reject"): moderate(200, on="request"),
    ("GET", f"{V1}/communities/{{slug}}/members"): read(on="community", lists=("r", "resident")),
    ("POST", f"{V1}/communities/{{slug}}/members"): moderate(201, data={"handle": "newcomer"}),
    ("DELETE", f"{V1}/communities/{{slug}}/members/{{handle}}"): moderate(204, method="DELETE", on="resident"),
    ("PATCH", f"{V1}/communities/{{slug}}/members/{{handle}}"): moderate(200, method="PATCH", on="resident",
                                                                         letters="o", data={"role": "moderator"}),
    ("POST", f"{V1}/communities/{{slug}}/posts"): moderate(201, on="community", letters="w",
                                                           data={"title": "New", "body": "Hello"}),
    ("GET", f"{V1}/communities/{{slug}}/feed"): read(on="community", lists=("r", "question")),
    ("GET", f"{V1}/posts/{{post_id}}"): read(lists=("r", "question")),
    ("PATCH", f"{V1}/posts/{{post_id}}"): moderate(200, method="PATCH", on="question", letters="a",
                                                   data={"body": "Edited"}),
    ("DELETE", f"{V1}/posts/{{post_id}}"): Row("DELETE", "question", (("a", 200), ("m", 200), ("s", 403), ("", 404))),
    ("GET", f"{V1}/posts/{{post_id}}/revisions"): read(),
    ("POST", f"{V1}/posts/{{post_id}}/replies"): moderate(201, on="question", letters="w", data={"body": "Me too"}),
    ("PUT", f"{V1}/posts/{{post_id}}/reactions/{{kind}}"): read(201, method="PUT"),
    ("DELETE", f"{V1}/posts/{{post_id}}/reactions/{{kind}}"): read(method="DELETE"),
    ("PUT", f"{V1}/posts/{{post_id}}/accepted-answer"): Row("PUT", "question", (("ra", 200), ("rm", 200), ("s", 403),
                                                                                ("", 404)), data={"answer": "<reply>"}),
    ("DELETE", f"{V1}/posts/{{post_id}}/accepted-answer"): Row("DELETE", "question", (("ra", 200), ("rm", 200),
                                                                                      ("s", 403), ("", 404))),
    ("GET", f"{V1}/feed"): ok(lists=("b", "question")),
    ("GET", f"{V1}/topics/{{name}}/feed"): only("r", 200, 404, on="topic", lists=("r", "question")),
    ("GET", f"{V1}/search"): ok(lists=("r", "question"), query="q=Asked"),
    ("GET", f"{V1}/notifications"): ok(lists=("r", "question")),
    ("GET", f"{V1}/notifications/unread-count"): ok(),
    ("POST", f"{V1}/notifications/read-all"): ok(),
    ("POST", f"{V1}/notifications/{{notification_id}}/read"): Row(POST, "question", (("r", 200), ("", 404))),
    ("GET", f"{V1}/notifications/preferences"): ok(),
    ("PUT", f"{V1}/notifications/preferences"): ok(data={"digest": "daily"}),
    ("PUT", f"{V1}/communities/{{slug}}/watch"): read(method="PUT", on="community", data={"level": "watching"}),
    ("PUT", f"{V1}/topics/{{name}}/watch"): only("r", 200, 404, method="PUT", on="topic", data={"watching": True}),
    ("GET", f"{V1}/policy"): ok(),
    ("POST", f"{V1}/policy/versions"): only("t", 201, 403, method=POST, data={"title": "Policy", "body": "Be kind."}),
    ("POST", f"{V1}/policies/{{policy_id}}/acceptance"): ok(),  # accepted already: 200
    ("GET", f"{V1}/communities/{{slug}}/guidelines"): Row("GET", "community", (("s", 200), ("", 404))),
    ("POST", f"{V1}/communities/{{slug}}/guidelines/versions"): Row(
        POST, "community", (("o", 201), ("s", 403), ("", 404)), data={"title": "Rules", "body": "Stay on topic."}),
    ("GET", f"{V1}/attachments/{{attachment_id}}"): Row("GET", "question", (("r", 200), ("", 404))),
    ("GET", f"{V1}/attachments/{{attachment_id}}/content"): Row("GET", "question", (("r", 200), ("", 404))),
    ("GET", f"{V1}/attachments/{{attachment_id}}/preview"): Row("GET", "question", (("r", 200), ("", 404))),
    ("POST", f"{V1}/posts/{{post_id}}/flags"): Row(POST, "question", (("a", 409), ("r", 201), ("s", 403), ("", 404)),
                                                   data={"reason": "spam"}),
    ("GET", f"{V1}/moderation/queue"): only("d", 200, 403, lists=("m", "question")),
    ("GET", f"{V1}/communities/{{slug}}/moderation/queue"): moderate(200, method="GET", lists=("m", "question")),
    ("POST", f"{V1}/posts/{{post_id}}/moderation"): moderate(200, on="question",
                                                             data={"action": "warn", "reason": "Be civil"}),
    ("POST", f"{V1}/suspensions/{{suspension_id}}/lift"): ok(404),
    ("GET", f"{V1}/watched-words"): only("t", 200, 403),
    ("POST", f"{V1}/watched-words"): only("t", 201, 403, data={"pattern": "leak", "action": "flag"}),
    ("DELETE", f"{V1}/watched-words/{{word_id}}"): only("t", 404, 403),
    ("GET", f"{V1}/communities/{{slug}}/approval-rule"): Row("GET", "community", (("s", 200), ("", 404))),
    ("PUT", f"{V1}/communities/{{slug}}/approval-rule"): Row("PUT", "community", (("o", 200), ("s", 403), ("", 404)),
                                                             data={"kinds": ["customer"]}),
    ("GET", f"{V1}/approvals"): only("c", 200, 403),
    ("GET", f"{V1}/audit"): only("t", 200, 403),
    ("GET", f"{V1}/audit/export"): only("t", 200, 403),
    ("GET", f"{V1}/retention"): only("c", 200, 403),
    ("POST", f"{V1}/retention/rules"): only("c", 200, 403, data={"days": 30}),
    ("DELETE", f"{V1}/retention/rules/{{rule_id}}"): only("c", 404, 403),
    ("POST", f"{V1}/retention/holds"): only("c", 404, 403, data={"member": "nobody", "reason": "Case"}),
    ("POST", f"{V1}/retention/holds/{{hold_id}}/lift"): only("c", 404, 403),
    ("POST", f"{V1}/retention/runs"): only("c", 202, 403),
    ("POST", f"{V1}/posts/{{post_id}}/sign-off"): Row(POST, "question", (("c", 404), ("", 403)),
                                                      data={"decision": "approve"}),
    # Only the question's author attaches; readers who did not write it 403, like editing.
    ("POST", f"{V1}/posts/{{post_id}}/attachments"): Row(POST, "question", (("a", 201), ("s", 403), ("", 404)),
                                                         data={"files": "<file>"}),
}


# --- reading the table ----------------------------------------------------------------------

def _grid() -> dict[str, dict[str, str]]:
    lines = [line.split() for line in GRID.strip().splitlines()]
    header, rows = lines[0][1:], lines[1:]
    assert tuple(header) == KINDS and tuple(r[0] for r in rows) == ROLES, "GRID's rows and columns"
    return {r[0]: {kind: cell.strip(".") for kind, cell in zip(header, r[1:], strict=True)} for r in rows}


LETTERS = _grid()


def expected(row: Row, role: str, kind: str | None) -> object:
    if not row.public and "i" not in ROLE_FLAGS[role]:
        return SIGN_IN
    held = set(ROLE_FLAGS[role]) | set(LETTERS[role][kind] if kind else "")
    return next(status for letters, status in row.answers if set(letters) <= held)


def holds(role: str, kind: str, letter: str) -> bool:
    return letter in LETTERS[role][kind]


# --- the paths --------------------------------------------------------------------------------

def _patterns(resolvers=None, ns: str = "", prefix: str = ""):
    for p in resolvers if resolvers is not None else get_resolver().url_patterns:
        if isinstance(p, URLResolver):
            yield from _patterns(p.url_patterns, p.namespace or ns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), (f"{ns}:{p.name}" if ns and p.name else p.name)


def _api_operations() -> set[tuple[str, str]]:
    schema = api.get_openapi_schema()
    return {(method.upper(), path) for path, item in schema["paths"].items() for method in item}


# Patterns the API's router adds itself (its documents and its catch-all for unknown paths).
API_PLUMBING = {"openapi-json", "openapi-view", "api-root", None}


def test_every_path_has_a_row():
    web = {name for pattern, name in _patterns() if not pattern.startswith("api/")}
    assert web == set(WEB), f"rows missing: {sorted(web - set(WEB))}; rows for no path: {sorted(set(WEB) - web)}"
    operations = _api_operations()
    assert operations == set(API), (f"rows missing: {sorted(operations - set(API))}; "
                                    f"rows for no operation: {sorted(set(API) - operations)}")
    api_names = {name for pattern, name in _patterns() if pattern.startswith("api/")}
    assert api_names - API_PLUMBING, "the API's operations are mounted"


def _arguments(world: World, place: Place | None, role: str = "-") -> dict[str, object]:
    """Every path argument: a place's things for a row about a community, the world's otherwise
    (the notification: the role's own about that place; the newcomer's for no place)."""
    args: dict[str, object] = {
        "slug": "engineering", "handle": "newcomer", "report_id": world.report, "invitation_id": str(world.invitation),
        "token_id": world.foreign_token, "kind": "like", "name": "nothing", "token": "x", "uidb64": "MQ",
        "post_id": 1, "request_id": 1, "notification_id": world.notes[("-", "open-internal")], "attachment_id": 1,
        "policy_id": world.policy, "suspension_id": 10**6, "word_id": 10**6,
        "rule_id": 10**6, "hold_id": 10**6}
    if place is not None:
        args.update(slug=place.community.slug, post_id=place.question, name=place.topic, attachment_id=place.file,
                    handle=place.resident.handle, size=64, key=place.resident.photo,
                    notification_id=world.notes[(role if role in world.people else "-", place.kind)])
        if place.request is not None:
            args["request_id"] = place.request
    return args


def _web_url(name: str, world: World, place: Place | None, role: str = "-") -> str:
    pattern = next(p for p, n in _patterns() if n == name)
    args = _arguments(world, place, role)
    if name.startswith("web:staff_token"):
        args["token_id"] = str(world.foreign_token)  # the newcomer's token, on the staff card of the newcomer
    url = reverse(name, kwargs={k: v for k, v in args.items() if f"<{k}>" in pattern or f":{k}>" in pattern})
    return url + _query(WEB[name], args)


def _query(row: Row, args: dict[str, object]) -> str:
    query = row.query
    for key, value in args.items():
        query = query.replace("{" + key + "}", str(value))
    return f"?{query}" if query else ""


def _api_url(path: str, world: World, place: Place | None, row: Row | None = None, role: str = "-") -> str:
    url = path
    args = _arguments(world, place, role)
    for key, value in args.items():
        url = url.replace("{" + key + "}", str(value))
    assert "{" not in url, f"no value for a parameter of {path}"
    return url + _query(row, args) if row else url


class _Undo(Exception):
    """Raised to roll back a request's writes: each row sees the same world."""


def _call(client: Client, method: str, url: str, data: dict | None, *, api_call: bool, htmx: bool = False):
    cookies = {key: morsel.value for key, morsel in client.cookies.items()}  # signing out would drop them
    headers = {"HX-Request": "true", "HX-Trigger": "form"} if htmx else {}
    try:
        with transaction.atomic():
            if api_call and (data or {}).get("files") == "<file>":  # a multipart upload
                response = client.post(url, {"files": SimpleUploadedFile("notes.txt", b"Some notes")})
            elif api_call:
                response = client.generic(method, url, json.dumps(data or {}), content_type="application/json")
            elif method == "GET":
                response = client.get(url, headers=headers)
            else:
                response = client.post(url, data or {}, headers=headers)
            raise _Undo(response)
    except _Undo as undone:
        response = undone.args[0]
    for key, value in cookies.items():
        client.cookies[key] = value
    return response


def _got(response, *, api_call: bool) -> object:
    location = response.get("Location", "")
    if not api_call and response.status_code == 302 and location.startswith("/signin/?next="):
        return SIGN_IN
    if api_call and response.status_code == 401:
        return SIGN_IN
    return response.status_code


MARKERS = ("community", "question", "resident")


def _marker(place: Place, what: str) -> str:
    return {"community": place.community.name, "question": f"Question {place.tag}",
            "resident": place.resident.name}[what]


def sees_pending(role: str, kind: str) -> bool:
    """A thread waiting for sign-off: its author (member), staff, compliance officers who read there."""
    return role == "staff" or (role in ("member", "compliance") and holds(role, kind, "r"))


def sees_hidden(role: str, kind: str) -> bool:
    """A thread moderators hid: its author (member) and the community's moderators."""
    return holds(role, kind, "m") or (role == "member" and holds(role, kind, "r"))


def _leaks(role: str, world: World, body: str, skip: Place | None) -> list[str]:
    """What of a community the role may not know of (or not read) is in this answer."""
    found = ["Engineering"] if "e" not in ROLE_FLAGS[role] and "Engineering" in body else []  # the unit
    for kind, place in world.places.items():
        hidden = []
        if not sees_pending(role, kind):
            hidden += [f"Pending {place.tag}", f"Waiting {place.tag}"]
        if not sees_hidden(role, kind):
            hidden += [f"Hidden {place.tag}", f"Concealed {place.tag}"]
        if not holds(role, kind, "s"):
            hidden.append(place.community.name)
        if not holds(role, kind, "r"):
            hidden += [f"Question {place.tag}", f"Asked in {place.tag}", f"Answer {place.tag}"]
            if place is not skip:  # the topic asked for is in the address, and so on the page
                hidden.append(place.topic)
        found += [text for text in hidden if text in body]
    return found


def _check(role: str, world: World, client: Client, label: str, row: Row, url: str, place: Place | None,
           *, api_call: bool, htmx: bool = False) -> list[str]:
    data = dict(row.data or {})
    if place is not None and data.get("answer") == "<reply>":
        data["answer"] = place.reply
    if data.get("policy") == "<policy>":
        data["policy"] = world.policy
    response = _call(client, row.method, url, data, api_call=api_call, htmx=htmx)
    kind = place.kind if place else None
    want, got = expected(row, role, kind), _got(response, api_call=api_call)
    problems = []
    where = f"{label} {kind or ''}{' (htmx)' if htmx else ''}".strip()
    if htmx and want == 302 and got == 200:
        want = 200  # done: htmx gets the fragment to swap in instead of a redirect
    if want != got:
        problems.append(f"{where}: expected {want}, got {got}")
    content_type = response.get("Content-Type", "")
    if response.streaming or not content_type.startswith(("text/", "application/json")):
        return problems
    body = response.content.decode()
    if "Traceback" in body:
        problems.append(f"{where}: a traceback")
    problems += [f"{where}: shows {text!r}" for text in _leaks(role, world, body, place)]
    if row.lists and got == want and got == 200:
        letter, what = row.lists
        for other in [place] if place else world.places.values():
            shown, should = _marker(other, what) in body, holds(role, other.kind, letter)
            if shown != should:
                problems.append(f"{where}: {'shows' if shown else 'does not show'} {what} of {other.kind}")
    return problems


@pytest.fixture
def world(db, settings, tmp_path) -> World:
    settings.SOCIALFABRIC_WRITE_RATE = "0"  # hundreds of writes, each rolled back
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "attachments": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "files")}}}
    return access_world.build()


def _targets(row: Row, world: World) -> list[Place | None]:
    if row.on == "-":
        return [None]
    return [p for p in world.places.values() if row.on != "request" or p.request is not None]


@pytest.mark.parametrize("role", ROLES)
def test_the_access_matrix(world, role):
    client = Client()
    if role != "anonymous":
        client.force_login(world.people[role])
    problems = []
    for name, row in WEB.items():
        for place in _targets(row, world):
            url = _web_url(name, world, place, role)
            problems += _check(role, world, client, name, row, url, place, api_call=False)
            if row.method == POST:  # the same act from an htmx form: a fragment, or the error for its slot
                problems += _check(role, world, client, name, row, url, place, api_call=False, htmx=True)
    for (method, path), row in API.items():
        row = dataclasses.replace(row, method=method)  # the operation's own method
        for place in _targets(row, world):
            url = _api_url(path, world, place, row, role)
            problems += _check(role, world, client, f"{method} {path}", row, url, place, api_call=True)
    assert not problems, f"{role}: {len(problems)} answers differ from the table:\n" + "\n".join(problems)


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_counts_count_only_whom_the_role_may_see(world, role):
    """Each resident follows `member`: the follower count on member's profile (page and API) and
    the followers list hold exactly the residents the table lets the role see."""
    client = Client()
    client.force_login(world.people[role])
    seen = sorted(p.resident.handle for kind, p in world.places.items() if holds(role, kind, "p"))
    api_answer = client.get(f"{V1}/members/member")
    # member belongs everywhere: seen by employees and by externals who read one of those places
    if "e" not in ROLE_FLAGS[role] and not any(holds(role, kind, "r") for kind in KINDS):
        assert api_answer.status_code == 404 and client.get("/people/member/").status_code == 404
        return
    assert api_answer.json()["followers"] == len(seen)
    listed = client.get(f"{V1}/members/member/followers").json()["items"]
    assert sorted(item["member"]["handle"] for item in listed) == seen
    page = client.get("/people/member/").content.decode()
    assert f"<dt>Followers</dt><dd>{len(seen)}</dd>" in page


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_requests_to_join_are_told_only_to_who_moderate(world, role):
    """A notification of a request to join shows (list, count, opening it) only to the
    community's owners and moderators, whoever it was made for."""
    from socialfabric.notifications import services as notifications

    member = world.people[role]
    shown = set(notifications.visible(member).values_list("id", flat=True))
    unread = notifications.unread_count(member)  # before opening (which marks read)
    # The bell counts with the rule's SQL form; the lists use its Q form: the two agree.
    assert unread == notifications.visible(member).filter(read_at__isnull=True).count()
    client = Client()
    client.force_login(member)
    for (who, kind), ident in world.asks.items():
        if who != role:
            continue
        assert (ident in shown) == holds(role, kind, "m"), f"{role} {kind}"
        assert client.get(reverse("web:notification", args=[ident])).status_code == (
            302 if holds(role, kind, "m") else 404)
    readable = sum(holds(role, kind, "r") for kind in KINDS)
    asks = sum(holds(role, kind, "m") for kind in KINDS if world.places[kind].request is not None)
    held = sum(sees_pending(role, kind) + sees_hidden(role, kind) for kind in KINDS)
    assert unread == readable + asks + held


@pytest.mark.parametrize(("broken", "role"), [("secret communities seen", "employee"),
                                              ("no external boundary", "supplier"),
                                              ("search without the read policy", "partner"),
                                              ("notifications without the read policy", "customer"),
                                              ("files without the read policy", "employee"),
                                              ("held and hidden posts for all", "customer")])
def test_the_matrix_catches_a_broken_rule(world, monkeypatch, broken, role):
    """The matrix is only worth its rows if a wrong rule fails it: break one and it must."""
    from socialfabric import access

    if broken == "no external boundary":
        monkeypatch.setattr(access, "_bounded", lambda viewer: False)
    elif broken == "notifications without the read policy":
        from django.db.models import Q

        monkeypatch.setattr(access, "readable_notifications", lambda member: Q())
    elif broken == "files without the read policy":
        from django.db.models import Q

        monkeypatch.setattr(access, "readable_attachments", lambda member: Q(removed_at__isnull=True))
    elif broken == "held and hidden posts for all":
        monkeypatch.setattr(access, "_post_state_rule", lambda viewer, alias, prefix="": access.EVERYTHING)
        monkeypatch.setattr(access, "can_read_post", lambda member, post: access.can_read_community(
            member, post.community))
    elif broken == "search without the read policy":
        from socialfabric.search import services as search

        monkeypatch.setattr(search, "_scope", lambda viewer, filters, row: ("1 = 1", []))  # search alone
        monkeypatch.setattr(search, "_readable_rows", lambda viewer: search.Post.objects.all())  # and its rows
    else:
        monkeypatch.setattr(access, "can_see_community", lambda member, community: member.is_authenticated)
    with pytest.raises(AssertionError, match="answers differ from the table"):
        test_the_access_matrix(world, role)
