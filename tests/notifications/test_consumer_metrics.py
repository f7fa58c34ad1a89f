"""Issue #10: the websocket tier's open-connections gauge follows the notification sockets."""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from ftu import metrics
from tests.notifications.conftest import communicator, session_cookie
from tests.notifications.test_consumer import _close_sync_thread_connections  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def _open_sockets() -> float:
    return metrics.WEBSOCKET_CONNECTIONS._value.get()


async def test_the_gauge_counts_accepted_sockets_once_each(personas: dict[str, Any]) -> None:
    before = _open_sockets()
    key = await sync_to_async(session_cookie)(personas["ngo_coordinator"])
    first, second = communicator(session_key=key), communicator(session_key=key)
    for comm in (first, second):
        connected, _ = await comm.connect()
        assert connected
        await comm.send_to(text_data=json.dumps({"type": "hello", "last_id": None}))
        assert json.loads(await comm.receive_from(timeout=5))["type"] == "synced"
    assert _open_sockets() == before + 2
    await first.disconnect()
    assert _open_sockets() == before + 1
    await second.disconnect()
    assert _open_sockets() == before


async def test_refused_sockets_are_not_counted(personas: dict[str, Any]) -> None:
    before = _open_sockets()
    anonymous = communicator()
    assert (await anonymous.connect())[0]
    assert (await anonymous.receive_output(timeout=2))["code"] == 4401
    await anonymous.disconnect()
    user = personas["ngo_counsellor"]
    await sync_to_async(lambda: user.memberships.update(is_active=False))()
    forbidden = communicator(session_key=await sync_to_async(session_cookie)(user))
    await forbidden.connect()
    assert (await forbidden.receive_output(timeout=2))["code"] == 4403
    await forbidden.disconnect()
    assert _open_sockets() == before
