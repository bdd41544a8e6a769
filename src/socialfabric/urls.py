from django.urls import include, path

from socialfabric.web.views.plumbing import health

urlpatterns = [
    path("health", health, name="health"),
    path("api/v1/", include("socialfabric.api.urls")),
    path("", include("socialfabric.web.urls")),
]
