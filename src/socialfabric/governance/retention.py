"""Retention rules and legal holds (docs/governance.md, "Retention and legal hold").

A rule removes the text of posts and replies older than N days, or signs them with their
authors' pseudonyms (governance.rights), in one community or (the organisation-wide rule) in
every community without a rule of its own. A legal hold on a member
or a community suspends every removal and erasure touching it, for as long as it is active.
The rules run as a daily background job (and on demand); each run is recorded with its counts.

Only staff and compliance officers set rules and holds. The audit trail itself (the activity
stream) is not subject to retention: it is the evidence the rules were followed.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from socialfabric import access, activity, jobs
from socialfabric.activity.models import ObjectType, Verb
from socialfabric.communities.models import Community
from socialfabric.conversations import services as conversations
from socialfabric.conversations.models import Post
from socialfabric.errors import Conflict, Forbidden, InvalidInput, NotFound
from socialfabric.governance import rights
from socialfabric.governance.models import Erasure, LegalHold, RetentionAction, RetentionRule, RetentionRun
from socialfabric.org.models import Member
from socialfabric.validation import is_storable, parse_id

MAX_DAYS = 365 * 100
RUN_EVERY = timedelta(days=1)
BATCH = 500


def require_records_officer(member: Member) -> None:
    if not (member.is_authenticated and member.is_active and (member.is_staff or member.is_compliance_officer)):
        raise Forbidden("Only staff and compliance officers manage retention and legal holds.", field=None)


def _community(member: Member, where: object) -> Community | None:
    """A community by address (or the row); None for none. One the officer may not see is
    unknown, like one that does not exist."""
    if where is None or where == "":
        return None
    if isinstance(where, Community):
        return where
    return access.get_visible_community(member, str(where).strip().lower())


def _person(where: object) -> Member | None:
    """A member by handle, former members included (holds outlive employment)."""
    if where is None or where == "":
        return None
    if isinstance(where, Member):
        return where
    text = str(where).strip().lstrip("@").lower()
    found = Member.objects.filter(handle=text).first() if is_storable(text) else None
    if found is None:
        raise NotFound("No such member.", field="member")
    return found


def _days(value: object) -> int:
    try:
        days = int(str(value).strip())
    except (TypeError, ValueError):
        raise InvalidInput("Give the number of days to keep content.", field="days") from None
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"Keep content between 1 and {MAX_DAYS:,} days.", field="days")
    return days


def rules(member: Member) -> list[RetentionRule]:
    require_records_officer(member)
    return list(RetentionRule.objects.select_related("community").order_by("community__name", "id"))


def _action(value: object) -> str:
    text = str(value or RetentionAction.REMOVE).strip().lower()
    if text not in RetentionAction.values:
        raise InvalidInput(f"The action is one of: {', '.join(RetentionAction.values)}.", field="action")
    return text


@transaction.atomic
def set_retention_rule(member: Member, community: object, *, days: object, action: object = None) -> RetentionRule:
    """Set (or change) the rule of a community (its row or address), or the organisation-wide
    one (None): remove the text of what is older than `days` (the default), or anonymise its authors."""
    require_records_officer(member)
    community = _community(member, community)
    kept, act = _days(days), _action(action)
    rule, _ = RetentionRule.objects.select_for_update().update_or_create(
        community=community, defaults={"days": kept, "action": act, "updated_by": member,
                                       "updated_at": timezone.now()})
    activity.record(Verb.SET_RETENTION, member, object_type=ObjectType.RETENTION_RULE, object_id=rule.id,
                    community_id=community.id if community else None, details={"days": kept, "action": act})
    return rule


@transaction.atomic
def remove_retention_rule(member: Member, rule_id: object) -> None:
    require_records_officer(member)
    ident = parse_id(rule_id, field="rule", message="No such retention rule.")
    rule = RetentionRule.objects.filter(id=ident).first()
    if rule is None:
        raise NotFound("No such retention rule.", field="rule")
    community_id, days = rule.community_id, rule.days
    rule.delete()
    activity.record(Verb.REMOVE_RETENTION, member, object_type=ObjectType.RETENTION_RULE, object_id=ident,
                    community_id=community_id, details={"days": days})


def holds(member: Member, *, lifted: bool = False) -> list[LegalHold]:
    require_records_officer(member)
    qs = LegalHold.objects.select_related("member", "community", "placed_by")
    return list(qs if lifted else qs.filter(lifted_at__isnull=True))


def active_holds() -> tuple[set[int], set[int]]:
    """(members, communities) under an active legal hold."""
    members, communities = set(), set()
    for member_id, community_id in LegalHold.objects.filter(lifted_at__isnull=True).values_list(
            "member_id", "community_id"):
        if member_id:
            members.add(member_id)
        else:
            communities.add(community_id)
    return members, communities


def is_held(*, member: Member | None = None, community: Community | None = None) -> bool:
    """Whether an active hold covers this member or this community (erasure asks before it acts)."""
    q = Q(member=member) if member is not None else Q(community=community)
    return LegalHold.objects.filter(q, lifted_at__isnull=True).exists()


@transaction.atomic
def place_hold(member: Member, *, reason: object, person: object = None, community: object = None) -> LegalHold:
    """Suspend removal and erasure of everything of `person` (a member or handle), or in
    `community` (a community or address)."""
    require_records_officer(member)
    person, community = _person(person), _community(member, community)
    if (person is None) == (community is None):
        raise InvalidInput("Place a hold on one member or one community.", field="member")
    text = str(reason or "").strip()
    if not text or len(text) > 500:
        raise InvalidInput("Say why the hold is placed (a matter or case, up to 500 characters).", field="reason")
    if is_held(member=person, community=community):
        raise Conflict("A legal hold is active there already.", field="member" if person else "community")
    hold = LegalHold.objects.create(member=person, community=community, reason=text, placed_by=member)
    activity.record(Verb.PLACE_HOLD, member, object_type=ObjectType.LEGAL_HOLD, object_id=hold.id, target=person,
                    community_id=community.id if community else None)
    return hold


@transaction.atomic
def lift_hold(member: Member, hold_id: object) -> LegalHold:
    require_records_officer(member)
    ident = parse_id(hold_id, field="hold", message="No such legal hold.")
    hold = LegalHold.objects.select_for_update().filter(id=ident).first()
    if hold is None:
        raise NotFound("No such legal hold.", field="hold")
    if hold.lifted_at is not None:
        raise Conflict("This legal hold was lifted already.", field="hold")
    hold.lifted_at, hold.lifted_by = timezone.now(), member
    hold.save(update_fields=["lifted_at", "lifted_by"])
    activity.record(Verb.LIFT_HOLD, member, object_type=ObjectType.LEGAL_HOLD, object_id=hold.id,
                    target=hold.member_id, community_id=hold.community_id)
    return hold


def _due(rule: RetentionRule, own_rules: set[int], now) -> Q:
    scope = Q(community_id=rule.community_id) if rule.community_id else ~Q(community_id__in=own_rules)
    return scope & Q(created_at__lt=now - timedelta(days=rule.days))


def run_retention(member: Member | None = None, *, now=None) -> RetentionRun:
    """Apply every rule now; skip what a legal hold covers. `member` None: the daily job.

    Batches commit one by one (a run over years of content must not hold the stream's append
    lock for minutes). A run cut short is not recorded as a run, but what it removed is, one
    REMOVE act a post, and the next run goes on from there."""
    if member is not None:
        require_records_officer(member)
    now = now or timezone.now()
    run = RetentionRun(started_by=member, started_at=now)
    all_rules = list(RetentionRule.objects.all())
    own = {r.community_id for r in all_rules if r.community_id}
    held_members, held_communities = active_holds()
    keep = Q(author_id__in=held_members) | Q(community_id__in=held_communities)
    run.rules = len(all_rules)
    formers = Erasure.objects.values("member_id")
    for rule in all_rules:
        due = Post.objects.filter(_due(rule, own, now))
        if rule.action == RetentionAction.ANONYMISE:
            # Posts still signed by their authors (a pseudonym or an erased person is done).
            pending = due.exclude(author_id__in=formers)
        else:
            # Live posts, and removed ones still keeping earlier versions.
            pending = due.filter(Q(deleted_at__isnull=True) | Q(revisions__isnull=False)).distinct()
        run.held += pending.filter(keep).count()
        todo = pending.exclude(keep)
        while True:
            batch = list(todo.order_by("id").values_list("id", flat=True)[:BATCH])
            if not batch:
                break
            if rule.action == RetentionAction.ANONYMISE:
                run.anonymised += rights.anonymise(batch, reason="retention")  # one transaction
            else:
                removed, revisions = conversations.expire(batch, reason="retention")  # one transaction
                run.removed += removed
                run.revisions += revisions
    with transaction.atomic():
        run.finished_at = timezone.now()
        run.save()
        activity.record(Verb.RUN_RETENTION, member, object_type=ObjectType.RETENTION_RUN, object_id=run.id,
                        details={"rules": run.rules, "removed": run.removed, "revisions": run.revisions,
                                 "anonymised": run.anonymised, "held": run.held})
    return run


def runs(member: Member, limit: int = 20) -> list[RetentionRun]:
    require_records_officer(member)
    return list(RetentionRun.objects.select_related("started_by")[:limit])


@task()
def retention_now(member_id: int) -> None:
    """A run asked for by an officer ("run now"), once, in the background."""
    run_retention(Member.objects.get(id=member_id))


@transaction.atomic
def request_run(member: Member) -> None:
    """Queue a run now, in the background (the page and the API answer at once)."""
    require_records_officer(member)
    retention_now.enqueue(member.id)


@task()
def retention_job() -> None:
    """The daily chain: run the rules, drop expired data exports, then look again in a day."""
    run_retention()
    rights.expire_exports()
    _schedule_next(timezone.now() + RUN_EVERY)


def _schedule_next(when) -> None:
    if not jobs.waiting(retention_job):
        retention_job.using(run_after=when).enqueue()


def start_retention() -> None:
    """Worker start hook: the daily run starts within the hour, unless one waits already."""
    _schedule_next(timezone.now() + timedelta(minutes=5))
