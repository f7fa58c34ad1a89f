from __future__ import annotations

from django.urls import path

from raids import views

app_name = "raids"

urlpatterns = [
    path("", views.raid_list, name="list"),
    path("new/", views.raid_open, name="open"),
    path("<int:pk>/", views.raid_detail, name="detail"),
    path("<int:pk>/board/", views.raid_board, name="board"),
    path("<int:pk>/target/", views.raid_target, name="target"),
    path("<int:pk>/plan/", views.raid_plan, name="plan"),
    path("<int:pk>/move/", views.raid_move, name="move"),
    path("<int:pk>/team/", views.team_add, name="team_add"),
    path("<int:pk>/team/<int:member_pk>/remove/", views.team_remove, name="team_remove"),
    path("<int:pk>/checklist/<int:item_pk>/", views.checklist_mark, name="checklist"),
    path("<int:pk>/tasks/", views.task_create, name="task_create"),
    path("<int:pk>/tasks/<int:task_pk>/move/", views.task_move, name="task_move"),
    path("<int:pk>/outcome/", views.outcome, name="outcome"),
    path("<int:pk>/outcome/save/", views.outcome_save, name="outcome_save"),
    path("<int:pk>/outcome/rescued/", views.rescued_add, name="rescued_add"),
    path("<int:pk>/outcome/arrested/", views.offender_add, name="offender_add"),
    path(
        "<int:pk>/outcome/<str:kind>/<int:row_pk>/remove/",
        views.outcome_row_remove,
        name="outcome_row_remove",
    ),
    path("<int:pk>/outcome/confirm/", views.outcome_confirm, name="outcome_confirm"),
    path("cases/", views.case_list, name="cases"),
    path("cases/new/", views.case_open, name="case_open"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("cases/<int:pk>/accused/", views.accused_add, name="accused_add"),
    path(
        "cases/<int:pk>/accused/<int:accused_pk>/advance/",
        views.accused_advance,
        name="accused_advance",
    ),
]
