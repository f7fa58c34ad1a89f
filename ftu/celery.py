"""The Celery application: background and scheduled work (deadlines, e-mail, digests)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ftu.settings")

app = Celery("ftu")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
