"""A thread and the acts on its posts: reply, react, accept an answer, edit, remove."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from socialfabric import access
from socialfabric.attachments import services as attachments
from socialfabric.conversations import services as conv
from socialfabric.conversations.models import Post
from socialfabric.errors import DomainError, InvalidInput
from socialfabric.org.models import Member
from socialfabric.web.views.moderation import FLAG_REASONS
from socialfabric.web.views.plumbing import (
    decorate,
    htmx_error,
    is_htmx,
    member_view,
    parse_id,
    post_only,
    safe_next,
    thread_url,
)

# A long thread reads from the top: three levels open, deeper branches folded behind "N more
# replies"; past RECENT_BRANCHES top-level replies, the older ones fold behind one line.
OPEN_LEVELS = 3
RECENT_BRANCHES = 15


def fold(tree: list[dict], accepted: int | None) -> tuple[list[dict], list[dict]]:
    """Mark each node with its depth, how many replies lie below it, and whether its branch
    starts folded; split the top level into (older, folded together) and recent branches.
    Everything stays on the page (<details>), so a link to any reply still lands on it."""

    def walk(node: dict, depth: int) -> int:
        node["depth"] = depth
        node["below"] = sum(1 + walk(child, depth + 1) for child in node["children"])
        node["fold"] = depth >= OPEN_LEVELS and bool(node["children"])
        return node["below"]

    for node in tree:
        walk(node, 1)
    if len(tree) <= RECENT_BRANCHES + 3:  # folding two or three would save nothing
        return [], tree
    older, recent = tree[:-RECENT_BRANCHES], tree[-RECENT_BRANCHES:]
    keep = [n for n in older if n["post"].id == accepted]  # the accepted answer stays in sight
    older = [n for n in older if n["post"].id != accepted]
    return older, keep + recent


def _thread_flags(member: Member, root: Post) -> dict[str, Any]:
    return {
        "root": root,
        "moderates": access.can_moderate(member, root.community),
        "can_reply": access.can_post(member, root.community, "reply") and root.is_published,
        "can_accept": access.can_accept_answer(member, root),
        "flag_reasons": FLAG_REASONS,
    }


def _thread_page(request: HttpRequest, post_id: int, *, status: int = 200, **extra: Any) -> HttpResponse:
    member = request.user
    root, replies = conv.thread(member, post_id)
    posts = decorate(member, [root, *replies])
    history = conv.histories(posts)
    for p in posts:
        p.history = history.get(p.id, [])
    older, tree = fold(conv.build_tree(root, replies), root.accepted_answer_id)
    ctx = {"nav": "communities", "tree": tree, "older": older, "reply_total": len(replies),
           "older_total": sum(1 + n["below"] for n in older),
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
        reply = attachments.create_reply(member, post_id, body=body, files=request.FILES.getlist("attachments"))
    except DomainError as err:
        if is_htmx(request):
            return htmx_error(request, err)
        try:
            return _thread_page(request, post_id, status=err.status,
                                reply_error={"parent": post_id, "error": err, "body": body})
        except DomainError:
            raise err from None
    if is_htmx(request):
        root = conv.get_readable_post(member, reply.root_id)
        reply.history = []
        ctx = {"node": {"post": decorate(member, [reply])[0], "children": []}, "fresh": True,
               "next": reverse("web:post", args=[root.id]), **_thread_flags(member, root)}
        return render(request, "socialfabric/_reply_new.html", ctx)
    messages.success(request, {"pending": "Your reply waits for a compliance officer's approval; you will be told.",
                               "held": "Your reply is held for a moderator to look at; you will be told."}
                     .get(reply.state, "Your reply is posted."))
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
                      {"post": post, "bar": post.bar, "next": safe_next(request, ""),
                       "compact": post.parent_id is not None})  # a reply's bar stays a summary
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
    access.require_can_edit_post(member, post)
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
