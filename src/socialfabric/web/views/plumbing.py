"""What every page shares: sign-in, errors as pages or htmx fragments, safe redirects, reaction bars.

A DomainError from a service becomes a readable message on the page with the error's 4xx
status; an htmx request gets a small fragment aimed (HX-Retarget) at the error slot of the
form that sent it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from socialfabric import health as checks
from socialfabric.attachments import services as attachments
from socialfabric.conversations.models import Post, ReactionKind
from socialfabric.errors import DomainError, Forbidden, InvalidInput, PolicyNotAccepted
from socialfabric.feed import services as feed
from socialfabric.org.models import Member

View = Callable[..., HttpResponse]

# Reaction buttons in a fixed order; the label is "<emoji> <word>" in ReactionKind.
REACTIONS = [(value, *label.split(" ", 1)) for value, label in ReactionKind.choices]


def is_htmx(request: HttpRequest) -> bool:
    # History-restore requests want a full page, not a fragment.
    return (request.headers.get("HX-Request") == "true"
            and request.headers.get("HX-History-Restore-Request") != "true")


def htmx_error(request: HttpRequest, err: DomainError) -> HttpResponse:
    """The message as a fragment, swapped into the sending form's `<id>-error` slot."""
    response = render(request, "socialfabric/_error_fragment.html", {"error": err}, status=err.status)
    trigger = re.sub(r"[^A-Za-z0-9_-]", "", request.headers.get("HX-Trigger", ""))
    response["HX-Retarget"] = f"#{trigger}-error" if trigger else "#page-error"
    response["HX-Reswap"] = "innerHTML"
    return response


def member_view(view: View) -> View:
    """Sign-in required; any DomainError not handled by the view becomes an error page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except PolicyNotAccepted as err:
            if is_htmx(request):
                return htmx_error(request, err)  # the message in the form's slot, with the link
            # Without JavaScript: to the text and its "I accept" button, then back here.
            back = request.get_full_path() if request.method == "GET" else safe_next(request, "")
            return redirect(f"{err.url}?{urlencode({'next': back})}" if back else err.url)
        except DomainError as err:
            if is_htmx(request):
                return htmx_error(request, err)
            return render(request, "socialfabric/error.html",
                          {"error": err, "back": safe_next(request, "")}, status=err.status)

    return login_required(wrapped)


def post_only(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method != "POST":
            raise InvalidInput("This address only takes form submissions.")
        return view(request, *args, **kwargs)

    return wrapped


def safe_next(request: HttpRequest, default: str) -> str:
    """A same-site URL to go back to: POSTed `next`, else the referrer, else `default`."""
    for candidate in (request.POST.get("next"), request.META.get("HTTP_REFERER")):
        if candidate and url_has_allowed_host_and_scheme(
                candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
            return candidate
    return default


def parse_id(value: object, field: str) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        raise InvalidInput(f"The {field} must be a number.", field=field) from None


def cursor_of(request: HttpRequest) -> str | None:
    return request.GET.get("cursor") or None


def thread_url(post: Post) -> str:
    root_id = post.root_id or post.id
    url = reverse("web:post", args=[root_id])
    return url if root_id == post.id else f"{url}#post-{post.id}"


def reaction_bar(reactions: dict[str, int], mine: list[str]) -> list[dict[str, Any]]:
    return [{"kind": kind, "emoji": emoji, "label": label, "count": reactions.get(kind, 0),
             "mine": kind in mine} for kind, emoji, label in REACTIONS]


def decorate(member: Member, posts: list[Post]) -> list[Post]:
    """Attach the reaction bar (counts, mine) and the readable files to each post of a thread:
    one query each for the lot."""
    for item in feed.annotate(member, posts):
        item.post.bar = reaction_bar(item.reactions, item.mine)
    return attachments.of_posts(member, posts)


def feed_context(page: feed.FeedPage, member: Member) -> dict[str, Any]:
    # Feed rows arrive with their reactions already counted (one statement per page).
    attachments.of_posts(member, [i.post for i in page.items])  # one query for the page's files
    items = [{"post": i.post, "bar": reaction_bar(i.reactions, i.mine)} for i in page.items]
    return {"items": items, "next_cursor": page.next_cursor}


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A readable page when a form comes back without its security token (an old tab, cookies off)."""
    err = Forbidden("This form expired or your browser blocked its security cookie. Reload the page and try again.",
                    code="csrf")
    if is_htmx(request):
        return htmx_error(request, err)
    return render(request, "socialfabric/error.html", {"error": err, "back": safe_next(request, "")}, status=403)


def health(request: HttpRequest) -> HttpResponse:
    """For load balancers and monitoring: 200 when every configured part answers, else 503.
    No sign-in, and nothing in it that says more than up or down."""
    healthy, parts = checks.check()
    response = JsonResponse({"status": "ok" if healthy else "down", "checks": parts}, status=200 if healthy else 503)
    response["Cache-Control"] = "no-store"
    return response
