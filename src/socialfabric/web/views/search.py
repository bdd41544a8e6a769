"""The search page: posts and replies by their words, and the people, communities and topics that match."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from socialfabric.communities import services as communities
from socialfabric.conversations.models import PostKind
from socialfabric.errors import InvalidInput, NotFound
from socialfabric.search import services as search
from socialfabric.web.views.plumbing import cursor_of, member_view

FILTERS = ("community", "author", "kind", "unanswered", "since", "until")


@member_view
def search_page(request: HttpRequest) -> HttpResponse:
    params = {name: request.GET.get(name, "").strip() for name in ("q", "sort", *FILTERS)}
    ctx: dict = {"nav": "search", "params": params, "kinds": PostKind.choices, "sorts": search.SORTS,
                 "my_communities": communities.my_communities(request.user)}
    status = 200
    if params["q"]:
        try:
            ctx["results"] = search.search(request.user, params["q"], sort=params["sort"] or None,
                                           cursor=cursor_of(request),
                                           **{name: params[name] or None for name in FILTERS})
        except (InvalidInput, NotFound) as err:
            # Shown beside the form, which keeps what was typed; an unknown community or author
            # reads the same whether it does not exist or is hidden from this member.
            ctx["error"], status = err, err.status
    query = request.GET.copy()
    query.pop("cursor", None)
    ctx["query"] = query.urlencode()
    ctx["filtered"] = any(params[name] for name in FILTERS)
    return render(request, "socialfabric/search.html", ctx, status=status)
