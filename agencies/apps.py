from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgenciesConfig(AppConfig):
    name = "agencies"
    verbose_name = _("Partners")

    def ready(self) -> None:
        from agencies import services_actions as actions
        from ftu.navigation import register
        from ftu.policy import Cap
        from notifications.kinds import register_kind

        register("actions:feed", _("Actions"), Cap.ACTION_FEED, order=60)
        register_kind(actions.KIND_POSTED, actions.LABEL_POSTED, group="action")
        register_kind(actions.KIND_COMMENTED, actions.LABEL_COMMENTED, group="action")
        from agencies import signals  # noqa: F401 - connects the receivers

        register("agencies:team", _("People"), Cap.MEMBER_INVITE, order=92)
