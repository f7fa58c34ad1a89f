from __future__ import annotations

from django.urls import path

from meetings import views

app_name = "meetings"

urlpatterns = [
    path("", views.meeting_list, name="meeting_list"),
    path("new/", views.meeting_create, name="meeting_create"),
    path("summaries/", views.public_summaries, name="public_summaries"),
    path("<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("<int:pk>/live/", views.meeting_fragment, name="meeting_fragment"),
    path("<int:pk>/edit/", views.meeting_edit, name="meeting_edit"),
    path("<int:pk>/cancel/", views.meeting_cancel, name="meeting_cancel"),
    path("<int:pk>/held/", views.meeting_held, name="meeting_held"),
    path("<int:pk>/invitation.ics", views.meeting_ics, name="meeting_ics"),
    path("<int:pk>/attendance/", views.meeting_attendance, name="meeting_attendance"),
    path("<int:pk>/summary/", views.meeting_summary, name="meeting_summary"),
    path("<int:pk>/agenda/new/", views.agenda_item_create, name="agenda_item_create"),
    path("<int:pk>/minutes/start/", views.minutes_start, name="minutes_start"),
    path("agenda/<int:pk>/edit/", views.agenda_item_edit, name="agenda_item_edit"),
    path("agenda/<int:pk>/move/", views.agenda_item_move, name="agenda_item_move"),
    path("agenda/<int:pk>/delete/", views.agenda_item_delete, name="agenda_item_delete"),
    path("minutes/<int:pk>/", views.minutes_detail, name="minutes_detail"),
    path("minutes/<int:pk>/pdf/", views.minutes_pdf, name="minutes_pdf"),
    path("minutes/<int:pk>/circulate/", views.minutes_circulate, name="minutes_circulate"),
    path("minutes/<int:pk>/submit/", views.minutes_submit, name="minutes_submit"),
    path("minutes/<int:pk>/approve/", views.minutes_approve, name="minutes_approve"),
    path("minutes/<int:pk>/return/", views.minutes_return, name="minutes_return"),
    path("minutes/<int:pk>/publish/", views.minutes_publish, name="minutes_publish"),
    path("minutes/<int:pk>/correct/", views.minutes_correct, name="minutes_correct"),
    path("minutes/items/<int:pk>/edit/", views.minutes_item_edit, name="minutes_item_edit"),
    path(
        "minutes/items/<int:pk>/actions/new/", views.action_item_create, name="action_item_create"
    ),
    path("minutes/items/<int:pk>/comment/", views.minutes_comment, name="minutes_comment"),
    path(
        "minutes/comments/<int:pk>/resolve/",
        views.minutes_comment_resolve,
        name="minutes_comment_resolve",
    ),
    path("actions/", views.action_list, name="action_list"),
    path("actions/<int:pk>/", views.action_detail, name="action_detail"),
]
