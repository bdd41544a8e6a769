"""The staff area: find any account and act on it (deactivate, reactivate, roles, set-password
links, revoke API tokens), follow invitations (resend, withdraw), see communities. Staff only; every act is a
service that checks the rule again and records itself in the activity stream."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from socialfabric import access, paging
from socialfabric.communities import invitations
from socialfabric.communities import services as communities
from socialfabric.governance import rights
from socialfabric.org import services as org
from socialfabric.org.models import Stakeholder
from socialfabric.web.views.plumbing import cursor_of, member_view, post_only

STATUS_LABELS = {"active": "Active", "deactivated": "Deactivated", "erased": "Erased (former members)",
                 "never_signed_in": "Never signed in",
                 "no_password": "No password yet", "invited": "Sent a link, no password yet"}
ROLE_LABELS = {"staff": "Staff", "analyst": "Analyst", "compliance": "Compliance officer"}


def _page(request: HttpRequest, qs, order: tuple[str, ...]) -> tuple[list, str | None, str]:
    found, next_cursor = paging.keyset_page(qs, order, cursor_of(request), paging.DIRECTORY_PAGE_SIZE)
    query = request.GET.copy()
    query.pop("cursor", None)
    return found, next_cursor, query.urlencode()


@member_view
def home(request: HttpRequest) -> HttpResponse:
    """What needs a look: accounts by status, invitations by status, communities by kind; each
    figure links to the list it counts."""
    return render(request, "socialfabric/staff.html", {
        "nav": "staff", "tab": "overview", "people": org.staff_counts(request.user),
        "invitations": invitations.counts_for_staff(request.user),
        "communities": communities.staff_counts(request.user)})


@member_view
def people(request: HttpRequest) -> HttpResponse:
    chosen = {k: request.GET.get(k, "") for k in ("q", "stakeholder", "status", "role")}
    listed = org.staff_people(request.user, **chosen)
    found, next_cursor, query = _page(request, listed, ("name", "id"))
    return render(request, "socialfabric/staff_people.html", {
        "nav": "staff", "tab": "people", "people": found, "next_cursor": next_cursor, "query": query,
        "chosen": chosen, "filtered": any(chosen.values()), "kinds": Stakeholder.choices,
        "statuses": STATUS_LABELS.items(), "roles": ROLE_LABELS.items()})


@member_view
def person(request: HttpRequest, handle: str) -> HttpResponse:
    admin, member = request.user, org.staff_member(request.user, handle)
    # A button for each role change the service would accept, and the reasons it would refuse
    # the others (access decides both; one reason often covers both roles: said once).
    roles, refusals = [], []
    for role, label in ROLE_LABELS.items():
        has = getattr(member, access.STAFF_ROLES[role])
        refused = access.role_change_refusal(admin, member, role, grant=not has)
        if refused is None:
            roles.append({"role": role, "label": label, "has": has})
        elif refused not in refusals:
            refusals.append(refused)
    return render(request, "socialfabric/staff_person.html", {
        "nav": "staff", "tab": "people", "person": member, "is_me": member.id == admin.id,
        "has_password": member.has_usable_password(), "can_deactivate": access.can_deactivate(admin, member),
        "roles": roles, "role_refusals": refusals, "tokens": org.staff_tokens(admin, member),
        "can_revoke_tokens": access.can_revoke_tokens_of(admin, member), "erasure": rights.erasure_of(member)})


def _act(request: HttpRequest, handle: str, act, done: str) -> HttpResponse:
    member = org.staff_member(request.user, handle)
    act(member)
    messages.success(request, done.format(name=member.name or member.handle))
    return redirect("web:staff_person", handle=member.handle)


@member_view
@post_only
def person_deactivate(request: HttpRequest, handle: str) -> HttpResponse:
    return _act(request, handle, lambda m: org.deactivate(request.user, m),
                "{name}'s account is deactivated: their sessions and API tokens no longer work; their posts stay.")


@member_view
@post_only
def person_reactivate(request: HttpRequest, handle: str) -> HttpResponse:
    return _act(request, handle, lambda m: org.reactivate(request.user, m),
                "{name}'s account is active again: they can sign in (their old API tokens stay revoked).")


@member_view
@post_only
def person_erase(request: HttpRequest, handle: str) -> HttpResponse:
    """Erase a person's personal data; the form asks for their handle again, so no slip erases anyone."""
    member = org.staff_member(request.user, handle)
    if request.POST.get("confirm", "").strip().lstrip("@").lower() != member.handle:
        messages.error(request, f"Type @{member.handle} to confirm the erasure: nothing was erased.")
        return redirect("web:staff_person", handle=member.handle)
    erasure = rights.erase(request.user, member, keep_text=request.POST.get("keep_text") == "1")
    kept = "their posts keep their text" if erasure.text_kept else f"the text of {erasure.removed:,} posts is removed"
    messages.success(request, f"@{handle} is erased: now a former member; {kept}, every thread keeps its shape.")
    return redirect("web:staff_person", handle=erasure.member.handle)


@member_view
@post_only
def person_role(request: HttpRequest, handle: str) -> HttpResponse:
    role, grant = request.POST.get("role"), request.POST.get("grant") == "1"
    label = ROLE_LABELS.get(str(role), str(role)).lower()
    done = f"{{name}} is {'now' if grant else 'no longer'} {'an' if label[:1] in 'aeiou' else 'a'} {label}."
    return _act(request, handle, lambda m: org.set_platform_role(request.user, m, role, grant=grant), done)


@member_view
@post_only
def person_password_link(request: HttpRequest, handle: str) -> HttpResponse:
    member = org.staff_member(request.user, handle)
    sent = org.send_set_password_link(request.user, member, request.build_absolute_uri("/"))
    name = member.name or member.handle
    messages.success(request, f"A link to set a first password is on its way to {name}." if sent == "set_password"
                     else f"A link to choose a new password is on its way to {name}; their current password "
                          "works until they use it.")
    return redirect("web:staff_person", handle=member.handle)


@member_view
@post_only
def person_token_revoke(request: HttpRequest, handle: str, token_id: str) -> HttpResponse:
    member = org.staff_member(request.user, handle)
    token = org.revoke_token_as_admin(request.user, token_id)
    if token.member_id != member.id:  # the form names the member's page: go where the token belongs
        member = token.member
    messages.success(request, f"The token “{token.name}” of {member.name or member.handle} is revoked; "
                              "it no longer works.")
    return redirect("web:staff_person", handle=member.handle)


@member_view
def invitation_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    found, next_cursor, query = _page(request, invitations.for_staff(request.user, status), ("-created_at", "-id"))
    return render(request, "socialfabric/staff_invitations.html", {
        "nav": "staff", "tab": "invitations", "invitations": found, "next_cursor": next_cursor, "query": query,
        "status": status, "statuses": invitations.INVITATION_STATUSES})


@member_view
@post_only
def invitation_resend(request: HttpRequest, invitation_id: str) -> HttpResponse:
    new = invitations.resend(request.user, invitation_id, request.build_absolute_uri("/"))
    messages.success(request, f"Sent again to {new.email}, with a new link; the old link no longer works.")
    return redirect("web:staff_invitations")


@member_view
@post_only
def invitation_revoke(request: HttpRequest, invitation_id: str) -> HttpResponse:
    gone = invitations.revoke(request.user, invitation_id)
    messages.success(request, f"The invitation to {gone.email} is withdrawn: its link no longer works.")
    return redirect("web:staff_invitations")


@member_view
def community_list(request: HttpRequest) -> HttpResponse:
    found, next_cursor, query = _page(request, communities.staff_overview(request.user), ("-member_count", "id"))
    return render(request, "socialfabric/staff_communities.html", {
        "nav": "staff", "tab": "communities", "communities": found, "next_cursor": next_cursor, "query": query})
