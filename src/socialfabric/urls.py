from django.urls import include, path

urlpatterns = [
    path("api/v1/", include("socialfabric.api.urls")),
    path("", include("socialfabric.web.urls")),
]
