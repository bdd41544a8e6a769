"""Server-rendered pages over the services. Thin: parse the request, call a service, render.

Every page needs sign-in. A DomainError from a service becomes a readable message on the
page with the error's 4xx status: forms re-render with the input kept; an htmx request
gets a small fragment aimed (HX-Retarget) at the error slot of the form that sent it.
Every form also works as a plain POST followed by a redirect.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from socialfabric import access
from socialfabric.communities import services as communities_svc
from socialfabric.communities.models import (
    Audience,
    Community,
    JoinRequest,
    Membership,
    Role,
    Visibility,
)
from socialfabric.conversations import services as conv
from socialfabric.conversations.models import Post, PostKind, PostRevision, ReactionKind
from socialfabric.errors import DomainError, Forbidden, InvalidInput, NotFound
from socialfabric.feed import services as feed
from socialfabric.org import services as org
from socialfabric.org.models import EXTERNAL_KINDS, Follow, Member, Stakeholder
from socialfabric.web import directory
from socialfabric.web.forms import DirectoryForm, SignInForm

View = Callable[..., HttpResponse]

# Reaction buttons in a fixed order; the label is "<emoji> <word>" in ReactionKind.
REACTIONS = [(value, *label.split(" ", 1)) for value, label in ReactionKind.choices]
ROOT_KIND_CHOICES = [(k.value, k.label) for k in (PostKind.DISCUSSION, PostKind.QUESTION,
                                                   PostKind.ANNOUNCEMENT)]


# ---------------------------------------------------------------- plumbing

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


def reaction_bar(reactions: dict[str, int], mine: list[str]) -> list[dict[str, Any]]:
    return [{"kind": kind, "emoji": emoji, "label": label, "count": reactions.get(kind, 0),
             "mine": kind in mine} for kind, emoji, label in REACTIONS]


def decorate(member: Member, posts: list[Post]) -> list[Post]:
    """Attach the reaction bar (counts, mine) to each post of a thread: one query for the lot."""
    for item in feed.annotate(member, posts):
        item.post.bar = reaction_bar(item.reactions, item.mine)
    return posts


def feed_context(page: feed.FeedPage) -> dict[str, Any]:
    # Feed rows arrive with their reactions already counted (one statement per page).
    items = [{"post": i.post, "bar": reaction_bar(i.reactions, i.mine)} for i in page.items]
    return {"items": items, "next_cursor": page.next_cursor}


def cursor_of(request: HttpRequest) -> str | None:
    return request.GET.get("cursor") or None


def thread_url(post: Post) -> str:
    root_id = post.root_id or post.id
    url = reverse("web:post", args=[root_id])
    return url if root_id == post.id else f"{url}#post-{post.id}"


# ---------------------------------------------------------------- sign in / out

class SignInView(auth_views.LoginView):
    template_name = "socialfabric/signin.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def form_invalid(self, form: SignInForm) -> HttpResponse:
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class SignOutView(auth_views.LogoutView):
    next_page = "/signin/"


# ---------------------------------------------------------------- feeds and posting

def _composer_values(request: HttpRequest) -> dict[str, str]:
    return {"kind": request.POST.get("kind", "discussion"), "title": request.POST.get("title", ""),
            "body": request.POST.get("body", ""), "community": request.POST.get("community", "")}


def _create_post(request: HttpRequest, community: Community) -> HttpResponse:
    values = _composer_values(request)
    post = conv.create_post(request.user, community, kind=values["kind"], title=values["title"],
                            body=values["body"])
    if is_htmx(request):
        post = decorate(request.user, [post])[0]
        return render(request, "socialfabric/_feed_item.html", {"post": post, "bar": post.bar, "fresh": True})
    messages.success(request, "Your post is live.")
    return redirect(thread_url(post))


@member_view
def home(request: HttpRequest) -> HttpResponse:
    member = request.user
    if request.method == "POST":
        try:
            community = access.get_visible_community(member, request.POST.get("community", ""))
            return _create_post(request, community)
        except DomainError as err:
            if is_htmx(request):
                return htmx_error(request, err)
            return _home_page(request, composer_error=err, values=_composer_values(request),
                              status=err.status)
    return _home_page(request)


def _home_page(request: HttpRequest, *, status: int = 200, **extra: Any) -> HttpResponse:
    member = request.user
    mine = Community.objects.filter(id__in=access.member_community_ids(member)).order_by("name")
    page = feed.home_feed(member, cursor_of(request))
    ctx = {"nav": "home", "my_communities": mine, "kinds": ROOT_KIND_CHOICES,
           "values": {"kind": "discussion"}, **feed_context(page), **extra}
    return render(request, "socialfabric/home.html", ctx, status=status)


# ---------------------------------------------------------------- communities

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
    mine_ids = access.member_community_ids(member)
    visible = list(access.visible_communities(member).order_by("name"))
    pending = set(JoinRequest.objects.filter(member=member, status=JoinRequest.Status.PENDING)
                  .values_list("community_id", flat=True))
    for c in visible:
        c.is_mine, c.is_pending = c.id in mine_ids, c.id in pending
    ctx = {
        "nav": "communities",
        "mine": [c for c in visible if c.is_mine],
        "others": [c for c in visible if not c.is_mine],
        "visibilities": Visibility.choices, "audiences": Audience.choices,
        "external_kinds": [(k, Stakeholder(k).label) for k in sorted(EXTERNAL_KINDS)],
        "can_create": not member.is_external or member.is_staff,
        "values": {"visibility": "open", "audience": "internal"}, **extra,
    }
    return render(request, "socialfabric/communities.html", ctx, status=status)


@member_view
def community(request: HttpRequest, slug: str) -> HttpResponse:
    member = request.user
    found = access.get_visible_community(member, slug)
    if request.method == "POST":
        try:
            return _create_post(request, found)
        except DomainError as err:
            if is_htmx(request):
                return htmx_error(request, err)
            return _community_page(request, found, composer_error=err,
                                   values=_composer_values(request), status=err.status)
    return _community_page(request, found)


def _community_page(request: HttpRequest, c: Community, *, status: int = 200,
                    **extra: Any) -> HttpResponse:
    member = request.user
    is_member = access.is_member(member, c)
    moderates = access.can_moderate(member, c)
    ctx: dict[str, Any] = {
        "nav": "communities", "community": c, "is_member": is_member, "moderates": moderates,
        "can_read": access.can_read_community(member, c), "admits_me": c.admits(member.stakeholder),
        "kinds": [k for k in ROOT_KIND_CHOICES if k[0] != PostKind.ANNOUNCEMENT or moderates],
        "values": {"kind": "discussion"},
        "stewards": Membership.objects.filter(community=c, role__in=[Role.OWNER, Role.MODERATOR])
        .select_related("member").order_by("role", "member__name"),
        "my_request": JoinRequest.objects.filter(community=c, member=member,
                                                 status=JoinRequest.Status.PENDING).first(),
        "external_labels": [Stakeholder(k).label for k in c.external_kinds or []],
        "items": [], "next_cursor": None,
    }
    if ctx["can_read"]:
        ctx.update(feed_context(feed.community_feed(member, c, cursor_of(request))))
    if moderates:
        ctx["pending"] = list(communities_svc.pending_requests(member, c))
    ctx.update(extra)
    if "composer_error" in extra and not (is_member or member.is_staff):
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
        # The request must belong to the community in the address, checked before deciding.
        if not JoinRequest.objects.filter(id=request_id, community=c).exists():
            raise NotFound("No such request.", field="request")
        req = communities_svc.decide_request(request.user, request_id, approve=decision == "approve")
        return f"{req.member.name}: request {req.status}."
    return _community_action(request, slug, act)


@member_view
@post_only
def community_add_member(request: HttpRequest, slug: str) -> HttpResponse:
    def act(c: Community) -> str:
        handle = request.POST.get("handle", "").strip().lstrip("@")
        if not handle:
            raise InvalidInput("Enter the handle of the person to add.", field="handle")
        person = org.get_member(handle)
        communities_svc.add_member(request.user, c, person, request.POST.get("role", "member"))
        return f"{person.name} is now a member."
    return _community_action(request, slug, act)


# ---------------------------------------------------------------- threads

def _thread_flags(member: Member, root: Post) -> dict[str, Any]:
    moderates = access.can_moderate(member, root.community)
    return {
        "root": root,
        "moderates": moderates,
        "can_reply": member.is_staff or access.is_member(member, root.community),
        "can_accept": root.kind == PostKind.QUESTION and (root.author_id == member.id or moderates),
    }


def _thread_page(request: HttpRequest, post_id: int, *, status: int = 200, **extra: Any) -> HttpResponse:
    member = request.user
    root, replies = conv.thread(member, post_id)
    posts = decorate(member, [root, *replies])
    edited = [p.id for p in posts if p.edited_at and not p.is_removed]
    history: dict[int, list[PostRevision]] = {}
    for rev in PostRevision.objects.filter(post_id__in=edited):
        history.setdefault(rev.post_id, []).append(rev)
    for p in posts:
        # A removal also stores a revision; never show it, or removal would undo itself.
        p.history = history.get(p.id, []) if not p.is_removed else []
    ctx = {"nav": "communities", "tree": conv.build_tree(root, replies), "reply_total": len(replies),
           "community": root.community, **_thread_flags(member, root), **extra}
    failed = extra.get("reply_error")
    if failed:
        target = next((p for p in posts if p.id == failed["parent"]), None)
        if target is None or target.is_removed or not ctx["can_reply"]:
            ctx["page_error"] = failed["error"]  # that post shows no reply form to hold the message
    return render(request, "socialfabric/thread.html", ctx, status=status)


@member_view
def post_detail(request: HttpRequest, post_id: int) -> HttpResponse:
    post = conv.get_readable_post(request.user, post_id)
    if post.parent_id is not None:
        return redirect(thread_url(post))
    return _thread_page(request, post_id)


@member_view
@post_only
def post_reply(request: HttpRequest, post_id: int) -> HttpResponse:
    member, body = request.user, request.POST.get("body", "")
    try:
        reply = conv.create_reply(member, post_id, body=body)
    except DomainError as err:
        if is_htmx(request):
            return htmx_error(request, err)
        try:
            return _thread_page(request, post_id, status=err.status,
                                reply_error={"parent": post_id, "error": err, "body": body})
        except DomainError:
            raise err from None
    if is_htmx(request):
        root = Post.objects.select_related("community").get(id=reply.root_id)
        reply.history = []
        ctx = {"node": {"post": decorate(member, [reply])[0], "children": []}, "fresh": True,
               "next": reverse("web:post", args=[root.id]), **_thread_flags(member, root)}
        return render(request, "socialfabric/_reply_new.html", ctx)
    messages.success(request, "Your reply is posted.")
    return redirect(thread_url(reply))


@member_view
@post_only
def post_react(request: HttpRequest, post_id: int) -> HttpResponse:
    member = request.user
    # The button says what it does ("add:like" / "remove:like"), so a double submit is harmless.
    action, _, kind = request.POST.get("op", "").partition(":")
    if action == "remove":
        conv.unreact(member, post_id, kind)
    elif action == "add":
        conv.react(member, post_id, kind)
    else:
        raise InvalidInput("Choose a reaction.", field="op")
    post = conv.get_readable_post(member, post_id)
    if is_htmx(request):
        post = decorate(member, [post])[0]
        return render(request, "socialfabric/_reactions.html",
                      {"post": post, "bar": post.bar, "next": safe_next(request, "")})
    return redirect(safe_next(request, thread_url(post)))


@member_view
@post_only
def post_accept(request: HttpRequest, post_id: int) -> HttpResponse:
    raw = request.POST.get("answer", "")
    try:
        answer_id = parse_id(raw, "answer") if raw else None
        question = conv.accept_answer(request.user, post_id, answer_id)
    except DomainError as err:
        try:
            return _thread_page(request, post_id, page_error=err, status=err.status)
        except DomainError:
            raise err from None
    if answer_id is None:
        messages.success(request, "The accepted answer is cleared.")
        return redirect("web:post", post_id=question.id)
    messages.success(request, "Answer accepted.")
    return redirect(f"{reverse('web:post', args=[question.id])}#post-{answer_id}")


@member_view
def post_edit(request: HttpRequest, post_id: int) -> HttpResponse:
    member = request.user
    post = conv.get_readable_post(member, post_id)
    if post.author_id != member.id:
        raise Forbidden("Only the author may edit a post.", field="post")
    if post.is_removed:
        raise InvalidInput("A removed post cannot be edited.", field="post")
    values = {"title": post.title, "body": post.body}
    if request.method == "POST":
        values = {"title": request.POST.get("title", ""), "body": request.POST.get("body", "")}
        try:
            post = conv.edit_post(member, post_id, body=values["body"],
                                  title=values["title"] if post.is_root else None)
        except DomainError as err:
            return render(request, "socialfabric/post_edit.html",
                          {"post": post, "values": values, "error": err}, status=err.status)
        messages.success(request, "Saved. The earlier version is in the post's history.")
        return redirect(thread_url(post))
    return render(request, "socialfabric/post_edit.html", {"post": post, "values": values})


@member_view
@post_only
def post_remove(request: HttpRequest, post_id: int) -> HttpResponse:
    try:
        post = conv.remove_post(request.user, post_id)
    except DomainError as err:
        try:
            return _thread_page(request, post_id, page_error=err, status=err.status)
        except DomainError:
            raise err from None
    messages.success(request, "The post is removed.")
    return redirect(thread_url(post))


# ---------------------------------------------------------------- people, units, topics

@member_view
def people(request: HttpRequest) -> HttpResponse:
    form = DirectoryForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        # An unknown unit or kind in the address: say so rather than silently show everyone.
        first = next(iter(form.errors.items()))
        raise InvalidInput(f"{form.fields[first[0]].label}: {first[1][0]}", field=first[0])
    data = form.cleaned_data if form.is_bound else {}
    unit = data.get("unit")
    listed = org.directory(q=data.get("q", ""), unit=unit.slug if unit else None,
                           stakeholder=data.get("stakeholder", ""))
    found, next_cursor = directory.paginate(listed, cursor_of(request))
    query = request.GET.copy()
    query.pop("cursor", None)
    return render(request, "socialfabric/people.html",
                  {"nav": "people", "form": form, "people": found, "next_cursor": next_cursor,
                   "query": query.urlencode(), "filtered": bool(query)})


@member_view
def person(request: HttpRequest, handle: str) -> HttpResponse:
    viewer = request.user
    member = org.get_member(handle)
    if not access.can_see_member(viewer, member):
        raise NotFound("No such member.", field="member")
    visible_ids = access.visible_communities(viewer).values("id")
    ctx = {
        "nav": "people", "person": member, "is_me": member.id == viewer.id,
        "following": org.is_following(viewer, member),
        "followers": Follow.objects.filter(followed=member).count(),
        "follows": Follow.objects.filter(follower=member).count(),
        "reports": member.reports.filter(is_active=True).order_by("name"),
        "their_communities": Community.objects.filter(memberships__member=member, id__in=visible_ids)
        .order_by("name"),
        **feed_context(feed.profile_feed(viewer, member, cursor_of(request))),
    }
    return render(request, "socialfabric/person.html", ctx)


@member_view
@post_only
def person_follow(request: HttpRequest, handle: str) -> HttpResponse:
    member = org.get_member(handle)
    org.follow(request.user, member)
    messages.success(request, f"You follow {member.name}: their posts in communities you can read "
                              "come to your home feed.")
    return redirect("web:person", handle=member.handle)


@member_view
@post_only
def person_unfollow(request: HttpRequest, handle: str) -> HttpResponse:
    member = org.get_member(handle)
    org.unfollow(request.user, member)
    messages.success(request, f"You no longer follow {member.name}.")
    return redirect("web:person", handle=member.handle)


@member_view
def unit(request: HttpRequest, slug: str) -> HttpResponse:
    found = org.get_unit(slug)
    ctx = {"nav": "people", "unit": found,
           "people": found.members.filter(is_active=True).order_by("level", "name")[:50],
           "people_count": found.members.filter(is_active=True).count(),
           "children": found.children.order_by("name"),
           **feed_context(feed.unit_feed(request.user, found, cursor_of(request)))}
    return render(request, "socialfabric/unit.html", ctx)


@member_view
def topic(request: HttpRequest, name: str) -> HttpResponse:
    # NotFound also when the topic is used only where this member cannot read (no leak).
    page = feed.topic_feed(request.user, name, cursor_of(request))
    return render(request, "socialfabric/topic.html", {"topic": name.lower().lstrip("#"), **feed_context(page)})


# ---------------------------------------------------------------- settings

@member_view
def tokens(request: HttpRequest) -> HttpResponse:
    member, ctx, status = request.user, {"nav": "settings"}, 200
    if request.method == "POST":
        try:
            token, plain = org.create_token(member, request.POST.get("name", ""))
            ctx.update(new_token=token, plain=plain)
        except DomainError as err:
            ctx.update(error=err, name=request.POST.get("name", ""))
            status = err.status
    ctx["tokens"] = member.tokens.all()
    response = render(request, "socialfabric/tokens.html", ctx, status=status)
    response["Cache-Control"] = "no-store"  # the plain token is shown once; never cache it
    return response


@member_view
@post_only
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = org.revoke_token(request.user, token_id)
    messages.success(request, f"The token “{token.name}” is revoked; it no longer works.")
    return redirect("web:tokens")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A readable page when a form comes back without its security token (an old tab, cookies off)."""
    err = Forbidden("This form expired or your browser blocked its security cookie. Reload the page and try again.",
                    code="csrf")
    if is_htmx(request):
        return htmx_error(request, err)
    return render(request, "socialfabric/error.html", {"error": err, "back": safe_next(request, "")}, status=403)
