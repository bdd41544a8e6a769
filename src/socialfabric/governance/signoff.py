"""Compliance sign-off: a community's rule that some members' posts wait for approval.

A community's owners (and staff) set the rule: posts, and optionally replies, by members of
these stakeholder kinds, or holding these community roles, wait. Such a post is written in
state `pending` (conversations.services) and exists for nobody but its author, staff and
compliance officers who may read the community (the read policy, access.readable_posts_rule;
a compliance officer reviews where they read, like anyone) until a compliance officer
approves it: then it is published with its original time, and its notifications, index entry
and insights follow from the stream as for any post (conversations.services.publish_held).
A compliance officer may instead reject it with a reason, or return it for an edit (the
author's edit puts it back in the queue). See docs/governance.md.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from socialfabric import access, activity, paging
from socialfabric.activity.models import ObjectType, Verb
from socialfabric.communities.models import Community, Role
from socialfabric.conversations import services as conv
from socialfabric.conversations.models import Post, PostState
from socialfabric.errors import Conflict, Forbidden, InvalidInput, NotFound
from socialfabric.governance.models import ApprovalRule, Decision, Review
from socialfabric.org.models import Member
from socialfabric.org.stakeholders import Stakeholder
from socialfabric.validation import check_storable, parse_id

MAX_REASON = 500


def can_sign_off(member: Member) -> bool:
    return member.is_authenticated and member.is_active and (member.is_compliance_officer or member.is_staff)


def require_sign_off(member: Member) -> None:
    if not can_sign_off(member):
        raise Forbidden("Only compliance officers approve posts.", field=None)


# --- the rule ---------------------------------------------------------------------------------

def rule_of(community: Community) -> ApprovalRule | None:
    return ApprovalRule.objects.filter(community=community).first()


def _choices(values: object, allowed: list[str], field: str, what: str) -> list[str]:
    if values in (None, ""):
        return []
    if isinstance(values, str):
        values = [v.strip() for v in values.split(",") if v.strip()]
    if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
        raise InvalidInput(f"Give the {what} as a list.", field=field)
    wrong = [v for v in values if v not in allowed]
    if wrong:
        raise InvalidInput(f"Unknown {what}: {', '.join(wrong)} (choose from {', '.join(allowed)}).", field=field)
    return sorted(set(values))


@transaction.atomic
def set_rule(member: Member, community: Community, *, kinds: object = (), roles: object = (),
             replies: object = False) -> ApprovalRule | None:
    """Set (or, with no kinds and no roles, lift) the community's approval rule: its owners or staff."""
    access.require_readable(member, community)
    if not access.can_manage_roles(member, community):
        raise Forbidden("Only the community's owners set its approval rule.", field="community")
    kinds = _choices(list(kinds) if isinstance(kinds, tuple) else kinds, list(Stakeholder.values), "kinds",
                     "stakeholder kinds")
    roles = _choices(list(roles) if isinstance(roles, tuple) else roles, list(Role.values), "roles", "roles")
    replies = replies in (True, "true", "on", "1")
    if not kinds and not roles:
        deleted, _ = ApprovalRule.objects.filter(community=community).delete()
        if deleted:
            activity.record(Verb.SET_APPROVAL_RULE, member, object_type=ObjectType.COMMUNITY, object_id=community.id,
                            community_id=community.id, details={"kinds": [], "roles": [], "replies": False})
        return None
    rule, _ = ApprovalRule.objects.update_or_create(
        community=community, defaults={"kinds": kinds, "roles": roles, "replies": replies, "updated_by": member,
                                       "updated_at": timezone.now()})
    activity.record(Verb.SET_APPROVAL_RULE, member, object_type=ObjectType.COMMUNITY, object_id=community.id,
                    community_id=community.id, details={"kinds": kinds, "roles": roles, "replies": replies})
    return rule


# --- the queue --------------------------------------------------------------------------------

@dataclass
class Waiting:
    post: Post
    review: Review
    thread_title: str


def queue(member: Member, community: Community | None = None, *, cursor: str | None = None,
          limit: object = None) -> tuple[list[Waiting], str | None]:
    """Posts waiting for sign-off, oldest first (every community's, or one's)."""
    require_sign_off(member)
    qs = _waiting(member).select_related("post__author", "post__community", "post__root")
    if community is not None:
        qs = qs.filter(community=community)
    reviews, next_cursor = paging.keyset_page(qs, ("submitted_at", "id"), cursor, limit)
    return [Waiting(r.post, r, (r.post.root.title if r.post.root_id else r.post.title) or "") for r in reviews], \
        next_cursor


def waiting_count(member: Member) -> int:
    """The header's count for compliance officers (0 for everyone else)."""
    if not (member.is_authenticated and member.is_compliance_officer):
        return 0
    return _waiting(member).count()


def _waiting(member: Member):
    """Reviews waiting, in the communities whose posts the officer may read (staff: all)."""
    # On the review's own community (the post's, copied): the partial index review_waiting serves it.
    return Review.objects.filter(access.readable_communities_rule(member, field="community_id").q,
                                 decision=Decision.PENDING, post__deleted_at__isnull=True)


def review_of(member: Member, post: Post) -> Review | None:
    """The post's review, for its author and compliance officers (whoever else reads the post
    sees no review: for them it was simply published)."""
    if post.author_id != member.id and not can_sign_off(member):
        return None
    return Review.objects.filter(post=post).select_related("decided_by").first()


# --- decisions --------------------------------------------------------------------------------

def _pending(member: Member, post_id: object) -> tuple[Post, Review]:
    require_sign_off(member)
    ident = parse_id(post_id, field="post", message="No such post.")
    post = Post.objects.select_related("community", "author").filter(id=ident).first()
    review = Review.objects.filter(post_id=ident).first() if post else None
    # Compliance officers read by the read policy like everyone: they sign off where they may read.
    if post is None or review is None or not access.can_read_post(member, post):
        raise NotFound("No such post waiting for approval.", field="post")
    if post.is_removed:
        raise Conflict("The author removed this post.", field="post")
    if review.decision != Decision.PENDING or post.state != PostState.PENDING:
        raise Conflict(f"This post is {review.get_decision_display().lower()} already.", field="post")
    if post.author_id == member.id:
        raise Conflict("Someone else signs off your own post.", field="post")
    return post, review


def _reason(value: object, *, required: bool) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput("The reason must be text.", field="reason")
    value = " ".join(check_storable(value, "reason").split())
    if required and not value:
        raise InvalidInput("Say why, for the author.", field="reason")
    if len(value) > MAX_REASON:
        raise InvalidInput(f"The reason is {len(value)} characters; the limit is {MAX_REASON}.", field="reason")
    return value


def _decide(review: Review, member: Member, decision: str, reason: str) -> None:
    review.decision, review.reason, review.decided_by, review.decided_at = decision, reason, member, timezone.now()
    review.save(update_fields=["decision", "reason", "decided_by", "decided_at"])


@transaction.atomic
def approve(member: Member, post_id: object) -> Post:
    post, review = _pending(member, post_id)
    _decide(review, member, Decision.APPROVED, "")
    activity.record(Verb.APPROVE_POST, member, object_type=ObjectType.POST, object_id=post.id,
                    community_id=post.community_id,
                    details={"waited_s": round((review.decided_at - review.submitted_at).total_seconds())})
    conv.publish_held(post)
    return post


def _send_back(member: Member, post_id: object, reason: object, decision: str, state: str, verb: str) -> Post:
    """Reject, or return for an edit: the reason is the author's to read, the post stays theirs."""
    post, review = _pending(member, post_id)
    _decide(review, member, decision, _reason(reason, required=True))
    post.state = state
    post.save(update_fields=["state"])
    activity.record(verb, member, object_type=ObjectType.POST, object_id=post.id, community_id=post.community_id)
    return post


@transaction.atomic
def reject(member: Member, post_id: object, *, reason: object) -> Post:
    return _send_back(member, post_id, reason, Decision.REJECTED, PostState.REJECTED, Verb.REJECT_POST)


@transaction.atomic
def return_for_edit(member: Member, post_id: object, *, reason: object) -> Post:
    return _send_back(member, post_id, reason, Decision.RETURNED, PostState.RETURNED, Verb.RETURN_POST)


# --- the figure for the insights --------------------------------------------------------------

def time_to_approval(since=None, until=None) -> list[dict]:
    """Per community with approved posts (secret ones left out, as everywhere in the insights):
    how many were approved and the median and 90th percentile of the wait, in hours."""
    qs = Review.objects.filter(decision=Decision.APPROVED, decided_at__isnull=False).exclude(
        community__visibility="secret")
    if since is not None:
        qs = qs.filter(decided_at__gte=since)
    if until is not None:
        qs = qs.filter(decided_at__lt=until)
    waits: dict[tuple[int, str], list[float]] = {}
    for cid, name, sub, dec in qs.values_list("community_id", "community__name", "submitted_at", "decided_at"):
        waits.setdefault((cid, name), []).append((dec - sub).total_seconds() / 3600)
    out = []
    for (cid, name), hours in sorted(waits.items(), key=lambda kv: kv[0][1]):
        hours.sort()
        p90 = hours[math.ceil(0.9 * len(hours)) - 1]  # nearest rank
        out.append({"community_id": cid, "community": name, "approved": len(hours),
                    "median_hours": statistics.median(hours), "p90_hours": p90})
    return out
