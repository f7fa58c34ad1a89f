from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgenciesConfig(AppConfig):
    name = "agencies"
    verbose_name = _("Partners")

    def ready(self) -> None:
        from agencies import signals  # noqa: F401 - connects the receivers
        from ftu.navigation import register
        from ftu.policy import Cap

        register("agencies:team", _("People"), Cap.MEMBER_INVITE, order=92)
