"""Single sign-on against a real OpenID Connect provider (django-oauth-toolkit in its own
process, tests/oidc_provider): authorization code flow, RS256 ID token checked against the
provider's JWKS, userinfo, member matched by e-mail."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from socialfabric.activity.models import Activity, Verb

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db(transaction=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def provider(live_server, settings):
    port = _free_port()
    callback = f"{live_server.url}/oidc/callback/"
    proc = subprocess.Popen([sys.executable, "-m", "tests.oidc_provider.serve", str(port), callback], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert line.strip() == "READY", proc.stderr.read()
    issuer = f"http://127.0.0.1:{port}/o"
    settings.SOCIALFABRIC_OIDC_ENABLED = True
    settings.SOCIALFABRIC_OIDC_NAME = "Northwind SSO"
    settings.OIDC_RP_CLIENT_ID, settings.OIDC_RP_CLIENT_SECRET = "socialfabric", "client-secret"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{issuer}/authorize/"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{issuer}/token/"
    settings.OIDC_OP_USER_ENDPOINT = f"{issuer}/userinfo/"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{issuer}/.well-known/jwks.json"
    yield {"base": f"http://127.0.0.1:{port}", "discovery": f"{issuer}/.well-known/openid-configuration"}
    proc.terminate()
    proc.wait(timeout=10)


def sign_in_through_the_provider(app: str, provider_login: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{app}/signin/", timeout=10)
    assert "Sign in with Northwind SSO" in page.text
    login = browser.get(f"{app}/oidc/authenticate/", timeout=10)  # -> provider's authorize -> its sign-in
    assert login.url.startswith(provider_login)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
    browser.post(login.url, timeout=10, data={"username": "alice.sso", "password": "provider-password",
                                              "csrfmiddlewaretoken": token, "next": re.search(
                                                  r'name="next" value="([^"]+)"', login.text).group(1).replace(
                                                  "&amp;", "&")})
    return browser


def test_a_member_signs_in_with_the_organisations_provider(live_server, provider, make_member):
    config = requests.get(provider["discovery"], timeout=10).json()  # it is a real provider
    assert "RS256" in config["id_token_signing_alg_values_supported"]
    alice = make_member("alice", password=None)  # no password on this site at all
    alice.email = "Alice.SSO@example.org"  # the provider says alice.sso@example.org: any case matches
    alice.save()
    browser = sign_in_through_the_provider(live_server.url, f"{provider['base']}/login/")
    home = browser.get(f"{live_server.url}/", timeout=10, allow_redirects=False)
    assert home.status_code == 200 and "Alice" in home.text
    assert Activity.objects.filter(verb=Verb.SIGN_IN, actor=alice).exists()


def test_an_unknown_or_inactive_address_is_refused(live_server, provider, make_member):
    other = make_member("someone")
    browser = sign_in_through_the_provider(live_server.url, f"{provider['base']}/login/")
    home = browser.get(f"{live_server.url}/", timeout=10, allow_redirects=False)
    assert home.status_code == 302 and "/signin/" in home.headers["Location"]
    failed = browser.get(f"{live_server.url}/signin/?sso=failed", timeout=10)
    assert "Single sign-on did not sign you in" in failed.text
    assert not Activity.objects.filter(verb=Verb.SIGN_IN).exists() and other.is_active


def test_single_sign_on_is_off_unless_configured(client):
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/").status_code == 404
    assert "/oidc/authenticate/" not in client.get("/signin/").content.decode()
