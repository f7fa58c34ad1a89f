"""The hub's own Prometheus metrics, and the small functions other apps call to feed them.

Request counts and latency come from django-prometheus's middleware (``django_http_*``);
this module adds what only the hub knows.  Apps never touch ``prometheus_client`` directly:
they call the functions below, which never raise (a metric must not fail a request).

Every process keeps its own values.  Under gunicorn, uvicorn with workers, or the Celery
prefork pool, set ``PROMETHEUS_MULTIPROC_DIR`` (the systemd units do) so that one scrape of
a machine's tier sums its processes.  Which tier exposes what (docs/deploy.md):

* web tier (gunicorn, ``/metrics``): requests, notifications created, pushed and push
  latency (the push runs after the commit of the request that caused it);
* websocket tier (uvicorn, ``/metrics``): websocket connections;
* worker (Celery, ``FTU_METRICS_WORKER_ADDR``): task failures, and the state gauges the
  per-minute tick sets (outbox backlog, clocks due soon, overdue, missed).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

logger = logging.getLogger(__name__)

WEBSOCKET_CONNECTIONS = Gauge(
    "ftu_websocket_connections",
    "Websocket connections open on this tier (notifications).",
    multiprocess_mode="livesum",
)
NOTIFICATIONS_CREATED = Counter(
    "ftu_notifications_created",
    "Notification rows stored, by kind.",
    ["kind"],
)
NOTIFICATIONS_PUSHED = Counter(
    "ftu_notifications_pushed",
    "Notifications pushed towards open sockets, by outcome (sent, failed).",
    ["outcome"],
)
PUSH_LATENCY = Histogram(
    "ftu_notification_push_latency_seconds",
    "Seconds from a notification's creation to its delivery on a socket.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
)
OUTBOX_BACKLOG = Gauge(
    "ftu_outbox_backlog",
    "External messages (e-mail, SMS) waiting to be sent, by channel.",
    ["channel"],
    multiprocess_mode="mostrecent",
)
CELERY_TASK_FAILURES = Counter(
    "ftu_celery_task_failures",
    "Celery tasks that raised, by task name.",
    ["task"],
)
CLOCKS_DUE_SOON = Gauge(
    "ftu_clocks_due_soon",
    "Statutory clocks running out within the warning window, by clock kind.",
    ["kind"],
    multiprocess_mode="mostrecent",
)
CLOCKS_OVERDUE = Gauge(
    "ftu_clocks_overdue",
    "Statutory clocks past their deadline and not met, by clock kind.",
    ["kind"],
    multiprocess_mode="mostrecent",
)
CLOCKS_MISSED = Counter(
    "ftu_clocks_missed",
    "Statutory clocks that passed their deadline unmet (counted once each), by clock kind.",
    ["kind"],
)

# Names an operator can alert on (the test checks /metrics exposes each of them).
NAMES = (
    "ftu_websocket_connections",
    "ftu_notifications_created",
    "ftu_notifications_pushed",
    "ftu_notification_push_latency_seconds",
    "ftu_outbox_backlog",
    "ftu_celery_task_failures",
    "ftu_clocks_due_soon",
    "ftu_clocks_overdue",
    "ftu_clocks_missed",
)


def _safe(fn: Any) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            fn(*args, **kwargs)
        except Exception:  # noqa: BLE001 - metrics never break the caller
            logger.warning("metric update failed: %s", fn.__name__)

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


@_safe
def websocket_connected() -> None:
    """Call from the consumer's ``connect`` once the socket is accepted."""
    WEBSOCKET_CONNECTIONS.inc()


@_safe
def websocket_disconnected() -> None:
    """Call from the consumer's ``disconnect`` (only for sockets counted as connected)."""
    WEBSOCKET_CONNECTIONS.dec()


@_safe
def notifications_created(kind: str, count: int = 1) -> None:
    """Call after storing ``count`` notification rows of ``kind``."""
    if count > 0:
        NOTIFICATIONS_CREATED.labels(kind=kind).inc(count)


@_safe
def notification_pushed(ok: bool = True, count: int = 1) -> None:
    """Call per push with its number of recipients: ``ok=False`` when the layer failed."""
    NOTIFICATIONS_PUSHED.labels(outcome="sent" if ok else "failed").inc(count)


@_safe
def observe_push_latency(seconds: float, count: int = 1) -> None:
    """Call when notifications are handed to the channel layer (now - created), ``count``
    observations of the same value; the layer delivers to the open sockets at once
    (``notifications.services.push``)."""
    for _ in range(count):
        PUSH_LATENCY.observe(max(0.0, seconds))


@_safe
def set_outbox_backlog(count: int, channel: str = "all") -> None:
    """Call from the tick (or the outbox worker) with the number of unsent messages."""
    OUTBOX_BACKLOG.labels(channel=channel).set(count)


@_safe
def task_failed(task_name: str) -> None:
    """Wired to Celery's ``task_failure`` signal below; apps need not call it."""
    CELERY_TASK_FAILURES.labels(task=task_name or "unknown").inc()


@_safe
def set_clocks(kind: str, *, due_soon: int, overdue: int) -> None:
    """Call from the clocks' tick handler with the current counts for one clock kind."""
    CLOCKS_DUE_SOON.labels(kind=kind).set(due_soon)
    CLOCKS_OVERDUE.labels(kind=kind).set(overdue)


@_safe
def clock_missed(kind: str) -> None:
    """Call once when a clock is first found past its deadline unmet."""
    CLOCKS_MISSED.labels(kind=kind).inc()


def registry() -> CollectorRegistry:
    """The registry to expose: every process of this tier in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        collecting = CollectorRegistry()
        multiprocess.MultiProcessCollector(collecting)
        return collecting
    return REGISTRY


def exposition() -> tuple[bytes, str]:
    return generate_latest(registry()), CONTENT_TYPE_LATEST


# --- Celery -----------------------------------------------------------------------------
def _on_task_failure(sender: Any = None, **kwargs: Any) -> None:
    task_failed(getattr(sender, "name", "") or "")


def _serve_worker_metrics(**kwargs: Any) -> None:
    """On the worker's main process: serve /metrics on FTU_METRICS_WORKER_ADDR if set."""
    from django.conf import settings

    addr = getattr(settings, "FTU_METRICS_WORKER_ADDR", "")
    if not addr:
        return
    from prometheus_client import start_http_server

    host, _, port = addr.rpartition(":")
    start_http_server(int(port), addr=host.strip("[]") or "127.0.0.1", registry=registry())
    logger.info("worker metrics served on %s", addr)


def connect_celery_signals() -> None:
    from celery.signals import task_failure, worker_ready

    task_failure.connect(_on_task_failure, weak=False, dispatch_uid="ftu.metrics.task_failure")
    worker_ready.connect(_serve_worker_metrics, weak=False, dispatch_uid="ftu.metrics.worker")
