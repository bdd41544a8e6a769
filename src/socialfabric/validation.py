"""Small input checks shared by the services, so bad input becomes a DomainError, never a 500.

Two kinds of input crash the database layer rather than failing politely:
- text with NUL characters (PostgreSQL text cannot hold them) or lone surrogates
  (not encodable as UTF-8, which JSON's "\\ud800" escapes can produce);
- ids that are not whole numbers in the database's range (Django raises
  ValueError/TypeError, and floats are silently truncated).
"""

from __future__ import annotations

from socialfabric.errors import DomainError, InvalidInput, NotFound

MAX_ID = 2**63 - 1  # BigAutoField


def is_storable(text: str) -> bool:
    """Whether both databases can store and compare this text."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_storable(text: str, field: str) -> str:
    if not is_storable(text):
        raise InvalidInput("The text contains characters that cannot be stored (NUL or broken Unicode).",
                           field=field)
    return text


def parse_id(value: object, *, field: str, message: str, error: type[DomainError] = NotFound) -> int:
    """A positive database id from an int or a string of digits; anything else raises `error`.

    Unknown-looking ids answer NotFound by default, the same as ids that do not exist.
    """
    if isinstance(value, bool):  # bool is an int subclass; True is not post 1
        raise error(message, field=field)
    if isinstance(value, int):
        n = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        n = int(value.strip())
    else:
        raise error(message, field=field)
    if not 1 <= n <= MAX_ID:
        raise error(message, field=field)
    return n
