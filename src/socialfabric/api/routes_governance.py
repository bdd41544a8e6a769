"""The organisation's policy and communities' guidelines: read, accept, publish a version."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from socialfabric import access
from socialfabric.api import present
from socialfabric.api.common import ok, viewer
from socialfabric.api.schemas import AcceptanceOut, Id, PolicyIn, PolicyOut, PolicyStatus, Slug
from socialfabric.communities.models import Community
from socialfabric.governance import services as governance
from socialfabric.org.models import Member

router = Router()


def _status(me: Member, community: Community | None) -> dict:
    current = governance.current(community)
    scope = community.id if community else None
    return {"policy": present.policy(current) if current else None,
            "accepted_at": governance.accepted_at(me, current) if current else None,
            "must_accept": any(p.community_id == scope for p in governance.to_accept(me, community))}


@router.get("/policy", response=ok(PolicyStatus), tags=["policy"], summary="The organisation's policy, and mine")
def get_policy(request: HttpRequest) -> dict:
    """The newest version and whether I still have to accept it before posting, replying or reacting."""
    return _status(viewer(request), None)


@router.post("/policy/versions", response=ok(PolicyOut, 201), tags=["policy"],
             summary="Publish a version of the organisation's policy (staff)")
def publish_policy(request: HttpRequest, payload: PolicyIn) -> Status:
    made = governance.publish(viewer(request), title=payload.title, body=payload.body,
                              requires_acceptance=payload.requires_acceptance)
    return Status(201, present.policy(made))


@router.get("/communities/{slug}/guidelines", response=ok(PolicyStatus), tags=["policy"],
            summary="A community's guidelines, and mine")
def get_guidelines(request: HttpRequest, slug: Slug) -> dict:
    me = viewer(request)
    return _status(me, access.get_visible_community(me, slug))


@router.post("/communities/{slug}/guidelines/versions", response=ok(PolicyOut, 201), tags=["policy"],
             summary="Publish a version of a community's guidelines (its owners)")
def publish_guidelines(request: HttpRequest, slug: Slug, payload: PolicyIn) -> Status:
    me = viewer(request)
    made = governance.publish(me, community=access.get_visible_community(me, slug), title=payload.title,
                              body=payload.body, requires_acceptance=payload.requires_acceptance)
    return Status(201, present.policy(made))


@router.post("/policies/{policy_id}/acceptance", response={**ok(AcceptanceOut), 201: AcceptanceOut},
             tags=["policy"], summary="Accept a policy version (the newest of its kind)")
def accept_policy(request: HttpRequest, policy_id: Id) -> Status:
    """201 when newly accepted, 200 when it already was; 409 for a version that a newer one replaced."""
    made, new = governance.accept(viewer(request), policy_id)
    return Status(201 if new else 200, {"policy": present.policy(made.policy), "accepted_at": made.accepted_at})
