"""Single sign-on with OpenID Connect (mozilla-django-oidc): members sign in with the
organisation's identity provider and are matched by e-mail address.

Only existing, active members sign in this way (they come from the org chart import or an
invitation): an unknown address is refused, never turned into a new account, and an address
the provider says is unverified is refused too.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from socialfabric.org.models import Member


def enabled() -> bool:
    return bool(getattr(settings, "SOCIALFABRIC_OIDC_ENABLED", False))


class MemberBackend(OIDCAuthenticationBackend):
    def __init__(self, *args, **kwargs) -> None:
        # Django builds every backend on each sign-in: unconfigured, this one only looks up members.
        if enabled():
            super().__init__(*args, **kwargs)
        else:
            self.UserModel = Member

    def filter_users_by_claims(self, claims):
        email = claims.get("email")
        if not email:
            return Member.objects.none()
        return Member.objects.filter(email__iexact=email, is_active=True)

    def verify_claims(self, claims) -> bool:
        return bool(claims.get("email")) and claims.get("email_verified", True) is not False

    def authenticate(self, request, **kwargs):
        if not enabled():  # configured out: this backend signs nobody in
            return None
        return super().authenticate(request, **kwargs)


class SignInView(OIDCAuthenticationRequestView):
    """Off (404) unless single sign-on is configured."""

    def __init__(self, *args, **kwargs) -> None:
        if enabled():
            super().__init__(*args, **kwargs)

    def dispatch(self, request, *args, **kwargs):
        if not enabled():
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class CallbackView(OIDCAuthenticationCallbackView):
    def dispatch(self, request, *args, **kwargs):
        if not enabled():
            raise Http404
        return super().dispatch(request, *args, **kwargs)
