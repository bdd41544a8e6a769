"""Settings profiles: reading them creates nothing; the production profile is safe by itself."""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = "import django; from django.conf import settings; print(settings.DEBUG, settings.SESSION_COOKIE_SECURE)"


def _python(code: str, tmp_path, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY", "DEBUG")}
    environ.update({"SOCIALFABRIC_VAR": str(tmp_path / "var"), "DJANGO_SETTINGS_MODULE": "socialfabric.settings.local",
                    **env})
    return subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True, text=True, timeout=60)


def test_reading_settings_creates_nothing_and_loading_the_apps_makes_the_database_folder(tmp_path):
    done = _python(PROBE, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "False"]
    assert not (tmp_path / "var").exists()
    done = _python("import django; django.setup()", tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "var").is_dir() and not any((tmp_path / "var").iterdir())  # the folder, no database yet


def test_production_profile_turns_debug_off_and_needs_a_secret_key(tmp_path):
    production = {"DJANGO_SETTINGS_MODULE": "socialfabric.settings.production"}
    refused = _python(PROBE, tmp_path, **production)
    assert refused.returncode != 0 and "SECRET_KEY must be set" in refused.stderr
    plain = _python(PROBE, tmp_path, SECRET_KEY="x" * 50, DEBUG="true", **production)
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.split() == ["False", "False"]  # DEBUG=true in the environment does not win
    https = _python(PROBE, tmp_path, SECRET_KEY="x" * 50, SOCIALFABRIC_HTTPS="true", **production)
    assert https.stdout.split() == ["False", "True"]


def test_migrations_match_the_models(db):
    """A model change without its migration would break `migrate` on every installation."""
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
