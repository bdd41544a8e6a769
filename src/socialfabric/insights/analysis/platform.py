"""The platform's own data as an insights Dataset (the same shape `loader.load` returns).

Why a separate module: the file loader must never touch the database, and this path must
never read content. Only ids, org attributes, event kinds, timestamps and thread ids are
read: no names, titles, bodies or community names, so nothing a secret community holds can
appear in a report (its members' interactions count in the aggregate figures, as numbers).

Rows are streamed with `values_list(...).iterator()` in chunks and turned into NumPy arrays
column by column; no ORM object is built per row.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime

import numpy as np
from django.db import connection

from socialfabric.activity.verbs import Verb
from socialfabric.errors import InvalidInput
from socialfabric.insights.analysis import metrics as mx
from socialfabric.insights.analysis.loader import (
    NO_TIME,
    STAKEHOLDERS,
    Dataset,
    Interactions,
    People,
    parse_time_bound,
)
from socialfabric.org.stakeholders import Stakeholder

CHUNK_ROWS = 50_000
SOURCE = "platform"
QUESTION_DEFINITION = ("a thread whose root post is a question written by an external member; "
                       "its answer is the first interaction in the thread by an employee")


def _chunks(rows: Iterable[tuple], size: int = CHUNK_ROWS) -> Iterator[list[tuple]]:
    it = iter(rows)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def _epochs(values: Iterable[datetime | None], count: int) -> np.ndarray:
    return np.fromiter((NO_TIME if v is None else int(v.timestamp()) for v in values),
                       dtype=np.int64, count=count)


def _codes(values: list[str]) -> tuple[np.ndarray, list[str]]:
    """Group codes in sorted name order; '' becomes -1 (as the file loader does)."""
    names = sorted({v for v in values if v})
    lut = {name: code for code, name in enumerate(names)}
    lut[""] = -1
    return np.fromiter(map(lut.__getitem__, values), dtype=np.int32, count=len(values)), names


def read_people() -> People:
    from socialfabric.org.models import Member

    ids: list[str] = []
    pks: list[int] = []
    units: list[str] = []
    levels: list[int] = []
    stakes: list[str] = []
    managers: list[int] = []
    rows = (Member.objects.order_by("id")
            .values_list("id", "handle", "unit__name", "level", "stakeholder", "manager_id")
            .iterator(chunk_size=CHUNK_ROWS))
    for chunk in _chunks(rows):
        pk, handle, unit, level, stake, manager = zip(*chunk, strict=True)
        pks.extend(pk)
        ids.extend(handle)
        units.extend(u or "" for u in unit)
        levels.extend(lv or 0 for lv in level)
        stakes.extend(s if s in STAKEHOLDERS else Stakeholder.EMPLOYEE for s in stake)
        managers.extend(-1 if m is None else m for m in manager)
    n = len(ids)
    if n == 0:
        raise InvalidInput("the platform has no members yet: nothing to analyse")
    index = {pid: i for i, pid in enumerate(ids)}
    by_pk = dict(zip(pks, range(n), strict=True))
    level = np.asarray(levels, dtype=np.int16)
    manager = np.fromiter((by_pk.get(m, -1) for m in managers), dtype=np.int32, count=n)
    attributes: dict[str, np.ndarray] = {}
    labels: dict[str, list[str]] = {}
    attributes["unit"], labels["unit"] = _codes(units)
    present = sorted({int(x) for x in level if x > 0})
    lut = np.full(int(level.max()) + 1, -1, dtype=np.int32)
    for code, lv in enumerate(present):
        lut[lv] = code
    attributes["level"] = lut[level]
    labels["level"] = [str(x) for x in present]
    attributes["stakeholder"], labels["stakeholder"] = _codes(stakes)
    people = People(ids=ids, index=index, attributes=attributes, labels=labels, level=level,
                    manager=manager, leader=(level >= 1) & (level <= 2),
                    external=np.asarray([s != Stakeholder.EMPLOYEE for s in stakes], dtype=bool))
    people.pk = np.asarray(pks, dtype=np.int64)  # kept to map event rows to indices
    return people


def _pk_lookup(people: People) -> Callable[[np.ndarray], np.ndarray]:
    """Member primary keys to person indices by binary search on the sorted keys."""
    pks = people.pk  # sorted: read_people orders by id

    def look(values: np.ndarray) -> np.ndarray:
        pos = np.searchsorted(pks, values)
        pos = np.minimum(pos, len(pks) - 1)
        return np.where(pks[pos] == values, pos, -1).astype(np.int32)

    return look


def _window(qs, since: int | None, until: int | None):
    if since is not None:
        qs = qs.filter(created_at__gte=datetime.fromtimestamp(since, UTC))
    if until is not None:
        qs = qs.filter(created_at__lt=datetime.fromtimestamp(until, UTC))
    return qs


# The insights read the activity stream: these verbs are interactions, under the kind names
# the analysis (and the file format) uses. Acts towards nobody (a post, a join) are read for
# the time span only where they have a target; moderation and account acts are never read.
INTERACTION_KINDS = {
    Verb.POST: "post",
    Verb.REPLY: "reply",
    Verb.REACT: "reaction",
    Verb.MENTION: "mention",
    Verb.ACCEPT_ANSWER: "accepted_answer",
    Verb.FOLLOW: "follow",
    Verb.JOIN: "join",
}


def _epoch_sql(column: str) -> str:
    """Whole epoch seconds computed by the database: no datetime object per row."""
    if connection.vendor == "postgresql":
        return f"CAST(FLOOR(EXTRACT(EPOCH FROM {column})) AS BIGINT)"
    return f"CAST(strftime('%%s', {column}) AS INTEGER)"


def _interaction_sql(*, exclude_secret: bool, since: int | None, until: int | None,
                     count: bool = False) -> tuple[str, list]:
    from socialfabric import access
    from socialfabric.activity.models import Activity, ObjectType
    from socialfabric.conversations.models import Post

    verbs = list(INTERACTION_KINDS)
    where = [f"a.target_id IS NOT NULL AND a.verb IN ({', '.join(['%s'] * len(verbs))})"]
    params: list = [*verbs]
    if exclude_secret:
        sql, extra = access.counted_in_insights_sql("a.community_id")
        where.append(sql)
        params += extra
    for bound, op in ((since, ">="), (until, "<")):
        if bound is not None:
            where.append(f"a.created_at {op} %s")
            params.append(connection.ops.adapt_datetimefield_value(datetime.fromtimestamp(bound, UTC)))
    if count:
        return f"SELECT COUNT(*) FROM {Activity._meta.db_table} a WHERE {' AND '.join(where)}", params
    # The thread of an act on a post: the post's root, or the post itself.
    return (f"SELECT a.actor_id, a.target_id, {_epoch_sql('a.created_at')}, a.verb, COALESCE(p.root_id, p.id)"
            f" FROM {Activity._meta.db_table} a LEFT JOIN {Post._meta.db_table} p"
            f" ON a.object_type = %s AND p.id = a.object_id WHERE {' AND '.join(where)}",
            [ObjectType.POST, *params])


def count_interactions(*, exclude_secret: bool = False) -> int:
    """How many interactions a report would read (for progress bars)."""
    sql, params = _interaction_sql(exclude_secret=exclude_secret, since=None, until=None, count=True)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def read_interactions(people: People, *, since: int | None = None, until: int | None = None,
                      exclude_secret: bool = False,
                      progress: Callable[[int], None] | None = None) -> Interactions:
    kinds = list(INTERACTION_KINDS.values())
    kind_code = {verb: i for i, verb in enumerate(INTERACTION_KINDS)}
    look = _pk_lookup(people)
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("src", "dst", "t", "kind", "conv")}
    rows_read = dropped_self = 0
    sql, params = _interaction_sql(exclude_secret=exclude_secret, since=since, until=until)
    # A server-side cursor on PostgreSQL: millions of rows are streamed, not held at once.
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(CHUNK_ROWS):
            count = len(chunk)
            actor, target, created, kind, thread = zip(*chunk, strict=True)
            rows_read += count
            src = look(np.fromiter(actor, dtype=np.int64, count=count))
            dst = look(np.fromiter(target, dtype=np.int64, count=count))
            keep = (src >= 0) & (dst >= 0)
            self_loop = keep & (src == dst)
            dropped_self += int(self_loop.sum())
            keep &= ~self_loop
            parts["src"].append(src[keep])
            parts["dst"].append(dst[keep])
            parts["t"].append(np.fromiter(created, dtype=np.int64, count=count)[keep])
            parts["kind"].append(np.fromiter(map(kind_code.get, kind, itertools.repeat(-1)),
                                             dtype=np.int32, count=count)[keep])
            parts["conv"].append(np.fromiter((-1 if c is None else c for c in thread),
                                             dtype=np.int64, count=count)[keep])
            if progress:
                progress(count)
    dropped_window = 0
    if since is not None or until is not None:
        dropped_window = count_interactions(exclude_secret=exclude_secret) - rows_read

    def cat(name: str, dtype) -> np.ndarray:
        return np.concatenate(parts[name]).astype(dtype) if parts[name] else np.zeros(0, dtype)

    threads = cat("conv", np.int64)
    conversation = np.full(threads.size, -1, dtype=np.int32)
    has = threads >= 0
    thread_ids, dense = np.unique(threads[has], return_inverse=True)
    conversation[has] = dense.astype(np.int32)
    inter = Interactions(
        source=cat("src", np.int32), target=cat("dst", np.int32),
        weight=np.ones(threads.size, dtype=np.float64), time=cat("t", np.int64),
        kind=cat("kind", np.int32), kinds=kinds, conversation=conversation,
        has_conversation=True, rows_read=rows_read, dropped_self=dropped_self,
        dropped_window=dropped_window)
    inter.thread_ids = thread_ids  # dense conversation code -> root post id
    return inter


def load(*, since: str | None = None, until: str | None = None, exclude_secret: bool = False,
         progress: Callable[[int], None] | None = None) -> Dataset:
    """The platform's members and interaction events, like `loader.load` reads files."""
    lo, hi = parse_time_bound(since, "since"), parse_time_bound(until, "until")
    if lo is not None and hi is not None and lo >= hi:
        raise InvalidInput("--since must be before --until", field="since")
    people = read_people()
    inter = read_interactions(people, since=lo, until=hi, exclude_secret=exclude_secret,
                              progress=progress)
    notes = ["source: the platform's own data (members and interaction events with a target)"]
    if exclude_secret:
        notes.append("interactions in secret communities are left out")
    if inter.dropped_self:
        notes.append(f"platform: dropped {inter.dropped_self} self-interactions")
    if inter.dropped_window:
        notes.append(f"platform: {inter.dropped_window} interactions outside --since/--until "
                     "left out")
    return Dataset(people=people, interactions=inter, notes=notes)


def questions(ds: Dataset, *, since: str | None = None, until: str | None = None,
              horizon: int | None = None) -> dict:
    """External members' questions with the platform's own definition (the root post's kind).

    The file definition (first interaction by an external member) cannot see a question on
    the platform: the root post is an event without a target, so the first interaction is
    usually the answer. Here a question is a root post of kind question by an external member,
    asked inside the window; time to answer runs from the post to the first interaction in
    its thread by an employee. Unanswered questions are censored at the end of the window.
    """
    from socialfabric.conversations.models import Post, PostKind

    people, inter = ds.people, ds.interactions
    lo, hi = parse_time_bound(since, "since"), parse_time_bound(until, "until")
    qs = _window(Post.objects.filter(root__isnull=True, kind=PostKind.QUESTION), lo, hi)
    look = _pk_lookup(people)
    q_ids, q_start = [], []
    for chunk in _chunks(qs.order_by().values_list("id", "author_id", "created_at")
                         .iterator(chunk_size=CHUNK_ROWS)):
        pid, author, created = zip(*chunk, strict=True)
        a = look(np.fromiter(author, dtype=np.int64, count=len(chunk)))
        ext = (a >= 0) & people.external[np.maximum(a, 0)]
        q_ids.append(np.fromiter(pid, dtype=np.int64, count=len(chunk))[ext])
        q_start.append(_epochs(created, len(chunk))[ext])
    ids = np.concatenate(q_ids) if q_ids else np.zeros(0, np.int64)
    start = np.concatenate(q_start) if q_start else np.zeros(0, np.int64)
    out = {"count": int(ids.size), "answered": 0, "answer_rate": None, "median_hours": None,
           "p90_hours": None, "within_24h_share": None,
           "method": "Kaplan-Meier; unanswered questions censored at the end of the window"}
    if not ids.size:
        return out
    # First employee interaction per thread (dense conversation code).
    thread_ids = getattr(inter, "thread_ids", np.zeros(0, np.int64))
    big = np.iinfo(np.int64).max
    first_emp = np.full(thread_ids.size, big, dtype=np.int64)
    emp = (inter.conversation >= 0) & ~people.external[inter.source] & (inter.time != NO_TIME)
    np.minimum.at(first_emp, inter.conversation[emp], inter.time[emp])
    answer = np.full(ids.size, big, dtype=np.int64)
    if thread_ids.size:
        pos = np.minimum(np.searchsorted(thread_ids, ids), thread_ids.size - 1)
        found = thread_ids[pos] == ids
        answer[found] = first_emp[pos[found]]
    answered = answer != big
    if horizon is not None:
        end = horizon
    else:
        times = inter.time[inter.time != NO_TIME]
        end = int(max(times.max() if times.size else 0, start.max()))
    duration = np.where(answered, np.maximum(answer - start, 0),
                        np.maximum(end - start, 0)).astype(float)
    times, surv = mx.kaplan_meier(duration, answered)
    within = None
    if times.size:
        idx = np.searchsorted(times, 24 * 3600, side="right") - 1
        within = 1 - float(surv[idx]) if idx >= 0 else 0.0
    med, p90 = mx.km_quantile(times, surv, 0.5), mx.km_quantile(times, surv, 0.9)
    out.update({
        "answered": int(answered.sum()),
        "answer_rate": mx._ratio(float(answered.sum()), float(ids.size)),
        "median_hours": mx._f(med / 3600, 3) if med is not None else None,
        "p90_hours": mx._f(p90 / 3600, 3) if p90 is not None else None,
        "within_24h_share": mx._f(within),
    })
    return out


def apply_platform_figures(result: dict, ds: Dataset, *, since: str | None = None,
                           until: str | None = None, horizon: int | None = None) -> None:
    """Replace the file-based question figures by the platform's and redo stages/findings."""
    from socialfabric.insights.analysis import report

    result["boundary"]["questions"] = questions(ds, since=since, until=until, horizon=horizon)
    result["boundary"]["question_definition"] = QUESTION_DEFINITION
    # The share of active employees who accepted the policy in force now (governance); None
    # while no policy is published, so the criterion reads "no data" rather than failing.
    from socialfabric.governance.services import acceptance_share

    share = acceptance_share()
    result["platform"] = {"source": SOURCE, "policy_accepted_share": mx._f(share) if share is not None else None,
                          "sign_off": sign_off_times(since, until)}
    result["stages"] = report.stages(result)
    result["findings"] = report.findings(result)


def sign_off_times(since: str | None, until: str | None) -> list[dict]:
    """Compliance sign-off per community (governance): posts approved in the window, and the
    median and 90th percentile of their wait in hours; secret communities left out."""
    from datetime import UTC, datetime, timedelta

    from socialfabric.governance.signoff import time_to_approval

    def day(value: str | None, extra: int = 0):
        return None if not value else datetime.fromisoformat(value).replace(tzinfo=UTC) + timedelta(days=extra)

    return [{**row, "median_hours": mx._f(row["median_hours"], 3), "p90_hours": mx._f(row["p90_hours"], 3)}
            for row in time_to_approval(since=day(since), until=day(until, 1))]
