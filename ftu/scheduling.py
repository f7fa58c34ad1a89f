"""The periodic tick: apps register idempotent handlers; Celery beat (or, in the embedded
default, the server process) calls :func:`run_tick` every minute.

A handler takes ``now`` and must be idempotent: running the tick twice for the same ``now``
changes nothing the second time (deadlines are rows; a missed tick only delays).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable

from django.utils import timezone

logger = logging.getLogger(__name__)

TickHandler = Callable[[datetime.datetime], None]
TICK_HANDLERS: dict[str, TickHandler] = {}


def register_tick(name: str) -> Callable[[TickHandler], TickHandler]:
    def decorator(fn: TickHandler) -> TickHandler:
        TICK_HANDLERS[name] = fn
        return fn

    return decorator


def run_tick(now: datetime.datetime | None = None) -> list[str]:
    """Run every handler; one failing handler does not stop the others.  Returns failures."""
    now = now or timezone.now()
    failed = []
    for name, handler in sorted(TICK_HANDLERS.items()):
        try:
            handler(now)
        except Exception:
            logger.exception("tick handler %s failed", name)
            failed.append(name)
    return failed
