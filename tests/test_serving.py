"""The production command, run as an operator would: `socialfabric serve` in its own process,
production settings, a fresh SQLite database, a free port."""

from __future__ import annotations

import os
import re
import secrets
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(var: Path) -> dict[str, str]:
    # As an operator's shell would have it: none of the test run's own switches (the browser
    # tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process).
    drop = ("DATABASE_URL", "SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update({"SOCIALFABRIC_VAR": str(var), "DJANGO_SETTINGS_MODULE": "socialfabric.settings.production",
                "SOCIALFABRIC_INSIGHTS_REFRESH_HOURS": "0"})
    return env


def _cli(*args: str, env: dict, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "socialfabric.cli", *args], env=env, capture_output=True,
                          text=True, timeout=120, **kwargs)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    var = tmp_path_factory.mktemp("serve") / "var"
    env = _env(var)
    done = _cli("migrate", "--noinput", env=env)
    assert done.returncode == 0, done.stderr
    code = ("from socialfabric.org.models import Member; "
            "Member.objects.create_user('ada', 'ada@example.org', 'correct-horse-battery', name='Ada')")
    done = _cli("shell", "-c", code, env=env)
    assert done.returncode == 0, done.stderr
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "socialfabric.cli", "serve", "--port", str(port),
                             "--workers", "1", "--threads", "4"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            requests.get(f"{base}/health", timeout=1)
            break
        except requests.RequestException:  # not listening yet, or still loading
            assert proc.poll() is None, proc.stdout.read()
            time.sleep(0.2)
    yield {"base": base, "var": var, "proc": proc}
    proc.terminate()
    proc.wait(timeout=40)


def test_production_server_serves_with_security_headers_and_no_debug(server):
    page = requests.get(f"{server['base']}/signin/", timeout=5)
    assert page.status_code == 200 and page.headers.get("Server", "").lower() == "granian"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert page.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = dict(part.strip().split(" ", 1) for part in page.headers["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert "unsafe" not in page.headers["Content-Security-Policy"]
    missing = requests.get(f"{server['base']}/no/such/page/", timeout=5)
    assert missing.status_code == 404
    assert "Not found" in missing.text and "Traceback" not in missing.text and "DEBUG" not in missing.text
    assert "urlpatterns" not in missing.text  # Django's debug 404 lists them


def test_static_files_come_from_whitenoise(server):
    css = requests.get(f"{server['base']}/static/socialfabric/app.css", timeout=5)
    assert css.status_code == 200 and css.headers["Content-Type"].startswith("text/css")
    assert "max-age" in css.headers.get("Cache-Control", "") and len(css.text) > 1000


def test_sign_in_through_the_production_server(server):
    with requests.Session() as browser:
        form = browser.get(f"{server['base']}/signin/", timeout=5)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        signed = browser.post(f"{server['base']}/signin/", timeout=5, allow_redirects=False,
                              data={"username": "ada", "password": "correct-horse-battery",
                                    "csrfmiddlewaretoken": token},
                              headers={"Referer": f"{server['base']}/signin/"})
        assert signed.status_code == 302, signed.text[:500]
        home = browser.get(f"{server['base']}/", timeout=5)
        assert home.status_code == 200 and "Ada" in home.text
        cookie = next(c for c in browser.cookies if c.name == "sessionid")
        assert cookie.has_nonstandard_attr("HttpOnly")


def test_health_and_the_kept_secret_key(server):
    health = requests.get(f"{server['base']}/health", timeout=5)
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "ok" and body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["queue"]["status"] == "ok" and body["checks"]["queue"]["due"] >= 0
    key = server["var"] / "secret_key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_text().strip()) >= 50


def test_the_background_worker_runs_beside_the_server(server):
    children = subprocess.run(["ps", "-o", "args=", "--ppid", str(server["proc"].pid)], capture_output=True,
                              text=True).stdout
    assert "socialfabric.cli worker" in children


def test_debug_with_public_hosts_refuses_to_start(tmp_path):
    env = {**_env(tmp_path), "DJANGO_SETTINGS_MODULE": "socialfabric.settings.local", "DEBUG": "true",
           "ALLOWED_HOSTS": "social.example.com"}
    done = _cli("check", env=env)
    assert done.returncode != 0 and "non-local ALLOWED_HOSTS" in done.stderr


def test_check_deploy_is_clean_with_https(tmp_path):
    env = {**_env(tmp_path), "SOCIALFABRIC_HTTPS": "true", "ALLOWED_HOSTS": "social.example.com",
           "SECRET_KEY": secrets.token_urlsafe(50)}
    done = _cli("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert done.returncode == 0, done.stdout + done.stderr


def test_gunicorn_stays_one_switch_away(server):
    """SOCIALFABRIC_SERVER=gunicorn serves the same application (operators who standardise on it)."""
    env = {**_env(server["var"]), "SOCIALFABRIC_SERVER": "gunicorn"}
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "socialfabric.cli", "serve", "--port", str(port), "--workers", "1",
                             "--threads", "2", "--no-worker"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT)
    try:
        for _ in range(150):
            try:
                health = requests.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except requests.RequestException:
                assert proc.poll() is None
                time.sleep(0.2)
        assert health.status_code == 200 and health.json()["status"] == "ok"
        assert "gunicorn" in health.headers["Server"].lower()
    finally:
        proc.terminate()
        proc.wait(timeout=40)
