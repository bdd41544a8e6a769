"""The organisation's policy and communities' guidelines: read, accept, publish a version."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Router, Status

from socialfabric import access
from socialfabric.api import present
from socialfabric.api.common import ok, viewer
from socialfabric.api.schemas import (
    AcceptanceOut,
    DataExportOut,
    ErasureIn,
    ErasureOut,
    Handle,
    Id,
    PolicyIn,
    PolicyOut,
    PolicyStatus,
    Slug,
)
from socialfabric.communities.models import Community
from socialfabric.governance import rights
from socialfabric.governance import services as governance
from socialfabric.org import services as org
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


# --- people's data rights ------------------------------------------------------------------------

def _export(export, token: str | None) -> dict:
    return {"id": export.id, "state": export.state, "requested_at": export.requested_at,
            "ready_at": export.ready_at, "expires_at": export.expires_at, "size": export.size,
            "counts": export.counts or {},
            "download_url": reverse("api:download_my_data", args=[token]) if token else None}


@router.get("/me/data-exports", response=ok(list[DataExportOut]), tags=["data rights"],
            summary="My latest copies of my data")
def list_my_data(request: HttpRequest) -> list[dict]:
    return [_export(e, token) for e, token in rights.offers(viewer(request))]


@router.post("/me/data-exports", response=ok(DataExportOut, 202), tags=["data rights"],
             summary="Ask for a copy of my data (a ZIP of JSON, prepared in the background)")
def request_my_data(request: HttpRequest) -> Status:
    """409 while one is being prepared. Poll the list for its `download_url`."""
    return Status(202, _export(rights.request_export(viewer(request)), None))


@router.get("/me/data-exports/download/{token}", response={200: None}, tags=["data rights"],
            url_name="download_my_data", summary="Download a copy of my data",
            openapi_extra={"responses": {200: {"description": "The ZIP", "content": {
                "application/zip": {"schema": {"type": "string", "format": "binary"}}}}}})
def download_my_data(request: HttpRequest, token: str) -> HttpResponse:
    """404 for an expired link, or one that is not mine."""
    return rights.download_response(viewer(request), token)


@router.post("/members/{handle}/erasure", response=ok(ErasureOut), tags=["data rights"],
             summary="Erase a person's personal data (staff)")
def erase_member(request: HttpRequest, handle: Handle, payload: ErasureIn) -> dict:
    """They become a pseudonymous former member; 409 under a legal hold or when erased already."""
    admin = viewer(request)
    made = rights.erase(admin, org.staff_member(admin, handle), keep_text=payload.keep_text)
    return {"member": present.member_ref(made.member), "erased_at": made.erased_at, "text_kept": made.text_kept,
            "posts": made.posts, "removed": made.removed}
