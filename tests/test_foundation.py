"""The runnable foundation: settings, health, security headers, languages, websockets."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "FTU_ENV": "production",
    "DATABASE_URL": "postgres://ftu:secret@127.0.0.1:5432/ftu",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "ftu.example.org",
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "EMAIL_URL": "smtp+tls://user:pass@smtp.example.org:587",
}


def _run_django(env_overrides: dict[str, str | None], *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))}
    env.pop("FTU_ENV", None)
    for key, value in env_overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "missing",
    [
        "DATABASE_URL",
        "REDIS_URL",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "FIELD_ENCRYPTION_KEYS",
        "EMAIL_URL",
    ],
)
def test_production_refuses_to_start_without_each_required_variable(missing: str) -> None:
    result = _run_django({**PRODUCTION_ENV, missing: None}, "check")
    assert result.returncode != 0
    assert missing in result.stderr


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        ("DATABASE_URL", "sqlite:///tmp/x.sqlite3"),
        ("REDIS_URL", "http://127.0.0.1:6379"),
        ("FIELD_ENCRYPTION_KEYS", "not-a-key"),
        ("SECRET_KEY", "short"),
        ("ALLOWED_HOSTS", "*"),
    ],
)
def test_production_refuses_a_malformed_variable_naming_it(name: str, bad: str) -> None:
    result = _run_django({**PRODUCTION_ENV, name: bad}, "check")
    assert result.returncode != 0
    assert name in result.stderr


def test_production_refuses_the_demo_mfa_skip() -> None:
    result = _run_django({**PRODUCTION_ENV, "FTU_DEMO_SKIP_MFA": "true"}, "check")
    assert result.returncode != 0
    assert "FTU_DEMO_SKIP_MFA" in result.stderr


def test_check_deploy_is_clean_under_production_settings() -> None:
    result = _run_django(PRODUCTION_ENV, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr + result.stdout


def test_healthz_answers(client: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_ok_when_everything_is_up(client: Any) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.content


@pytest.mark.django_db
def test_readyz_names_the_channel_layer_when_it_is_down(client: Any, monkeypatch: Any) -> None:
    from ftu import health

    def broken() -> None:
        raise ConnectionError("redis down")

    monkeypatch.setitem(health.CHECKS, "channel_layer", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["down"] == ["channel_layer"]


@pytest.mark.django_db
def test_readyz_names_the_database_when_it_is_down(client: Any, monkeypatch: Any) -> None:
    from django.db import connection
    from django.db.utils import OperationalError

    from ftu import health

    class BrokenCursor:
        def __enter__(self) -> Any:
            raise OperationalError("database unreachable")

        def __exit__(self, *exc: Any) -> None:
            return None

    monkeypatch.setattr(connection, "cursor", lambda: BrokenCursor())
    response = health.readyz(type("R", (), {"method": "GET", "META": {}})())
    assert response.status_code == 503
    assert b"database" in response.content


async def test_websocket_from_a_foreign_origin_is_refused() -> None:
    from ftu.asgi import application

    communicator = WebsocketCommunicator(
        application, "/ws/notifications/", headers=[(b"origin", b"https://evil.example")]
    )
    connected, _ = await communicator.connect()
    assert not connected
    await communicator.disconnect()


async def test_websocket_without_origin_is_refused() -> None:
    from ftu.asgi import application

    communicator = WebsocketCommunicator(application, "/ws/notifications/")
    connected, _ = await communicator.connect()
    assert not connected
    await communicator.disconnect()


def test_login_page_renders_in_english_and_hindi(client: Any, db: Any) -> None:
    english = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 200
    assert b'lang="en"' in english.content
    assert b"Skip to main content" in english.content
    hindi = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="hi")
    assert hindi.status_code == 200
    assert b'lang="hi"' in hindi.content
    assert "मुख्य सामग्री पर जाएँ".encode() in hindi.content
    assert "लॉग इन करें".encode() in hindi.content
    # allauth ships no Hindi: the strings of its own pages come from locale_vendor/.
    reset = client.get("/accounts/password/reset/", HTTP_ACCEPT_LANGUAGE="hi")
    assert "पासवर्ड रीसेट".encode() in reset.content


@pytest.mark.django_db
def test_security_headers_on_pages(client: Any) -> None:
    response = client.get("/accounts/login/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "object-src 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Request-ID"]


def test_authenticated_pages_are_not_stored(personas: dict[str, Any], login: Any) -> None:
    client = login(personas["convenor"])
    for url in ["/", "/partners/", "/partners/me/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url
        assert "private" in response["Cache-Control"], url


def test_not_found_page_is_friendly_in_both_languages(client: Any, db: Any, settings: Any) -> None:
    settings.DEBUG = False
    english = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 404
    assert b"There is nothing here that you can open" in english.content
    hindi = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="hi")
    assert hindi.status_code == 404
    assert 'lang="hi"' in hindi.content.decode()


def test_server_error_page_reveals_nothing(rf: Any) -> None:
    from ftu.views import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert b"Something went wrong" in response.content
    assert b"Traceback" not in response.content
