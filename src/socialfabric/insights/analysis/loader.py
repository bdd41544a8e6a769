"""Streaming readers for PEOPLE.csv and INTERACTIONS.csv into NumPy arrays.

Why this shape: interaction files reach millions of rows, so rows are read in
chunks with the C `csv` reader, columns are transposed with `zip`, ids are
mapped through a dict with `map` (C-level iteration) and numbers / timestamps
are parsed by NumPy. No Python statement runs per interaction on the fast path;
a slow path re-scans a chunk only to name the exact row of a bad value.

Row numbers in messages count the header as row 1, so for files without quoted
newlines they equal line numbers.
"""

from __future__ import annotations

import csv
import gc
import io
import itertools
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from socialfabric.errors import InvalidInput
from socialfabric.org.stakeholders import Stakeholder

STAKEHOLDERS = tuple(Stakeholder.values)
PEOPLE_COLUMNS = ("id", "unit", "level", "stakeholder", "manager", "leader")
INTERACTION_COLUMNS = ("source", "target", "timestamp", "kind", "weight", "conversation")
# `thread` is accepted as another name for `conversation` (chat and forum exports use it).
ALIASES = {"thread": "conversation"}
CHUNK_ROWS = 250_000
NO_TIME = np.iinfo(np.int64).min
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


class InputFileError(InvalidInput):
    """Bad input file: the message always names the file and, where one exists, the row."""

    code = "bad_input"

    def __init__(self, path: Path | str, message: str, row: int | None = None) -> None:
        where = f"{path}, row {row}" if row is not None else f"{path}"
        super().__init__(f"{where}: {message}", field=str(path))
        self.path = str(path)
        self.row = row


@dataclass
class People:
    ids: list[str]
    index: dict[str, int]
    attributes: dict[str, np.ndarray]  # group code per person, -1 = not given
    labels: dict[str, list[str]]  # group names per attribute, indexed by code
    level: np.ndarray  # int16, 0 = not given
    manager: np.ndarray  # int32 person index, -1 = none
    leader: np.ndarray  # bool
    external: np.ndarray  # bool: stakeholder is not employee
    ignored_columns: list[str] = field(default_factory=list)
    unknown_managers: int = 0

    @property
    def n(self) -> int:
        return len(self.ids)


@dataclass
class Interactions:
    source: np.ndarray  # int32 person index
    target: np.ndarray  # int32 person index
    weight: np.ndarray  # float64 > 0
    time: np.ndarray  # int64 epoch seconds, NO_TIME when not given
    kind: np.ndarray  # int32 code into kinds, -1 = not given
    kinds: list[str]
    conversation: np.ndarray  # int32 code, -1 = not given
    has_conversation: bool
    rows_read: int = 0
    dropped_unknown: int = 0
    dropped_self: int = 0
    dropped_window: int = 0
    unknown_examples: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def m(self) -> int:
        return len(self.source)

    @property
    def has_time(self) -> bool:
        return bool(self.m) and bool((self.time != NO_TIME).any())


@dataclass
class Dataset:
    people: People
    interactions: Interactions
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- reading
def _open_rows(path: Path, with_handle: bool = False):
    """Open a CSV file and return (rows iterator, header, close)."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(path, "file not found")
    # utf-8-sig strips a BOM when there is one; newline='' lets csv handle quoted newlines.
    handle = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed by caller
    reader = csv.reader(handle)
    try:
        header = next(reader)
    except StopIteration:
        handle.close()
        raise InputFileError(path, "the file is empty: a header row is required") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        handle.close()
        raise InputFileError(path, _read_problem(exc), 1) from None
    header = [h.strip().lower() for h in header]
    if not any(header):
        handle.close()
        raise InputFileError(path, "the header row is blank", 1)
    if with_handle:
        return reader, header, handle
    return reader, header, handle.close


def _read_problem(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8 text (binary or wrongly encoded file)"
    text = str(exc)
    if "NUL" in text:
        return "not a CSV text file (contains NUL bytes)"
    return f"malformed CSV ({text})"


def _chunks(reader: Iterator[list[str]], path: Path, width: int, size: int = CHUNK_ROWS,
            row_no: int = 2):
    """Yield (first_row_number, rows) with every row exactly `width` fields; blank rows skipped.

    `row_no` is the number of the first row read (2: the row after the header)."""
    while True:
        try:
            chunk = list(itertools.islice(reader, size))
        except (UnicodeDecodeError, csv.Error) as exc:
            # The bad row lies after the last complete chunk; csv tells us its line.
            line = getattr(reader, "line_num", None)
            raise InputFileError(path, _read_problem(exc), line) from None
        if not chunk:
            return
        lengths = np.fromiter(map(len, chunk), dtype=np.int32, count=len(chunk))
        if (lengths != width).any():
            numbers = np.arange(row_no, row_no + len(chunk))
            bad = np.flatnonzero((lengths != width) & (lengths != 0))
            # csv yields [] for a blank line and [''] for a line of only spaces? no: [''] too.
            blank = (lengths == 0) | ((lengths == 1) & np.fromiter(
                (len(r) == 1 and not r[0].strip() for r in chunk), dtype=bool, count=len(chunk)))
            bad = np.setdiff1d(bad, np.flatnonzero(blank))
            if bad.size:
                i = int(bad[0])
                raise InputFileError(path, f"expected {width} fields, found {lengths[i]}",
                                     int(numbers[i]))
            keep = np.flatnonzero(~blank)
            rows = [chunk[i] for i in keep]
            yield numbers[keep], rows
        else:
            yield row_no, chunk
        row_no += len(chunk)


CHUNK_BYTES = 16 << 20


def _column_chunks(handle, path: Path, width: int):
    """Yield (first_row_number, columns, row_count, nul_free) for the rows after the header.

    Fast path for the common case (no quotes, no blank lines): a block of text is split on
    newlines and commas in C and each column is a stride slice of the flat field list.
    Anything else in a block (quotes, blank lines, a wrong field count, NUL, lone CR) goes
    through the csv module, which also names the exact bad row; once a quote is seen the
    rest of the file goes through csv because a quoted field may hold a newline.
    """
    row_no = 2
    while True:
        try:
            text = handle.read(CHUNK_BYTES)
            if text and not text.endswith("\n"):
                text += handle.readline()
        except UnicodeDecodeError:
            raise InputFileError(path, f"not UTF-8 text (binary or wrongly encoded file), at or "
                                 f"after row {row_no}") from None
        if not text:
            return
        if "\r" in text:
            text = text.replace("\r\n", "\n")
        if '"' in text:
            rest = csv.reader(itertools.chain(io.StringIO(text), handle))
            for first, rows in _chunks(rest, path, width, row_no=row_no):
                yield first, list(zip(*rows, strict=True)), len(rows), False
            return
        lines = text.count("\n")
        flat = text.replace("\n", ",").split(",")
        flat.pop()  # the empty string after the final newline
        if len(flat) == lines * width and "\x00" not in text and "\r" not in text:
            yield row_no, [flat[c::width] for c in range(width)], lines, True
        else:
            for first, rows in _chunks(csv.reader(io.StringIO(text)), path, width,
                                       row_no=row_no):
                yield first, list(zip(*rows, strict=True)), len(rows), False
        row_no += lines


def _row_of(first: int | np.ndarray, i: int) -> int:
    return int(first[i]) if isinstance(first, np.ndarray) else first + i


def _columns(header: list[str], path: Path, required: tuple[str, ...], known: tuple[str, ...]):
    header = [ALIASES.get(h, h) for h in header]
    seen: dict[str, int] = {}
    for pos, name in enumerate(header):
        if name in seen and name in known:
            raise InputFileError(path, f"column '{name}' appears twice in the header", 1)
        seen.setdefault(name, pos)
    missing = [c for c in required if c not in seen]
    if missing:
        raise InputFileError(
            path, f"missing required column{'s' if len(missing) > 1 else ''}: {', '.join(missing)} "
            f"(found: {', '.join(h for h in header if h) or 'none'})", 1)
    ignored = [h for h in header if h not in known]
    return {c: seen[c] for c in known if c in seen}, ignored


# --------------------------------------------------------------------------- people
def read_people(path: Path | str) -> People:
    path = Path(path)
    reader, header, close = _open_rows(path)
    try:
        cols, ignored = _columns(header, path, ("id",), PEOPLE_COLUMNS)
        ids: list[str] = []
        index: dict[str, int] = {}
        units: list[str] = []
        levels: list[int] = []
        stakeholders: list[str] = []
        managers: list[str] = []
        leaders: list[int] = []  # -1 = default
        id_rows: list[int] = []
        get = {c: cols.get(c) for c in PEOPLE_COLUMNS}
        for first, rows in _chunks(reader, path, len(header)):
            # People files are small next to interactions: a plain loop keeps the checks clear.
            for i, row in enumerate(rows):
                pid = row[get["id"]].strip()
                if not pid:
                    raise InputFileError(path, "empty id", _row_of(first, i))
                if pid in index:
                    raise InputFileError(path, f"person '{pid}' is listed twice "
                                         f"(first at row {id_rows[index[pid]]})",
                                         _row_of(first, i))
                index[pid] = len(ids)
                ids.append(pid)
                id_rows.append(_row_of(first, i))
                units.append(row[get["unit"]].strip() if get["unit"] is not None else "")
                lv = row[get["level"]].strip() if get["level"] is not None else ""
                if lv:
                    try:
                        level = int(lv)
                    except ValueError:
                        raise InputFileError(path, f"level '{lv}' is not a whole number "
                                             "(1 = top)", _row_of(first, i)) from None
                    if level < 1 or level > 1000:
                        raise InputFileError(path, f"level {level} is out of range (1 = top)",
                                             _row_of(first, i))
                    levels.append(level)
                else:
                    levels.append(0)
                sk = row[get["stakeholder"]].strip().lower() if get["stakeholder"] is not None else ""
                sk = sk or Stakeholder.EMPLOYEE
                if sk not in STAKEHOLDERS:
                    raise InputFileError(path, f"stakeholder '{sk}' is not one of "
                                         f"{', '.join(STAKEHOLDERS)}", _row_of(first, i))
                stakeholders.append(sk)
                managers.append(row[get["manager"]].strip() if get["manager"] is not None else "")
                ld = row[get["leader"]].strip().lower() if get["leader"] is not None else ""
                if not ld:
                    leaders.append(-1)
                elif ld in _TRUE:
                    leaders.append(1)
                elif ld in _FALSE:
                    leaders.append(0)
                else:
                    raise InputFileError(path, f"leader '{ld}' is not true or false",
                                         _row_of(first, i))
    finally:
        close()
    if not ids:
        raise InputFileError(path, "no people: the file has a header but no rows")
    n = len(ids)
    level = np.asarray(levels, dtype=np.int16)
    manager = np.fromiter(map(index.get, managers, itertools.repeat(-1)), dtype=np.int32, count=n)
    manager[np.asarray([m == "" for m in managers])] = -1
    unknown_managers = int(sum(1 for m in managers if m and m not in index))
    lead = np.asarray(leaders, dtype=np.int8)
    # Default: levels 1 and 2 lead when the file does not say.
    leader = np.where(lead >= 0, lead == 1, (level >= 1) & (level <= 2))
    attributes: dict[str, np.ndarray] = {}
    labels: dict[str, list[str]] = {}
    if "unit" in cols:
        attributes["unit"], labels["unit"] = _codes(units)
    if "level" in cols:
        present = sorted({int(x) for x in level if x > 0})
        lut = np.full(int(level.max()) + 1, -1, dtype=np.int32)
        for code, lv_ in enumerate(present):
            lut[lv_] = code
        attributes["level"] = lut[level]
        labels["level"] = [str(x) for x in present]
    stake_codes, stake_labels = _codes(stakeholders)
    attributes["stakeholder"] = stake_codes
    labels["stakeholder"] = stake_labels
    external = np.asarray([s != Stakeholder.EMPLOYEE for s in stakeholders], dtype=bool)
    return People(ids=ids, index=index, attributes=attributes, labels=labels, level=level,
                  manager=manager, leader=leader.astype(bool), external=external,
                  ignored_columns=ignored, unknown_managers=unknown_managers)


def _codes(values: list[str]) -> tuple[np.ndarray, list[str]]:
    """Group codes (sorted names); '' becomes -1 (not given)."""
    arr = np.asarray(values, dtype=str) if values else np.zeros(0, dtype="U1")
    names, inverse = np.unique(arr, return_inverse=True)
    codes = inverse.astype(np.int32)
    names = [str(x) for x in names]
    if names and names[0] == "":
        codes -= 1
        names = names[1:]
    return codes, names


# --------------------------------------------------------------------------- vectorised strings
def _ustr(values, nul_free: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    """A column as a NumPy str array and, when every value fits, one uint64 key per value.

    Why: per-row dict lookups dominated loading (about 1 µs a row). Values of at most 8
    characters below U+0100 pack losslessly into a uint64 (zero padded), so ids, codes and
    weights compare and sort as integers. NumPy drops trailing NULs from str arrays, so a
    column holding a NUL gets no key and callers take the exact per-value path."""
    arr = np.array(values, dtype=str) if len(values) else np.zeros(0, dtype="U1")
    width = arr.dtype.itemsize // 4
    if width > 8 or (not nul_free and "\x00" in "".join(values)):
        return arr, None
    codes = arr.view(np.uint32).reshape(len(arr), width)
    if codes.size and int(codes.max()) > 0xFF:
        return arr, None
    packed = np.zeros((len(arr), 8), dtype=np.uint8)
    packed[:, :width] = codes
    return arr, packed.view(np.uint64).ravel()


def _unpack(keys: np.ndarray) -> list[str]:
    """Inverse of the uint64 packing in `_ustr` (padding zeros drop off as NumPy str)."""
    chars = keys.view(np.uint8).reshape(len(keys), 8).astype(np.uint32)
    return np.ascontiguousarray(chars).view("U8").ravel().tolist()


class _IdLookup:
    """Person index for each id string by binary search over the sorted people ids."""

    def __init__(self, people: People) -> None:
        self.index = people.index
        ids, keys = _ustr(people.ids)
        self.nul = any("\x00" in i for i in people.ids)  # then only the dict is exact
        self.order = np.argsort(ids).astype(np.int32)
        self.sorted = ids[self.order]
        self.keys = None
        if keys is not None:
            korder = np.argsort(keys)
            self.korder, self.keys = korder.astype(np.int32), keys[korder]

    def __call__(self, values, arr: np.ndarray, keys: np.ndarray | None) -> np.ndarray:
        n = len(values)
        if self.nul or (keys is None and "\x00" in "".join(values)) or not len(self.sorted):
            return np.fromiter(map(self.index.get, values, itertools.repeat(-1)), np.int32, n)
        if keys is not None and self.keys is not None:
            table, order, probe = self.keys, self.korder, keys
        else:
            table, order, probe = self.sorted, self.order, arr
        pos = np.minimum(np.searchsorted(table, probe), len(table) - 1)
        return np.where(table[pos] == probe, order[pos], -1).astype(np.int32)


class _Interner:
    """Codes for a string column over the whole file: 0..k-1 in order of first appearance,
    '' -> -1 (not given); names stripped. Integer keys and one np.unique at the end while
    every chunk packs (see `_ustr`); otherwise the dict path for the rest."""

    def __init__(self) -> None:
        self.keys: list[np.ndarray] = []
        self.table: dict[str, int] | None = None
        self.sparse: list[np.ndarray] = []

    def add(self, values, nul_free: bool = False) -> None:
        if self.table is None:
            _, keys = _ustr(values, nul_free)
            if keys is not None:
                self.keys.append(keys)
                return
            # Switch to the dict for good, first giving it the values seen so far in order.
            self.table = {}
            for keys in self.keys:
                self.sparse.append(_intern(_unpack(keys), self.table))
            self.keys = []
        self.sparse.append(_intern(values, self.table))

    def codes(self) -> tuple[np.ndarray, list[str]]:
        if self.table is not None:
            return _dense(np.concatenate(self.sparse), self.table)
        if not self.keys:
            return np.zeros(0, dtype=np.int32), []
        keys = np.concatenate(self.keys)
        uniq, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        order = np.argsort(first, kind="stable")
        rank = np.empty(len(uniq), dtype=np.int32)
        rank[order] = np.arange(len(uniq), dtype=np.int32)
        codes = rank[inverse.ravel()]
        names = [x.strip() for x in _unpack(uniq[order])]
        if uniq[0] == 0:  # the blank value packs to 0 and sorts first
            blank = int(rank[0])
            codes[codes == blank] = -1
            codes[codes > blank] -= 1
            del names[blank]
        return codes, names


# --------------------------------------------------------------------------- interactions
def _parse_times(values: tuple[str, ...], path: Path, first) -> np.ndarray:
    """ISO 8601 strings to epoch seconds (UTC; naive times are taken as UTC)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            arr = np.array(values, dtype="datetime64[s]")
            return _epoch(arr)
        except (ValueError, DeprecationWarning, UserWarning):
            pass
        if all(v.endswith(("Z", "z")) for v in values if v):
            try:
                arr = np.array([v[:-1] if v else v for v in values], dtype="datetime64[s]")
                return _epoch(arr)
            except (ValueError, DeprecationWarning, UserWarning):
                pass
    out = np.empty(len(values), dtype=np.int64)
    for i, v in enumerate(values):  # slow path: offsets such as +02:00, or a bad value
        v = v.strip()
        if not v:
            out[i] = NO_TIME
            continue
        try:
            d = datetime.fromisoformat(v[:-1] + "+00:00" if v[-1] in "Zz" else v)
        except ValueError:
            raise InputFileError(path, f"timestamp '{v[:40]}' is not ISO 8601",
                                 _row_of(first, i)) from None
        if d.tzinfo is None:
            d = d.replace(tzinfo=UTC)
        out[i] = int(d.timestamp())
    return out


def _epoch(arr: np.ndarray) -> np.ndarray:
    out = arr.astype(np.int64)
    out[np.isnat(arr)] = NO_TIME
    return out


def parse_time_bound(text: str | None, name: str) -> int | None:
    if not text:
        return None
    try:
        d = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"--{name} '{text}' is not an ISO 8601 date or time",
                           field=name) from None
    if d.tzinfo is None:
        d = d.replace(tzinfo=UTC)
    return int(d.timestamp())


def _parse_weights(values: tuple[str, ...], path: Path, first,
                   nul_free: bool = False) -> np.ndarray:
    # Weights repeat a handful of spellings: parse each distinct one once. Anything odd
    # (blank, bad, not positive) goes through the row-by-row path below for its exact row.
    _, keys = _ustr(values, nul_free)
    if keys is not None and len(keys):
        uniq, inverse = np.unique(keys, return_inverse=True)
        try:
            w = np.fromiter(map(float, _unpack(uniq)), dtype=np.float64, count=len(uniq))
        except ValueError:
            w = None
        if w is not None and np.isfinite(w).all() and (w > 0).all():
            return w[inverse.ravel()]
    return _parse_weights_rows(values, path, first)


def _parse_weights_rows(values: tuple[str, ...], path: Path, first) -> np.ndarray:
    try:
        w = np.fromiter(map(float, values), dtype=np.float64, count=len(values))
    except ValueError:
        w = np.empty(len(values), dtype=np.float64)
        for i, v in enumerate(values):
            v = v.strip()
            if not v:
                w[i] = 1.0  # default weight
                continue
            try:
                w[i] = float(v)
            except ValueError:
                raise InputFileError(path, f"weight '{v[:40]}' is not a number",
                                     _row_of(first, i)) from None
    bad = ~np.isfinite(w) | (w <= 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputFileError(path, f"weight {values[i].strip()} must be a positive number",
                             _row_of(first, i))
    return w


def read_interactions(path: Path | str, people: People, *, strict: bool = False,
                      since: int | None = None, until: int | None = None,
                      progress: Callable[[int], None] | None = None) -> Interactions:
    """Read interactions; unknown ids are dropped and counted (an error with strict)."""
    path = Path(path)
    _, header, handle = _open_rows(path, with_handle=True)
    close = handle.close
    sources, targets, weights, times, keeps = [], [], [], [], []
    lookup = _IdLookup(people)
    kind_codes, conv_codes = _Interner(), _Interner()
    rows_read = dropped_unknown = dropped_self = dropped_window = 0
    unknown_examples: list[str] = []
    try:
        cols, ignored = _columns(header, path, ("source", "target"), INTERACTION_COLUMNS)
        width = len(header)
        for first, columns, count, nul_free in _column_chunks(handle, path, width):
            if not count:
                continue
            rows_read += count
            src_ids, dst_ids = columns[cols["source"]], columns[cols["target"]]
            src_u, src_keys = _ustr(src_ids, nul_free)
            dst_u, dst_keys = _ustr(dst_ids, nul_free)
            src = lookup(src_ids, src_u, src_keys)
            dst = lookup(dst_ids, dst_u, dst_keys)
            unknown = (src < 0) | (dst < 0)
            if unknown.any():
                i = int(np.flatnonzero(unknown)[0])
                bad_id = src_ids[i] if src[i] < 0 else dst_ids[i]
                if strict:
                    raise InputFileError(path, f"unknown person id '{bad_id.strip()[:60]}' "
                                         "(not in the people file)", _row_of(first, i))
                if len(unknown_examples) < 5:
                    unknown_examples.append(f"row {_row_of(first, i)}: '{bad_id[:60]}'")
                dropped_unknown += int(unknown.sum())
            if "weight" in cols:
                w = _parse_weights(columns[cols["weight"]], path, first, nul_free)
            else:
                w = np.ones(count, dtype=np.float64)
            if "timestamp" in cols:
                t = _parse_times(columns[cols["timestamp"]], path, first)
            else:
                t = np.full(count, NO_TIME, dtype=np.int64)
            if "kind" in cols:
                kind_codes.add(columns[cols["kind"]], nul_free)
            if "conversation" in cols:
                conv_codes.add(columns[cols["conversation"]], nul_free)
            keep = ~unknown
            self_loop = keep & (src == dst)
            dropped_self += int(self_loop.sum())
            keep &= ~self_loop
            if since is not None or until is not None:
                inside = t != NO_TIME
                if since is not None:
                    inside &= t >= since
                if until is not None:
                    inside &= t < until
                dropped_window += int((keep & ~inside).sum())
                keep &= inside
            sources.append(src[keep])
            targets.append(dst[keep])
            weights.append(w[keep])
            times.append(t[keep])
            keeps.append(keep)
            if progress:
                progress(count)
    finally:
        close()
    if rows_read == 0:
        raise InputFileError(path, "no interactions: the file has a header but no rows")

    def cat(parts, dtype):
        return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

    # Codes are given over all rows (as before any row is dropped), then the kept rows taken.
    kept = cat(keeps, bool)
    if "kind" in cols:
        kind_arr, kinds = kind_codes.codes()
        kind_arr = kind_arr[kept]
    else:
        kind_arr, kinds = np.full(int(kept.sum()), -1, dtype=np.int32), []
    if "conversation" in cols:
        convs_arr = conv_codes.codes()[0][kept]
    else:
        convs_arr = np.full(int(kept.sum()), -1, dtype=np.int32)
    return Interactions(
        source=cat(sources, np.int32), target=cat(targets, np.int32),
        weight=cat(weights, np.float64), time=cat(times, np.int64), kind=kind_arr,
        kinds=kinds, conversation=convs_arr, has_conversation="conversation" in cols,
        rows_read=rows_read, dropped_unknown=dropped_unknown, dropped_self=dropped_self,
        dropped_window=dropped_window, unknown_examples=unknown_examples, ignored_columns=ignored)


def _intern(values: tuple[str, ...], table: dict[str, int]) -> np.ndarray:
    """Codes for a chunk of strings, all at C speed.

    `setdefault(value, next(counter))` keeps the first code a value was given; codes are
    unique per value but not dense (the loader densifies them once at the end).
    """
    counter = itertools.count(len(table) and max(table.values()) + 1)
    return np.fromiter(map(table.setdefault, values, counter), dtype=np.int64,
                       count=len(values))


def _dense(codes: np.ndarray, table: dict[str, int]) -> tuple[np.ndarray, list[str]]:
    """Sparse interned codes to 0..k-1 with names; '' becomes -1 (not given)."""
    if not table:
        return codes.astype(np.int32), []
    keys = np.fromiter(table.values(), dtype=np.int64, count=len(table))
    names = list(table)
    order = np.argsort(keys)
    keys = keys[order]
    dense = np.searchsorted(keys, codes).astype(np.int32)
    ordered = [names[i].strip() for i in order.tolist()]
    if "" in table:
        blank = int(np.searchsorted(keys, table[""]))
        dense[dense == blank] = -1
        dense[dense > blank] -= 1
        del ordered[blank]
    return dense, ordered


def load(people_path: Path | str, interactions_path: Path | str, *, strict: bool = False,
         since: str | None = None, until: str | None = None,
         progress: Callable[[int], None] | None = None) -> Dataset:
    lo, hi = parse_time_bound(since, "since"), parse_time_bound(until, "until")
    if lo is not None and hi is not None and lo >= hi:
        raise InvalidInput("--since must be before --until", field="since")
    # Millions of short-lived strings and lists: the cyclic GC only costs time here.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        people = read_people(people_path)
        inter = read_interactions(interactions_path, people, strict=strict, since=lo, until=hi,
                                  progress=progress)
    finally:
        if was_enabled:
            gc.enable()
    notes = []
    if people.ignored_columns:
        notes.append(f"{people_path}: ignored unknown columns: {', '.join(people.ignored_columns)}")
    if inter.ignored_columns:
        notes.append(f"{interactions_path}: ignored unknown columns: "
                     f"{', '.join(inter.ignored_columns)}")
    if people.unknown_managers:
        notes.append(f"{people_path}: {people.unknown_managers} manager ids are not people in "
                     "the file (ignored)")
    if inter.dropped_unknown:
        notes.append(f"{interactions_path}: dropped {inter.dropped_unknown} interactions with ids "
                     f"not in the people file (e.g. {'; '.join(inter.unknown_examples[:3])}); "
                     "use --strict to make this an error")
    if inter.dropped_self:
        notes.append(f"{interactions_path}: dropped {inter.dropped_self} self-interactions")
    if inter.dropped_window:
        notes.append(f"{interactions_path}: {inter.dropped_window} interactions outside "
                     "--since/--until (or without timestamp) left out")
    return Dataset(people=people, interactions=inter, notes=notes)
