"""Makes notifications from the activity stream, after each act commits.

Each handler is idempotent: a notification is unique per (recipient, kind, activity), so a
retried or repeated handler makes none twice; reactions to a post gather into its one unread
notification, which remembers the last activity it counted. Nobody is told of their own act,
nor of anything in a community they have muted (mentions excepted), nor of a post they may
not read (checked here and again whenever the notification is shown).
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.db.models import F

from socialfabric import access, activity
from socialfabric.activity.models import Activity
from socialfabric.activity.verbs import ObjectType, Verb
from socialfabric.communities.models import JoinRequest, Membership, Role
from socialfabric.conversations.models import Post
from socialfabric.notifications import mailing
from socialfabric.notifications.models import Channel, CommunityWatch, Kind, Level, Notification, TopicWatch
from socialfabric.notifications.services import channel_of
from socialfabric.org.models import Member

log = logging.getLogger(__name__)


def _muted(member_id: int, community_id: int | None) -> bool:
    return bool(community_id) and CommunityWatch.objects.filter(
        member_id=member_id, community_id=community_id, level=Level.MUTED).exists()


def _tell(recipient_id: int | None, kind: str, act: Activity, *, post: Post | None = None,
          community_id: int | None = None, detail: str = "") -> Notification | None:
    """Make one notification, unless it exists already, concerns the actor, is turned off or muted,
    or is about a post the recipient may not read."""
    if not recipient_id or recipient_id == act.actor_id or channel_of(recipient_id, kind) == Channel.OFF:
        return None
    community_id = community_id or (post.community_id if post else None)
    if kind != Kind.MENTION and _muted(recipient_id, community_id):
        return None
    recipient = Member.objects.filter(id=recipient_id, is_active=True).first()
    if recipient is None or (post is not None and not access.can_read_post(recipient, post)):
        return None
    try:
        with transaction.atomic():
            made = Notification.objects.create(recipient=recipient, kind=kind, actor_id=act.actor_id, post=post,
                                               community_id=community_id, activity_id=act.id, detail=detail,
                                               created_at=act.created_at, updated_at=act.created_at)
    except IntegrityError:  # made already: this act was handled before
        return None
    mailing.maybe_mail_now(made)
    return made


def _post(act: Activity) -> Post | None:
    if act.object_type != ObjectType.POST or not act.object_id:
        return None
    return Post.objects.select_related("community", "parent", "root").filter(id=act.object_id).first()


def on_reply(act: Activity) -> None:
    reply = _post(act)
    if reply is None or reply.parent is None:
        return
    parent = reply.parent
    is_answer = parent.parent_id is None and parent.kind == "question"
    _tell(parent.author_id, Kind.ANSWER if is_answer else Kind.REPLY, act, post=reply)


def on_mention(act: Activity) -> None:
    post = _post(act)
    if post is None:
        return
    # A reply that also names the person it answers is one notification: the reply.
    if Notification.objects.filter(recipient_id=act.target_id, post=post,
                                   kind__in=[Kind.REPLY, Kind.ANSWER]).exists():
        return
    _tell(act.target_id, Kind.MENTION, act, post=post)


def on_accept(act: Activity) -> None:
    answer = _post(act)
    if answer is not None:
        _tell(answer.author_id, Kind.ACCEPTED, act, post=answer)


def on_react(act: Activity) -> None:
    """Reactions to one post gather into its unread notification: "Ana and 4 others"."""
    post = _post(act)
    if post is None or not post.author_id or post.author_id == act.actor_id:
        return
    with transaction.atomic():
        pending = (Notification.objects.select_for_update()
                   .filter(recipient_id=post.author_id, kind=Kind.REACTION, post=post, read_at__isnull=True).first())
        if pending is None:
            _tell(post.author_id, Kind.REACTION, act, post=post, detail=(act.details or {}).get("kind", ""))
            return
        if pending.activity_id >= act.id:  # counted already
            return
        Notification.objects.filter(id=pending.id).update(
            others=F("others") + (0 if pending.actor_id == act.actor_id else 1), actor_id=act.actor_id,
            activity_id=act.id, updated_at=act.created_at, detail=(act.details or {}).get("kind", ""))


def on_post(act: Activity) -> None:
    """A new thread reaches who watch its community or one of its topics (the author excepted)."""
    post = _post(act)
    if post is None:
        return
    watchers = set(CommunityWatch.objects.filter(community_id=post.community_id, level=Level.WATCHING)
                   .values_list("member_id", flat=True))
    watchers |= set(TopicWatch.objects.filter(topic__in=post.topics.all()).values_list("member_id", flat=True))
    for member_id in sorted(watchers):
        _tell(member_id, Kind.WATCHED, act, post=post)


def on_join_request(act: Activity) -> None:
    stewards = Membership.objects.filter(community_id=act.community_id, role__in=[Role.OWNER, Role.MODERATOR])
    for member_id in stewards.values_list("member_id", flat=True):
        _tell(member_id, Kind.JOIN_REQUEST, act, community_id=act.community_id)


def on_join_decision(act: Activity) -> None:
    decided = JoinRequest.objects.filter(id=act.object_id).values_list("status", flat=True).first()
    _tell(act.target_id, Kind.JOIN_DECISION, act, community_id=act.community_id, detail=decided or "")


_MODERATION_VERBS = (Verb.HIDE, Verb.RESTORE, Verb.RELEASE, Verb.WARN, Verb.REMOVE, Verb.SUSPEND)
# Removals by a rule (retention, erasure), recorded with {"by": ...}: governance.retention, .rights.
RULE_REMOVALS = ("retention", "erasure")
_SIGN_OFF_VERBS = (Verb.APPROVE_POST, Verb.REJECT_POST, Verb.RETURN_POST)
_SIGN_OFF_DETAIL = {Verb.APPROVE_POST: "approved", Verb.REJECT_POST: "rejected", Verb.RETURN_POST: "returned"}


def on_moderation(act: Activity) -> None:
    """The author hears what moderators decided about their post (a removal by someone else, a
    suspension too); a dismissed flag tells nobody: the author never knew of it."""
    if act.verb == Verb.SUSPEND:
        _tell(act.target_id, Kind.MODERATION, act, community_id=act.community_id, detail="suspended")
        return
    if act.verb == Verb.REMOVE and (act.details or {}).get("by") in RULE_REMOVALS:
        return  # the organisation's rule, not a decision about this post: no one is told post by post
    post = _post(act)
    if post is None or (act.verb == Verb.REMOVE and not act.target_id):  # one's own removal
        return
    outcome = (act.details or {}).get("outcome") or ("removed" if act.verb == Verb.REMOVE else act.verb)
    _tell(post.author_id, Kind.MODERATION, act, post=None if post.is_removed else post,
          community_id=post.community_id, detail=str(outcome)[:40])


def on_sign_off(act: Activity) -> None:
    post = _post(act)
    if post is not None:
        _tell(post.author_id, Kind.SIGN_OFF, act, post=post, detail=_SIGN_OFF_DETAIL[act.verb])


def connect() -> None:
    activity.subscribe(Verb.REPLY, on_reply)
    activity.subscribe(Verb.MENTION, on_mention)
    activity.subscribe(Verb.ACCEPT_ANSWER, on_accept)
    activity.subscribe(Verb.REACT, on_react)
    activity.subscribe(Verb.POST, on_post)
    activity.subscribe(Verb.REQUEST_JOIN, on_join_request)
    activity.subscribe(Verb.APPROVE_JOIN, on_join_decision)
    activity.subscribe(Verb.REJECT_JOIN, on_join_decision)
    for verb in _MODERATION_VERBS:
        activity.subscribe(verb, on_moderation)
    for verb in _SIGN_OFF_VERBS:
        activity.subscribe(verb, on_sign_off)


def replay(act: Activity) -> None:
    """Run this act's handlers again (a retried job; tests show it makes nothing twice)."""
    handlers = {Verb.REPLY: on_reply, Verb.MENTION: on_mention, Verb.ACCEPT_ANSWER: on_accept, Verb.REACT: on_react,
                Verb.POST: on_post, Verb.REQUEST_JOIN: on_join_request, Verb.APPROVE_JOIN: on_join_decision,
                Verb.REJECT_JOIN: on_join_decision, **dict.fromkeys(_MODERATION_VERBS, on_moderation),
                **dict.fromkeys(_SIGN_OFF_VERBS, on_sign_off)}
    if act.verb in handlers:
        handlers[act.verb](act)
