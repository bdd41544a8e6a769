"""Web pages. The paths /people/<handle>/ and /topics/<name>/ are also what Markdown
mention and topic links point to (conversations.text), so keep them stable."""

from django.contrib.auth.decorators import login_required
from django.urls import path
from django.views.generic import RedirectView

from socialfabric.web import insights
from socialfabric.web.views import account, communities, home, invitations, people, search, staff, threads

app_name = "web"

urlpatterns = [
    path("signin/", account.SignInView.as_view(), name="signin"),
    path("invite/", invitations.invite, name="invite"),
    path("invitations/<str:token>/", invitations.accept, name="invitation"),
    path("signout/", account.SignOutView.as_view(), name="signout"),
    path("password/reset/", account.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", account.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", account.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("password/reset/done/", account.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("password/change/", login_required(account.PasswordChangeView.as_view()), name="password_change"),
    path("password/change/done/", RedirectView.as_view(pattern_name="web:tokens"), name="password_change_done"),
    path("", home.home, name="home"),
    path("communities/", communities.communities, name="communities"),
    path("communities/<slug:slug>/", communities.community, name="community"),
    path("communities/<slug:slug>/join/", communities.community_join, name="community_join"),
    path("communities/<slug:slug>/leave/", communities.community_leave, name="community_leave"),
    path("communities/<slug:slug>/request/", communities.community_request, name="community_request"),
    path("communities/<slug:slug>/requests/<int:request_id>/", communities.community_decide,
         name="community_decide"),
    path("communities/<slug:slug>/members/", communities.community_add_member, name="community_add_member"),
    path("posts/<int:post_id>/", threads.post_detail, name="post"),
    path("posts/<int:post_id>/reply/", threads.post_reply, name="post_reply"),
    path("posts/<int:post_id>/react/", threads.post_react, name="post_react"),
    path("posts/<int:post_id>/accept/", threads.post_accept, name="post_accept"),
    path("posts/<int:post_id>/edit/", threads.post_edit, name="post_edit"),
    path("posts/<int:post_id>/remove/", threads.post_remove, name="post_remove"),
    path("people/", people.people, name="people"),
    path("people/<str:handle>/", people.person, name="person"),
    path("people/<str:handle>/follow/", people.person_follow, name="person_follow"),
    path("people/<str:handle>/unfollow/", people.person_unfollow, name="person_unfollow"),
    path("people/<str:handle>/deactivate/", people.person_deactivate, name="person_deactivate"),
    path("people/<str:handle>/photo/<int:size>-<str:key>.webp", people.person_photo, name="person_photo"),
    path("units/<slug:slug>/", people.unit, name="unit"),
    path("topics/<str:name>/", people.topic, name="topic"),
    path("search/", search.search_page, name="search"),
    path("insights/", insights.dashboard, name="insights"),
    path("insights/reports/", insights.report_request, name="insights_request"),
    path("insights/reports/<int:report_id>/", insights.report_detail, name="insights_report"),
    path("insights/reports/<int:report_id>/status/", insights.report_status, name="insights_status"),
    path("insights/reports/<int:report_id>/report.html", insights.report_html, name="insights_html"),
    path("insights/reports/<int:report_id>/report.json", insights.report_json, name="insights_json"),
    path("settings/profile/", account.profile_edit, name="profile_edit"),
    path("staff/", staff.home, name="staff"),
    path("staff/people/", staff.people, name="staff_people"),
    path("staff/people/<str:handle>/", staff.person, name="staff_person"),
    path("staff/people/<str:handle>/deactivate/", staff.person_deactivate, name="staff_deactivate"),
    path("staff/people/<str:handle>/reactivate/", staff.person_reactivate, name="staff_reactivate"),
    path("staff/people/<str:handle>/role/", staff.person_role, name="staff_role"),
    path("staff/people/<str:handle>/password-link/", staff.person_password_link, name="staff_password_link"),
    path("staff/people/<str:handle>/tokens/<str:token_id>/revoke/", staff.person_token_revoke,
         name="staff_token_revoke"),
    path("staff/invitations/", staff.invitation_list, name="staff_invitations"),
    path("staff/invitations/<str:invitation_id>/resend/", staff.invitation_resend, name="staff_invitation_resend"),
    path("staff/invitations/<str:invitation_id>/revoke/", staff.invitation_revoke, name="staff_invitation_revoke"),
    path("staff/communities/", staff.community_list, name="staff_communities"),
    path("settings/tokens/", account.tokens, name="tokens"),
    path("settings/tokens/<int:token_id>/revoke/", account.token_revoke, name="token_revoke"),
]
