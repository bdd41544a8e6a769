"""Web pages. The paths /people/<handle>/ and /topics/<name>/ are also what Markdown
mention and topic links point to (conversations.text), so keep them stable."""

from django.urls import path

from socialfabric.web import insights, views

app_name = "web"

urlpatterns = [
    path("signin/", views.SignInView.as_view(), name="signin"),
    path("signout/", views.SignOutView.as_view(), name="signout"),
    path("", views.home, name="home"),
    path("communities/", views.communities, name="communities"),
    path("communities/<slug:slug>/", views.community, name="community"),
    path("communities/<slug:slug>/join/", views.community_join, name="community_join"),
    path("communities/<slug:slug>/leave/", views.community_leave, name="community_leave"),
    path("communities/<slug:slug>/request/", views.community_request, name="community_request"),
    path("communities/<slug:slug>/requests/<int:request_id>/", views.community_decide,
         name="community_decide"),
    path("communities/<slug:slug>/members/", views.community_add_member, name="community_add_member"),
    path("posts/<int:post_id>/", views.post_detail, name="post"),
    path("posts/<int:post_id>/reply/", views.post_reply, name="post_reply"),
    path("posts/<int:post_id>/react/", views.post_react, name="post_react"),
    path("posts/<int:post_id>/accept/", views.post_accept, name="post_accept"),
    path("posts/<int:post_id>/edit/", views.post_edit, name="post_edit"),
    path("posts/<int:post_id>/remove/", views.post_remove, name="post_remove"),
    path("people/", views.people, name="people"),
    path("people/<str:handle>/", views.person, name="person"),
    path("people/<str:handle>/follow/", views.person_follow, name="person_follow"),
    path("people/<str:handle>/unfollow/", views.person_unfollow, name="person_unfollow"),
    path("units/<slug:slug>/", views.unit, name="unit"),
    path("topics/<str:name>/", views.topic, name="topic"),
    path("insights/", insights.dashboard, name="insights"),
    path("insights/reports/", insights.report_request, name="insights_request"),
    path("insights/reports/<int:report_id>/", insights.report_detail, name="insights_report"),
    path("insights/reports/<int:report_id>/status/", insights.report_status, name="insights_status"),
    path("insights/reports/<int:report_id>/report.html", insights.report_html, name="insights_html"),
    path("insights/reports/<int:report_id>/report.json", insights.report_json, name="insights_json"),
    path("settings/tokens/", views.tokens, name="tokens"),
    path("settings/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
]
