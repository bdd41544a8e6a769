"""The member's own account: signing in and out, their profile, and personal access tokens (settings)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy

from socialfabric.errors import DomainError, InvalidInput
from socialfabric.governance import rights
from socialfabric.org import oidc, photos
from socialfabric.org import services as org
from socialfabric.org.models import MAX_BIO_CHARS, MAX_EXPERTISE, MAX_EXPERTISE_CHARS, MAX_NAME_CHARS
from socialfabric.web.forms import ResetForm, SignInForm
from socialfabric.web.views.plumbing import member_view, post_only


class SignInView(auth_views.LoginView):
    template_name = "socialfabric/signin.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if oidc.enabled():
            context["sso_name"] = settings.SOCIALFABRIC_OIDC_NAME
            context["sso_failed"] = self.request.GET.get("sso") == "failed"
        return context

    def form_invalid(self, form: SignInForm) -> HttpResponse:
        response = super().form_invalid(form)
        response.status_code = 400
        return response


def locked_out(request: HttpRequest, original_response: HttpResponse | None = None,
               credentials: dict | None = None) -> HttpResponse:
    """django-axes' answer once a handle has failed too often from this address
    (settings.AXES_LOCKOUT_CALLABLE): the sign-in page again, saying so, with 429 and Retry-After."""
    from axes.helpers import get_cool_off

    cool_off = get_cool_off(request)
    minutes = max(1, round(cool_off.total_seconds() / 60)) if cool_off else None
    wait = f"in {minutes} minute{'s' if minutes != 1 else ''}" if minutes else "later"
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    context = {
        "form": SignInForm(request, initial={"username": username}),
        "next": request.POST.get("next", "") or request.GET.get("next", ""),
        "locked_message": (f"Too many failed sign-ins for this handle from your address: sign-in is paused. "
                           f"Try again {wait}, or reset your password by e-mail."),
    }
    if oidc.enabled():
        context["sso_name"] = settings.SOCIALFABRIC_OIDC_NAME
    response = render(request, "socialfabric/signin.html", context, status=429)
    if cool_off:
        response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response


class SignOutView(auth_views.LogoutView):
    next_page = "/signin/"


# Passwords: Django's views, in the site's templates; each new password is an act.

class PasswordResetView(auth_views.PasswordResetView):
    template_name = "socialfabric/password_reset.html"
    form_class = ResetForm
    success_url = reverse_lazy("web:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "socialfabric/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "socialfabric/password_reset_confirm.html"
    success_url = reverse_lazy("web:password_reset_complete")

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            org.password_set(form.user, via="reset")
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "socialfabric/password_reset_complete.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "socialfabric/password_change.html"
    success_url = reverse_lazy("web:password_change_done")

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            org.password_set(form.user, via="change")
        messages.success(self.request, "Your password is changed; other sessions are signed out.")
        return response

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


@member_view
def tokens(request: HttpRequest) -> HttpResponse:
    member, status = request.user, 200
    ctx: dict = {"nav": "settings", "scope": "read write", "expiry": str(org.TOKEN_DEFAULT_DAYS),
                 "expiry_choices": [(str(d) if d else "never", f"{d} days" if d else "Never")
                                    for d in org.TOKEN_EXPIRY_CHOICES]}
    if request.method == "POST":
        scope = request.POST.get("scope") or "read write"
        expiry = request.POST.get("expiry") or str(org.TOKEN_DEFAULT_DAYS)
        try:
            token, plain = org.create_token(member, request.POST.get("name", ""), scopes=scope,
                                            expires_in_days=None if expiry == "never" else expiry)
            ctx.update(new_token=token, plain=plain)
        except DomainError as err:
            ctx.update(error=err, name=request.POST.get("name", ""), scope=scope, expiry=expiry)
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


@member_view
def my_data(request: HttpRequest) -> HttpResponse:
    """"Download my data": ask for a copy, see it being prepared (htmx polls while it is), download it."""
    member, ctx, status = request.user, {"nav": "settings", "days": settings.SOCIALFABRIC_EXPORT_DAYS}, 200
    if request.method == "POST":
        try:
            rights.request_export(member)
            messages.success(request, "Your data is being prepared: this page offers it in a moment.")
            return redirect("web:my_data")
        except DomainError as err:
            ctx["error"], status = err, err.status
    ctx["offers"] = rights.offers(member)
    ctx["preparing"] = any(e.state == e.State.QUEUED for e, _ in ctx["offers"])
    template = "socialfabric/_my_data_list.html" if request.headers.get("HX-Request") else "socialfabric/my_data.html"
    response = render(request, template, ctx, status=status)
    response["Cache-Control"] = "no-store"  # the links are the member's alone
    return response


@member_view
def my_data_download(request: HttpRequest, token: str) -> HttpResponse:
    return rights.download_response(request.user, token)


PROFILE_FIELDS = ("name", "bio", "expertise")


@member_view
def profile_edit(request: HttpRequest) -> HttpResponse:
    """Edit one's own name, bio, expertise and photo: a plain multipart form (works without JS).
    A field error re-shows the form with what was typed and the message by its field; nothing
    is saved then."""
    member, error, status = request.user, None, 200
    if request.method == "POST":
        values = {f: request.POST.get(f, "") for f in PROFILE_FIELDS}
        # A newly chosen file wins over the "remove" box: the member picked a new photo.
        photo = request.FILES.get("photo") or (None if request.POST.get("remove_photo") else org.KEEP)
        try:
            changed = org.update_profile(member, photo=photo,
                                         **{f: request.POST.get(f, org.KEEP) for f in PROFILE_FIELDS})
        except InvalidInput as err:
            error, status = err, err.status
        else:
            messages.success(request, "Your profile is saved." if changed else "Nothing changed in your profile.")
            return redirect("web:person", handle=member.handle)
    else:
        values = {"name": member.name, "bio": member.bio, "expertise": ", ".join(org.expertise_of(member))}
    # A file is never sent back to the browser: after an error elsewhere, it must be chosen again.
    dropped = error is not None and error.field != "photo" and bool(request.FILES.get("photo"))
    ctx = {"nav": "settings", "values": values, "error": error, "person": member, "photo_dropped": dropped,
           "max_name": MAX_NAME_CHARS, "max_bio": MAX_BIO_CHARS, "max_tags": MAX_EXPERTISE,
           "max_tag": MAX_EXPERTISE_CHARS, "max_photo_mb": f"{settings.SOCIALFABRIC_PHOTO_MAX_BYTES / 1024 / 1024:g}",
           "accept": ",".join(f"image/{f.lower()}" for f in photos.ACCEPTED_FORMATS)}
    return render(request, "socialfabric/profile_edit.html", ctx, status=status)
