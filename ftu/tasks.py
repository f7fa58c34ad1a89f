"""Celery tasks that belong to no single app."""

from __future__ import annotations

import os
import re
import socket
import time

from celery import shared_task
from django.core.cache import cache

_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def ping_key(token: str) -> str:
    return f"ftu:worker-ping:{token}"


@shared_task(name="ftu.tasks.ping", ignore_result=True)
def ping(token: str) -> None:
    """Prove a worker is consuming: write who ran it into the shared cache for 5 minutes.

    ``manage.py ping_worker`` sends it and waits for the answer; it reads the process id
    and host, so a check can tell *which* worker ran it (deploy/smoke.py checks that it is
    the worker it started, not the sender running it eagerly).
    """
    if not _TOKEN.match(token):
        raise ValueError("ping token must be 32 hex digits")
    cache.set(
        ping_key(token),
        {"pid": os.getpid(), "ppid": os.getppid(), "host": socket.gethostname(), "at": time.time()},
        timeout=300,
    )
