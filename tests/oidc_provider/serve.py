"""Start the test OpenID Connect provider: `python -m tests.oidc_provider.serve PORT REDIRECT_URI`.

Makes a fresh database with one user (alice.sso@example.org / provider-password) and one
confidential client (socialfabric / client-secret) that may redirect to REDIRECT_URI, prints
READY, then serves until killed.
"""

import os
import sys
import tempfile
from wsgiref.simple_server import WSGIRequestHandler, make_server

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def main() -> None:
    port, redirect_uri = int(sys.argv[1]), sys.argv[2]
    folder = tempfile.mkdtemp(prefix="oidc-provider-")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    os.environ["OIDC_PROVIDER_KEY"] = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    os.environ["OIDC_PROVIDER_DB"] = os.path.join(folder, "provider.sqlite3")
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.oidc_provider.settings"
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0)
    get_user_model().objects.create_user("alice.sso", "alice.sso@example.org", "provider-password")
    Application.objects.create(
        name="Social Fabric", client_id="socialfabric", client_secret="client-secret",
        client_type=Application.CLIENT_CONFIDENTIAL, authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=redirect_uri, algorithm=Application.RS256_ALGORITHM, skip_authorization=True)
    server = make_server("127.0.0.1", port, get_wsgi_application(), handler_class=Quiet)
    print("READY", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
