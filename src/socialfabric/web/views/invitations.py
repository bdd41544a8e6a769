"""Inviting people by e-mail (administrators; a community's owners for it), and accepting."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from socialfabric.communities import invitations
from socialfabric.errors import DomainError, Forbidden
from socialfabric.org.models import Stakeholder
from socialfabric.web.views.plumbing import member_view

BACKEND = "django.contrib.auth.backends.ModelBackend"


@member_view
def invite(request: HttpRequest) -> HttpResponse:
    member = request.user
    choices = invitations.invitable_communities(member)
    if not choices and not member.is_staff:
        raise Forbidden("Administrators invite people; a community's owners invite to that community.")
    ctx = {"nav": "people", "choices": choices, "kinds": Stakeholder.choices,
           "values": {"stakeholder": Stakeholder.EMPLOYEE.value}}
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in ("email", "name", "stakeholder", "organisation")}
        picked = request.POST.getlist("communities")
        try:
            invitation = invitations.invite(member, **values, community_ids=picked,
                                            base_url=request.build_absolute_uri("/"))
        except DomainError as err:
            ctx.update(error=err, values=values, picked=picked)
            return render(request, "socialfabric/invite.html", ctx, status=err.status)
        messages.success(request, f"The invitation to {invitation.name} is on its way to {invitation.email}.")
        return redirect("web:invite")
    return render(request, "socialfabric/invite.html", ctx)


def accept(request: HttpRequest, token: str) -> HttpResponse:
    """Open to anyone holding the link: the link is the credential."""
    try:
        invitation = invitations.get_open(token)
    except DomainError as err:
        return render(request, "socialfabric/error.html", {"error": err}, status=err.status)
    ctx = {"invitation": invitation, "communities": list(invitation.communities.order_by("name"))}
    if request.method == "POST":
        try:
            member = invitations.accept(token, password1=request.POST.get("password1", ""),
                                        password2=request.POST.get("password2", ""))
        except DomainError as err:
            ctx["error"] = err
            return render(request, "socialfabric/invitation.html", ctx, status=err.status)
        login(request, member, backend=BACKEND)
        messages.success(request, f"Welcome, {member.name}. Your handle is @{member.handle}.")
        return redirect("web:home")
    # The link is a credential: the site-wide Referrer-Policy (same-origin) keeps it from other sites.
    return render(request, "socialfabric/invitation.html", ctx)
