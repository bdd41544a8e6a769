"""Flags, the moderation queues and their actions, watched words (staff), compliance sign-off
and a community's approval rule. Thin: each view parses, calls one service, renders."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from socialfabric import access
from socialfabric.activity.verbs import ObjectType, Verb
from socialfabric.communities.models import Role
from socialfabric.errors import DomainError, InvalidInput
from socialfabric.governance import audit, moderation, retention, signoff
from socialfabric.governance.models import FlagReason, RetentionAction, WatchAction
from socialfabric.org.stakeholders import Stakeholder
from socialfabric.web.views.plumbing import cursor_of, is_htmx, member_view, post_only, safe_next

FLAG_REASONS = [(r, label) for r, label in FlagReason.choices if r != FlagReason.WATCHED_WORD]
OUTCOME_TEXT = {"dismissed": "Flags dismissed: the post stays as it is.", "released": "Released: the post is out.",
                "hidden": "Hidden: only its author and moderators see it now.", "restored": "Restored.",
                "removed": "Removed.", "warned": "The author is warned.", "suspended": "The author is suspended."}


@member_view
@post_only
def post_flag(request: HttpRequest, post_id: int) -> HttpResponse:
    moderation.flag_post(request.user, post_id, reason=request.POST.get("reason", ""),
                         text=request.POST.get("text", ""))
    done = "Thank you: the post's moderators will look at it."
    if is_htmx(request):
        return render(request, "socialfabric/_flag_done.html", {"message": done})
    messages.success(request, done)
    return redirect(safe_next(request, reverse("web:post", args=[post_id])))


def _queue_page(request: HttpRequest, community=None) -> HttpResponse:
    member = request.user
    items, next_cursor = moderation.queue(member, community, cursor=cursor_of(request))
    return render(request, "socialfabric/moderation.html", {
        "nav": "moderation", "community": community, "items": items, "next_cursor": next_cursor,
        "counts": moderation.queue_counts(member),
        "suspensions": moderation.suspensions(member, community) if community or member.is_staff else [],
    })


@member_view
def moderation_queue(request: HttpRequest) -> HttpResponse:
    """Every community the member moderates (staff: the organisation's)."""
    return _queue_page(request)


@member_view
def community_moderation(request: HttpRequest, slug: str) -> HttpResponse:
    return _queue_page(request, access.get_visible_community(request.user, slug))


@member_view
@post_only
def post_moderate(request: HttpRequest, post_id: int) -> HttpResponse:
    outcome = moderation.moderate(request.user, post_id, request.POST.get("action", ""),
                                  reason=request.POST.get("reason", ""), days=request.POST.get("days"),
                                  platform=request.POST.get("platform") == "on")
    if is_htmx(request):
        return render(request, "socialfabric/_flag_done.html", {"message": OUTCOME_TEXT[outcome]})
    messages.success(request, OUTCOME_TEXT[outcome])
    return redirect(safe_next(request, reverse("web:moderation")))


@member_view
@post_only
def suspension_lift(request: HttpRequest, suspension_id: int) -> HttpResponse:
    lifted = moderation.lift_suspension(request.user, suspension_id)
    messages.success(request, f"{lifted.member.name} may write again.")
    return redirect(safe_next(request, reverse("web:moderation")))


@member_view
def staff_watched_words(request: HttpRequest) -> HttpResponse:
    member = request.user
    ctx = {"nav": "staff", "tab": "words", "words": moderation.watched_words(member),
           "actions": WatchAction.choices, "values": {"action": WatchAction.FLAG}}
    if request.method == "POST":
        try:
            made = moderation.add_watched_word(member, pattern=request.POST.get("pattern", ""),
                                               is_regex=request.POST.get("is_regex") == "on",
                                               action=request.POST.get("action", ""),
                                               reason=request.POST.get("reason", ""))
        except DomainError as err:
            if err.status == 403:
                raise
            ctx.update(form_error=err, values=request.POST)
            return render(request, "socialfabric/staff_words.html", ctx, status=err.status)
        messages.success(request, f"Watching for “{made.pattern}”.")
        return redirect("web:staff_watched_words")
    return render(request, "socialfabric/staff_words.html", ctx)


@member_view
@post_only
def staff_watched_word_remove(request: HttpRequest, word_id: int) -> HttpResponse:
    moderation.remove_watched_word(request.user, word_id)
    messages.success(request, "No longer watched.")
    return redirect("web:staff_watched_words")


# --- compliance sign-off ----------------------------------------------------------------------

@member_view
def approvals(request: HttpRequest) -> HttpResponse:
    items, next_cursor = signoff.queue(request.user, cursor=cursor_of(request))
    return render(request, "socialfabric/approvals.html",
                  {"nav": "approvals", "items": items, "next_cursor": next_cursor})


@member_view
@post_only
def post_sign_off(request: HttpRequest, post_id: int) -> HttpResponse:
    member, decision, reason = request.user, request.POST.get("decision", ""), request.POST.get("reason", "")
    if decision == "approve":
        signoff.approve(member, post_id)
        done = "Approved: the post is published."
    elif decision == "reject":
        signoff.reject(member, post_id, reason=reason)
        done = "Rejected: the author is told why."
    elif decision == "return":
        signoff.return_for_edit(member, post_id, reason=reason)
        done = "Returned: the author is asked to edit it."
    else:
        signoff.require_sign_off(member)  # who may not decide hears that first, whatever they sent
        raise InvalidInput("Choose approve, reject or return.", field="decision")
    if is_htmx(request):
        return render(request, "socialfabric/_flag_done.html", {"message": done})
    messages.success(request, done)
    return redirect(safe_next(request, reverse("web:approvals")))


@member_view
def community_approval(request: HttpRequest, slug: str) -> HttpResponse:
    """The community's approval rule: who reads it (anyone who may see the community, so that an
    author knows before posting), and a form for its owners."""
    member = request.user
    community = access.get_visible_community(member, slug)
    rule = signoff.rule_of(community)
    ctx = {"nav": "communities", "community": community, "rule": rule,
           "can_set": access.can_manage_roles(member, community),
           "kinds": Stakeholder.choices, "roles": Role.choices,
           "values": {"kinds": rule.kinds if rule else [], "roles": rule.roles if rule else [],
                      "replies": rule.replies if rule else False}}
    if request.method == "POST":
        try:
            signoff.set_rule(member, community, kinds=request.POST.getlist("kinds"),
                             roles=request.POST.getlist("roles"), replies=request.POST.get("replies") == "on")
        except DomainError as err:
            if err.status == 403:
                raise
            ctx.update(form_error=err)
            return render(request, "socialfabric/community_approval.html", ctx, status=err.status)
        messages.success(request, "The approval rule is saved.")
        return redirect("web:community_approval", slug=community.slug)
    return render(request, "socialfabric/community_approval.html", ctx)


# --- the audit trail (staff) ------------------------------------------------------------------

def _audit_filters(request: HttpRequest) -> audit.Filters:
    return audit.filters(**{k: request.GET.get(k) for k in ("actor", "verb", "object_type", "object_id",
                                                             "community", "since", "until")})


@member_view
def staff_audit(request: HttpRequest) -> HttpResponse:
    audit.require_auditor(request.user)
    ctx = {"nav": "staff", "tab": "audit", "verbs": Verb.choices, "object_types": ObjectType.choices,
           "values": request.GET, "items": [], "next_cursor": None}
    try:
        f = _audit_filters(request)
        ctx["items"], ctx["next_cursor"] = audit.records(request.user, f, cursor=cursor_of(request))
    except DomainError as err:
        ctx["form_error"] = err
        return render(request, "socialfabric/staff_audit.html", ctx, status=err.status)
    query = request.GET.copy()
    for key in ("cursor", "format"):
        query.pop(key, None)
    ctx["query"] = query.urlencode()
    return render(request, "socialfabric/staff_audit.html", ctx)


@member_view
def staff_audit_export(request: HttpRequest) -> HttpResponse:
    audit.require_auditor(request.user)
    name, text = audit.export(request.user, _audit_filters(request), fmt=request.GET.get("format", "csv"))
    response = HttpResponse(text, content_type=audit.CONTENT_TYPES[name.rsplit(".", 1)[1]])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- retention and legal hold (staff, compliance officers) -------------------------------------


def _retention_page(request: HttpRequest, status: int = 200, **extra) -> HttpResponse:
    member = request.user
    ctx = {"nav": "staff", "tab": "retention", "rules": retention.rules(member), "holds": retention.holds(member),
           "runs": retention.runs(member), "values": {}, "actions": RetentionAction.choices, **extra}
    return render(request, "socialfabric/staff_retention.html", ctx, status=status)


@member_view
def staff_retention(request: HttpRequest) -> HttpResponse:
    return _retention_page(request)


def _form_act(request: HttpRequest, form: str, act) -> HttpResponse:
    try:
        done = act()
    except DomainError as err:
        if err.status == 403:
            raise
        return _retention_page(request, err.status, form=form, form_error=err, values=request.POST)
    messages.success(request, done)
    return redirect("web:staff_retention")


@member_view
@post_only
def staff_retention_rule(request: HttpRequest) -> HttpResponse:
    def act() -> str:
        rule = retention.set_retention_rule(request.user, request.POST.get("community", "").strip() or None,
                                            days=request.POST.get("days", ""), action=request.POST.get("action"))
        where = f"in {rule.community.name}" if rule.community else "across the organisation"
        then = "then its text is removed" if rule.action == "remove" else "then its authors are anonymised"
        return f"Content {where} is kept {rule.days} days; {then}."
    return _form_act(request, "rule", act)


@member_view
@post_only
def staff_retention_rule_remove(request: HttpRequest, rule_id: int) -> HttpResponse:
    retention.remove_retention_rule(request.user, rule_id)
    messages.success(request, "Retention rule removed: that content is kept.")
    return redirect("web:staff_retention")


@member_view
@post_only
def staff_hold(request: HttpRequest) -> HttpResponse:
    def act() -> str:
        on = request.POST.get("on", "member")
        target = request.POST.get("target", "").strip()
        hold = retention.place_hold(request.user, reason=request.POST.get("reason", ""),
                                    person=target if on == "member" else None,
                                    community=target if on == "community" else None)
        return f"Legal hold placed on {hold.member.name if hold.member else hold.community.name}."
    return _form_act(request, "hold", act)


@member_view
@post_only
def staff_hold_lift(request: HttpRequest, hold_id: int) -> HttpResponse:
    retention.lift_hold(request.user, hold_id)
    messages.success(request, "Legal hold lifted.")
    return redirect("web:staff_retention")


@member_view
@post_only
def staff_retention_run(request: HttpRequest) -> HttpResponse:
    retention.request_run(request.user)
    messages.success(request, "A retention run is queued; its counts appear below once the worker has run it.")
    return redirect("web:staff_retention")
