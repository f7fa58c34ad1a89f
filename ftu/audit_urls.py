from __future__ import annotations

from django.urls import path

from ftu import audit_views

app_name = "audit"

urlpatterns = [
    path("", audit_views.audit_list, name="list"),
    path(
        "object/<str:object_type>/<str:object_id>/",
        audit_views.audit_object,
        name="object",
    ),
]
