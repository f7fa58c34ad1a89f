"""/metrics: only the listed scrapers, 404 for everyone else; exposes the hub's metric names."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ftu import metrics

pytestmark = pytest.mark.django_db


def test_metrics_answers_a_listed_scraper(settings: Any) -> None:
    settings.FTU_METRICS_ALLOWED_IPS = ["10.20.0.0/24"]
    metrics.notifications_created("case.referred", 2)
    metrics.task_failed("ftu.tasks.ping")
    response = Client(REMOTE_ADDR="10.20.0.7").get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    for name in metrics.NAMES:
        assert f"# TYPE {name}" in body, name
    assert 'ftu_notifications_created_total{kind="case.referred"}' in body
    assert "django_http_requests_latency_seconds_by_view_method" in body


@pytest.mark.parametrize("address", ["10.20.1.7", "127.0.0.1", "192.168.1.5", "::1"])
def test_metrics_is_a_404_for_other_addresses(settings: Any, address: str) -> None:
    settings.FTU_METRICS_ALLOWED_IPS = ["10.20.0.0/24"]
    response = Client(REMOTE_ADDR=address).get("/metrics")
    assert response.status_code == 404
    assert b"ftu_" not in response.content


def test_metrics_is_closed_when_nobody_is_listed(settings: Any) -> None:
    settings.FTU_METRICS_ALLOWED_IPS = []
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 404


def test_a_logged_in_person_from_elsewhere_gets_no_metrics(settings: Any, personas: Any) -> None:
    settings.FTU_METRICS_ALLOWED_IPS = ["10.20.0.5"]
    c = Client(REMOTE_ADDR="10.9.9.9")
    c.force_login(personas["convenor"])
    assert c.get("/metrics").status_code == 404


def test_x_real_ip_counts_only_from_a_trusted_proxy(settings: Any) -> None:
    settings.FTU_METRICS_ALLOWED_IPS = ["10.20.0.5"]
    settings.FTU_TRUSTED_PROXIES = ["10.0.0.2"]
    # A client cannot claim the scraper's address...
    forged = Client(REMOTE_ADDR="203.0.113.9", HTTP_X_REAL_IP="10.20.0.5")
    assert forged.get("/metrics").status_code == 404
    # ...and behind the proxy the client's own address decides, not the proxy's.
    proxied_outsider = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_REAL_IP="203.0.113.9")
    settings.FTU_METRICS_ALLOWED_IPS = ["10.0.0.2"]
    assert proxied_outsider.get("/metrics").status_code == 404
    settings.FTU_METRICS_ALLOWED_IPS = ["10.20.0.5"]
    proxied_scraper = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_REAL_IP="10.20.0.5")
    assert proxied_scraper.get("/metrics").status_code == 200


def test_metric_functions_never_raise() -> None:
    metrics.set_clocks("cwc_production", due_soon=3, overdue=1)
    metrics.clock_missed("cwc_production")
    metrics.observe_push_latency(0.2)
    metrics.notification_pushed(ok=False)
    metrics.set_outbox_backlog(5, channel="email")
    metrics.websocket_connected()
    metrics.websocket_disconnected()
    metrics.notifications_created(None, "x")  # type: ignore[arg-type]  # wrong types: logged only
