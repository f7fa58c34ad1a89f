from __future__ import annotations

from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client

from notifications import sms
from notifications.kinds import KINDS, register_kind


@pytest.fixture(autouse=True)
def _kinds() -> Any:
    """Kinds of the shape other apps register (normal and urgent), for these tests only."""
    before = dict(KINDS)
    register_kind("referral.received", "Referral received", urgent=True, group="referral")
    register_kind("referral.accepted", "Referral accepted", group="referral")
    yield
    KINDS.clear()
    KINDS.update(before)


@pytest.fixture(autouse=True)
def _sms_outbox(settings: Any) -> Any:
    settings.FTU_SMS_BACKEND = "notifications.sms.LocmemBackend"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


def session_cookie(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def communicator(
    user: Any = None, *, origin: bytes = b"http://testserver", session_key: str | None = None
) -> WebsocketCommunicator:
    from ftu.asgi import application

    headers = [(b"origin", origin), (b"host", b"testserver")]
    key = session_key or (session_cookie(user) if user is not None else None)
    if key:
        headers.append((b"cookie", f"sessionid={key}".encode()))
    return WebsocketCommunicator(application, "/ws/notifications/", headers=headers)
