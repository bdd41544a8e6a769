"""Communities: the list and the create form, a community's page, and membership acts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from socialfabric import access
from socialfabric.communities import services as communities_svc
from socialfabric.communities.models import Audience, Community, Visibility
from socialfabric.errors import DomainError, InvalidInput
from socialfabric.feed import services as feed
from socialfabric.governance import screening
from socialfabric.notifications import services as notifications
from socialfabric.notifications.models import Level
from socialfabric.org import services as org
from socialfabric.org.models import EXTERNAL_KINDS, Stakeholder
from socialfabric.web.views.home import ROOT_KIND_CHOICES, composer_values, create_post
from socialfabric.web.views.plumbing import cursor_of, feed_context, htmx_error, is_htmx, member_view, post_only


@member_view
def communities(request: HttpRequest) -> HttpResponse:
    member = request.user
    if request.method == "POST":
        try:
            community = communities_svc.create_community(
                member, name=request.POST.get("name", ""), purpose=request.POST.get("purpose", ""),
                visibility=request.POST.get("visibility", "open"),
                audience=request.POST.get("audience", "internal"),
                external_kinds=request.POST.getlist("external_kinds"))
        except DomainError as err:
            return _communities_page(request, error=err, values=request.POST, status=err.status)
        messages.success(request, f"{community.name} is ready. Invite people to join.")
        return redirect("web:community", slug=community.slug)
    return _communities_page(request)


def _communities_page(request: HttpRequest, *, status: int = 200, **extra: Any) -> HttpResponse:
    member = request.user
    mine, others = communities_svc.listing(member)
    ctx = {
        "nav": "communities", "mine": mine, "others": others,
        "visibilities": Visibility.choices, "audiences": Audience.choices,
        "external_kinds": [(k, Stakeholder(k).label) for k in sorted(EXTERNAL_KINDS)],
        "can_create": access.can_create_community(member),
        "values": {"visibility": "open", "audience": "internal"}, **extra,
    }
    return render(request, "socialfabric/communities.html", ctx, status=status)


@member_view
def community(request: HttpRequest, slug: str) -> HttpResponse:
    member = request.user
    found = access.get_visible_community(member, slug)
    if request.method == "POST":
        try:
            return create_post(request, found)
        except DomainError as err:
            if is_htmx(request):
                return htmx_error(request, err)
            return _community_page(request, found, composer_error=err,
                                   values=composer_values(request), status=err.status)
    return _community_page(request, found)


def _community_page(request: HttpRequest, c: Community, *, status: int = 200,
                    **extra: Any) -> HttpResponse:
    member = request.user
    moderates = access.can_moderate(member, c)
    can_post = access.can_post(member, c)
    ctx: dict[str, Any] = {
        "nav": "communities", "community": c, "is_member": access.is_member(member, c), "moderates": moderates,
        "manages_roles": moderates and access.can_manage_roles(member, c),
        "can_read": access.can_read_community(member, c), "can_post": can_post,
        "admits_me": c.admits(member.stakeholder),
        "kinds": [k for k in ROOT_KIND_CHOICES if access.can_post(member, c, k[0])],
        "values": {"kind": "discussion"},
        "stewards": communities_svc.stewards(member, c),
        "my_request": communities_svc.my_pending_request(member, c),
        "external_labels": [Stakeholder(k).label for k in c.external_kinds or []],
        "items": [], "next_cursor": None,
        "waits_for_approval": can_post and screening.needs_sign_off(member, c, reply=False),
    }
    if ctx["can_read"]:
        ctx.update(feed_context(feed.community_feed(member, c, cursor_of(request)), member))
        ctx.update(watch_level=notifications.level_in(member, c), level_choices=Level.choices)
    if moderates:
        ctx["pending"] = list(communities_svc.pending_requests(member, c))
    ctx.update(extra)
    if "composer_error" in extra and not can_post:
        ctx["page_error"] = extra["composer_error"]  # no composer on the page to show it in
    return render(request, "socialfabric/community.html", ctx, status=status)


def _community_action(request: HttpRequest, slug: str, act: Callable[[Community], str]) -> HttpResponse:
    """Run a membership act; success redirects with a message, failure re-renders the page."""
    c = access.get_visible_community(request.user, slug)
    try:
        done = act(c)
    except DomainError as err:
        access.forget(request.user)
        if not access.can_see_community(request.user, c):
            raise
        return _community_page(request, c, page_error=err, status=err.status)
    messages.success(request, done)
    access.forget(request.user)
    if not access.can_see_community(request.user, c):  # left a secret community
        return redirect("web:communities")
    return redirect("web:community", slug=c.slug)


@member_view
@post_only
def community_join(request: HttpRequest, slug: str) -> HttpResponse:
    def act(c: Community) -> str:
        communities_svc.join(request.user, c)
        return f"Welcome to {c.name}."
    return _community_action(request, slug, act)


@member_view
@post_only
def community_leave(request: HttpRequest, slug: str) -> HttpResponse:
    def act(c: Community) -> str:
        communities_svc.leave(request.user, c)
        return f"You left {c.name}."
    return _community_action(request, slug, act)


@member_view
@post_only
def community_request(request: HttpRequest, slug: str) -> HttpResponse:
    def act(c: Community) -> str:
        communities_svc.request_to_join(request.user, c, request.POST.get("message", ""))
        return "Your request is with the moderators."
    return _community_action(request, slug, act)


@member_view
@post_only
def community_decide(request: HttpRequest, slug: str, request_id: int) -> HttpResponse:
    decision = request.POST.get("decision")

    def act(c: Community) -> str:
        if decision not in ("approve", "reject"):
            raise InvalidInput("Choose approve or reject.", field="decision")
        join_request = communities_svc.get_request(c, request_id)
        decided = communities_svc.decide_request(request.user, join_request.id, approve=decision == "approve")
        return f"{decided.member.name}: request {decided.status}."
    return _community_action(request, slug, act)


@member_view
@post_only
def community_add_member(request: HttpRequest, slug: str) -> HttpResponse:
    def act(c: Community) -> str:
        handle = request.POST.get("handle", "").strip().lstrip("@")
        access.require_moderator(request.user, c)  # before looking the person up: non-moderators learn nothing
        if not handle:
            raise InvalidInput("Enter the handle of the person to add.", field="handle")
        person = org.get_member(handle, request.user)
        communities_svc.add_member(request.user, c, person, request.POST.get("role", "member"))
        return f"{person.name} is now a member."
    return _community_action(request, slug, act)
