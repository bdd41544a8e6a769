"""A SECRET_KEY for an installation that was given none: made once, kept in the var folder.

Called by the `socialfabric` command before Django loads the production settings (reading
settings creates nothing); the production profile reads the file.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

FILE_NAME = "secret_key"


def path(var_dir: Path) -> Path:
    return var_dir / FILE_NAME


def read(var_dir: Path) -> str:
    """The kept key, or '' when there is none yet."""
    try:
        return path(var_dir).read_text().strip()
    except FileNotFoundError:
        return ""


def ensure(var_dir: Path) -> str:
    """The kept key, made now (mode 0600, created atomically) if there is none."""
    existing = read(var_dir)
    if existing:
        return existing
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    try:
        fd = os.open(path(var_dir), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return read(var_dir)
    with os.fdopen(fd, "w") as out:
        out.write(key + "\n")
    return key
