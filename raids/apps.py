from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RaidsConfig(AppConfig):
    name = "raids"
    verbose_name = _("Raids and prosecutions")
