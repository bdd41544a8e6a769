"""The home feed and the composer that starts a thread (from home or a community's page)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from socialfabric import access
from socialfabric.attachments import services as attachments
from socialfabric.communities import services as communities_svc
from socialfabric.communities.models import Community
from socialfabric.conversations.models import ROOT_KINDS
from socialfabric.errors import DomainError
from socialfabric.feed import services as feed
from socialfabric.web.views.plumbing import (
    cursor_of,
    decorate,
    feed_context,
    htmx_error,
    is_htmx,
    member_view,
    thread_url,
)

ROOT_KIND_CHOICES = [(k.value, k.label) for k in ROOT_KINDS]


# What the author hears when the post did not go out at once (governance: sign-off, watched words).
POSTED = {"pending": "Your post waits for a compliance officer's approval; you will be told.",
          "held": "Your post is held for a moderator to look at; you will be told."}


def composer_values(request: HttpRequest) -> dict[str, str]:
    return {"kind": request.POST.get("kind", "discussion"), "title": request.POST.get("title", ""),
            "body": request.POST.get("body", ""), "community": request.POST.get("community", "")}


def create_post(request: HttpRequest, community: Community) -> HttpResponse:
    values = composer_values(request)
    post = attachments.create_post(request.user, community, kind=values["kind"], title=values["title"],
                                   body=values["body"], files=request.FILES.getlist("attachments"))
    if is_htmx(request):
        post = decorate(request.user, [post])[0]
        return render(request, "socialfabric/_feed_item.html", {"post": post, "bar": post.bar, "fresh": True})
    messages.success(request, POSTED.get(post.state, "Your post is live."))
    return redirect(thread_url(post))


@member_view
def home(request: HttpRequest) -> HttpResponse:
    member = request.user
    if request.method == "POST":
        try:
            community = access.get_visible_community(member, request.POST.get("community", ""))
            return create_post(request, community)
        except DomainError as err:
            if is_htmx(request):
                return htmx_error(request, err)
            return _home_page(request, composer_error=err, values=composer_values(request),
                              status=err.status)
    return _home_page(request)


def _home_page(request: HttpRequest, *, status: int = 200, **extra: Any) -> HttpResponse:
    member = request.user
    page = feed.home_feed(member, cursor_of(request))
    mine = list(communities_svc.my_communities(member))
    # The composer offers what the service accepts: announcements only where this member
    # moderates (app.js narrows the choice to the community picked; the service checks again).
    access.know_roles(member, mine)  # one query, not one per community
    announce_in = {c.slug for c in mine if access.can_post(member, c, "announcement")}
    kinds = [k for k in ROOT_KIND_CHOICES if k[0] != "announcement" or announce_in]
    ctx = {"nav": "home", "my_communities": mine, "kinds": kinds, "announce_in": announce_in,
           "values": {"kind": "discussion"}, **feed_context(page, member), **extra,
           # The "3 new posts" line polls from the top of the first page only.
           "news_since": "" if cursor_of(request) else feed.top_cursor(page)}
    return render(request, "socialfabric/home.html", ctx, status=status)
