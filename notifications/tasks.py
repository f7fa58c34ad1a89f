"""Celery tasks: the minute tick, the outbox and the daily digest.

Beat schedules them (``CELERY_BEAT_SCHEDULE`` in settings); in the embedded default Celery
is eager and ``notifications.ticker`` calls the same functions inside the server process.
"""

from __future__ import annotations

from celery import shared_task

from ftu import scheduling
from notifications import delivery


@shared_task(name="ftu.tick", ignore_result=True)
def run_tick() -> list[str]:
    """Every registered idempotent tick handler (deadlines, overdue items…)."""
    return scheduling.run_tick()


@shared_task(name="notifications.process_outbox", ignore_result=True)
def process_outbox() -> int:
    return delivery.process_outbox()


@shared_task(name="notifications.send_outbox_message", ignore_result=True)
def send_outbox_message(message_id: int) -> bool:
    """One attempt; a failure is rescheduled on the row (backoff), not on the broker."""
    return delivery.send_message(message_id)


@shared_task(name="notifications.send_digests", ignore_result=True)
def send_digests() -> int:
    queued = delivery.enqueue_digests()
    delivery.process_outbox()
    return queued
