"""The member's own account: signing in and out, and personal access tokens (settings)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from socialfabric.errors import DomainError
from socialfabric.org import services as org
from socialfabric.web.forms import SignInForm
from socialfabric.web.views.plumbing import member_view, post_only


class SignInView(auth_views.LoginView):
    template_name = "socialfabric/signin.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def form_invalid(self, form: SignInForm) -> HttpResponse:
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class SignOutView(auth_views.LogoutView):
    next_page = "/signin/"


@member_view
def tokens(request: HttpRequest) -> HttpResponse:
    member, ctx, status = request.user, {"nav": "settings"}, 200
    if request.method == "POST":
        try:
            token, plain = org.create_token(member, request.POST.get("name", ""))
            ctx.update(new_token=token, plain=plain)
        except DomainError as err:
            ctx.update(error=err, name=request.POST.get("name", ""))
            status = err.status
    ctx["tokens"] = org.tokens(member)
    response = render(request, "socialfabric/tokens.html", ctx, status=status)
    response["Cache-Control"] = "no-store"  # the plain token is shown once; never cache it
    return response


@member_view
@post_only
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = org.revoke_token(request.user, token_id)
    messages.success(request, f"The token “{token.name}” is revoked; it no longer works.")
    return redirect("web:tokens")
