"""WSGI entry point: production pages are served by gunicorn (faster than ASGI for pages)."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ftu.settings")

application = get_wsgi_application()
