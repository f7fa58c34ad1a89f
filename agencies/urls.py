from __future__ import annotations

from django.urls import path

from agencies import views

app_name = "agencies"

urlpatterns = [
    path("", views.directory, name="directory"),
    path("<int:pk>/", views.organisation_detail, name="organisation"),
    path("me/", views.profile, name="profile"),
]
