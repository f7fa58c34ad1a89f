from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FtuConfig(AppConfig):
    name = "ftu"
    verbose_name = "FTU Hub"

    def ready(self) -> None:
        # Importing ftu.audit registers the SQLite audit guard; audit_anchor its hourly tick.
        from ftu import audit, audit_anchor, navigation  # noqa: F401
        from ftu.policy import Cap

        navigation.register("audit:list", _("Audit log"), Cap.AUDIT_VIEW, order=95)
        from ftu.metrics import connect_celery_signals

        connect_celery_signals()
