from __future__ import annotations

from django.apps import AppConfig


class FtuConfig(AppConfig):
    name = "ftu"
    verbose_name = "FTU Hub"

    def ready(self) -> None:
        from ftu import audit  # noqa: F401  (registers the SQLite audit guard)
        from ftu.metrics import connect_celery_signals

        connect_celery_signals()
