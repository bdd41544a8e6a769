"""The audit trail's staff view: the activity stream filtered by actor, verb, object, community
and time, newest first, and exported as CSV or JSON (issue 11 point 4; docs/governance.md).

Staff only. Every act of the platform is a row of the stream (written in the act's own
transaction), so governance acts (flags, moderators' actions, approvals, policy versions, role
changes, sign-ins, exports, insights requests) are all there. An export is itself an act
(`export_audit`), recorded with its filters and row count.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import transaction
from django.db.models import QuerySet

from socialfabric import activity, exports, paging
from socialfabric.activity.models import Activity, ObjectType, Verb
from socialfabric.communities.models import Community
from socialfabric.errors import Forbidden, InvalidInput
from socialfabric.org.models import Member
from socialfabric.validation import is_storable, parse_id

MAX_EXPORT_ROWS = 1_000_000
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}
FIELDS = ["id", "created_at", "verb", "actor", "object_type", "object_id", "target", "community", "details"]


def require_auditor(member: Member) -> None:
    if not (member.is_authenticated and member.is_active and member.is_staff):
        raise Forbidden("Only staff read the audit trail.", field=None)


@dataclass(frozen=True)
class Filters:
    actor: Member | None = None
    verb: str | None = None
    object_type: str | None = None
    object_id: int | None = None
    community: Community | None = None
    since: date | None = None
    until: date | None = None

    def as_dict(self) -> dict:
        return {"actor": self.actor.handle if self.actor else None, "verb": self.verb,
                "object_type": self.object_type, "object_id": self.object_id,
                "community": self.community.slug if self.community else None,
                "since": self.since.isoformat() if self.since else None,
                "until": self.until.isoformat() if self.until else None}


def _day(value: object, field: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"The {field} date must look like 2026-12-31.", field=field) from None
    if not 1900 <= day.year <= 9000:
        raise InvalidInput(f"The {field} date is out of range.", field=field)
    return day


def filters(*, actor: object = None, verb: object = None, object_type: object = None, object_id: object = None,
            community: object = None, since: object = None, until: object = None) -> Filters:
    """Parse the filters; each unknown name is InvalidInput on its field (no 500, no guess)."""
    found_actor = None
    if actor not in (None, ""):
        handle = str(actor).strip().lstrip("@").lower()
        found_actor = Member.objects.filter(handle=handle).first() if is_storable(handle) else None
        if found_actor is None:
            raise InvalidInput("No member has that handle.", field="actor")
    if verb in (None, ""):
        verb = None
    elif verb not in Verb.values:
        raise InvalidInput("Unknown verb; see the list on the page or in the API's schema.", field="verb")
    if object_type in (None, ""):
        object_type = None
    elif object_type not in ObjectType.values:
        raise InvalidInput(f"The object type must be one of: {', '.join(ObjectType.values)}.", field="object_type")
    ident = None if object_id in (None, "") else parse_id(object_id, field="object_id", error=InvalidInput,
                                                          message="The object id must be a number.")
    found_community = None
    if community not in (None, ""):
        slug = str(community)
        found_community = Community.objects.filter(slug=slug).first() if is_storable(slug) else None
        if found_community is None:
            raise InvalidInput("No community has that address.", field="community")
    first, last = _day(since, "since"), _day(until, "until")
    if first and last and first > last:
        raise InvalidInput("The since date is after the until date.", field="since")
    return Filters(found_actor, verb, object_type, ident, found_community, first, last)


def _records(f: Filters) -> QuerySet[Activity]:
    qs = Activity.objects.all()
    if f.actor is not None:
        qs = qs.filter(actor=f.actor)
    if f.verb:
        qs = qs.filter(verb=f.verb)
    if f.object_type:
        qs = qs.filter(object_type=f.object_type)
    if f.object_id is not None:
        qs = qs.filter(object_id=f.object_id)
    if f.community is not None:
        qs = qs.filter(community_id=f.community.id)
    if f.since:
        qs = qs.filter(created_at__gte=datetime.combine(f.since, time(), UTC))
    if f.until:
        qs = qs.filter(created_at__lt=datetime.combine(f.until + timedelta(days=1), time(), UTC))
    return qs


def records(member: Member, f: Filters, *, cursor: str | None = None, limit: object = None
            ) -> tuple[list[Activity], str | None]:
    """One page of the stream, newest first (keyset on id: the stream is append-only)."""
    require_auditor(member)
    return paging.keyset_page(_records(f).select_related("actor", "target"), ("-id",), cursor, limit)


def row(a: Activity, communities: dict[int, str]) -> dict:
    return {"id": a.id, "created_at": a.created_at.isoformat(), "verb": a.verb,
            "actor": a.actor.handle if a.actor else "", "object_type": a.object_type, "object_id": a.object_id,
            "target": a.target.handle if a.target else "", "community": communities.get(a.community_id, ""),
            "details": a.details or {}}


def community_slugs(ids: set[int]) -> dict[int, str]:
    return dict(Community.objects.filter(id__in=ids).values_list("id", "slug"))


def _rows(f: Filters) -> Iterator[dict]:
    slugs = dict(Community.objects.values_list("id", "slug"))
    qs = _records(f).select_related("actor", "target").order_by("id")
    for a in qs.iterator(chunk_size=5000):
        yield row(a, slugs)


@transaction.atomic
def export(member: Member, f: Filters, *, fmt: object = "csv") -> tuple[str, str]:
    """The filtered stream as (file name, text), oldest first; recorded as `export_audit`."""
    require_auditor(member)
    if fmt not in ("csv", "json"):
        raise InvalidInput("The format must be csv or json.", field="format")
    count = _records(f).count()
    if count > MAX_EXPORT_ROWS:
        raise InvalidInput(f"{count:,} records match; narrow the filters to at most {MAX_EXPORT_ROWS:,}.",
                           field="since")
    out = io.StringIO()
    if fmt == "csv":
        exports.write_csv(out, ({**r, "details": json.dumps(r["details"], sort_keys=True)} for r in _rows(f)),
                          FIELDS)
    else:
        json.dump({"filters": f.as_dict(), "records": list(_rows(f))}, out, ensure_ascii=False)
    activity.record(Verb.EXPORT_AUDIT, member, details={"format": fmt, "rows": count, "filters": f.as_dict()})
    return f"audit-{datetime.now(UTC):%Y%m%d-%H%M%S}.{fmt}", out.getvalue()
