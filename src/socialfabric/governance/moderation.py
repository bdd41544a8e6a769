"""Moderation: flags, the queues they reach, what moderators do about them, and watched words.

Anyone who reads a post may flag it once. A post with open flags, or held by a watched word,
is in its community's queue (its owners and moderators) and in the organisation's (staff).
A moderator's action resolves every open flag on the post and tells the author (a
notification, from the stream): dismiss (a held post is released), hide (invisible to all but
its author and moderators, through the read policy), restore, remove, warn the author, or
suspend them from the community for N days (staff: from the platform). See docs/governance.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import BooleanField, Count, F, Func, Q, QuerySet, Subquery
from django.utils import timezone

from socialfabric import access, activity, paging
from socialfabric.activity.models import ObjectType, Verb
from socialfabric.communities.models import Community
from socialfabric.conversations import services as conv
from socialfabric.conversations.models import Post, PostState
from socialfabric.errors import Conflict, Forbidden, InvalidInput, NotFound
from socialfabric.governance import screening
from socialfabric.governance.models import Flag, FlagReason, Outcome, Suspension, WatchAction, WatchedWord
from socialfabric.org.models import Member
from socialfabric.validation import check_storable, parse_id

MAX_FLAG_TEXT = 500
MAX_SUSPENSION_DAYS = 3650
ACTIONS = ("dismiss", "hide", "restore", "remove", "warn", "suspend")
PERSON_REASONS = [r for r in FlagReason.values if r != FlagReason.WATCHED_WORD]


def _text(value: object, field: str, limit: int, *, required: bool = False, what: str = "The text") -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be text.", field=field)
    value = " ".join(check_storable(value, field).split())
    if required and not value:
        raise InvalidInput(f"{what} must not be empty.", field=field)
    if len(value) > limit:
        raise InvalidInput(f"{what} is {len(value)} characters; the limit is {limit}.", field=field)
    return value


# --- flags ------------------------------------------------------------------------------------

@transaction.atomic
def flag_post(member: Member, post_id: object, *, reason: object, text: object = "") -> Flag:
    """Report a post or reply one may read, once (Conflict the second time)."""
    post = conv.get_readable_post(member, post_id)
    if reason not in PERSON_REASONS:
        raise InvalidInput(f"The reason must be one of: {', '.join(PERSON_REASONS)}.", field="reason")
    text = _text(text, "text", MAX_FLAG_TEXT, required=reason == FlagReason.OTHER, what="What is wrong")
    if post.author_id == member.id:
        raise Conflict("You cannot flag your own post; edit or remove it instead.", field="post")
    if post.is_removed:
        raise Conflict("This post was removed already.", field="post")
    access.require_not_suspended(member, post.community)
    try:
        with transaction.atomic():
            flag = Flag.objects.create(post=post, member=member, community_id=post.community_id, reason=reason,
                                       text=text)
    except IntegrityError:
        raise Conflict("You flagged this post already; its moderators will look at it.", field="post") from None
    activity.record(Verb.FLAG, member, object_type=ObjectType.POST, object_id=post.id,
                    community_id=post.community_id, details={"reason": reason})
    return flag


def my_flag(member: Member, post: Post) -> Flag | None:
    return Flag.objects.filter(post=post, member_id=member.id).first() if member.is_authenticated else None


# --- the queues -------------------------------------------------------------------------------

@dataclass
class QueueItem:
    post: Post
    flags: list[Flag]
    reasons: dict[str, int]


def _waiting(community_ids: set[int] | None = None) -> Q:
    """Posts that wait for a moderator (in these communities; None: all): open flags, or held by
    a watched word; removed ones never. Gathered from the open flags' index and the held posts'
    index, so a queue costs what waits in it, not the size of the post table."""
    flags = Flag.objects.filter(resolved_at__isnull=True)
    held = Post.objects.filter(state=PostState.HELD)
    if community_ids is not None:
        flags, held = flags.filter(community_id__in=community_ids), held.filter(community_id__in=community_ids)
    # One set of ids from the two small indexes, never "IN (...) OR state = held" (with the OR
    # both databases walk the whole post table). On PostgreSQL as `id = ANY(ARRAY(...))`: a
    # plain IN over thousands of flags is planned as a hash join over every post (5,000 flags
    # on 200,000 posts: 62 ms a count, against 32 ms probing the primary key).
    waiting = flags.values("post_id").union(held.values("id"))
    if connection.vendor == "postgresql":
        return Q(_AnyOf(F("id"), Subquery(waiting))) & Q(deleted_at__isnull=True)
    return Q(id__in=waiting) & Q(deleted_at__isnull=True)


class _AnyOf(Func):
    """PostgreSQL's `lhs = ANY(ARRAY(subquery))`: the subquery runs once, then index probes."""

    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra):
        lhs, lhs_params = compiler.compile(self.source_expressions[0])
        sub, sub_params = compiler.compile(self.source_expressions[1])
        return f"{lhs} = ANY(ARRAY{sub})", (*lhs_params, *sub_params)


def _scope(member: Member, community: Community | None) -> tuple[QuerySet[Post], set[int] | None]:
    """The posts of the queue `member` asked for: one community's (its moderators), or with no
    community every one they work (staff: the organisation's); Forbidden for who moderates none."""
    if community is None:
        if member.is_staff:
            return Post.objects.all(), None
        moderated = access.moderated_community_ids(member)
        if not moderated:
            raise Forbidden("Only moderators have a moderation queue.", field=None)
        return Post.objects.filter(community_id__in=moderated), moderated
    access.require_moderator(member, community)
    return Post.objects.filter(community=community), {community.id}


def queue(member: Member, community: Community | None = None, *, cursor: str | None = None,
          limit: object = None) -> tuple[list[QueueItem], str | None]:
    """The posts waiting for moderators, oldest first, each with its open flags."""
    qs, scope = _scope(member, community)
    qs = qs.filter(_waiting(scope)).select_related("author", "community")
    posts, next_cursor = paging.keyset_page(qs, ("id",), cursor, limit)
    flags: dict[int, list[Flag]] = {}
    for f in (Flag.objects.filter(post__in=posts, resolved_at__isnull=True).select_related("member")
              .order_by("created_at", "id")):
        flags.setdefault(f.post_id, []).append(f)
    items = []
    for p in posts:
        mine = flags.get(p.id, [])
        reasons: dict[str, int] = {}
        for f in mine:
            reasons[f.reason] = reasons.get(f.reason, 0) + 1
        items.append(QueueItem(p, mine, reasons))
    return items, next_cursor


def waiting_count(member: Member) -> int:
    """How many posts wait in the queues the member works (the header's count): every
    community's for staff, those they moderate for owners and moderators, else 0."""
    if not member.is_authenticated:
        return 0
    scope = None if member.is_staff else access.moderated_community_ids(member)
    if scope is not None and not scope:
        return 0
    return Post.objects.filter(_waiting(scope)).count()


def queue_counts(member: Member, most: int = 25) -> list[dict]:
    """Per community the member moderates (staff: every one with something waiting): how many
    posts wait, busiest first, the `most` busiest. For the queue page's community list.

    Counted on the post table alone, then named: joined to the communities in one statement,
    SQLite walked every community's posts (0.35 s a page at 5,000 flags)."""
    qs = Post.objects.filter(_waiting(None if member.is_staff else access.moderated_community_ids(member)))
    rows = list(qs.values("community_id").annotate(n=Count("id")).order_by("-n", "community_id")[:most])
    names = dict((c.id, c) for c in Community.objects.filter(id__in=[r["community_id"] for r in rows]).only(
        "id", "slug", "name"))
    return [{"id": r["community_id"], "slug": names[r["community_id"]].slug, "name": names[r["community_id"]].name,
             "waiting": r["n"]} for r in rows if r["community_id"] in names]


# --- moderators' actions ----------------------------------------------------------------------

def _post_for_moderator(member: Member, post_id: object) -> Post:
    post = conv.get_readable_post(member, post_id)
    if not access.can_moderate(member, post.community):
        raise Forbidden("Only this community's owners and moderators may do that.", field="post")
    return post


def _resolve(post: Post, member: Member, outcome: str) -> int:
    return Flag.objects.filter(post=post, resolved_at__isnull=True).update(
        resolved_at=timezone.now(), resolved_by=member, outcome=outcome)


def _days(days: object) -> int:
    if isinstance(days, str) and days.strip().isdigit():
        days = int(days)
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_SUSPENSION_DAYS:
        raise InvalidInput(f"A suspension lasts from 1 to {MAX_SUSPENSION_DAYS} days.", field="days")
    return days


@transaction.atomic
def moderate(member: Member, post_id: object, action: object, *, reason: object = "", days: object = None,
             platform: object = False) -> str:
    """Act on a post in the queue (or any post one moderates); returns the outcome. Every open
    flag on the post is resolved with it; the author hears of it (notifications' consumer)."""
    if action not in ACTIONS:
        raise InvalidInput(f"The action must be one of: {', '.join(ACTIONS)}.", field="action")
    post = _post_for_moderator(member, post_id)
    reason = _text(reason, "reason", 500, required=action in ("warn", "suspend"), what="The reason")
    if post.state in (PostState.PENDING, PostState.RETURNED, PostState.REJECTED):
        raise Conflict("This post waits for compliance sign-off; compliance officers decide about it.", field="post")
    about = {"post": post.id, "reason": reason}
    target = post.author_id if post.author_id != member.id else None
    record = {"object_type": ObjectType.POST, "object_id": post.id, "target": target,
              "community_id": post.community_id}
    if action == "dismiss":
        if post.state == PostState.HELD:
            conv.publish_held(post)
            outcome, verb = Outcome.RELEASED, Verb.RELEASE
        else:
            outcome, verb = Outcome.DISMISSED, Verb.DISMISS_FLAGS
        _resolve(post, member, outcome)
        activity.record(verb, member, details={"outcome": outcome, **about}, **record)
        return outcome
    if action == "hide":
        if post.state == PostState.HIDDEN:
            raise Conflict("This post is hidden already.", field="post")
        if post.is_removed:
            raise Conflict("This post was removed.", field="post")
        conv.hide(post)
        _resolve(post, member, Outcome.HIDDEN)
        activity.record(Verb.HIDE, member, details={"outcome": Outcome.HIDDEN, **about}, **record)
        return Outcome.HIDDEN
    if action == "restore":
        if post.state == PostState.HELD:
            conv.publish_held(post)
        elif post.state == PostState.HIDDEN:
            conv.unhide(post)
        else:
            raise Conflict("Only a hidden or held post can be restored.", field="post")
        _resolve(post, member, Outcome.RESTORED)
        activity.record(Verb.RESTORE, member, details={"outcome": Outcome.RESTORED, **about}, **record)
        return Outcome.RESTORED
    if action == "remove":
        if post.is_removed:
            raise Conflict("This post was removed already.", field="post")
        _resolve(post, member, Outcome.REMOVED)
        conv.remove_post(member, post.id)  # records `remove` with the author as target
        return Outcome.REMOVED
    if action == "warn":
        _resolve(post, member, Outcome.WARNED)
        activity.record(Verb.WARN, member, details={"outcome": Outcome.WARNED, **about}, **{
            **record, "target": post.author_id})
        return Outcome.WARNED
    # suspend
    _suspend(member, post.author, None if platform in (True, "true", "on", "1") else post.community,
             days=days, reason=reason, post=post)
    _resolve(post, member, Outcome.SUSPENDED)
    return Outcome.SUSPENDED


def _suspend(member: Member, author: Member, community: Community | None, *, days: object, reason: str,
             post: Post | None = None) -> Suspension:
    days = _days(days)
    if community is None and not member.is_staff:
        raise Forbidden("Only staff suspend someone from the whole platform.", field="platform")
    if community is not None:
        access.require_moderator(member, community)
    if author.id == member.id:
        raise Conflict("You cannot suspend yourself.", field="member")
    if author.is_staff and not member.is_superuser:
        raise Forbidden("Staff are suspended only by a superuser.", field="member")
    until = timezone.now() + timedelta(days=days)
    found = Suspension.objects.create(member=author, community=community, until=until, reason=reason,
                                      suspended_by=member)
    activity.record(Verb.SUSPEND, member, object_type=ObjectType.SUSPENSION, object_id=found.id, target=author,
                    community_id=community.id if community else None,
                    details={"days": days, "platform": community is None, "reason": reason,
                             "post": post.id if post else None, "outcome": Outcome.SUSPENDED})
    access.forget(author)
    return found


@transaction.atomic
def suspend(member: Member, author: Member, *, community: Community | None, days: object, reason: object) -> Suspension:
    """Suspend a member outright (from a profile or the staff pages), not about one post."""
    return _suspend(member, author, community, days=days,
                    reason=_text(reason, "reason", 500, required=True, what="The reason"))


@transaction.atomic
def lift_suspension(member: Member, suspension_id: object) -> Suspension:
    ident = parse_id(suspension_id, field="suspension", message="No such suspension.")
    found = Suspension.objects.select_related("community").filter(id=ident).first()
    if found is None or not (member.is_staff or (found.community and access.can_moderate(member, found.community))):
        raise NotFound("No such suspension.", field="suspension")
    if found.lifted_at is not None or found.until <= timezone.now():
        raise Conflict("This suspension has ended already.", field="suspension")
    found.lifted_at = timezone.now()
    found.save(update_fields=["lifted_at"])
    activity.record(Verb.LIFT_SUSPENSION, member, object_type=ObjectType.SUSPENSION, object_id=found.id,
                    target=found.member_id, community_id=found.community_id)
    return found


def suspensions(member: Member, community: Community | None = None) -> list[Suspension]:
    """Suspensions in force: a community's for its moderators, all for staff."""
    qs = Suspension.objects.filter(until__gt=timezone.now(), lifted_at__isnull=True).select_related(
        "member", "community", "suspended_by")
    if community is None:
        if not member.is_staff:
            raise Forbidden("Only staff see every suspension.", field=None)
    else:
        access.require_moderator(member, community)
        qs = qs.filter(community=community)
    return list(qs.order_by("until", "id"))


# --- watched words ----------------------------------------------------------------------------

def _require_staff(member: Member) -> None:
    if not (member.is_authenticated and member.is_staff):
        raise Forbidden("Only staff maintain the watched words.", field=None)


def watched_words(member: Member) -> list[WatchedWord]:
    _require_staff(member)
    return list(WatchedWord.objects.all())


@transaction.atomic
def add_watched_word(member: Member, *, pattern: object, action: object, is_regex: object = False,
                     reason: object = "") -> WatchedWord:
    _require_staff(member)
    if action not in WatchAction.values:
        raise InvalidInput(f"The action must be one of: {', '.join(WatchAction.values)}.", field="action")
    is_regex = is_regex in (True, "true", "on", "1")
    pattern = screening.check_pattern(pattern, is_regex)
    reason = _text(reason, "reason", 200, what="The reason")
    if WatchedWord.objects.filter(pattern=pattern, is_regex=is_regex).exists():
        raise Conflict("This pattern is watched already.", field="pattern")
    word = WatchedWord.objects.create(pattern=pattern, is_regex=is_regex, action=action, reason=reason,
                                      created_by=member)
    activity.record(Verb.ADD_WATCHED_WORD, member, object_type=ObjectType.WATCHED_WORD, object_id=word.id,
                    details={"action": action, "regex": is_regex})
    return word


@transaction.atomic
def remove_watched_word(member: Member, word_id: object) -> None:
    _require_staff(member)
    ident = parse_id(word_id, field="word", message="No such watched word.")
    deleted, _ = WatchedWord.objects.filter(id=ident).delete()
    if not deleted:
        raise NotFound("No such watched word.", field="word")
    activity.record(Verb.REMOVE_WATCHED_WORD, member, object_type=ObjectType.WATCHED_WORD, object_id=ident)
