"""Liveness and readiness probes for the load balancer and the process supervisor."""

from __future__ import annotations

import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

from ftu import metrics as ftu_metrics
from ftu.access import ip_restricted, public


def _database() -> None:
    with connection.cursor() as cur:
        cur.execute("SELECT 1")


def _cache() -> None:
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", 5)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return the value it was given")
    cache.delete(key)


def _channel_layer() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")
    async_to_sync(layer.group_send)("readyz", {"type": "readyz.ping"})


CHECKS = {"database": _database, "cache": _cache, "channel_layer": _channel_layer}


@public
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@public
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    down = []
    for name, check in CHECKS.items():
        try:
            check()
        except Exception:  # noqa: BLE001 - any failure means "not ready"
            down.append(name)
    if down:
        return JsonResponse({"status": "unavailable", "down": down}, status=503)
    return JsonResponse({"status": "ok"})


@ip_restricted("FTU_METRICS_ALLOWED_IPS")
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus exposition of this tier's processes (scrapers in FTU_METRICS_ALLOWED_IPS)."""
    body, content_type = ftu_metrics.exposition()
    return HttpResponse(body, content_type=content_type)
