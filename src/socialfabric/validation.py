"""Small input checks shared by the services, so bad input becomes a DomainError, never a 500.

Two kinds of input crash the database layer rather than failing politely:
- text with NUL characters (PostgreSQL text cannot hold them) or lone surrogates
  (not encodable as UTF-8, which JSON's "\\ud800" escapes can produce);
- ids that are not whole numbers in the database's range (Django raises
  ValueError/TypeError, and floats are silently truncated).
"""

from __future__ import annotations

import re

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


# Characters that change how the text around them is shown without being seen: bidi
# embeddings, overrides and isolates ("Mallory \u202enimda" displays as "Mallory admin") and
# control characters. Names and titles are one-line labels people trust, so these are refused
# there (body text is Markdown, rendered and sanitised, and may quote anything).
_DECEPTIVE = re.compile("[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]")


def has_deceptive_characters(text: str) -> bool:
    return bool(_DECEPTIVE.search(text))


def check_label(text: str, field: str) -> str:
    """A name or title: storable, and without invisible direction or control characters."""
    check_storable(text, field)
    if has_deceptive_characters(text):
        raise InvalidInput(f"The {field.replace('_', ' ')} contains invisible control or text-direction characters "
                           "(which can make it display as something else); remove them.", field=field)
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
