"""The embedded scheduler: in the one-process demo there is no Celery beat, so a daemon
thread in the server process runs the minute tick, the outbox sweep and the digest.

Started once per process by :func:`start` (called by ``ftu.asgi`` on the first connection)
and only when ``settings.FTU_EMBEDDED_TICK`` is on (default: not production and Celery eager;
tests switch it off).  Every step is idempotent, so two processes both ticking only repeat
no-ops.
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_thread: threading.Thread | None = None
started = False  # read without the lock by the ASGI app: a cheap "already tried" flag


def enabled() -> bool:
    return bool(getattr(settings, "FTU_EMBEDDED_TICK", False))


def start() -> bool:
    """Start the ticker thread unless it runs already or is disabled.  Returns whether started."""
    global _thread, started
    if not enabled():
        return False
    with _lock:
        started = True
        if _thread is not None and _thread.is_alive():
            return False
        _thread = threading.Thread(target=_loop, name="ftu-ticker", daemon=True)
        _thread.start()
    logger.info("embedded ticker started")
    return True


def tick_once() -> None:
    from ftu import scheduling
    from notifications import delivery

    close_old_connections()
    try:
        scheduling.run_tick()
        delivery.enqueue_digests()
        delivery.process_outbox()
    except Exception:
        logger.exception("embedded tick failed")
    finally:
        close_old_connections()


def _loop() -> None:
    while True:
        # Sleep to the next minute boundary so ticks line up with beat's schedule.
        time.sleep(60 - time.time() % 60)
        tick_once()
