"""The `socialfabric` command: Django's management commands with the settings preset.

    socialfabric migrate | runserver | import people FILE.csv | demo --members 2000 --seed 1 | ...
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialfabric.settings.local")
    if os.environ["DJANGO_SETTINGS_MODULE"].endswith(".production") and not os.environ.get("SECRET_KEY"):
        # First run of an installation given no key: make one and keep it (settings only read it).
        from pathlib import Path

        from socialfabric import secret_key

        secret_key.ensure(Path(os.environ.get("SOCIALFABRIC_VAR", Path.cwd() / "var")))
    argv = list(sys.argv if argv is None else ["socialfabric", *argv])
    # `socialfabric import people FILE` reads better than `import_people FILE`.
    if len(argv) >= 3 and argv[1] == "import":
        argv = [argv[0], f"import_{argv[2]}", *argv[3:]]
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(argv)
    except ImproperlyConfigured as exc:
        # A setting the environment got wrong (SOCIALFABRIC_TASKS, REDIS_URL, ...): the message
        # says which and how to write it; a traceback would only bury it.
        sys.exit(f"socialfabric: configuration error: {exc}")


if __name__ == "__main__":
    main()
