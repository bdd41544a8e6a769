"""Posting, replying, editing, removing, reacting and accepting answers.

Each act runs in one transaction together with its record in the activity stream, so a
failed act leaves nothing behind.
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from socialfabric import access, activity
from socialfabric.activity.models import ObjectType, Verb
from socialfabric.communities.models import Community
from socialfabric.conversations.models import (
    ROOT_KINDS,
    Post,
    PostKind,
    PostRevision,
    PostState,
    Reaction,
    ReactionKind,
    Topic,
)
from socialfabric.conversations.text import find_mentions, find_topics, render
from socialfabric.errors import Conflict, Forbidden, InvalidInput, NotFound
from socialfabric.governance import screening
from socialfabric.governance.models import Decision, Flag, FlagReason, Review, WatchAction
from socialfabric.org.models import Member
from socialfabric.validation import check_label, check_storable, parse_id

REMOVED_TEXT = "[removed]"
# Threads nest to any depth a conversation needs; the cap only stops runaway chains
# (scripts replying to themselves) before pages and trees become unreadable.
MAX_REPLY_DEPTH = 200


def clean_body(body: object, field: str = "body") -> str:
    if not isinstance(body, str):
        raise InvalidInput("The body must be text.", field=field)
    body = check_storable(body, field).replace("\r\n", "\n").strip()
    if not body:
        raise InvalidInput("The body must not be empty.", field=field)
    limit = settings.SOCIALFABRIC_MAX_BODY_CHARS
    if len(body) > limit:
        raise InvalidInput(f"The body is {len(body)} characters; the limit is {limit}.", field=field)
    return body


def clean_title(title: object) -> str:
    if title is None:
        return ""
    if not isinstance(title, str):
        raise InvalidInput("The title must be text.", field="title")
    title = " ".join(check_label(title, "title").split())
    limit = settings.SOCIALFABRIC_MAX_TITLE_CHARS
    if len(title) > limit:
        raise InvalidInput(f"The title is {len(title)} characters; the limit is {limit}.", field="title")
    return title


def _prepare(body: str, author: Member) -> tuple[str, list[Member], set[str]]:
    """The body's HTML, the members it mentions and the topic names it carries. A body may name
    at most SOCIALFABRIC_MAX_MENTIONS distinct @handles and SOCIALFABRIC_MAX_TOPICS #topics (README,
    Limits): more would notify a crowd, inflate the insights and hold the write lock.

    An @handle is a mention only of a member the author may see (access.visible_members, the
    directory's rule): otherwise it stays plain text, exactly like a handle nobody has, so an
    external member cannot learn who works for the company by watching which handles turn into
    links (docs/security.md)."""
    handles = find_mentions(body)
    limit = settings.SOCIALFABRIC_MAX_MENTIONS
    if len(handles) > limit:
        raise InvalidInput(f"The body mentions {len(handles)} people; a post may mention at most {limit}.",
                           field="body")
    limit, topic_names = settings.SOCIALFABRIC_MAX_TOPICS, find_topics(body)
    if len(topic_names) > limit:
        raise InvalidInput(f"The body has {len(topic_names)} #topics; a post may have at most {limit}.",
                           field="body")
    mentioned = list(Member.objects.filter(access.visible_members(author), handle__in=handles)
                     .only("id", "handle")) if handles else []
    return render(body, {m.handle.lower() for m in mentioned}), mentioned, set(topic_names)


def _link(post: Post, mentioned: list[Member], topic_names: set[str], *, actor: Member, new: bool) -> None:
    """(Re)attach mentions and topics; record a mention event for each newly mentioned person
    (a post not published yet tells nobody: `announce` does when it is)."""
    topics = []
    if topic_names:
        existing = {t.name: t for t in Topic.objects.filter(name__in=topic_names)}
        for name in topic_names - existing.keys():
            existing[name], _ = Topic.objects.get_or_create(name=name)
        topics = list(existing.values())
    before: set[int] = set()
    if new:  # nothing attached yet: insert the links directly, skipping .set()'s diffing reads
        if topics:
            Post.topics.through.objects.bulk_create([Post.topics.through(post=post, topic=t) for t in topics])
        if mentioned:
            Post.mentions.through.objects.bulk_create([Post.mentions.through(post=post, member=m) for m in mentioned])
    else:
        post.topics.set(topics)
        before = set(post.mentions.values_list("id", flat=True))
        post.mentions.set(mentioned)
    if post.state != PostState.PUBLISHED:
        return
    _announce_mentions(post, [m for m in mentioned if m.id not in before], actor=actor)


def _announce_mentions(post: Post, mentioned: list[Member], *, actor: Member) -> None:
    for m in mentioned:
        # A mention reaches only someone who can read the community: naming an outsider in a
        # secret community is no interaction with them, and must not tie them to it anywhere.
        if m.id != actor.id and access.can_read_community(m, post.community):
            activity.record(Verb.MENTION, actor, object_type=ObjectType.POST, object_id=post.id, target=m,
                            community_id=post.community_id)


def get_readable_post(member: Member, post_id: int) -> Post:
    post_id = parse_id(post_id, field="post", message="No such post.")
    post = Post.objects.select_related("community", "author").filter(id=post_id).first()
    if post is None or not access.can_see_community(member, post.community):
        raise NotFound("No such post.", field="post")
    access.require_readable(member, post.community)
    if not access.can_read_post(member, post):  # held, hidden or in sign-off: as if there were none
        raise NotFound("No such post.", field="post")
    return post


def _screen(member: Member, community: Community, text: str, *, reply: bool) -> tuple[str, screening.Match | None]:
    """The state a new post starts in, and the watched word it met: refused when a word blocks
    it; waiting for a compliance officer where the community's rule asks; held for a moderator
    when a word holds it; published otherwise (docs/governance.md)."""
    found = screening.watched_match(text)
    screening.refuse_if_blocked(found)
    if screening.needs_sign_off(member, community, reply=reply):
        return PostState.PENDING, found
    if found is not None and found.word.action == WatchAction.HOLD:
        return PostState.HELD, found
    return PostState.PUBLISHED, found


def _after_screening(post: Post, found: screening.Match | None, *, details: dict) -> None:
    """Record a post that is not out yet (SUBMIT: nobody is told), open its review when it waits
    for sign-off, and raise the platform's flag for the watched word it met."""
    if post.state != PostState.PUBLISHED:
        activity.record(Verb.SUBMIT, post.author, object_type=ObjectType.POST, object_id=post.id,
                        community_id=post.community_id, details={**details, "state": post.state}, at=post.created_at)
    if post.state == PostState.PENDING:
        Review.objects.create(post=post, community_id=post.community_id, submitted_at=post.created_at)
    if found is not None and found.word.action in (WatchAction.HOLD, WatchAction.FLAG):
        flag = Flag.objects.create(post=post, community_id=post.community_id, reason=FlagReason.WATCHED_WORD,
                                   text=f"Matched “{found.text}” ({found.word.get_action_display().split(':')[0]})")
        activity.record(Verb.FLAG, None, object_type=ObjectType.POST, object_id=post.id,
                        community_id=post.community_id, details={"reason": flag.reason, "word": found.word.id})


def hide(post: Post) -> None:
    """Take a published post out of its thread's counts and every reader's sight but its author's
    and its moderators' (the moderator's act records it: governance.moderation)."""
    was_out = post.state == PostState.PUBLISHED
    post.state = PostState.HIDDEN
    post.save(update_fields=["state"])
    if was_out and post.parent_id is not None:
        _count_reply(post, -1)


def unhide(post: Post) -> None:
    """Put a hidden post back (the moderator's act records it)."""
    post.state = PostState.PUBLISHED
    post.save(update_fields=["state"])
    if post.parent_id is not None:
        _count_reply(post, +1)


def _count_reply(reply: Post, step: int, *, bump: bool = False) -> None:
    """Add `step` to the reply counts of the thread and the parent (a reply coming out, or going
    back in); `bump` moves the thread's activity to the reply's time, never backwards."""
    root = Post.objects.filter(id=reply.root_id)
    root.update(reply_count=F("reply_count") + step)
    if bump:
        root.filter(last_activity_at__lt=reply.created_at).update(last_activity_at=reply.created_at)
    if reply.parent_id != reply.root_id:
        Post.objects.filter(id=reply.parent_id).update(reply_count=F("reply_count") + step)


def publish_held(post: Post) -> None:
    """A held or signed-off post comes out, as if posted now at its original time: counted in its
    thread, recorded as posted (or replied) by its author at the time written, so that its
    notifications, index entry and insights follow from the stream like any other; its mentions
    are told. Runs inside the moderator's or compliance officer's act (governance.services)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("publish runs inside the act that releases the post")
    post.state = PostState.PUBLISHED
    post.save(update_fields=["state"])
    if post.parent_id is None:
        activity.record(Verb.POST, post.author, object_type=ObjectType.POST, object_id=post.id,
                        community_id=post.community_id, details={"kind": post.kind}, at=post.created_at)
    else:
        _count_reply(post, +1, bump=True)
        parent = Post.objects.only("id", "author_id").get(id=post.parent_id)
        activity.record(Verb.REPLY, post.author, object_type=ObjectType.POST, object_id=post.id,
                        target=parent.author_id if parent.author_id != post.author_id else None,
                        community_id=post.community_id, details={"thread": post.root_id, "parent": parent.id},
                        at=post.created_at)
    _announce_mentions(post, list(post.mentions.all()), actor=post.author)


@transaction.atomic
def create_post(member: Member, community: Community, *, body: object, kind: object = "discussion",
                title: object = "") -> Post:
    if kind not in ROOT_KINDS:
        raise InvalidInput(f"Kind must be one of: {', '.join(ROOT_KINDS)}.", field="kind")
    title = clean_title(title)
    body = clean_body(body)
    access.require_can_post(member, community, kind)
    access.require_policy_accepted(member, community)  # after the rights: it tells nothing new
    access.require_not_suspended(member, community)
    state, found = _screen(member, community, f"{title}\n{body}", reply=False)
    html, mentioned, topics = _prepare(body, member)
    now = timezone.now()
    post = Post.objects.create(community=community, author=member, kind=kind, title=title, body=body,
                               body_html=html, created_at=now, last_activity_at=now, state=state)
    if state == PostState.PUBLISHED:
        activity.record(Verb.POST, member, object_type=ObjectType.POST, object_id=post.id,
                        community_id=community.id, details={"kind": kind}, at=now)
    _after_screening(post, found, details={"kind": kind})
    _link(post, mentioned, topics, actor=member, new=True)
    return post


@transaction.atomic
def create_reply(member: Member, parent_id: int, *, body: object) -> Post:
    body = clean_body(body)
    parent = get_readable_post(member, parent_id)
    access.require_can_post(member, parent.community, "reply")
    access.require_policy_accepted(member, parent.community)
    if parent.is_removed:
        raise Conflict("This post was removed; it takes no more replies.", field="parent")
    if parent.depth >= MAX_REPLY_DEPTH:
        raise InvalidInput(f"Replies nest at most {MAX_REPLY_DEPTH} levels deep; reply higher up the thread.",
                           field="parent")
    if not parent.is_published:
        raise Conflict("This post is not published; it takes no replies yet.", field="parent")
    access.require_not_suspended(member, parent.community)
    state, found = _screen(member, parent.community, body, reply=True)
    root_id = parent.root_id or parent.id
    html, mentioned, topics = _prepare(body, member)
    now = timezone.now()
    reply = Post.objects.create(
        community=parent.community, author=member, kind=PostKind.REPLY, body=body, body_html=html,
        parent=parent, root_id=root_id, depth=parent.depth + 1, created_at=now, last_activity_at=now, state=state,
    )
    details = {"thread": root_id, "parent": parent.id}
    if state == PostState.PUBLISHED:
        Post.objects.filter(id=root_id).update(reply_count=F("reply_count") + 1, last_activity_at=now)
        if parent.id != root_id:
            Post.objects.filter(id=parent.id).update(reply_count=F("reply_count") + 1)
        activity.record(Verb.REPLY, member, object_type=ObjectType.POST, object_id=reply.id,
                        target=parent.author_id if parent.author_id != member.id else None,
                        community_id=parent.community_id, details=details, at=now)
    _after_screening(reply, found, details=details)
    _link(reply, mentioned, topics, actor=member, new=True)
    return reply


@transaction.atomic
def edit_post(member: Member, post_id: int, *, body: object, title: object = None) -> Post:
    post = get_readable_post(member, post_id)
    access.require_can_edit_post(member, post)
    body = clean_body(body)
    new_title = clean_title(title) if title is not None else post.title
    if post.parent_id is not None and new_title:
        raise InvalidInput("Replies have no title.", field="title")
    if body == post.body and new_title == post.title:
        return post
    found = screening.watched_match(f"{new_title}\n{body}")
    screening.refuse_if_blocked(found)
    revision = PostRevision.objects.create(post=post, title=post.title, body=post.body, edited_by=member)
    html, mentioned, topics = _prepare(body, member)
    post.body, post.title, post.body_html, post.edited_at = body, new_title, html, timezone.now()
    if post.state == PostState.RETURNED:  # the edit compliance asked for: it waits for them again
        post.state = PostState.PENDING
        Review.objects.filter(post=post).update(decision=Decision.PENDING)
    post.save(update_fields=["body", "title", "body_html", "edited_at", "state"])
    activity.record(Verb.EDIT, member, object_type=ObjectType.POST, object_id=post.id, community_id=post.community_id,
                    details={"revision": revision.id}, at=post.edited_at)
    _link(post, mentioned, topics, actor=member, new=False)
    if found is not None and found.word.action != WatchAction.BLOCK and post.is_published:
        # A published post is not taken back on an edit: the word puts it in the queue instead.
        _after_screening(post, screening.Match(found.word, found.text), details={})
    return post


@transaction.atomic
def remove_post(member: Member, post_id: int) -> Post:
    """Soft delete: the thread keeps its shape; the body shows as removed."""
    post = get_readable_post(member, post_id)
    if post.author_id != member.id and not access.can_moderate(member, post.community):
        raise Forbidden("Only the author or a moderator may remove a post.", field="post")
    if post.is_removed:
        return post
    PostRevision.objects.create(post=post, title=post.title, body=post.body, edited_by=member)
    post.deleted_at = timezone.now()
    post.body, post.body_html = REMOVED_TEXT, f"<p><em>{REMOVED_TEXT}</em></p>"
    post.save(update_fields=["deleted_at", "body", "body_html"])
    post.mentions.clear()
    post.topics.clear()
    # A removed reply cannot be accepted (see accept_answer), so it stops being the accepted one.
    Post.objects.filter(accepted_answer=post).update(accepted_answer=None)
    activity.record(Verb.REMOVE, member, object_type=ObjectType.POST, object_id=post.id,
                    target=post.author_id if post.author_id != member.id else None,
                    community_id=post.community_id, at=post.deleted_at)
    return post


@transaction.atomic
def expire(post_ids: list[int], *, reason: str) -> tuple[int, int]:
    """Remove these posts' text for good, as a rule of the organisation (retention): body,
    title and every earlier version, mentions and topics; the thread keeps its shape. The
    system's act, one REMOVE record each (consumers unindex them and delete their files).
    Posts removed before lose the versions their removal kept. (removed, versions deleted)"""
    if not post_ids:
        return 0, 0
    now = timezone.now()
    revisions, _ = PostRevision.objects.filter(post_id__in=post_ids).delete()
    fresh = list(Post.objects.filter(id__in=post_ids, deleted_at__isnull=True)
                 .values_list("id", "author_id", "community_id"))
    ids = [p[0] for p in fresh]
    Post.objects.filter(id__in=ids).update(deleted_at=now, body=REMOVED_TEXT,
                                           body_html=f"<p><em>{REMOVED_TEXT}</em></p>")
    Post.objects.filter(id__in=post_ids).exclude(title="").update(title=REMOVED_TEXT)
    Post.mentions.through.objects.filter(post_id__in=ids).delete()
    Post.topics.through.objects.filter(post_id__in=ids).delete()
    Post.objects.filter(accepted_answer_id__in=ids).update(accepted_answer=None)
    for post_id, author_id, community_id in fresh:
        activity.record(Verb.REMOVE, None, object_type=ObjectType.POST, object_id=post_id, target=author_id,
                        community_id=community_id, details={"by": reason}, at=now)
    return len(fresh), revisions


def _check_reaction(kind: object) -> str:
    if kind not in ReactionKind.values:
        raise InvalidInput(f"Reaction must be one of: {', '.join(ReactionKind.values)}.", field="kind")
    return kind  # type: ignore[return-value]


@transaction.atomic
def react(member: Member, post_id: int, kind: object) -> tuple[Reaction, bool]:
    """Add a reaction; idempotent: reacting twice with the same kind changes nothing."""
    kind = _check_reaction(kind)
    post = get_readable_post(member, post_id)
    if post.is_removed:
        raise Conflict("This post was removed.", field="post")
    if not post.is_published:
        raise Conflict("This post is not published; it takes no reactions.", field="post")
    access.require_policy_accepted(member, post.community)
    access.require_not_suspended(member, post.community)
    existing = Reaction.objects.filter(post=post, member=member, kind=kind).first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            reaction = Reaction.objects.create(post=post, member=member, kind=kind)
    except IntegrityError:  # a concurrent identical reaction won
        return Reaction.objects.get(post=post, member=member, kind=kind), False
    activity.record(Verb.REACT, member, object_type=ObjectType.POST, object_id=post.id,
                    target=post.author_id if post.author_id != member.id else None,
                    community_id=post.community_id, details={"kind": kind})
    return reaction, True


@transaction.atomic
def unreact(member: Member, post_id: int, kind: object) -> bool:
    kind = _check_reaction(kind)
    post = get_readable_post(member, post_id)
    deleted, _ = Reaction.objects.filter(post=post, member=member, kind=kind).delete()
    if deleted:
        activity.record(Verb.UNREACT, member, object_type=ObjectType.POST, object_id=post.id,
                        community_id=post.community_id, details={"kind": kind})
    return bool(deleted)


@transaction.atomic
def accept_answer(member: Member, question_id: int, reply_id: int | None) -> Post:
    """Mark `reply_id` as the accepted answer (None clears it). Asker or moderator only."""
    question = get_readable_post(member, question_id)
    if question.kind != PostKind.QUESTION:
        raise InvalidInput("Only questions have accepted answers.", field="post")
    if question.author_id != member.id and not access.can_moderate(member, question.community):
        raise Forbidden("Only the asker or a community moderator may accept an answer.", field="post")
    if question.is_removed:
        raise Conflict("This question was removed.", field="post")
    if reply_id is None:
        if question.accepted_answer_id is not None:
            activity.record(Verb.CLEAR_ANSWER, member, object_type=ObjectType.POST, object_id=question.id,
                            community_id=question.community_id,
                            details={"answer": question.accepted_answer_id})
            question.accepted_answer = None
            question.save(update_fields=["accepted_answer"])
        return question
    reply_id = parse_id(reply_id, field="answer", error=InvalidInput,
                        message="The answer must be a reply in this question's thread.")
    answer = Post.objects.filter(id=reply_id).first()
    if answer is None or answer.root_id != question.id:
        raise InvalidInput("The answer must be a reply in this question's thread.", field="answer")
    if answer.is_removed:
        raise Conflict("A removed reply cannot be the accepted answer.", field="answer")
    if question.accepted_answer_id == answer.id:
        return question
    question.accepted_answer = answer
    question.save(update_fields=["accepted_answer"])
    activity.record(Verb.ACCEPT_ANSWER, member, object_type=ObjectType.POST, object_id=answer.id,
                    target=answer.author_id if answer.author_id != member.id else None,
                    community_id=question.community_id, details={"question": question.id})
    return question


def thread(member: Member, post_id: int) -> tuple[Post, list[Post]]:
    """The root of the thread containing `post_id`, and all its replies (oldest first)."""
    post = get_readable_post(member, post_id)
    root = post if post.parent_id is None else Post.objects.select_related("community", "author").get(id=post.root_id)
    replies = list(Post.objects.visible_to(member).filter(root=root).select_related("author")
                   .order_by("created_at", "id"))
    return root, replies


def build_tree(root: Post, replies: list[Post]) -> list[dict]:
    """Nest replies under their parents: [{"post": p, "children": [...]}, ...]."""
    nodes = {r.id: {"post": r, "children": []} for r in replies}
    top: list[dict] = []
    for r in replies:
        (nodes[r.parent_id]["children"] if r.parent_id in nodes else top).append(nodes[r.id])
    return top


def revisions(member: Member, post_id: int):
    """A post's earlier texts, oldest first.

    Removal keeps the removed text as a revision, so a removed post's history is shown
    only to its author and the community's moderators.
    """
    post = get_readable_post(member, post_id)
    if post.is_removed and post.author_id != member.id and not access.can_moderate(member, post.community):
        raise Forbidden("Only the author and moderators see a removed post's history.", field="post")
    return PostRevision.objects.filter(post=post).select_related("edited_by")


def histories(posts: list[Post]) -> dict[int, list[PostRevision]]:
    """Earlier versions of each edited post among `posts` (already readable), oldest first, by post id.

    Removed posts get none: a removal stores the removed text as a revision, and showing it
    would undo the removal (the author and moderators read it through `revisions`).
    """
    edited = [p.id for p in posts if p.edited_at and not p.is_removed]
    history: dict[int, list[PostRevision]] = {}
    if edited:
        for rev in PostRevision.objects.filter(post_id__in=edited).order_by("replaced_at", "id"):
            history.setdefault(rev.post_id, []).append(rev)
    return history
