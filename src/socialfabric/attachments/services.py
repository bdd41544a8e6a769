"""Attaching files to posts and replies, reading them back, and letting them go with their post.

Files are checked and prepared (type from the content, images re-encoded without metadata,
previews made) before the transaction opens, so the write lock is never held over image work.
The post (or reply), its files' rows and the act `attach` are one transaction; the bytes are
written to the "attachments" storage inside it and deleted again if it fails, so a refused
post leaves neither rows nor files. A removed post's files are deleted from the storage after
the removal commits (a consumer of `remove`); the rows stay, marked removed, as the post's
revision keeps its text (retention and erasure in governance decide when rows go).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from socialfabric import access, activity
from socialfabric.activity.models import Activity, ObjectType, Verb
from socialfabric.attachments import files
from socialfabric.attachments.models import Attachment
from socialfabric.communities.models import Community
from socialfabric.conversations import services as conv
from socialfabric.conversations.models import Post
from socialfabric.errors import InvalidInput, NotFound
from socialfabric.org.models import Member
from socialfabric.validation import parse_id

log = logging.getLogger(__name__)


def storage() -> Storage:
    return storages["attachments"]


def prepare(uploads: Sequence[object], already: int = 0) -> list[files.Prepared]:
    """Check every upload before anything is written; InvalidInput naming the first bad one."""
    uploads = [u for u in uploads if u is not None]
    limit = settings.SOCIALFABRIC_ATTACHMENTS_PER_POST
    if already + len(uploads) > limit:
        raise InvalidInput(f"A post takes at most {limit} files.", field=files.FIELD)
    return [files.prepare(u) for u in uploads]


def _store(member: Member, post: Post, prepared: list[files.Prepared], written: list[str]) -> list[Attachment]:
    start = (Attachment.objects.filter(post=post).aggregate(m=Max("position"))["m"] or 0) + 1
    out = []
    store = storage()
    for i, f in enumerate(prepared):
        row = Attachment(post=post, uploader=member, name=f.name, content_type=f.content_type,
                         size=len(f.data), key=f.key, width=f.width, height=f.height, position=start + i)
        # Same bytes on the same post: the same name, written once (and never deleted on a
        # failure when an earlier act wrote it).
        for name, data in ((row.file_name, f.data), (row.preview_name, f.preview)):
            if data is not None and not store.exists(name):
                written.append(store.save(name, ContentFile(data)))
        out.append(row)
    Attachment.objects.bulk_create(out)
    activity.record(Verb.ATTACH, member, object_type=ObjectType.POST, object_id=post.id,
                    community_id=post.community_id, details={"files": len(out)})
    return out


@contextmanager
def _all_or_nothing() -> Iterator[list[str]]:
    """One transaction for the act and its files' rows; the storage names written inside it
    (collected in the yielded list) are deleted again if it fails: nothing stays, on disk either."""
    written: list[str] = []
    try:
        with transaction.atomic():
            yield written
    except BaseException:
        for name in written:
            storage().delete(name)
        raise


def _with_files(member: Member, act, uploads: Sequence[object]) -> Post:
    prepared = prepare(uploads)
    with _all_or_nothing() as written:
        post = act()
        if prepared:
            _store(member, post, prepared, written)
    return post


def create_post(member: Member, community: Community, *, files: Sequence[object] = (), **fields) -> Post:
    """conversations.create_post with files, all or nothing."""
    return _with_files(member, lambda: conv.create_post(member, community, **fields), files)


def create_reply(member: Member, parent_id: int, *, body: object, files: Sequence[object] = ()) -> Post:
    """conversations.create_reply with files, all or nothing."""
    return _with_files(member, lambda: conv.create_reply(member, parent_id, body=body), files)


def attach(member: Member, post_id: object, uploads: Sequence[object]) -> list[Attachment]:
    """Add files to one's own live post or reply."""
    if not uploads:
        raise InvalidInput("Choose at least one file to attach.", field=files.FIELD)
    post = conv.get_readable_post(member, post_id)
    access.require_may_attach(member, post)
    existing = Attachment.objects.filter(post=post, removed_at__isnull=True).count()
    prepared = prepare(uploads, already=existing)
    with _all_or_nothing() as written:
        return _store(member, post, prepared, written)


def readable(member: Member):
    return Attachment.objects.filter(access.readable_attachments(member))


def get(member: Member, attachment_id: object) -> Attachment:
    """A file the member may read, or NotFound (also for one on a post they may not read)."""
    ident = parse_id(attachment_id, field="attachment", message="No such file.")
    found = readable(member).filter(id=ident).first()
    if found is None:
        raise NotFound("No such file.", field="attachment")
    return found


def open_file(member: Member, attachment_id: object, *, preview: bool = False):
    """(attachment, an open binary file) for the download or the preview; NotFound likewise."""
    found = get(member, attachment_id)
    if preview and not found.is_image:
        raise NotFound("No such file.", field="attachment")
    try:
        return found, storage().open(found.preview_name if preview else found.file_name, "rb")
    except FileNotFoundError:
        log.error("attachment %s: its file is missing from the storage", found.id)
        raise NotFound("No such file.", field="attachment") from None


def of_posts(member: Member, posts: Iterable[Post]) -> list[Post]:
    """Give each post its readable files as `post.files` (one query for the lot)."""
    posts = list(posts)
    by_post: dict[int, list[Attachment]] = {p.id: [] for p in posts}
    if by_post:
        for a in readable(member).filter(post_id__in=list(by_post)):
            by_post[a.post_id].append(a)
    for p in posts:
        p.files = by_post.get(p.id, [])
    return posts


# --- consumers ------------------------------------------------------------------------------

def on_remove(act: Activity) -> None:
    """A removed post's files leave the storage (after the removal committed)."""
    if act.object_type != ObjectType.POST:
        return
    gone = list(Attachment.objects.filter(post_id=act.object_id, removed_at__isnull=True))
    if not gone:
        return
    store = storage()
    for a in gone:  # storage names carry the post's id: no other post shares them
        store.delete(a.file_name)
        if a.is_image:
            store.delete(a.preview_name)
    Attachment.objects.filter(id__in=[a.id for a in gone]).update(removed_at=timezone.now())

def connect() -> None:
    activity.subscribe(Verb.REMOVE, on_remove)
