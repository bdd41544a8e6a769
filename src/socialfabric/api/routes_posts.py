"""Posts, replies, reactions, accepted answers and every feed.

Posts are reached by id through conversations.services.get_readable_post, which answers
404 for posts in communities the caller may not know of.
"""

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import File, Router, Status, UploadedFile

from socialfabric import access
from socialfabric.api import present
from socialfabric.api.common import ok, viewer
from socialfabric.api.schemas import (
    AnswerIn,
    AttachmentList,
    AttachmentOut,
    Cursor,
    FeedOut,
    Handle,
    Id,
    Limit,
    PostEditIn,
    PostIn,
    PostOut,
    ReactionKindName,
    ReactionsOut,
    ReplyIn,
    RevisionPage,
    Slug,
    ThreadOut,
    TopicName,
)
from socialfabric.attachments import services as attachments
from socialfabric.attachments import serving
from socialfabric.conversations import services as conv
from socialfabric.feed import services as feed
from socialfabric.feed.services import annotate
from socialfabric.org import services as org
from socialfabric.paging import keyset_page

router = Router()


# --- posts --------------------------------------------------------------------------------

@router.post("/communities/{slug}/posts", response=ok(PostOut, 201), tags=["posts"],
             summary="Start a thread: a discussion, question or announcement")
@transaction.atomic
def create_post(request: HttpRequest, slug: Slug, payload: PostIn) -> Status:
    """Members post; announcements need a moderator. The body is Markdown (@mentions, #topics)."""
    me = viewer(request)
    community = access.get_visible_community(me, slug)
    post = conv.create_post(me, community, body=payload.body, kind=payload.kind, title=payload.title)
    return Status(201, present.single_post(me, post))


@router.get("/posts/{post_id}", response=ok(ThreadOut), tags=["posts"], summary="A thread")
def get_thread(request: HttpRequest, post_id: Id) -> dict:
    """The thread containing the post: its root, and the replies nested under their parents."""
    me = viewer(request)
    root, replies = conv.thread(me, post_id)
    return present.thread(me, root, replies)


@router.patch("/posts/{post_id}", response=ok(PostOut), tags=["posts"], summary="Edit a post (author)")
@transaction.atomic
def edit_post(request: HttpRequest, post_id: Id, payload: PostEditIn) -> dict:
    """The earlier text is kept: see the revisions."""
    me = viewer(request)
    return present.single_post(me, conv.edit_post(me, post_id, body=payload.body, title=payload.title))


@router.delete("/posts/{post_id}", response=ok(PostOut), tags=["posts"],
               summary="Remove a post (author or moderator)")
@transaction.atomic
def remove_post(request: HttpRequest, post_id: Id) -> dict:
    """A soft delete: the thread keeps its shape, the post shows as "[removed]"."""
    me = viewer(request)
    return present.single_post(me, conv.remove_post(me, post_id))


@router.get("/posts/{post_id}/revisions", response=ok(RevisionPage), tags=["posts"],
            summary="A post's earlier texts")
def list_revisions(request: HttpRequest, post_id: Id, cursor: Cursor | None = None,
                   limit: Limit | None = None) -> dict:
    rows, nxt = keyset_page(conv.revisions(viewer(request), post_id), ("id",), cursor, limit)
    return present.page([present.revision(r) for r in rows], nxt)


# --- replies ------------------------------------------------------------------------------

@router.post("/posts/{post_id}/replies", response=ok(PostOut, 201), tags=["replies"],
             summary="Reply to a post or to a reply")
@transaction.atomic
def create_reply(request: HttpRequest, post_id: Id, payload: ReplyIn) -> Status:
    me = viewer(request)
    return Status(201, present.single_post(me, conv.create_reply(me, post_id, body=payload.body)))


# --- reactions ----------------------------------------------------------------------------

def _reactions(request: HttpRequest, post_id: int) -> dict:
    me = viewer(request)
    item = annotate(me, [conv.get_readable_post(me, post_id)])[0]
    return {"post": item.post.id, "reactions": item.reactions, "mine": item.mine}


@router.put("/posts/{post_id}/reactions/{kind}", response={**ok(ReactionsOut), 201: ReactionsOut},
            tags=["reactions"], summary="React to a post")
@transaction.atomic
def add_reaction(request: HttpRequest, post_id: Id, kind: ReactionKindName) -> Status:
    """Idempotent: 201 when the reaction is new, 200 when it was there already."""
    _reaction, created = conv.react(viewer(request), post_id, kind)
    return Status(201 if created else 200, _reactions(request, post_id))


@router.delete("/posts/{post_id}/reactions/{kind}", response=ok(ReactionsOut), tags=["reactions"],
               summary="Take a reaction back")
@transaction.atomic
def remove_reaction(request: HttpRequest, post_id: Id, kind: ReactionKindName) -> dict:
    """Idempotent: taking back a reaction that is not there changes nothing."""
    conv.unreact(viewer(request), post_id, kind)
    return _reactions(request, post_id)


# --- accepted answers ---------------------------------------------------------------------

@router.put("/posts/{post_id}/accepted-answer", response=ok(PostOut), tags=["answers"],
            summary="Accept a reply as the question's answer (asker or moderator)")
@transaction.atomic
def accept_answer(request: HttpRequest, post_id: Id, payload: AnswerIn) -> dict:
    me = viewer(request)
    return present.single_post(me, conv.accept_answer(me, post_id, payload.answer))


@router.delete("/posts/{post_id}/accepted-answer", response=ok(PostOut), tags=["answers"],
               summary="Clear the accepted answer (asker or moderator)")
@transaction.atomic
def clear_accepted_answer(request: HttpRequest, post_id: Id) -> dict:
    me = viewer(request)
    return present.single_post(me, conv.accept_answer(me, post_id, None))


# --- files --------------------------------------------------------------------------------

_BINARY = {"description": "The file's bytes", "content": {"application/octet-stream": {
    "schema": {"type": "string", "format": "binary"}}}}


@router.post("/posts/{post_id}/attachments", response=ok(AttachmentList, 201), tags=["files"],
             summary="Attach files to my post or reply")
def attach_files(request: HttpRequest, post_id: Id, files: File[list[UploadedFile]]) -> Status:
    """A multipart upload, one or more parts named `files`. The type is judged from the content
    (images: JPEG, PNG, WebP, GIF; PDF; Office and OpenDocument files; ZIP; plain text), each file
    at most the server's size limit and a post at most its number of files (docs/attachments.md);
    one bad file refuses them all (400 on `attachments`, naming it). Only the author attaches."""
    me = viewer(request)
    added = attachments.attach(me, post_id, files)
    return Status(201, {"items": [present.attachment(a) for a in added]})


@router.get("/attachments/{attachment_id}", response=ok(AttachmentOut), tags=["files"],
            summary="A file's description")
def get_attachment(request: HttpRequest, attachment_id: Id) -> dict:
    """404 for a file on a post I may not read, exactly as for one that does not exist."""
    return present.attachment(attachments.get(viewer(request), attachment_id))


@router.get("/attachments/{attachment_id}/content", response={200: None}, tags=["files"],
            url_name="attachment_content", summary="A file's bytes",
            openapi_extra={"responses": {200: _BINARY}})
def get_attachment_content(request: HttpRequest, attachment_id: Id) -> HttpResponse:
    """Images inline, other files with `Content-Disposition: attachment`; `nosniff` always."""
    found, opened = attachments.open_file(viewer(request), attachment_id)
    return serving.response(request, found, opened)


@router.get("/attachments/{attachment_id}/preview", response={200: None}, tags=["files"],
            url_name="attachment_preview", summary="An image's WebP preview",
            openapi_extra={"responses": {200: {"description": "The preview (WebP)", "content": {
                "image/webp": {"schema": {"type": "string", "format": "binary"}}}}}})
def get_attachment_preview(request: HttpRequest, attachment_id: Id) -> HttpResponse:
    """404 for a file that is not an image."""
    found, opened = attachments.open_file(viewer(request), attachment_id, preview=True)
    return serving.response(request, found, opened, preview=True)


# --- feeds --------------------------------------------------------------------------------

@router.get("/feed", response=ok(FeedOut), tags=["feeds"], summary="My home feed")
def home_feed(request: HttpRequest, cursor: Cursor | None = None, limit: Limit | None = None) -> dict:
    """Threads in my communities and threads by people I follow, newest activity first."""
    me = viewer(request)
    return present.feed(feed.home_feed(me, cursor, limit), me)


@router.get("/communities/{slug}/feed", response=ok(FeedOut), tags=["feeds"], summary="A community's feed")
def community_feed(request: HttpRequest, slug: Slug, cursor: Cursor | None = None,
                   limit: Limit | None = None) -> dict:
    me = viewer(request)
    return present.feed(feed.community_feed(me, access.get_visible_community(me, slug), cursor, limit), me)


@router.get("/members/{handle}/feed", response=ok(FeedOut), tags=["feeds"], summary="Threads a member started")
def member_feed(request: HttpRequest, handle: Handle, cursor: Cursor | None = None,
                limit: Limit | None = None) -> dict:
    """Only threads in communities I may read."""
    me = viewer(request)
    return present.feed(feed.profile_feed(me, org.get_member(handle, me), cursor, limit), me)


@router.get("/units/{slug}/feed", response=ok(FeedOut), tags=["feeds"], summary="Threads by a unit's members")
def unit_feed(request: HttpRequest, slug: Slug, cursor: Cursor | None = None, limit: Limit | None = None) -> dict:
    me = viewer(request)
    return present.feed(feed.unit_feed(me, org.get_unit(slug, me), cursor, limit), me)


@router.get("/topics/{name}/feed", response=ok(FeedOut), tags=["feeds"], summary="Threads tagged #name")
def topic_feed(request: HttpRequest, name: TopicName, cursor: Cursor | None = None,
               limit: Limit | None = None) -> dict:
    me = viewer(request)
    return present.feed(feed.topic_feed(me, name, cursor, limit), me)
