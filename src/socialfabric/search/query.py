"""What a member typed into the search box, parsed once and written for each engine.

The syntax is the one people know from web search: words (all must appear), "a phrase",
-word (must not appear). Nothing the member types reaches an engine's own query language:
every word is reduced to letters and digits and quoted, so `title:`, `NEAR`, `*`, `(` or a
stray quote are plain text, never syntax and never an error from the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from socialfabric.errors import InvalidInput

MAX_QUERY_CHARS = 200
MAX_TERMS = 12
_PART = re.compile(r'(-?)"([^"]*)"?|(-?)(\S+)')
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Query:
    """Required phrases (a one-word phrase is a word) and excluded ones, each a tuple of tokens."""

    required: tuple[tuple[str, ...], ...]
    excluded: tuple[tuple[str, ...], ...] = ()

    @property
    def words(self) -> list[str]:
        return [w for phrase in self.required for w in phrase]

    def fts5(self) -> str:
        """SQLite FTS5 MATCH text: quoted strings only (a quoted string is a phrase of its tokens)."""
        def quoted(phrase: tuple[str, ...]) -> str:
            return '"' + " ".join(phrase) + '"'

        text = " AND ".join(quoted(p) for p in self.required)
        for phrase in self.excluded:
            text = f"({text}) NOT {quoted(phrase)}"
        return text

    def websearch(self) -> str:
        """PostgreSQL websearch_to_tsquery text: the same words, phrases and exclusions."""
        def quoted(phrase: tuple[str, ...]) -> str:
            return '"' + " ".join(phrase) + '"'

        return " ".join([*(quoted(p) for p in self.required), *("-" + quoted(p) for p in self.excluded)])


def parse(text: object) -> Query:
    """The query in `text`, or InvalidInput (field "q") saying what to type instead."""
    if not isinstance(text, str):
        raise InvalidInput("Type what to search for.", field="q")
    text = text.strip()
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidInput(f"A search is at most {MAX_QUERY_CHARS} characters.", field="q")
    required: list[tuple[str, ...]] = []
    excluded: list[tuple[str, ...]] = []
    for m in _PART.finditer(text):
        minus = m.group(1) or m.group(3)
        tokens = tuple(t.lower() for t in _WORD.findall(m.group(2) if m.group(2) is not None else m.group(4)))
        if not tokens:
            continue
        (excluded if minus else required).append(tokens)
    if len(required) + len(excluded) > MAX_TERMS:
        raise InvalidInput(f"A search takes at most {MAX_TERMS} words or phrases.", field="q")
    if not required:
        raise InvalidInput("Type a word to search for (letters or digits; a search of only -words finds nothing).",
                           field="q")
    # A word twice is once; order kept, so that snippets and the engines see what was typed.
    return Query(tuple(dict.fromkeys(required)), tuple(dict.fromkeys(excluded)))
