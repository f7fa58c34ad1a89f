from __future__ import annotations

from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("feed", views.feed, name="feed"),
    path("<int:pk>/read", views.mark_read, name="mark_read"),
    path("read-all", views.mark_all_read, name="mark_all_read"),
    path("preferences", views.preferences, name="preferences"),
    path("preferences/test", views.send_test, name="send_test"),
    path("outbox", views.outbox, name="outbox"),
]
