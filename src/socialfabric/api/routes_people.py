"""Members (directory, profiles and photos, me), follows, units and personal access tokens."""

from django.db import transaction
from django.http import FileResponse, HttpRequest, HttpResponse
from ninja import File, Router, Status, UploadedFile

from socialfabric import access
from socialfabric.api import present
from socialfabric.api.auth import request_token
from socialfabric.api.common import ok, viewer
from socialfabric.api.schemas import (
    Cursor,
    ExpertiseTag,
    FollowOut,
    FollowPage,
    Handle,
    Id,
    Limit,
    MemberPage,
    MeOut,
    PhotoKey,
    ProfileIn,
    ProfileOut,
    SearchText,
    Slug,
    StakeholderName,
    TokenCreatedOut,
    TokenIn,
    TokenOut,
    TokenPage,
    UnitDetailOut,
    UnitPage,
)
from socialfabric.org import photos
from socialfabric.org import services as org
from socialfabric.org.models import Follow, Member
from socialfabric.paging import keyset_page

router = Router()


def _profile(viewer_: Member, m: Member) -> dict:
    followers, following = org.follow_counts(m, viewer_)
    structure = access.sees_structure(viewer_)  # the external boundary: no unit, level or manager
    return {
        **present.member(m, structure=structure),
        "manager": present.member_ref(m.manager if structure and m.manager_id and m.manager.is_active else None),
        "followers": followers,
        "following": following,
        "followed_by_me": viewer_.id != m.id and org.is_following(viewer_, m),
        "bio": m.bio,
        "expertise": org.expertise_of(m),
        "photo": present.photo(m),
    }


def _follow(f: Follow, who: Member, structure: bool = True) -> dict:
    return {"member": present.member(who, structure=structure), "since": f.created_at}


# --- members ------------------------------------------------------------------------------

@router.get("/me", response=ok(MeOut), tags=["members"], summary="The member making the request")
def get_me(request: HttpRequest) -> dict:
    me = org.get_member(viewer(request).id)
    return {**_profile(me, me), "email": me.email, "is_staff": me.is_staff, "is_analyst": me.is_analyst}


@router.patch("/me", response=ok(MeOut), tags=["members"], summary="Edit my profile")
def update_me(request: HttpRequest, payload: ProfileIn) -> dict:
    """Change my name, bio or expertise; fields left out stay as they are. Bad input is a 400
    naming the field, and nothing changes. The act is recorded (which fields, not their text)."""
    org.update_profile(viewer(request), **payload.model_dump(exclude_unset=True))
    return get_me(request)


@router.post("/me/photo", response=ok(MeOut), tags=["members"], summary="Upload my photo")
def set_my_photo(request: HttpRequest, photo: File[UploadedFile]) -> dict:
    """A multipart upload (field `photo`): JPEG, PNG, WebP or GIF up to 5 MB (the server's
    setting). It is checked by its content, turned upright, cropped to its centre square and
    stored as thumbnails without its metadata; anything else is a 400 on `photo`."""
    org.update_profile(viewer(request), photo=photo)
    return get_me(request)


@router.delete("/me/photo", response=ok(MeOut), tags=["members"], summary="Remove my photo")
def remove_my_photo(request: HttpRequest) -> dict:
    org.update_profile(viewer(request), photo=None)
    return get_me(request)


@router.get("/members/{handle}/photo/{size}-{key}.webp", response={200: None}, tags=["members"],
            url_name="member_photo", summary="A member's photo thumbnail",
            openapi_extra={"responses": {200: {"description": "The thumbnail (WebP)", "content": {
                photos.CONTENT_TYPE: {"schema": {"type": "string", "format": "binary"}}}}}})
def get_member_photo(request: HttpRequest, handle: Handle, size: int, key: PhotoKey) -> HttpResponse:
    """The addresses come from a profile's `photo`; an old address answers 404 once the photo changes."""
    opened = org.photo_file(viewer(request), handle, size, key)
    response = FileResponse(opened, content_type=photos.CONTENT_TYPE, as_attachment=False,
                            filename=f"{handle}-{size}.{photos.EXTENSION}")
    response["Cache-Control"] = photos.CACHE_CONTROL
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.get("/members", response=ok(MemberPage), tags=["members"], summary="The member directory")
def list_members(request: HttpRequest, unit: Slug | None = None, stakeholder: StakeholderName | None = None,
                 q: SearchText | None = None, expertise: ExpertiseTag | None = None, cursor: Cursor | None = None,
                 limit: Limit | None = None) -> dict:
    """Active members by name; narrow by unit address, stakeholder kind, an expertise tag or a name/handle search."""
    me = viewer(request)
    listed = org.directory(me, unit=unit, stakeholder=stakeholder, q=q, expertise=expertise)
    rows, nxt = keyset_page(listed, ("name", "id"), cursor, limit)
    structure = access.sees_structure(me)
    return present.page([present.member(m, structure=structure) for m in rows], nxt)


@router.get("/members/{handle}", response=ok(ProfileOut), tags=["members"], summary="A member's profile")
def get_member(request: HttpRequest, handle: Handle) -> dict:
    me = viewer(request)
    return _profile(me, org.get_member(handle, me))


# --- follows ------------------------------------------------------------------------------

@router.put("/members/{handle}/follow", response=ok(FollowOut, 201), tags=["follows"], summary="Follow a member")
@transaction.atomic
def follow_member(request: HttpRequest, handle: Handle) -> Status:
    """Following someone twice is a 409 conflict."""
    me = viewer(request)
    followed = org.get_member(handle, me)
    return Status(201, _follow(org.follow(me, followed), followed, access.sees_structure(me)))


@router.delete("/members/{handle}/follow", response={204: None}, tags=["follows"],
               summary="Stop following a member")
@transaction.atomic
def unfollow_member(request: HttpRequest, handle: Handle) -> Status:
    me = viewer(request)
    org.unfollow(me, org.get_member(handle, me))
    return Status(204, None)


@router.get("/members/{handle}/followers", response=ok(FollowPage), tags=["follows"],
            summary="Who follows a member")
def list_followers(request: HttpRequest, handle: Handle, cursor: Cursor | None = None,
                   limit: Limit | None = None) -> dict:
    me = viewer(request)
    rows, nxt = keyset_page(org.followers(org.get_member(handle, me), me), ("-id",), cursor, limit)
    structure = access.sees_structure(me)
    return present.page([_follow(f, f.follower, structure) for f in rows], nxt)


@router.get("/members/{handle}/following", response=ok(FollowPage), tags=["follows"],
            summary="Whom a member follows")
def list_following(request: HttpRequest, handle: Handle, cursor: Cursor | None = None,
                   limit: Limit | None = None) -> dict:
    me = viewer(request)
    rows, nxt = keyset_page(org.following(org.get_member(handle, me), me), ("-id",), cursor, limit)
    structure = access.sees_structure(me)
    return present.page([_follow(f, f.followed, structure) for f in rows], nxt)


# --- units --------------------------------------------------------------------------------

@router.get("/units", response=ok(UnitPage), tags=["units"], summary="The organisation's units")
def list_units(request: HttpRequest, cursor: Cursor | None = None, limit: Limit | None = None) -> dict:
    """Units by name; `parent` gives the tree. Empty for external members (the external boundary)."""
    rows, nxt = keyset_page(org.units(viewer(request)), ("name", "id"), cursor, limit)
    return present.page([present.unit(u) for u in rows], nxt)


@router.get("/units/{slug}", response=ok(UnitDetailOut), tags=["units"], summary="A unit")
def get_unit(request: HttpRequest, slug: Slug) -> dict:
    u = org.get_unit(slug, viewer(request))  # 404 for external members, like an unknown unit
    return {**present.unit(u), "children": [present.unit_ref(c) for c in u.children.order_by("name", "id")],
            "member_count": org.directory(viewer(request), unit=u.slug).count()}


# --- tokens -------------------------------------------------------------------------------

@router.post("/tokens", response=ok(TokenCreatedOut, 201), tags=["tokens"],
             summary="Create a personal access token")
@transaction.atomic
def create_token(request: HttpRequest, payload: TokenIn) -> Status:
    """The token is in this response only; store it now. Send it as `Authorization: Bearer <token>`.

    Only over a signed-in session: a request authenticated by a token gets 403 (a token makes
    no tokens). `scopes`: `["read"]` or `["read", "write"]` (the default; write includes read).
    `expires_in_days`: 1 to 3650, default 90; `null` for a token that never expires."""
    token, plain = org.create_token(viewer(request), payload.name, scopes=payload.scopes,
                                    expires_in_days=payload.expires_in_days, by_token=request_token(request))
    return Status(201, {**present.token(token), "token": plain})


@router.get("/tokens", response=ok(TokenPage), tags=["tokens"], summary="My personal access tokens")
def list_tokens(request: HttpRequest, cursor: Cursor | None = None, limit: Limit | None = None) -> dict:
    rows, nxt = keyset_page(org.tokens(viewer(request)), ("-id",), cursor, limit)
    return present.page([present.token(t) for t in rows], nxt)


@router.delete("/tokens/{token_id}", response=ok(TokenOut), tags=["tokens"], summary="Revoke a token")
@transaction.atomic
def revoke_token(request: HttpRequest, token_id: Id) -> dict:
    return present.token(org.revoke_token(viewer(request), token_id))
