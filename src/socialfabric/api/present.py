"""Model instances to the plain dicts the response schemas describe.

Kept apart from the handlers so every endpoint shows a post, a member or a community
the same way, from rows the services already loaded (no per-item queries).
"""

from __future__ import annotations

from django.urls import reverse

from socialfabric.attachments import services as attachments
from socialfabric.attachments.models import Attachment
from socialfabric.communities.models import Community, JoinRequest, Membership
from socialfabric.conversations.models import Post, PostRevision
from socialfabric.feed.services import FeedItem, FeedPage, annotate
from socialfabric.governance.models import Policy
from socialfabric.org import photos
from socialfabric.org.models import AccessToken, Member, Unit


def member_ref(m: Member | None) -> dict | None:
    return None if m is None else {"handle": m.handle, "name": m.name}


def unit_ref(u: Unit | None) -> dict | None:
    return None if u is None else {"slug": u.slug, "name": u.name}


def member(m: Member, *, structure: bool = True) -> dict:
    """A member; without `structure` (an external viewer: access.sees_structure) no unit or level."""
    return {**member_ref(m), "stakeholder": m.stakeholder, "organisation": m.organisation,
            "unit": unit_ref(m.unit) if structure else None, "level": m.level if structure else None}


def photo(m: Member) -> dict | None:
    """The API's addresses of a member's photo thumbnails (token or session), or None."""
    if not m.photo:
        return None
    return {name: reverse("api:member_photo", kwargs={"handle": m.handle, "size": size, "key": m.photo})
            for name, size in zip(("small", "medium", "large"), photos.SIZES, strict=True)}


def unit(u: Unit) -> dict:
    return {**unit_ref(u), "parent": unit_ref(u.parent)}


def community_ref(c: Community) -> dict:
    return {"slug": c.slug, "name": c.name}


def community(c: Community, role: str | None) -> dict:
    return {**community_ref(c), "id": c.id, "purpose": c.purpose, "visibility": c.visibility,
            "audience": c.audience, "external_kinds": list(c.external_kinds or []),
            "member_count": c.member_count, "created_at": c.created_at, "my_role": role}


def membership(ms: Membership, *, structure: bool = True) -> dict:
    return {"member": member(ms.member, structure=structure), "community": community_ref(ms.community), "role": ms.role,
            "joined_at": ms.joined_at}


def join_request(r: JoinRequest, *, structure: bool = True) -> dict:
    return {"id": r.id, "community": community_ref(r.community), "member": member(r.member, structure=structure),
            "message": r.message, "status": r.status, "created_at": r.created_at, "decided_at": r.decided_at}


def policy(p: Policy) -> dict:
    from socialfabric.governance.services import policy_url

    return {"id": p.id, "version": p.version, "title": p.title, "body": p.body, "body_html": p.body_html,
            "requires_acceptance": p.requires_acceptance, "published_at": p.published_at,
            "community": community_ref(p.community) if p.community_id else None, "url": policy_url(p)}


def attachment(a: Attachment) -> dict:
    return {"id": a.id, "name": a.name, "content_type": a.content_type, "size": a.size, "width": a.width,
            "height": a.height, "created_at": a.created_at,
            "url": reverse("api:attachment_content", kwargs={"attachment_id": a.id}),
            "preview_url": reverse("api:attachment_preview", kwargs={"attachment_id": a.id}) if a.is_image else None}


def post(item: FeedItem) -> dict:
    p = item.post
    return {
        "id": p.id, "kind": p.kind,
        # The title goes with the body: a removed thread keeps its shape, not its words.
        "title": "" if p.is_removed else p.title,
        "body": p.body, "body_html": p.body_html,
        "author": member_ref(p.author), "community": community_ref(p.community),
        "parent": p.parent_id, "thread": p.root_id or p.id, "depth": p.depth,
        "created_at": p.created_at, "last_activity_at": p.last_activity_at,
        "edited": p.edited_at is not None, "edited_at": p.edited_at, "removed": p.is_removed,
        "reply_count": p.reply_count, "accepted_answer": p.accepted_answer_id, "state": p.state,
        "reactions": item.reactions, "mine": item.mine,
        "attachments": [attachment(a) for a in getattr(p, "files", [])],  # of_posts gave them
    }


def single_post(viewer: Member, p: Post) -> dict:
    attachments.of_posts(viewer, [p])
    return post(annotate(viewer, [p])[0])


def feed(page: FeedPage, viewer: Member) -> dict:
    attachments.of_posts(viewer, [i.post for i in page.items])  # one query for the page
    return {"items": [post(i) for i in page.items], "next_cursor": page.next_cursor}


def thread(viewer: Member, root: Post, replies: list[Post]) -> dict:
    """The root and its replies nested under their parents, each with its reactions."""
    for r in replies:
        r.community = root.community  # same community; spares a join per reply
    attachments.of_posts(viewer, [root, *replies])
    items = {i.post.id: i for i in annotate(viewer, [root, *replies])}
    nodes = {r.id: {**post(items[r.id]), "children": []} for r in replies}
    top: list[dict] = []
    for r in replies:
        (nodes[r.parent_id]["children"] if r.parent_id in nodes else top).append(nodes[r.id])
    return {"post": post(items[root.id]), "replies": top}


def revision(r: PostRevision) -> dict:
    return {"id": r.id, "title": r.title, "body": r.body, "edited_by": member_ref(r.edited_by),
            "replaced_at": r.replaced_at}


def token(t: AccessToken) -> dict:
    return {"id": t.id, "name": t.name, "prefix": t.prefix, "scopes": t.scope_list, "created_at": t.created_at,
            "expires_at": t.expires_at, "last_used_at": t.last_used_at, "revoked_at": t.revoked_at}


def page(items: list[dict], next_cursor: str | None) -> dict:
    return {"items": items, "next_cursor": next_cursor}


def queued_post(p: Post) -> dict:
    return {"id": p.id, "kind": p.kind, "title": p.title, "body": p.body, "state": p.state,
            "author": member_ref(p.author), "community": community_ref(p.community), "thread": p.root_id or p.id,
            "created_at": p.created_at}


def queue_item(item) -> dict:
    return {"post": queued_post(item.post), "reasons": item.reasons,
            "flags": [{"reason": f.reason, "text": f.text, "by": member_ref(f.member), "created_at": f.created_at}
                      for f in item.flags]}


def watched_word(w) -> dict:
    return {"id": w.id, "pattern": w.pattern, "is_regex": w.is_regex, "action": w.action, "reason": w.reason,
            "created_at": w.created_at}


def retention_rule(r) -> dict:
    return {"id": r.id, "community": community_ref(r.community) if r.community else None, "days": r.days,
            "action": r.action, "updated_at": r.updated_at}


def legal_hold(h) -> dict:
    return {"id": h.id, "member": member_ref(h.member) if h.member else None, "reason": h.reason,
            "community": community_ref(h.community) if h.community else None, "placed_at": h.placed_at,
            "lifted_at": h.lifted_at}


def retention_run(r) -> dict:
    return {"id": r.id, "started_at": r.started_at, "finished_at": r.finished_at, "rules": r.rules,
            "started_by": member_ref(r.started_by) if r.started_by else None, "removed": r.removed,
            "revisions": r.revisions, "anonymised": r.anonymised, "held": r.held}


def suspension(s) -> dict:
    return {"id": s.id, "member": member_ref(s.member), "until": s.until, "reason": s.reason,
            "community": community_ref(s.community) if s.community else None, "lifted_at": s.lifted_at}


def approval_rule(rule) -> dict:
    return {"kinds": rule.kinds if rule else [], "roles": rule.roles if rule else [],
            "replies": rule.replies if rule else False}
