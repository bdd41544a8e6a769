"""Import people (the formal organisation) from a CSV file.

Columns (header row, any order, case-insensitive):
    id, name, email, unit, parent_unit, level, manager, stakeholder, organisation

`id` and `name` are required; a column left out of the header leaves that field of
existing members alone, while an empty cell clears it. Re-importing updates members
by `id` (stored as Member.external_id) and never duplicates them.

Every row is checked first and *all* problems are reported with the row number a
spreadsheet shows (the header is row 1); only a clean file is written. PostgreSQL writes
it in one transaction; SQLite in short transactions of a few thousand people, so that the
site stays writable during a big import (see `_write`). The web and API can call
`import_people` with an uploaded file.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.text import slugify

from socialfabric import activity
from socialfabric.activity.models import ObjectType, Verb
from socialfabric.bulk import BulkWriter
from socialfabric.errors import InvalidInput
from socialfabric.org.models import Member, Stakeholder, Unit
from socialfabric.validation import has_deceptive_characters

COLUMNS = ("id", "name", "email", "unit", "parent_unit", "level", "manager", "stakeholder", "organisation")
REQUIRED_COLUMNS = ("id", "name")
# External kinds that are organisations we deal with; shareholders and the public may be private persons.
ORGANISATION_REQUIRED = frozenset({Stakeholder.CUSTOMER, Stakeholder.PARTNER, Stakeholder.SUPPLIER})
MAX_LEVEL = 99
MAX_FILE_BYTES = 50 * 1024 * 1024
HANDLE_MAX = 60
_HANDLE_BAD = re.compile(r"[^a-z0-9_.-]+")
# Letters NFKD does not split into a base letter and an accent.
_NO_DECOMPOSITION = str.maketrans({"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "ß": "ss", "æ": "ae", "Æ": "AE",
                                   "œ": "oe", "Œ": "OE", "đ": "d", "Đ": "D", "þ": "th", "Þ": "Th", "ı": "i"})
_LEVEL_RE = re.compile(r"^\d+(?:\.0+)?$")  # spreadsheets sometimes write 3 as 3.0
_LIMITS = {"id": 100, "name": 150, "email": 254, "unit": 120, "parent_unit": 120, "organisation": 150}

# progress(stage, done, total): "check" while validating rows, "write" while saving.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class RowError:
    row: int | None  # spreadsheet row number (header = 1); None for file-level problems
    message: str
    column: str | None = None

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row is not None else "file"
        col = f" [{self.column}]" if self.column else ""
        return f"{where}{col}: {self.message}"


class ImportFailed(InvalidInput):
    """The file was not imported; `errors` lists every problem found."""

    code = "import_failed"

    def __init__(self, errors: list[RowError]) -> None:
        n = len(errors)
        super().__init__(f"The file was not imported: {n} problem{'s' if n != 1 else ''} found.", field="file")
        self.errors = errors

    def as_dict(self) -> dict:
        data = super().as_dict()
        data["error"]["errors"] = [{"row": e.row, "column": e.column, "message": e.message} for e in self.errors]
        return data


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    units_created: int = 0
    units_updated: int = 0
    handles: dict[str, str] = field(default_factory=dict)  # external id -> handle

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass
class _Row:
    number: int
    ext_id: str
    values: dict[str, str]
    level: int | None = None
    stakeholder: str = Stakeholder.EMPLOYEE


# --- reading --------------------------------------------------------------------------------


def _read_bytes(source: str | Path | IO) -> bytes:
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.exists():
            raise ImportFailed([RowError(None, f"No such file: {path}")])
        if path.is_dir():
            raise ImportFailed([RowError(None, f"{path} is a folder, not a CSV file.")])
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ImportFailed([RowError(None, f"The file is larger than {MAX_FILE_BYTES // 2**20} MiB.")])
        try:
            return path.read_bytes()
        except OSError as exc:
            raise ImportFailed([RowError(None, f"Cannot read {path}: {exc.strerror or exc}")]) from None
    data = source.read(MAX_FILE_BYTES + 1)
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > MAX_FILE_BYTES:
        raise ImportFailed([RowError(None, f"The file is larger than {MAX_FILE_BYTES // 2**20} MiB.")])
    return data


def _decode(data: bytes) -> str:
    if not data.strip():
        raise ImportFailed([RowError(None, "The file is empty: expected a header row and one row per person.")])
    if b"\x00" in data[:65536]:
        raise ImportFailed([RowError(None, "This is not a text file (it holds binary data); expected a UTF-8 CSV.")])
    try:
        text = data.decode("utf-8-sig")  # a spreadsheet's BOM is dropped
    except UnicodeDecodeError as exc:
        # Tell the line, so a user can find the stray Latin-1 character or binary junk.
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFailed(
            [RowError(None, f"The file is not UTF-8 text (bad byte at line {line}); save it as 'CSV UTF-8'.")]
        ) from None
    control = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\r\n\t")
    if control > 8:
        raise ImportFailed([RowError(None, "This is not a text file (it holds binary data); expected a UTF-8 CSV.")])
    return text


def _records(text: str) -> Iterable[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        yield from reader
    except csv.Error as exc:
        raise ImportFailed([RowError(reader.line_num or None, f"The CSV is malformed: {exc}.")]) from None


# --- checking ------------------------------------------------------------------------------


def _header(cells: list[str]) -> tuple[list[str], list[RowError]]:
    names = [c.strip().lower().replace(" ", "_") for c in cells]
    errors: list[RowError] = []
    seen: set[str] = set()
    for name in names:
        if name in seen and name:
            errors.append(RowError(1, f"The column '{name}' appears twice in the header."))
        seen.add(name)
    unknown = [n for n in names if n and n not in COLUMNS]
    if unknown:
        errors.append(
            RowError(
                1,
                f"Unknown column{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}. "
                f"Known columns: {', '.join(COLUMNS)}.",
            )
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        errors.append(
            RowError(
                1,
                f"Missing required column{'s' if len(missing) > 1 else ''}: "
                f"{', '.join(missing)}. The header must name at least: "
                f"{', '.join(REQUIRED_COLUMNS)}.",
            )
        )
    return names, errors


def _check_row(row: _Row, errors: list[RowError]) -> None:
    v, n = row.values, row.number

    def err(column: str, message: str) -> None:
        errors.append(RowError(n, message, column))

    for col, limit in _LIMITS.items():
        if len(v.get(col, "")) > limit:
            err(col, f"The {col.replace('_', ' ')} is longer than {limit} characters.")
        elif col != "id" and has_deceptive_characters(v.get(col, "")):
            err(col, f"The {col.replace('_', ' ')} contains invisible control or text-direction characters "
                     "(which can make it display as something else); remove them.")
    if not v.get("name"):
        err("name", "The name is empty.")
    email = v.get("email", "")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            err("email", f"'{email}' is not a valid email address.")
    level = v.get("level", "")
    if level:
        if not _LEVEL_RE.match(level) or not 1 <= int(level.split(".")[0]) <= MAX_LEVEL:
            err("level", f"The level must be a whole number from 1 (top) to {MAX_LEVEL}; got '{level}'.")
        else:
            row.level = int(level.split(".")[0])
    kind = v.get("stakeholder", "").lower() or Stakeholder.EMPLOYEE
    if kind not in Stakeholder.values:
        err(
            "stakeholder",
            f"The stakeholder must be one of {', '.join(Stakeholder.values)}; got '{v.get('stakeholder')}'.",
        )
    else:
        row.stakeholder = kind
        if kind in ORGANISATION_REQUIRED and "organisation" in v and not v["organisation"]:
            err("organisation", f"A {kind} needs an organisation.")
    if v.get("parent_unit") and not v.get("unit"):
        err("parent_unit", "A parent unit is given but no unit.")
    if v.get("unit") and v.get("parent_unit") and _key(v["unit"]) == _key(v["parent_unit"]):
        err("parent_unit", f"The unit '{v['unit']}' cannot be its own parent.")
    if v.get("manager") and v["manager"] == row.ext_id:
        err("manager", "A person cannot be their own manager.")


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _find_cycle(parents: dict[str, str | None]) -> list[str] | None:
    """A cycle in a child -> parent mapping, as the list of nodes on it, or None."""
    done: set[str] = set()
    for start in parents:
        path: list[str] = []
        on_path: set[str] = set()
        node: str | None = start
        while node is not None and node not in done:
            if node in on_path:
                return path[path.index(node) :]
            on_path.add(node)
            path.append(node)
            node = parents.get(node)
        done |= on_path
    return None


# --- handles ------------------------------------------------------------------------------


def handle_base(email: str, name: str) -> str:
    """A lower-case @mention handle from the email's local part, else the name."""
    source = email.split("@", 1)[0] if email else name.replace(" ", ".")
    source = source.translate(_NO_DECOMPOSITION)
    ascii_text = unicodedata.normalize("NFKD", source).encode("ascii", "ignore").decode().lower()
    handle = _HANDLE_BAD.sub(".", ascii_text)
    handle = re.sub(r"[.-]{2,}", ".", handle).strip(".-")[: HANDLE_MAX - 4].strip(".-")
    return handle or "member"


def _unique_handle(base: str, taken: set[str]) -> str:
    handle, n = base, 1
    while handle in taken:
        n += 1
        handle = f"{base}{n}"
    taken.add(handle)
    return handle


# --- the import ----------------------------------------------------------------------------


def import_people(source: str | Path | IO, *, progress: Progress | None = None, actor: Member | None = None,
                  name: str = "") -> ImportResult:
    """Import the CSV at `source` (a path or a binary/text file object).

    Raises ImportFailed (an InvalidInput) listing every problem; writes nothing then.
    `actor` is the member who imports (None: the operator at the command line); `name` the
    file's name, kept in the activity stream with the counts.
    """
    text = _decode(_read_bytes(source))
    records = _records(text)
    header_cells = next(iter(records), None)
    if header_cells is None or not any(c.strip() for c in header_cells):
        raise ImportFailed(
            [RowError(1, f"The first row must be a header naming the columns, e.g. {','.join(COLUMNS)}.")]
        )
    columns, errors = _header(header_cells)
    if errors:
        raise ImportFailed(errors)  # without a usable header the rows cannot be read

    approx_rows = text.count("\n") + 1
    rows: list[_Row] = []
    first_row_of: dict[str, int] = {}
    for number, cells in enumerate(records, start=2):
        if not any(c.strip() for c in cells):
            continue  # blank lines are harmless
        if len(cells) > len(columns) and any(c.strip() for c in cells[len(columns) :]):
            errors.append(
                RowError(number, f"The row has {len(cells)} cells but the header names {len(columns)} columns.")
            )
            continue
        values = {col: " ".join(cells[i].split()) if i < len(cells) else "" for i, col in enumerate(columns) if col}
        ext_id = values.get("id", "")
        if not ext_id:
            errors.append(RowError(number, "The id is empty; every person needs a unique id.", "id"))
            continue
        if ext_id in first_row_of:
            errors.append(RowError(number, f"The id '{ext_id}' is used already in row {first_row_of[ext_id]}.", "id"))
            continue
        first_row_of[ext_id] = number
        row = _Row(number, ext_id, values)
        _check_row(row, errors)
        rows.append(row)
        if progress and len(rows) % 500 == 0:
            progress("check", number, approx_rows)
    if not rows and not errors:
        raise ImportFailed([RowError(None, "The file has a header but no people in it.")])

    has = set(columns)
    existing = {m.external_id: m for m in Member.objects.filter(external_id__in=list(first_row_of))}

    # Reporting lines: managers are rows of this file or members imported before.
    if "manager" in has:
        wanted = {r.values["manager"] for r in rows if r.values.get("manager")}
        outside = wanted - first_row_of.keys()
        known = set(Member.objects.filter(external_id__in=list(outside)).values_list("external_id", flat=True))
        for r in rows:
            mgr = r.values.get("manager")
            if mgr and mgr != r.ext_id and mgr not in first_row_of and mgr not in known:
                errors.append(
                    RowError(
                        r.number,
                        f"The manager '{mgr}' is neither an id in this file nor a member imported before.",
                        "manager",
                    )
                )
        lines: dict[str, str | None] = dict(
            Member.objects.filter(external_id__isnull=False, manager__external_id__isnull=False).values_list(
                "external_id", "manager__external_id"
            )
        )
        # A self-reference is reported above; leave it out of the circle search.
        lines.update(
            {r.ext_id: (r.values.get("manager") or None) if r.values.get("manager") != r.ext_id else None for r in rows}
        )
        cycle = _find_cycle(lines)
        if cycle:
            rows_on = [first_row_of[c] for c in cycle if c in first_row_of]
            errors.append(
                RowError(
                    min(rows_on) if rows_on else None,
                    f"The reporting lines go round in a circle: {' → '.join([*cycle, cycle[0]])}.",
                    "manager",
                )
            )

    # The unit tree: each unit's parent must be the same in every row, and never circular.
    db_units = {_key(u.name): u for u in Unit.objects.all()}
    unit_names: dict[str, str] = {}  # key -> spelling in the file
    unit_parent: dict[str, tuple[str, int]] = {}  # key -> (parent key, row number)
    taken_slugs = {u.slug for u in db_units.values()}
    if "unit" in has:
        for r in rows:
            unit, parent = r.values.get("unit", ""), r.values.get("parent_unit", "")
            if unit:
                unit_names.setdefault(_key(unit), unit)
            if parent:
                unit_names.setdefault(_key(parent), parent)
                if _key(unit) == _key(parent):
                    continue
                before = unit_parent.get(_key(unit))
                if before and before[0] != _key(parent):
                    errors.append(
                        RowError(
                            r.number,
                            f"The unit '{unit}' has the parent "
                            f"'{unit_names[before[0]]}' in row {before[1]} but "
                            f"'{parent}' here.",
                            "parent_unit",
                        )
                    )
                elif not before:
                    unit_parent[_key(unit)] = (_key(parent), r.number)
        tree: dict[str, str | None] = {k: None for k in db_units}
        for u in Unit.objects.select_related("parent").filter(parent__isnull=False):
            tree[_key(u.name)] = _key(u.parent.name)
        tree.update({k: p for k, (p, _) in unit_parent.items()})
        cycle = _find_cycle(tree)
        if cycle:
            names = [unit_names.get(k) or db_units[k].name for k in cycle]
            rows_on = [unit_parent[k][1] for k in cycle if k in unit_parent]
            errors.append(
                RowError(
                    min(rows_on) if rows_on else None,
                    f"The unit tree goes round in a circle: {' → '.join([*names, names[0]])}.",
                    "parent_unit",
                )
            )
        for k, name in unit_names.items():
            if k not in db_units and not slugify(name):
                rows_on = [r.number for r in rows if _key(r.values.get("unit", "")) == k]
                errors.append(
                    RowError(
                        rows_on[0] if rows_on else None,
                        f"The unit name '{name}' needs at least one letter or digit.",
                        "unit",
                    )
                )

    if errors:
        raise ImportFailed(sorted(errors, key=lambda e: e.row or 0))
    return _write(rows, has, existing, db_units, unit_names, unit_parent, taken_slugs, progress, actor, name)


def _unique_slug(name: str, taken: set[str]) -> str:
    base = slugify(name)[:130] or "unit"
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    taken.add(slug)
    return slug


# Members written per transaction on SQLite, whose one writer at a time would otherwise make
# every web request that writes wait for the whole import (50,000 people: ~9 s before; a chunk
# holds the lock for well under a second). PostgreSQL writes the file in one transaction.
SQLITE_CHUNK = 5_000
_FIELDS = ("name", "email", "unit_id", "level", "stakeholder", "organisation")


@dataclass
class _Plan:
    """Everything the import will write, worked out before any write lock is taken."""

    new_units: list[Unit]
    reparent: list[tuple[str, str]]  # (unit key, parent key)
    creating: list[Member]  # unit_id is set after units exist: see `unit_keys`
    updating: list[Member]
    unit_keys: dict[str, str | None]  # external id -> unit key (None: no unit) for rows that set it
    managers: dict[str, str | None]  # external id -> manager's external id, when the file has the column
    result: ImportResult = field(default_factory=ImportResult)


def _plan(rows: list[_Row], has: set[str], existing: dict[str, Member], db_units: dict[str, Unit],
          unit_names: dict[str, str], unit_parent: dict[str, tuple[str, int]], taken_slugs: set[str],
          progress: Progress | None) -> _Plan:
    result = ImportResult()
    new_units = [Unit(name=n, slug=_unique_slug(n, taken_slugs)) for k, n in unit_names.items() if k not in db_units]
    result.units_created = len(new_units)
    reparent = [(k, p) for k, (p, _) in unit_parent.items()
                if k not in db_units or p not in db_units or db_units[k].parent_id != db_units[p].id]
    result.units_updated = len([k for k, _ in reparent if k in db_units])

    taken = set(Member.objects.values_list("handle", flat=True))
    unusable = make_password(None)  # "!" + random: never matches any password
    creating: list[Member] = []
    updating: list[Member] = []
    unit_keys: dict[str, str | None] = {}
    for i, r in enumerate(rows, start=1):
        v = r.values
        member = existing.get(r.ext_id)
        new = member is None
        if new:
            handle = _unique_handle(handle_base(v.get("email", ""), v["name"]), taken)
            member = Member(handle=handle, external_id=r.ext_id, password=unusable)
        before = {f: getattr(member, f) for f in _FIELDS}
        member.name = v["name"]
        if "email" in has:
            member.email = Member.objects.normalize_email(v["email"])
        if "unit" in has:
            key = _key(v["unit"]) if v.get("unit") else None
            unit_keys[r.ext_id] = key
            # A unit made by this import has no id yet: its members count as changed.
            member.unit_id = db_units[key].id if key in db_units else (None if key is None else -1)
        if "level" in has:
            member.level = r.level
        if "stakeholder" in has:
            member.stakeholder = r.stakeholder
        if "organisation" in has:
            member.organisation = v["organisation"]
        result.handles[r.ext_id] = member.handle
        if new:
            creating.append(member)
            result.created += 1
        elif {f: getattr(member, f) for f in _FIELDS} != before:
            updating.append(member)
            result.updated += 1
        if progress and i % 2000 == 0:
            progress("check", i, len(rows))
    managers = {r.ext_id: r.values.get("manager") or None for r in rows} if "manager" in has else {}
    if managers:
        # Counted now, so the activity row (written first) carries the final counts.
        known = dict(Member.objects.filter(external_id__in=[m for m in managers.values() if m])
                     .values_list("external_id", "id"))
        changed = {m.external_id for m in updating}
        result.updated += sum(1 for e, m in managers.items()
                              if e in existing and e not in changed
                              and existing[e].manager_id != (known.get(m, -1) if m else None))
    return _Plan(new_units, reparent, creating, updating, unit_keys, managers, result)


def _chunks(items: list, size: int | None) -> list[list]:
    if not size:
        return [items]
    return [items[i:i + size] for i in range(0, len(items), size)] or [[]]


def _write(rows: list[_Row], has: set[str], existing: dict[str, Member], db_units: dict[str, Unit],
           unit_names: dict[str, str], unit_parent: dict[str, tuple[str, int]], taken_slugs: set[str],
           progress: Progress | None, actor: Member | None, name: str) -> ImportResult:
    """Write the plan: in one transaction on PostgreSQL; on SQLite in chunks, each its own short
    transaction, so that other writers get the lock in between.

    On SQLite an import stopped half-way (the process killed, the disk full) leaves the chunks
    written so far, recorded as one import in the activity stream from its first chunk on;
    running the same file again finishes it (members are matched by id, nothing is duplicated).
    The file itself was checked whole before anything was written.
    """
    plan = _plan(rows, has, existing, db_units, unit_names, unit_parent, taken_slugs, progress)
    result = plan.result
    total = len(rows)
    size = SQLITE_CHUNK if transaction.get_connection().vendor == "sqlite" else None
    with transaction.atomic() if size is None else contextlib.nullcontext():
        _write_chunks(plan, size, db_units, actor, name, total, progress)
    result.unchanged = total - result.created - result.updated
    if progress:
        progress("write", total, total)
    return result


def _write_chunks(plan: _Plan, size: int | None, db_units: dict[str, Unit], actor: Member | None, name: str,
                  total: int, progress: Progress | None) -> None:
    result = plan.result
    unchanged = total - result.created - result.updated
    parts = itertools.zip_longest(_chunks(plan.creating, size), _chunks(plan.updating, size), fillvalue=[])
    units: dict[str, Unit] = dict(db_units)
    done = 0
    for number, (creating, updating) in enumerate(parts):
        with transaction.atomic():
            writer = BulkWriter()
            if number == 0:
                units = _write_units(plan, units)
                activity.record(Verb.IMPORT_PEOPLE, actor, object_type=ObjectType.IMPORT, details={
                    "file": name[:200], "rows": total, "created": result.created, "updated": result.updated,
                    "unchanged": unchanged, "units_created": result.units_created})
            for member in (*creating, *updating):
                if member.external_id in plan.unit_keys:
                    key = plan.unit_keys[member.external_id]
                    member.unit_id = units[key].id if key else None
            _claim_handles(creating)
            result.handles.update({m.external_id: m.handle for m in creating})
            writer.register(Member, ["handle", "external_id", "password", *_FIELDS])
            for m in creating:
                writer.add(Member, (m.handle, m.external_id, m.password, *(getattr(m, f) for f in _FIELDS)))
            writer.update_rows(Member, _FIELDS, [(*(getattr(m, f) for f in _FIELDS), m.id) for m in updating])
            writer.finish()
        done += len(creating) + len(updating)
        if progress:
            progress("write", min(done, total), total)

    if plan.managers:
        # Reporting lines last: a manager may be a person created just now.
        ext_ids = list(plan.managers.keys() | {m for m in plan.managers.values() if m})
        ids = dict(Member.objects.filter(external_id__in=ext_ids).values_list("external_id", "id"))
        current = dict(Member.objects.filter(external_id__in=list(plan.managers))
                       .values_list("external_id", "manager_id"))
        relink = [(ids[m] if m else None, ids[e]) for e, m in plan.managers.items()
                  if current.get(e) != (ids[m] if m else None)]
        for chunk in _chunks(relink, size):
            with transaction.atomic():
                BulkWriter().update_rows(Member, ["manager_id"], chunk)


def _write_units(plan: _Plan, units: dict[str, Unit]) -> dict[str, Unit]:
    """New units and new parents (the first chunk's transaction): members point at them."""
    Unit.objects.bulk_create(plan.new_units)
    units = {_key(u.name): u for u in Unit.objects.all()}
    moved = []
    for k, parent_key in plan.reparent:
        unit, parent = units[k], units[parent_key]
        if unit.parent_id != parent.id:
            unit.parent = parent
            moved.append(unit)
    Unit.objects.bulk_update(moved, ["parent"])
    return units


def _claim_handles(creating: list[Member]) -> None:
    """Handles were picked before the write lock; one taken meanwhile (an invitation accepted
    between two chunks) is picked again, inside the lock, so the insert cannot collide."""
    wanted = [m.handle for m in creating]
    clash = set(Member.objects.filter(handle__in=wanted).values_list("handle", flat=True))
    if clash:
        taken = set(Member.objects.values_list("handle", flat=True)) | set(wanted)
        for m in creating:
            if m.handle in clash:
                m.handle = _unique_handle(handle_base(m.email, m.name), taken)


__all__ = ["COLUMNS", "ImportFailed", "ImportResult", "RowError", "handle_base", "import_people"]
