from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = _("District dashboard")

    def ready(self) -> None:
        from ftu import navigation
        from ftu.policy import Cap

        navigation.register(
            "dashboard:dashboard", _("Dashboard"), Cap.DASHBOARD_SUPPRESSED, order=70
        )

        from django.db.models.signals import post_save

        from dashboard.figures import on_write
        from ftu.models import AuditEvent

        post_save.connect(on_write, sender=AuditEvent, dispatch_uid="dashboard-figures")
