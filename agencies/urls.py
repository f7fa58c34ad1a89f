from __future__ import annotations

from django.urls import path

from agencies import views
from agencies.views import join, organisations, people

app_name = "agencies"

urlpatterns = [
    path("", views.directory, name="directory"),
    path("<int:pk>/", views.organisation_detail, name="organisation"),
    path("me/", views.profile, name="profile"),
    path("new/", organisations.organisation_new, name="organisation_new"),
    path("<int:pk>/edit/", organisations.organisation_edit, name="organisation_edit"),
    path("<int:pk>/active/", organisations.organisation_active, name="organisation_active"),
    path("people/", people.team, name="team"),
    path("people/invite/", people.invite, name="invite"),
    path("people/<int:pk>/", people.membership_edit, name="membership_edit"),
    path("people/<int:pk>/end/", people.membership_deactivate, name="membership_deactivate"),
    path("person/<int:pk>/deactivate/", people.person_deactivate, name="person_deactivate"),
    path("invitations/<int:pk>/revoke/", people.invitation_revoke, name="invitation_revoke"),
    path("join/<str:token>/", join.join, name="join"),
]
