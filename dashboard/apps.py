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
