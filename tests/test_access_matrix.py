"""The access matrix, first row: what a visitor who is not signed in gets on every path.

Every URL pattern of the site and every operation of the API has a row here; a new path
without one fails `test_every_path_has_a_row`. A visitor is refused before anything is looked
up: the answer is the same whether the community, post or person exists, so it confirms
nothing. (Issue 9 point 8: the rows for signed-in roles x community kinds are the next step;
tests/test_boundary.py, test_access.py and test_staff.py cover those rules today.)
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from socialfabric.api.app import api

SIGN_IN = "sign in"  # a page: 302 to /signin/?next=...
# Web pages by URL name: (method, what a visitor gets).
WEB: dict[str, tuple[str, object]] = {
    "health": ("GET", 200),
    "oidc_authentication_init": ("GET", 404),  # single sign-on is off unless configured
    "oidc_authentication_callback": ("GET", 404),
    "web:signin": ("GET", 200),
    "web:invite": ("GET", SIGN_IN),
    "web:invitation": ("GET", 404),  # a link that is not a signed invitation
    "web:signout": ("POST", 302),
    "web:password_reset": ("GET", 200),
    "web:password_reset_done": ("GET", 200),
    "web:password_reset_confirm": ("GET", 200),  # says the link is not valid
    "web:password_reset_complete": ("GET", 200),
    "web:password_change": ("GET", SIGN_IN),
    "web:password_change_done": ("GET", 302),  # a redirect to the tokens page, which asks to sign in
    "web:home": ("GET", SIGN_IN),
    "web:communities": ("GET", SIGN_IN),
    "web:community": ("GET", SIGN_IN),
    "web:community_join": ("POST", SIGN_IN),
    "web:community_leave": ("POST", SIGN_IN),
    "web:community_request": ("POST", SIGN_IN),
    "web:community_decide": ("POST", SIGN_IN),
    "web:community_add_member": ("POST", SIGN_IN),
    "web:post": ("GET", SIGN_IN),
    "web:post_reply": ("POST", SIGN_IN),
    "web:post_react": ("POST", SIGN_IN),
    "web:post_accept": ("POST", SIGN_IN),
    "web:post_edit": ("GET", SIGN_IN),
    "web:post_remove": ("POST", SIGN_IN),
    "web:people": ("GET", SIGN_IN),
    "web:person": ("GET", SIGN_IN),
    "web:person_follow": ("POST", SIGN_IN),
    "web:person_unfollow": ("POST", SIGN_IN),
    "web:person_deactivate": ("POST", SIGN_IN),
    "web:person_photo": ("GET", SIGN_IN),
    "web:unit": ("GET", SIGN_IN),
    "web:topic": ("GET", SIGN_IN),
    "web:insights": ("GET", SIGN_IN),
    "web:insights_request": ("POST", SIGN_IN),
    "web:insights_report": ("GET", SIGN_IN),
    "web:insights_status": ("GET", SIGN_IN),
    "web:insights_html": ("GET", SIGN_IN),
    "web:insights_json": ("GET", SIGN_IN),
    "web:profile_edit": ("GET", SIGN_IN),
    "web:staff": ("GET", SIGN_IN),
    "web:staff_people": ("GET", SIGN_IN),
    "web:staff_person": ("GET", SIGN_IN),
    "web:staff_deactivate": ("POST", SIGN_IN),
    "web:staff_reactivate": ("POST", SIGN_IN),
    "web:staff_role": ("POST", SIGN_IN),
    "web:staff_password_link": ("POST", SIGN_IN),
    "web:staff_token_revoke": ("POST", SIGN_IN),
    "web:staff_invitations": ("GET", SIGN_IN),
    "web:staff_invitation_resend": ("POST", SIGN_IN),
    "web:staff_invitation_revoke": ("POST", SIGN_IN),
    "web:staff_communities": ("GET", SIGN_IN),
    "web:tokens": ("GET", SIGN_IN),
    "web:token_revoke": ("POST", SIGN_IN),
}
# API operations: what a visitor gets (401 with the error shape unless the operation is open).
API_OPEN = {("GET", "/api/v1/csrf"): 200}
# Patterns the API's router adds itself (its documents and its catch-all for unknown paths).
API_PLUMBING = {"openapi-json", "openapi-view", "api-root", None}
ARGS = {"slug": "product-ideas", "post_id": 1, "handle": "alice", "request_id": 1, "token_id": 1, "report_id": 1,
        "size": 64, "key": "0" * 20, "name": "roadmap", "token": "x", "uidb64": "MQ", "invitation_id": "1",
        "kind": "like"}


def _patterns(resolvers=None, ns: str = "", prefix: str = ""):
    for p in resolvers if resolvers is not None else get_resolver().url_patterns:
        if isinstance(p, URLResolver):
            yield from _patterns(p.url_patterns, p.namespace or ns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), (f"{ns}:{p.name}" if ns and p.name else p.name)


def _api_operations() -> set[tuple[str, str]]:
    schema = api.get_openapi_schema()
    return {(method.upper(), path) for path, item in schema["paths"].items() for method in item}


def test_every_path_has_a_row():
    web = {name for pattern, name in _patterns() if not pattern.startswith("api/")}
    assert web == set(WEB), f"rows missing: {sorted(web - set(WEB))}; rows for no path: {sorted(set(WEB) - web)}"
    api_names = {name for pattern, name in _patterns() if pattern.startswith("api/")}
    assert api_names - API_PLUMBING, "the API's operations are mounted"
    assert set(API_OPEN) <= _api_operations()


@pytest.mark.parametrize(("name", "method", "expected"), [(n, m, e) for n, (m, e) in WEB.items()])
def test_a_visitor_on_every_page(db, name, method, expected):
    pattern = next(p for p, n in _patterns() if n == name)
    kwargs = {k: v for k, v in ARGS.items() if f"<{k}>" in pattern or f":{k}>" in pattern}
    response = getattr(Client(), method.lower())(reverse(name, kwargs=kwargs))
    if expected == SIGN_IN:
        assert response.status_code == 302 and response["Location"].startswith("/signin/?next="), response
    else:
        assert response.status_code == expected, (name, response.status_code)
    assert b"Traceback" not in response.content


@pytest.mark.parametrize(("method", "path"), sorted(_api_operations()))
def test_a_visitor_on_every_api_operation(db, method, path):
    url = path
    for key, value in ARGS.items():
        url = url.replace("{" + key + "}", str(value))
    assert "{" not in url, f"no example value for a parameter of {path}"
    response = Client().generic(method, url, "{}", content_type="application/json")
    expected = API_OPEN.get((method, path), 401)
    assert response.status_code == expected, (method, path, response.status_code)
    if expected == 401:
        assert set(response.json()["error"]) >= {"code", "message"}
