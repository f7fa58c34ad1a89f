from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from ftu.navigation import register
        from ftu.policy import Cap
        from notifications.kinds import register_kind

        register_kind("notifications.test", _("Test notification"), group="notifications")
        # Never by e-mail/SMS: it reports that e-mail/SMS failed.
        register_kind(
            "outbox.failed", _("E-mail or SMS delivery failed"), group="outbox", external=False
        )
        register("notifications:inbox", _("Notifications"), Cap.USE_HUB, order=80)
        register("notifications:outbox", _("Delivery failures"), Cap.OUTBOX_VIEW, order=95)
