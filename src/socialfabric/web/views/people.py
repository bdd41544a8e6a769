"""People, units and topics: the directory, profiles and follows, a unit's page, a topic's feed."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import get_conditional_response

from socialfabric import access, paging
from socialfabric.errors import InvalidInput
from socialfabric.feed import services as feed
from socialfabric.notifications import services as notifications
from socialfabric.org import photos
from socialfabric.org import services as org
from socialfabric.web.forms import DirectoryForm
from socialfabric.web.views.plumbing import cursor_of, feed_context, member_view, post_only

# A unit's page shows this many of its people; the directory, filtered by the unit, lists them all.
UNIT_ROSTER_SIZE = 50


@member_view
def people(request: HttpRequest) -> HttpResponse:
    form = DirectoryForm(request.GET or None)
    structure = access.sees_structure(request.user)
    if not structure:  # external members never filter by unit nor see the unit list
        del form.fields["unit"]
    if form.is_bound and not form.is_valid():
        # An unknown unit or kind in the address: say so rather than silently show everyone.
        first = next(iter(form.errors.items()))
        raise InvalidInput(f"{form.fields[first[0]].label}: {first[1][0]}", field=first[0])
    data = form.cleaned_data if form.is_bound else {}
    unit = data.get("unit")
    listed = org.directory(request.user, q=data.get("q", ""), unit=unit.slug if unit else None,
                           stakeholder=data.get("stakeholder", ""), expertise=data.get("expertise", ""))
    found, next_cursor = paging.keyset_page(listed, ("name", "id"), cursor_of(request), paging.DIRECTORY_PAGE_SIZE)
    query = request.GET.copy()
    query.pop("cursor", None)
    return render(request, "socialfabric/people.html",
                  {"nav": "people", "form": form, "people": found, "next_cursor": next_cursor,
                   "query": query.urlencode(), "filtered": bool(query), "structure": structure})


@member_view
def person(request: HttpRequest, handle: str) -> HttpResponse:
    viewer = request.user
    member = org.get_member(handle, viewer)  # NotFound for someone beyond the external boundary
    structure = access.sees_structure(viewer)
    followers, follows = org.follow_counts(member, viewer)
    ctx = {
        "nav": "people", "person": member, "is_me": member.id == viewer.id,
        "administers": access.can_administer_people(viewer),
        "may_deactivate": member.is_active and access.can_deactivate(viewer, member),
        "following": org.is_following(viewer, member),
        "followers": followers, "follows": follows,
        "structure": structure,
        "reports": org.reports_of(member) if structure else [],
        "expertise": org.expertise_of(member),
        "their_communities": org.communities_of(viewer, member),
        **feed_context(feed.profile_feed(viewer, member, cursor_of(request)), viewer),
    }
    return render(request, "socialfabric/person.html", ctx)


@member_view
@post_only
def person_follow(request: HttpRequest, handle: str) -> HttpResponse:
    member = org.get_member(handle, request.user)
    org.follow(request.user, member)
    messages.success(request, f"You follow {member.name}: their posts in communities you can read "
                              "come to your home feed.")
    return redirect("web:person", handle=member.handle)


@member_view
@post_only
def person_unfollow(request: HttpRequest, handle: str) -> HttpResponse:
    member = org.get_member(handle, request.user)
    org.unfollow(request.user, member)
    messages.success(request, f"You no longer follow {member.name}.")
    return redirect("web:person", handle=member.handle)


@member_view
@post_only
def person_deactivate(request: HttpRequest, handle: str) -> HttpResponse:
    member = org.get_member(handle, request.user)  # beyond the viewer's boundary: 404, as for no one
    org.deactivate(request.user, member)
    messages.success(request, f"{member.name}'s account is deactivated: their sessions and API tokens no longer "
                              "work; their posts stay.")
    return redirect("web:people")


@member_view
def person_photo(request: HttpRequest, handle: str, size: int, key: str) -> HttpResponse:
    """A member's photo thumbnail, to whoever may see the member (served here, not by whitenoise
    or the proxy, for that check). The key in the address is a hash of the content, so the
    answer never changes (photos.CACHE_CONTROL)."""
    opened = org.photo_file(request.user, handle, size, key)  # who may see it first, then any 304
    etag = f'"{key}-{size}"'
    unchanged = get_conditional_response(request, etag=etag)
    if unchanged is not None:
        opened.close()
        response = unchanged
    else:
        response = FileResponse(opened, content_type=photos.CONTENT_TYPE, as_attachment=False,
                                filename=f"{handle}-{size}.{photos.EXTENSION}")
    response["ETag"] = etag
    response["Cache-Control"] = photos.CACHE_CONTROL
    response["X-Content-Type-Options"] = "nosniff"
    return response


@member_view
def unit(request: HttpRequest, slug: str) -> HttpResponse:
    found = org.get_unit(slug, request.user)  # NotFound for external members, like an unknown unit
    roster, headcount = org.unit_members(found, first=UNIT_ROSTER_SIZE)
    ctx = {"nav": "people", "unit": found, "people": roster, "people_count": headcount,
           "children": org.unit_children(found),
           **feed_context(feed.unit_feed(request.user, found, cursor_of(request)), request.user)}
    return render(request, "socialfabric/unit.html", ctx)


@member_view
def topic(request: HttpRequest, name: str) -> HttpResponse:
    # NotFound also when the topic is used only where this member cannot read (no leak).
    page = feed.topic_feed(request.user, name, cursor_of(request))
    topic_name = name.lower().lstrip("#")
    watching = notifications.watches_topic(request.user, topic_name)
    return render(request, "socialfabric/topic.html",
                  {"topic": topic_name, "watching": watching, **feed_context(page, request.user)})
