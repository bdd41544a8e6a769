"""Flags, the moderation queues and moderators' actions, watched words, suspensions, and
compliance sign-off (docs/governance.md). Every rule is the services' and the read policy's:
a post one may not read answers 404 here as everywhere."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status

from socialfabric import access
from socialfabric.api import present
from socialfabric.api.common import ok, viewer
from socialfabric.api.schemas import (
    ApprovalPage,
    ApprovalRuleIn,
    ApprovalRuleOut,
    AuditPage,
    Cursor,
    FlagIn,
    FlagOut,
    Handle,
    Id,
    LegalHoldIn,
    LegalHoldOut,
    Limit,
    ModerationIn,
    ModerationOut,
    PostOut,
    Queued,
    QueuePage,
    RetentionOut,
    RetentionRuleIn,
    RetentionRuleOut,
    SignOffIn,
    Slug,
    SuspensionOut,
    WatchedWordIn,
    WatchedWordList,
    WatchedWordOut,
)
from socialfabric.governance import audit, moderation, retention, signoff

router = Router()


@router.post("/posts/{post_id}/flags", response=ok(FlagOut, 201), tags=["moderation"],
             summary="Flag a post or reply for its moderators (once)")
def flag(request: HttpRequest, post_id: Id, payload: FlagIn) -> Status:
    """409 for one's own post or a second flag."""
    made = moderation.flag_post(viewer(request), post_id, reason=payload.reason, text=payload.text)
    return Status(201, {"id": made.id, "post": made.post_id, "reason": made.reason, "text": made.text,
                        "created_at": made.created_at})


@router.get("/moderation/queue", response=ok(QueuePage), tags=["moderation"],
            summary="My moderation queue: every community I moderate (staff: the organisation's)")
def org_queue(request: HttpRequest, cursor: Cursor | None = None, limit: Limit | None = None) -> dict:
    items, next_cursor = moderation.queue(viewer(request), cursor=cursor, limit=limit)
    return present.page([present.queue_item(i) for i in items], next_cursor)


@router.get("/communities/{slug}/moderation/queue", response=ok(QueuePage), tags=["moderation"],
            summary="A community's moderation queue (its owners and moderators)")
def community_queue(request: HttpRequest, slug: Slug, cursor: Cursor | None = None,
                    limit: Limit | None = None) -> dict:
    me = viewer(request)
    items, next_cursor = moderation.queue(me, access.get_visible_community(me, slug), cursor=cursor, limit=limit)
    return present.page([present.queue_item(i) for i in items], next_cursor)


@router.post("/posts/{post_id}/moderation", response=ok(ModerationOut), tags=["moderation"],
             summary="Act on a post: dismiss, hide, restore, remove, warn or suspend its author")
def moderate(request: HttpRequest, post_id: Id, payload: ModerationIn) -> dict:
    outcome = moderation.moderate(viewer(request), post_id, payload.action, reason=payload.reason,
                                  days=payload.days, platform=payload.platform)
    return {"outcome": outcome}


@router.post("/suspensions/{suspension_id}/lift", response=ok(SuspensionOut), tags=["moderation"],
             summary="End a suspension early")
def lift(request: HttpRequest, suspension_id: Id) -> dict:
    return present.suspension(moderation.lift_suspension(viewer(request), suspension_id))


@router.get("/watched-words", response=ok(WatchedWordList), tags=["moderation"], summary="Watched words (staff)")
def list_words(request: HttpRequest) -> dict:
    return {"items": [present.watched_word(w) for w in moderation.watched_words(viewer(request))]}


@router.post("/watched-words", response=ok(WatchedWordOut, 201), tags=["moderation"],
             summary="Watch for a word, phrase or regular expression (staff)")
def add_word(request: HttpRequest, payload: WatchedWordIn) -> Status:
    """400 on `pattern` for a regular expression that could backtrack for long (ReDoS)."""
    made = moderation.add_watched_word(viewer(request), pattern=payload.pattern, is_regex=payload.is_regex,
                                       action=payload.action, reason=payload.reason)
    return Status(201, present.watched_word(made))


@router.delete("/watched-words/{word_id}", response={204: None}, tags=["moderation"],
               summary="Stop watching for a pattern (staff)")
def remove_word(request: HttpRequest, word_id: Id) -> Status:
    moderation.remove_watched_word(viewer(request), word_id)
    return Status(204, None)


@router.get("/communities/{slug}/approval-rule", response=ok(ApprovalRuleOut), tags=["sign-off"],
            summary="Whose posts wait for compliance sign-off in a community")
def get_rule(request: HttpRequest, slug: Slug) -> dict:
    me = viewer(request)
    return present.approval_rule(signoff.rule_of(access.get_visible_community(me, slug)))


@router.put("/communities/{slug}/approval-rule", response=ok(ApprovalRuleOut), tags=["sign-off"],
            summary="Set or lift a community's approval rule (its owners)")
def set_rule(request: HttpRequest, slug: Slug, payload: ApprovalRuleIn) -> dict:
    me = viewer(request)
    rule = signoff.set_rule(me, access.get_visible_community(me, slug), kinds=payload.kinds, roles=payload.roles,
                            replies=payload.replies)
    return present.approval_rule(rule)


@router.get("/approvals", response=ok(ApprovalPage), tags=["sign-off"],
            summary="Posts waiting for compliance sign-off (compliance officers)")
def approvals(request: HttpRequest, cursor: Cursor | None = None, limit: Limit | None = None) -> dict:
    items, next_cursor = signoff.queue(viewer(request), cursor=cursor, limit=limit)
    return present.page([{"post": present.queued_post(w.post), "submitted_at": w.review.submitted_at,
                          "thread_title": w.thread_title} for w in items], next_cursor)


@router.post("/posts/{post_id}/sign-off", response=ok(PostOut), tags=["sign-off"],
             summary="Approve a waiting post, reject it, or return it for an edit (compliance officers)")
def sign_off(request: HttpRequest, post_id: Id, payload: SignOffIn) -> dict:
    me = viewer(request)
    if payload.decision == "approve":
        post = signoff.approve(me, post_id)
    elif payload.decision == "reject":
        post = signoff.reject(me, post_id, reason=payload.reason)
    else:
        post = signoff.return_for_edit(me, post_id, reason=payload.reason)
    return present.single_post(me, post)


def _audit_filters(actor, verb, object_type, object_id, community, since, until) -> audit.Filters:
    return audit.filters(actor=actor, verb=verb, object_type=object_type, object_id=object_id, community=community,
                         since=since, until=until)


@router.get("/audit", response=ok(AuditPage), tags=["audit"], summary="The audit trail, newest first (staff)")
def audit_trail(request: HttpRequest, actor: Handle | None = None, verb: str | None = None,
                object_type: str | None = None, object_id: Id | None = None, community: Slug | None = None,
                since: date | None = None, until: date | None = None, cursor: Cursor | None = None,
                limit: Limit | None = None) -> dict:
    me = viewer(request)
    audit.require_auditor(me)
    f = _audit_filters(actor, verb, object_type, object_id, community, since, until)
    items, next_cursor = audit.records(me, f, cursor=cursor, limit=limit)
    slugs = audit.community_slugs({a.community_id for a in items if a.community_id})
    return present.page([audit.row(a, slugs) for a in items], next_cursor)


@router.get("/audit/export", response={200: None}, tags=["audit"],
            summary="Download the audit trail as CSV or JSON (staff; recorded as export_audit)")
def audit_export(request: HttpRequest, format: str = "csv", actor: Handle | None = None, verb: str | None = None,
                 object_type: str | None = None, object_id: Id | None = None, community: Slug | None = None,
                 since: date | None = None, until: date | None = None) -> HttpResponse:
    me = viewer(request)
    audit.require_auditor(me)
    name, text = audit.export(me, _audit_filters(actor, verb, object_type, object_id, community, since, until),
                              fmt=format)
    response = HttpResponse(text, content_type=audit.CONTENT_TYPES[name.rsplit(".", 1)[1]])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.get("/retention", response=ok(RetentionOut), tags=["retention"],
            summary="Retention rules, active legal holds and the latest runs (staff, compliance officers)")
def get_retention(request: HttpRequest) -> dict:
    me = viewer(request)
    return {"rules": [present.retention_rule(r) for r in retention.rules(me)],
            "holds": [present.legal_hold(h) for h in retention.holds(me)],
            "runs": [present.retention_run(r) for r in retention.runs(me)]}


@router.post("/retention/rules", response=ok(RetentionRuleOut), tags=["retention"],
             summary="Set a community's retention rule, or the organisation's (no community)")
def set_retention_rule(request: HttpRequest, payload: RetentionRuleIn) -> dict:
    """One rule a community (and one organisation-wide): setting it again changes its days and action."""
    return present.retention_rule(retention.set_retention_rule(viewer(request), payload.community,
                                                               days=payload.days, action=payload.action))


@router.delete("/retention/rules/{rule_id}", response={204: None}, tags=["retention"],
               summary="Remove a retention rule (that content is kept)")
def remove_retention_rule(request: HttpRequest, rule_id: Id) -> Status:
    retention.remove_retention_rule(viewer(request), rule_id)
    return Status(204, None)


@router.post("/retention/holds", response=ok(LegalHoldOut, 201), tags=["retention"],
             summary="Place a legal hold on a member or a community")
def place_hold(request: HttpRequest, payload: LegalHoldIn) -> Status:
    """Exactly one of `member` and `community`; 409 when a hold is active there already."""
    hold = retention.place_hold(viewer(request), reason=payload.reason, person=payload.member,
                                community=payload.community)
    return Status(201, present.legal_hold(hold))


@router.post("/retention/holds/{hold_id}/lift", response=ok(LegalHoldOut), tags=["retention"],
             summary="Lift a legal hold")
def lift_hold(request: HttpRequest, hold_id: Id) -> dict:
    return present.legal_hold(retention.lift_hold(viewer(request), hold_id))


@router.post("/retention/runs", response=ok(Queued, 202), tags=["retention"],
             summary="Run the retention rules now, in the background")
def request_run(request: HttpRequest) -> Status:
    retention.request_run(viewer(request))
    return Status(202, {"queued": True})
