"""Communities and memberships: listing, creating, joining, requests, members and roles.

Every lookup goes through access.get_visible_community, so a secret community answers
404 to non-members on every path, exactly as a community that does not exist.
"""

from django.db import transaction
from django.http import HttpRequest
from ninja import Router, Status

from socialfabric import access
from socialfabric.api import present
from socialfabric.api.common import ok, viewer
from socialfabric.api.schemas import (
    AddMemberIn,
    CommunityIn,
    CommunityOut,
    CommunityPage,
    Cursor,
    Handle,
    Id,
    JoinRequestIn,
    JoinRequestOut,
    JoinRequestPage,
    Limit,
    MembershipOut,
    MembershipPage,
    RoleIn,
    Slug,
)
from socialfabric.communities import services as communities
from socialfabric.communities.models import Community, Membership
from socialfabric.org import services as org
from socialfabric.org.models import Member
from socialfabric.paging import keyset_page

router = Router()


def _community(request: HttpRequest, c: Community) -> dict:
    return present.community(c, communities.roles_of(viewer(request), [c.id]).get(c.id))


def _membership(ms: Membership, community: Community, me: Member) -> dict:
    ms.community = community
    return present.membership(ms, structure=access.sees_structure(me))


# --- communities --------------------------------------------------------------------------

@router.get("/communities", response=ok(CommunityPage), tags=["communities"],
            summary="Communities I may know of")
def list_communities(request: HttpRequest, cursor: Cursor | None = None, limit: Limit | None = None) -> dict:
    """Open and closed communities my stakeholder kind is admitted to, and the secret ones I belong to."""
    me = viewer(request)
    rows, nxt = keyset_page(access.visible_communities(me), ("name", "id"), cursor, limit)
    roles = communities.roles_of(me, [c.id for c in rows])
    return present.page([present.community(c, roles.get(c.id)) for c in rows], nxt)


@router.post("/communities", response=ok(CommunityOut, 201), tags=["communities"],
             summary="Create a community (you become its owner)")
@transaction.atomic
def create_community(request: HttpRequest, payload: CommunityIn) -> Status:
    c = communities.create_community(viewer(request), name=payload.name, purpose=payload.purpose,
                                     visibility=payload.visibility, audience=payload.audience,
                                     external_kinds=list(payload.external_kinds), slug=payload.slug)
    return Status(201, _community(request, c))


@router.get("/communities/{slug}", response=ok(CommunityOut), tags=["communities"], summary="A community")
def get_community(request: HttpRequest, slug: Slug) -> dict:
    return _community(request, access.get_visible_community(viewer(request), slug))


# --- memberships --------------------------------------------------------------------------

@router.post("/communities/{slug}/join", response=ok(MembershipOut, 201), tags=["memberships"],
             summary="Join an open community")
@transaction.atomic
def join_community(request: HttpRequest, slug: Slug) -> Status:
    """Joining twice is a 409 conflict; closed communities need a request (403)."""
    me = viewer(request)
    c = access.get_visible_community(me, slug)
    return Status(201, _membership(communities.join(me, c), c, me))


@router.post("/communities/{slug}/leave", response={204: None}, tags=["memberships"],
             summary="Leave a community")
@transaction.atomic
def leave_community(request: HttpRequest, slug: Slug) -> Status:
    me = viewer(request)
    communities.leave(me, access.get_visible_community(me, slug))
    return Status(204, None)


@router.post("/communities/{slug}/requests", response=ok(JoinRequestOut, 201), tags=["memberships"],
             summary="Ask to join a closed community")
@transaction.atomic
def request_to_join(request: HttpRequest, slug: Slug, payload: JoinRequestIn | None = None) -> Status:
    me = viewer(request)
    c = access.get_visible_community(me, slug)
    req = communities.request_to_join(me, c, payload.message if payload else "")
    return Status(201, present.join_request(req, structure=access.sees_structure(me)))


@router.get("/communities/{slug}/requests", response=ok(JoinRequestPage), tags=["memberships"],
            summary="Pending requests to join (moderators)")
def list_requests(request: HttpRequest, slug: Slug, cursor: Cursor | None = None,
                  limit: Limit | None = None) -> dict:
    me = viewer(request)
    c = access.get_visible_community(me, slug)
    rows, nxt = keyset_page(communities.pending_requests(me, c).select_related("member__unit"), ("id",), cursor, limit)
    for r in rows:
        r.community = c
    structure = access.sees_structure(me)
    return present.page([present.join_request(r, structure=structure) for r in rows], nxt)


@router.post("/requests/{request_id}/approve", response=ok(JoinRequestOut), tags=["memberships"],
             summary="Approve a request to join (moderators)")
@transaction.atomic
def approve_request(request: HttpRequest, request_id: Id) -> dict:
    me = viewer(request)
    return present.join_request(communities.decide_request(me, request_id, approve=True),
                                structure=access.sees_structure(me))


@router.post("/requests/{request_id}/reject", response=ok(JoinRequestOut), tags=["memberships"],
             summary="Reject a request to join (moderators)")
@transaction.atomic
def reject_request(request: HttpRequest, request_id: Id) -> dict:
    me = viewer(request)
    return present.join_request(communities.decide_request(me, request_id, approve=False),
                                structure=access.sees_structure(me))


@router.get("/communities/{slug}/members", response=ok(MembershipPage), tags=["memberships"],
            summary="A community's members")
def list_community_members(request: HttpRequest, slug: Slug, cursor: Cursor | None = None,
                           limit: Limit | None = None) -> dict:
    """Listed to those who may read the community's posts, oldest membership first."""
    me = viewer(request)
    c = access.get_visible_community(me, slug)
    rows, nxt = keyset_page(communities.members_of(me, c).select_related("member__unit"), ("id",), cursor, limit)
    return present.page([_membership(ms, c, me) for ms in rows], nxt)


@router.post("/communities/{slug}/members", response=ok(MembershipOut, 201), tags=["memberships"],
             summary="Add a member (moderators; the way into a secret community)")
@transaction.atomic
def add_community_member(request: HttpRequest, slug: Slug, payload: AddMemberIn) -> Status:
    me = viewer(request)
    c = access.get_visible_community(me, slug)
    access.require_moderator(me, c)  # before looking the person up: non-moderators learn nothing
    added = communities.add_member(me, c, org.get_member(payload.handle, me), payload.role)
    return Status(201, _membership(added, c, me))


@router.delete("/communities/{slug}/members/{handle}", response={204: None}, tags=["memberships"],
               summary="Remove a member (moderators; owners only by owners)")
@transaction.atomic
def remove_member(request: HttpRequest, slug: Slug, handle: Handle) -> Status:
    me = viewer(request)
    c = access.get_visible_community(me, slug)
    access.require_moderator(me, c)  # before looking the person up: non-moderators learn nothing
    communities.remove_member(me, c, org.get_member(handle, me))
    return Status(204, None)


@router.patch("/communities/{slug}/members/{handle}", response=ok(MembershipOut), tags=["memberships"],
              summary="Change a member's role (moderators)")
@transaction.atomic
def set_member_role(request: HttpRequest, slug: Slug, handle: Handle, payload: RoleIn) -> dict:
    me = viewer(request)
    c = access.get_visible_community(me, slug)
    access.require_moderator(me, c)
    return _membership(communities.set_role(me, c, org.get_member(handle, me), payload.role), c, me)
