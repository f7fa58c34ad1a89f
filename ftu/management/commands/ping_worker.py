"""Send ``ftu.tasks.ping`` through the broker and wait until a worker has run it."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError

from ftu.tasks import ping, ping_key


class Command(BaseCommand):
    help = "Check that a Celery worker consumes tasks: prints who ran the ping, as JSON."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--timeout", type=float, default=20.0, help="seconds to wait")

    def handle(self, *args: Any, timeout: float, **options: Any) -> None:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            raise CommandError("Celery runs eagerly here (no worker): nothing to check.")
        token = uuid.uuid4().hex
        started = time.monotonic()
        ping.apply_async(args=[token])
        while time.monotonic() - started < timeout:
            answer = cache.get(ping_key(token))
            if answer:
                cache.delete(ping_key(token))
                answer["seconds"] = round(time.monotonic() - started, 3)
                self.stdout.write(json.dumps(answer))
                return
            time.sleep(0.1)
        raise CommandError(f"No worker ran the ping within {timeout:g} s.")
