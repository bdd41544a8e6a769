"""The bell, the notifications page, their settings, watching, and unsubscribing from e-mail.

Live without a held connection: the bell and the first page of the list are polled by htmx
every few seconds and answer 204 (no body, nothing swapped) while nothing changed; see
docs/notifications.md for why polling rather than Server-Sent Events.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from socialfabric import access
from socialfabric.communities import services as communities
from socialfabric.errors import DomainError
from socialfabric.feed import services as feed
from socialfabric.notifications import mailing
from socialfabric.notifications import services as notifications
from socialfabric.notifications.models import Channel, Frequency, Kind, Level
from socialfabric.notifications.services import DIGEST_KIND
from socialfabric.web.views.plumbing import cursor_of, is_htmx, member_view, post_only, safe_next

NO_CHANGE = 204


def _items(page: list) -> list[dict]:
    return [{"n": n, "text": notifications.describe(n)} for n in page]


@never_cache
@member_view
def notification_list(request: HttpRequest) -> HttpResponse:
    member = request.user
    cursor = cursor_of(request)
    live = request.GET.get("live")
    if live is not None and is_htmx(request):
        # The live list asks "still the same?" with the fingerprint it was drawn with.
        fingerprint = notifications.fingerprint(member)
        if live == fingerprint:
            return HttpResponse(status=NO_CHANGE)
        page, next_cursor = notifications.listing(member)
        return render(request, "socialfabric/_notification_feed.html",
                      {"items": _items(page), "next_cursor": next_cursor, "fingerprint": fingerprint,
                       "live": True})
    page, next_cursor = notifications.listing(member, cursor)
    ctx = {"nav": "notifications", "items": _items(page), "next_cursor": next_cursor, "live": not cursor,
           "fingerprint": notifications.fingerprint(member) if not cursor else "",
           "unread": notifications.unread_count(member)}
    return render(request, "socialfabric/notifications.html", ctx)


@never_cache
@member_view
def bell(request: HttpRequest) -> HttpResponse:
    count = notifications.unread_count(request.user, notifications.BELL_MOST)
    if request.GET.get("seen") == str(count) and is_htmx(request):
        return HttpResponse(status=NO_CHANGE)
    return render(request, "socialfabric/_bell.html", {"bell_count": count})


@member_view
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark it read and go where it leads (the thread at the reply)."""
    found = notifications.mark_read(request.user, notification_id)
    return redirect(mailing.target_url(found))


@member_view
@post_only
def read_all(request: HttpRequest) -> HttpResponse:
    n = notifications.mark_all_read(request.user)
    messages.success(request, f"Marked {n} notification{'s' if n != 1 else ''} read." if n
                     else "Nothing was unread.")
    return redirect(safe_next(request, reverse("web:notifications")))


@member_view
def notification_settings(request: HttpRequest) -> HttpResponse:
    member = request.user
    mine = list(communities.my_communities(member))
    ctx: dict = {"nav": "settings", "kinds": Kind.choices, "channel_choices": Channel.choices,
                 "frequencies": Frequency.choices, "level_choices": Level.choices}
    status = 200
    if request.method == "POST":
        chosen = {k: request.POST.get(f"channel-{k}", "") for k in Kind.values if f"channel-{k}" in request.POST}
        levels = {c.slug: request.POST.get(f"level-{c.slug}", "") for c in mine
                  if f"level-{c.slug}" in request.POST}
        try:
            notifications.save_settings(member, channels=chosen, digest=request.POST.get("digest", ""),
                                        levels=levels)
        except DomainError as err:
            ctx["error"], status = err, err.status
        else:
            messages.success(request, "Your notification settings are saved.")
            return redirect("web:notification_settings")
    current = notifications.channels(member)
    levels_now = notifications.watch_levels(member, mine)
    ctx.update(rows=[{"kind": k, "label": label, "channel": current[k]} for k, label in Kind.choices],
               digest=notifications.digest_frequency(member),
               places=[{"community": c, "level": levels_now[c.id]} for c in mine])
    return render(request, "socialfabric/notification_settings.html", ctx, status=status)


@member_view
@post_only
def community_watch(request: HttpRequest, slug: str) -> HttpResponse:
    community = access.get_visible_community(request.user, slug)
    level = notifications.watch_community(request.user, community, request.POST.get("level", ""))
    messages.success(request, {"watching": f"You will be told of every new post in {community.name}.",
                               "muted": f"{community.name} is muted: only mentions of you reach you.",
                               }.get(level, f"You will be told what concerns you in {community.name}."))
    return redirect(safe_next(request, reverse("web:community", args=[community.slug])))


@member_view
@post_only
def topic_watch(request: HttpRequest, name: str) -> HttpResponse:
    watching = request.POST.get("watch", "1") not in ("0", "false", "")
    topic = notifications.watch_topic(request.user, name, watching)
    messages.success(request, f"You will be told of new posts tagged #{topic.name}." if watching
                     else f"You no longer watch #{topic.name}.")
    return redirect(safe_next(request, reverse("web:topic", args=[topic.name])))


@never_cache
@member_view
def feed_news(request: HttpRequest) -> HttpResponse:
    """The home feed's "3 new posts" line, polled; 204 while there is nothing new or no change."""
    count = feed.newer_count(request.user, request.GET.get("since", ""))
    if not is_htmx(request):
        return redirect("web:home")
    if str(count) == request.GET.get("seen", "0"):
        return HttpResponse(status=NO_CHANGE)
    return render(request, "socialfabric/_feed_news.html",
                  {"news": count, "since": request.GET.get("since", ""), "cap": feed.NEWS_CAP})


@csrf_exempt  # RFC 8058: a mail client POSTs "List-Unsubscribe=One-Click" without a form token
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Open to anyone holding the link, signed in or not: the signed link is the credential,
    and all it can do is stop one kind of e-mail."""
    if request.method != "POST":
        try:
            member, kind = notifications.unsubscribe_preview(token)
        except DomainError as err:
            return render(request, "socialfabric/error.html", {"error": err}, status=err.status)
        return render(request, "socialfabric/unsubscribe.html",
                      {"token": token, "what": _what(kind), "person": member, "done": False})
    try:
        member, kind = notifications.unsubscribe(token)
    except DomainError as err:
        return render(request, "socialfabric/error.html", {"error": err}, status=err.status)
    return render(request, "socialfabric/unsubscribe.html", {"what": _what(kind), "person": member, "done": True})


def _what(kind: str) -> str:
    return "your digest" if kind == DIGEST_KIND else f"e-mail about “{Kind(kind).label.lower()}”"
