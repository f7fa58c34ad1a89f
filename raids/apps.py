from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RaidsConfig(AppConfig):
    name = "raids"
    verbose_name = _("Raids and prosecutions")

    def ready(self) -> None:
        from ftu.navigation import register
        from ftu.policy import Cap
        from notifications.kinds import register_kind
        from raids import clock_rules  # noqa: F401  (registers the charge-sheet clock rule)

        register("raids:list", _("Raids"), Cap.RAID_JOIN, order=40)
        register("raids:cases", _("Prosecutions"), Cap.PROSECUTION_VIEW, order=45)
        # Every raid kind is in group "raid": the task board refreshes on any of them.
        register_kind("raid.approval", _("Raid awaiting your approval"), urgent=True, group="raid")
        register_kind("raid.status", _("Raid status changed"), group="raid")
        register_kind("raid.team", _("Named on a raid team"), urgent=True, group="raid")
        register_kind("raid.task", _("Raid task changed"), urgent=True, group="raid")
        register_kind("raid.assignment_ended", _("Raid assignment ended"), group="raid")
