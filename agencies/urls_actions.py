from __future__ import annotations

from django.urls import path

from agencies import views_actions as views

app_name = "actions"

urlpatterns = [
    path("", views.feed, name="feed"),
    path("new/", views.post_new, name="new"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("<int:pk>/comment/", views.comment, name="comment"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("files/<int:pk>/", views.attachment, name="attachment"),
]
