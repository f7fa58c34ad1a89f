"""Faults and scale: Redis down, two server processes sharing Redis, the scheduler."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from django.urls import reverse

from notifications.models import Notification
from notifications.services import notify

ROOT = Path(__file__).resolve().parents[2]
DEAD_REDIS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        # Nothing listens on port 1: every publish fails at once.
        "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"], "prefix": "dead"},
    }
}


@pytest.mark.django_db
def test_with_redis_down_writes_succeed_rows_are_stored_and_the_feed_serves_them(
    personas: dict[str, Any],
    login: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
    caplog: Any,
) -> None:
    settings.CHANNEL_LAYERS = DEAD_REDIS
    user = personas["ngo_coordinator"]
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            rows = notify(
                recipients=[user, personas["cwc_member"]],
                kind="referral.received",
                title="FTU-2026-0042",
                url="/cases/",
            )
    assert len(rows) == 2
    assert any("push failed" in r.getMessage() for r in caplog.records)
    client = login(user)
    # A write through a page still succeeds and still stores its notification.
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("notifications:send_test")).status_code == 302
    assert Notification.objects.filter(recipient=user).count() == 2
    # The polling fallback serves everything from the database.
    feed = client.get(reverse("notifications:feed") + "?after=0").json()
    assert [n["kind"] for n in feed["notifications"]] == ["referral.received", "notifications.test"]
    ready = client.get(reverse("readyz"))
    assert ready.status_code == 503
    assert "channel_layer" in ready.json()["down"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server on {port} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):  # noqa: S310
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"server on {port} did not start")


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")
@pytest.mark.django_db(transaction=True)
def test_an_event_caused_through_one_server_reaches_a_socket_on_the_other(
    personas: dict[str, Any],
) -> None:
    from django.test import Client
    from websockets.sync.client import connect

    if connection.vendor != "postgresql":
        pytest.skip("needs a database both server processes share (PostgreSQL)")
    db = connection.settings_dict
    database_url = (
        f"postgres://{urllib.parse.quote(db['USER'] or '')}"
        f"{(':' + urllib.parse.quote(db['PASSWORD'])) if db['PASSWORD'] else ''}"
        f"@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    env = {**os.environ, "DATABASE_URL": database_url, "FTU_EMBEDDED_TICK": "0"}
    user = personas["ngo_coordinator"]
    client = Client()
    client.force_login(user)
    session = client.cookies["sessionid"].value

    port_a, port_b = _free_port(), _free_port()
    servers = [
        # One of each server: the channel layer, not the server, carries the event across.
        subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                str(port_a),
                "ftu.asgi:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--host",
                "127.0.0.1",
                "--port",
                str(port_b),
                "--ws",
                "websockets-sansio",  # as deploy/systemd/ftu-ws.service
                "--log-level",
                "warning",
                "ftu.asgi:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]
    try:
        _wait_healthy(port_a, servers[0])
        _wait_healthy(port_b, servers[1])
        with connect(
            f"ws://127.0.0.1:{port_b}/ws/notifications/",
            origin=f"http://127.0.0.1:{port_b}",
            additional_headers={"Cookie": f"sessionid={session}"},
            open_timeout=10,
        ) as ws:
            ws.send(json.dumps({"type": "hello", "last_id": None}))
            assert json.loads(ws.recv(timeout=10))["type"] == "synced"

            # Cause the event through server A: the preferences page's test button.
            jar = CookieJar()
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
            base = f"http://127.0.0.1:{port_a}"
            page = opener.open(  # noqa: S310
                urllib.request.Request(  # noqa: S310 - loopback http only
                    base + reverse("notifications:preferences"),
                    headers={"Cookie": f"sessionid={session}"},
                ),
                timeout=10,
            ).read()
            token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
            assert token, "no CSRF token on the preferences page"
            csrf = next(c.value for c in jar if c.name == "csrftoken")
            request = urllib.request.Request(  # noqa: S310 - loopback http only
                base + reverse("notifications:send_test"),
                data=urllib.parse.urlencode({"csrfmiddlewaretoken": token.group(1)}).encode(),
                headers={
                    "Cookie": f"sessionid={session}; csrftoken={csrf}",
                    "Referer": base + "/",
                },
                method="POST",
            )

            class NoRedirect(urllib.request.HTTPRedirectHandler):
                def redirect_request(self, *args: Any, **kwargs: Any) -> None:
                    return None

            try:
                urllib.request.build_opener(NoRedirect).open(request, timeout=10)  # noqa: S310
            except urllib.error.HTTPError as exc:
                assert exc.code == 302, exc.code
            message = json.loads(ws.recv(timeout=10))
            stored = Notification.objects.get(recipient=user, kind="notifications.test")
            assert message == {"type": "notification", "notification": stored.payload()}
    finally:
        for proc in servers:
            proc.terminate()
        for proc in servers:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_beat_schedules_the_tick_the_outbox_and_the_0800_digest(settings: Any) -> None:
    from celery.schedules import crontab

    from ftu.celery import app

    schedule = settings.CELERY_BEAT_SCHEDULE
    tasks = {entry["task"]: entry["schedule"] for entry in schedule.values()}
    assert tasks["ftu.tick"] == 60.0
    assert tasks["notifications.process_outbox"] == 60.0
    assert tasks["notifications.send_digests"] == crontab(hour=8, minute=0)
    assert settings.CELERY_TIMEZONE == "Asia/Kolkata"
    app.loader.import_default_modules()
    assert {"ftu.tick", "notifications.process_outbox", "notifications.send_digests"} <= set(
        app.tasks
    )


@pytest.mark.django_db
def test_tick_task_runs_every_registered_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    from ftu import scheduling
    from notifications import tasks

    seen = []
    monkeypatch.setitem(scheduling.TICK_HANDLERS, "test.handler", seen.append)
    assert tasks.run_tick.delay().get() == []
    assert len(seen) == 1


def test_the_ticker_is_off_in_tests_and_starts_once_when_on(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from notifications import ticker

    assert ticker.start() is False  # tests switch it off
    release = threading.Event()
    monkeypatch.setattr(ticker, "_loop", release.wait)
    monkeypatch.setattr(ticker, "_thread", None)
    monkeypatch.setattr(ticker, "started", False)
    settings.FTU_EMBEDDED_TICK = True
    try:
        assert ticker.start() is True
        assert ticker.start() is False  # idempotent: one thread per process
        assert [t.name for t in threading.enumerate()].count("ftu-ticker") == 1
    finally:
        release.set()
