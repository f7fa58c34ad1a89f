from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from ftu import health, views

# The admin logs in through allauth (MFA, rate limits), never through its own form.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = "FTU Hub"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics, name="metrics"),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("accounts/", include("allauth.urls")),
    path("partners/", include("agencies.urls")),
    path("actions/", include("agencies.urls_actions")),
    path("audit/", include("ftu.audit_urls")),
    path("cases/", include("referrals.urls")),
    path("raids/", include("raids.urls")),
    path("meetings/", include("meetings.urls")),
    path("notifications/", include("notifications.urls")),
    path("dashboard/", include("dashboard.urls")),
    path("admin/", admin.site.urls),
]

handler500 = "ftu.views.server_error"
