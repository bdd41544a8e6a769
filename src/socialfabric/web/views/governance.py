"""The policy page (read, accept), a community's guidelines, and the staff's publishing page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from socialfabric import access
from socialfabric.errors import DomainError
from socialfabric.governance import services as governance
from socialfabric.web.views.plumbing import member_view, post_only, safe_next


def _policy_context(request: HttpRequest, community=None, **extra: Any) -> dict[str, Any]:
    current = governance.current(community)
    scope = community.id if community else None
    return {"nav": "policy", "community": community, "policy": current,
            "accepted_at": governance.accepted_at(request.user, current) if current else None,
            "must_accept": any(p.community_id == scope for p in governance.to_accept(request.user, community)),
            "versions": governance.versions(community), "next": request.GET.get("next", ""),
            # The publishing form starts from the text in force, asking everyone again.
            "values": {"title": current.title if current else "", "body": current.body if current else "",
                       "requires_acceptance": "on"}, **extra}


@member_view
def policy(request: HttpRequest) -> HttpResponse:
    return render(request, "socialfabric/policy.html", _policy_context(request))


@member_view
def community_guidelines(request: HttpRequest, slug: str) -> HttpResponse:
    community = access.get_visible_community(request.user, slug)
    ctx = _policy_context(request, community, can_publish=access.can_manage_roles(request.user, community))
    if request.method == "POST":
        try:
            governance.publish(request.user, community=community, title=request.POST.get("title", ""),
                               body=request.POST.get("body", ""),
                               requires_acceptance=request.POST.get("requires_acceptance") == "on")
        except DomainError as err:
            if err.status == 403:
                raise
            ctx.update(form_error=err, values=request.POST)
            return render(request, "socialfabric/policy.html", ctx, status=err.status)
        messages.success(request, "The new version of the guidelines is published.")
        return redirect("web:community_guidelines", slug=community.slug)
    return render(request, "socialfabric/policy.html", ctx)


@member_view
@post_only
def policy_accept(request: HttpRequest) -> HttpResponse:
    accepted = governance.get(request.user, request.POST.get("policy", ""))
    governance.accept(request.user, accepted.id)
    messages.success(request, f"Thank you: you accepted “{accepted.title}”, version {accepted.version}.")
    return redirect(safe_next(request, governance.policy_url(accepted)))


@member_view
def staff_policy(request: HttpRequest) -> HttpResponse:
    """Publish a version of the organisation's policy; see how many employees accepted."""
    access.require_administers_people(request.user)
    ctx = {**_policy_context(request), "nav": "staff", "tab": "policy", "share": governance.acceptance_share()}
    if request.method == "POST":
        try:
            governance.publish(request.user, title=request.POST.get("title", ""), body=request.POST.get("body", ""),
                               requires_acceptance=request.POST.get("requires_acceptance") == "on")
        except DomainError as err:
            if err.status == 403:
                raise
            ctx.update(form_error=err, values=request.POST)
            return render(request, "socialfabric/staff_policy.html", ctx, status=err.status)
        messages.success(request, "The new version of the policy is published.")
        return redirect("web:staff_policy")
    return render(request, "socialfabric/staff_policy.html", ctx)
