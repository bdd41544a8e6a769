"""Keeps the index in step with the activity stream: a consumer, after each act commits.

It runs in the process that made the act, right after the commit, so a search made after
the answer to "post this" finds the post. A failure is logged and leaves the index behind
by that post until `socialfabric search rebuild` (see docs/search.md).
"""

from __future__ import annotations

from socialfabric import activity
from socialfabric.activity.models import Activity
from socialfabric.activity.verbs import ObjectType, Verb
from socialfabric.conversations.models import Post
from socialfabric.search import index


def _write(act: Activity) -> None:
    if act.object_type == ObjectType.POST and act.object_id:
        index.index_posts([act.object_id])


def _thread(act: Activity) -> None:
    """A post hidden, restored or released: its entry (and, for a thread's first post, its
    replies' entries, which are searchable only with it) follow its new state."""
    if act.object_type == ObjectType.POST and act.object_id:
        index.index_posts([act.object_id, *Post.objects.filter(root_id=act.object_id).values_list("id", flat=True)])


def _remove(act: Activity) -> None:
    if act.object_type == ObjectType.POST and act.object_id:
        index.unindex_posts([act.object_id])


def _renamed(act: Activity) -> None:
    # A post's entry holds its author's name: a new name is found, the old one no longer.
    if "name" in (act.details or {}).get("fields", []) and act.actor_id:
        index.index_posts_where("p.author_id = %s AND p.deleted_at IS NULL", [act.actor_id])


def _erased(act: Activity) -> None:
    # The person's posts now carry "Former member": the old name is found no more.
    if act.target_id:
        index.index_posts_where("p.author_id = %s AND p.deleted_at IS NULL", [act.target_id])


def connect() -> None:
    for verb in (Verb.POST, Verb.REPLY, Verb.EDIT, Verb.ANONYMISE):
        activity.subscribe(verb, _write)
    activity.subscribe(Verb.REMOVE, _remove)
    for verb in (Verb.HIDE, Verb.RESTORE, Verb.RELEASE):
        activity.subscribe(verb, _thread)
    activity.subscribe(Verb.UPDATE_PROFILE, _renamed)
    activity.subscribe(Verb.ERASE, _erased)
