from django.urls import include, path

from socialfabric.org import oidc
from socialfabric.web.views.plumbing import health

urlpatterns = [
    path("health", health, name="health"),
    # Single sign-on (OpenID Connect): 404 unless configured. The names are mozilla-django-oidc's.
    path("oidc/authenticate/", oidc.SignInView.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", oidc.CallbackView.as_view(), name="oidc_authentication_callback"),
    path("api/v1/", include("socialfabric.api.urls")),
    path("", include("socialfabric.web.urls")),
]
