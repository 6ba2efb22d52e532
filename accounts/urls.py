from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/tokens/<str:token_id>/revoke/", views.api_token_revoke, name="api_token_revoke"),
    path("organization/", views.organization, name="organization"),
    path("staff/", views.staff_home, name="staff_home"),
]
