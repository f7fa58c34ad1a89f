"""The notification socket: who may connect, replay after a gap, live events, limits."""

from __future__ import annotations

import collections
import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import transaction

from notifications import fanout
from notifications.models import Notification
from notifications.services import notify, revoke_sockets
from tests.notifications.conftest import communicator, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
async def _close_sync_thread_connections() -> Any:
    """The consumers read through the shared sync thread: close its connection afterwards,
    or the next test without database access trips over it in ``close_old_connections``."""
    yield
    from django.db import connections

    def forget() -> None:
        for alias in connections:
            if hasattr(connections._connections, alias):
                getattr(connections._connections, alias).close()
                delattr(connections._connections, alias)

    await sync_to_async(forget)()


@sync_to_async
def _cookie(user: Any) -> str:
    return session_cookie(user)


@sync_to_async
def _notify(recipients: list[Any], n: int = 1, **kw: Any) -> list[int]:
    ids = []
    for i in range(n):
        with transaction.atomic():
            rows = notify(
                recipients=recipients,
                kind=kw.get("kind", "referral.accepted"),
                title=f"FTU-2026-{i:04d} accepted",
                url="/cases/",
            )
        ids += [r.id for r in rows]
    return ids


async def _open(user: Any, last_id: int | None = 0) -> Any:
    comm = communicator(session_key=await _cookie(user))
    connected, _ = await comm.connect()
    assert connected
    await comm.send_to(text_data=json.dumps({"type": "hello", "last_id": last_id}))
    return comm


async def _until_synced(comm: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    received = []
    while True:
        msg = json.loads(await comm.receive_from(timeout=5))
        if msg["type"] == "synced":
            return received, msg
        assert msg["type"] == "notification"
        received.append(msg["notification"])


async def test_anonymous_socket_is_closed_with_4401() -> None:
    comm = communicator()
    connected, _ = await comm.connect()
    assert connected
    assert (await comm.receive_output(timeout=2)) == {"type": "websocket.close", "code": 4401}


async def test_foreign_origin_is_refused(personas: dict[str, Any]) -> None:
    comm = communicator(
        session_key=await _cookie(personas["ngo_coordinator"]), origin=b"https://evil.example"
    )
    connected, _ = await comm.connect()
    assert not connected


async def test_deactivated_person_is_refused(personas: dict[str, Any]) -> None:
    # The deactivated persona's session no longer authenticates: 4401 (log in again).
    comm = communicator(session_key=await _cookie(personas["deactivated"]))
    connected, _ = await comm.connect()
    assert connected
    output = await comm.receive_output(timeout=2)
    assert output["type"] == "websocket.close" and output["code"] in (4401, 4403)


async def test_person_without_active_membership_is_closed_with_4403(
    personas: dict[str, Any],
) -> None:
    user = personas["ngo_counsellor"]
    await sync_to_async(lambda: user.memberships.update(is_active=False))()
    comm = communicator(session_key=await _cookie(user))
    await comm.connect()
    assert (await comm.receive_output(timeout=2)) == {"type": "websocket.close", "code": 4403}


async def test_person_who_must_still_enrol_mfa_is_closed_with_4403(
    personas: dict[str, Any],
) -> None:
    from allauth.mfa.models import Authenticator

    user = personas["ngo_counsellor"]
    await sync_to_async(lambda: Authenticator.objects.filter(user=user).delete())()
    comm = communicator(session_key=await _cookie(user))
    await comm.connect()
    assert (await comm.receive_output(timeout=2)) == {"type": "websocket.close", "code": 4403}


async def test_replay_after_a_gap_returns_exactly_the_missed_rows_in_order(
    personas: dict[str, Any],
) -> None:
    user = personas["ngo_coordinator"]
    first = await _notify([user], 1)
    comm = await _open(user, last_id=0)
    received, synced = await _until_synced(comm)
    assert [n["id"] for n in received] == first
    await comm.disconnect()

    missed = await _notify([user], 100)
    # The doorbells rang into the void; simulate Redis losing everything as well.
    await get_channel_layer().flush()

    comm = await _open(user, last_id=synced["last_id"])
    received, synced = await _until_synced(comm)
    ids = [n["id"] for n in received]
    assert ids == missed
    assert len(set(ids)) == 100
    assert synced["last_id"] == missed[-1]
    assert synced["unread"] == 101
    assert set(received[0]) == {"id", "kind", "urgency", "title", "link"}
    assert await comm.receive_nothing(timeout=0.2)
    await comm.disconnect()


async def test_live_notifications_stream_after_sync_without_duplicates(
    personas: dict[str, Any],
) -> None:
    user, other = personas["ngo_coordinator"], personas["cwc_member"]
    comm = await _open(user, last_id=None)
    assert (await _until_synced(comm))[0] == []
    [nid] = await _notify([user], 1)
    msg = json.loads(await comm.receive_from(timeout=5))
    assert msg == {
        "type": "notification",
        "notification": {
            "id": nid,
            "kind": "referral.accepted",
            "urgency": "normal",
            "title": "FTU-2026-0000 accepted",
            "link": "/cases/",
        },
    }
    # Someone else's notification never reaches this socket.
    await _notify([other], 1)
    # The same doorbell rung twice (a retried push) is delivered once.
    row = await sync_to_async(Notification.objects.get)(pk=nid)
    await fanout.publish(get_channel_layer(), [(user.pk, row.payload())])
    assert await comm.receive_nothing(timeout=0.3)
    await comm.disconnect()


async def test_events_during_replay_are_not_lost_or_doubled(personas: dict[str, Any]) -> None:
    user = personas["ngo_coordinator"]
    comm = communicator(session_key=await _cookie(user))
    await comm.connect()
    # Live events arrive before the client said hello: buffered, then merged with the replay.
    ids = await _notify([user], 3)
    await comm.send_to(text_data=json.dumps({"type": "hello", "last_id": 0}))
    received, synced = await _until_synced(comm)
    assert [n["id"] for n in received] == ids
    assert await comm.receive_nothing(timeout=0.2)
    await comm.disconnect()


async def test_ping_is_answered_with_pong(personas: dict[str, Any]) -> None:
    comm = await _open(personas["ngo_coordinator"])
    await _until_synced(comm)
    await comm.send_to(text_data='{"type":"ping"}')
    assert json.loads(await comm.receive_from(timeout=2)) == {"type": "pong"}
    await comm.disconnect()


async def test_ended_session_closes_the_socket_on_ping(
    personas: dict[str, Any], settings: Any
) -> None:
    from django.contrib.sessions.backends.cached_db import SessionStore

    settings.FTU_SOCKET_RECHECK_SECONDS = 0
    user = personas["ngo_coordinator"]
    key = await _cookie(user)
    comm = communicator(session_key=key)
    await comm.connect()
    await comm.send_to(text_data='{"type":"hello","last_id":0}')
    await _until_synced(comm)
    await sync_to_async(lambda: SessionStore(key).delete())()
    await comm.send_to(text_data='{"type":"ping"}')
    assert (await comm.receive_output(timeout=2)) == {"type": "websocket.close", "code": 4401}


async def test_idle_session_closes_the_socket_on_ping(
    personas: dict[str, Any], settings: Any
) -> None:
    from django.contrib.sessions.backends.cached_db import SessionStore

    settings.FTU_SOCKET_RECHECK_SECONDS = 0
    key = await _cookie(personas["ngo_coordinator"])

    def age() -> None:
        store = SessionStore(key)
        store["ftu_seen"] = 1  # long ago
        store.save()

    await sync_to_async(age)()
    comm = communicator(session_key=key)
    await comm.connect()
    await comm.send_to(text_data='{"type":"ping"}')
    assert (await comm.receive_output(timeout=2)) == {"type": "websocket.close", "code": 4401}


async def test_revoked_account_closes_its_open_socket_with_4403(
    personas: dict[str, Any],
) -> None:
    user = personas["ngo_counsellor"]
    comm = await _open(user)
    await _until_synced(comm)

    def deactivate() -> None:
        with transaction.atomic():
            type(user).objects.filter(pk=user.pk).update(is_active=False)
            revoke_sockets(user.pk)

    await sync_to_async(deactivate)()
    assert (await comm.receive_output(timeout=2)) == {"type": "websocket.close", "code": 4403}


@pytest.mark.parametrize(
    "frame",
    [
        "not json",
        "[1, 2]",
        '{"type": "subscribe", "group": "user.1"}',
        '{"type": "hello", "last_id": "1 OR 1=1"}',
        '{"type": "hello", "last_id": -1}',
        '{"type": "ping", "extra": 1}',
    ],
)
async def test_malformed_messages_close_with_4400(personas: dict[str, Any], frame: str) -> None:
    comm = communicator(session_key=await _cookie(personas["ngo_coordinator"]))
    await comm.connect()
    await comm.send_to(text_data=frame)
    assert (await comm.receive_output(timeout=2)) == {"type": "websocket.close", "code": 4400}


async def test_binary_frames_close_with_4400(personas: dict[str, Any]) -> None:
    comm = communicator(session_key=await _cookie(personas["ngo_coordinator"]))
    await comm.connect()
    await comm.send_to(bytes_data=b"\x00\x01")
    assert (await comm.receive_output(timeout=2)) == {"type": "websocket.close", "code": 4400}


async def test_oversized_message_closes_with_1009(personas: dict[str, Any]) -> None:
    comm = communicator(session_key=await _cookie(personas["ngo_coordinator"]))
    await comm.connect()
    big = json.dumps({"type": "hello", "last_id": 0, "pad": "x" * (64 * 1024)})
    await comm.send_to(text_data=big)
    assert (await comm.receive_output(timeout=2)) == {"type": "websocket.close", "code": 1009}


async def test_hello_without_a_baseline_replays_nothing_and_reports_the_latest_id(
    personas: dict[str, Any],
) -> None:
    user = personas["ngo_coordinator"]
    ids = await _notify([user], 2)
    comm = await _open(user, last_id=None)
    received, synced = await _until_synced(comm)
    assert received == []
    assert synced["last_id"] == ids[-1] and synced["unread"] == 2
    await comm.disconnect()


async def test_one_batch_reaches_each_persons_sockets_once_and_nobody_elses(
    personas: dict[str, Any],
) -> None:
    keys = ["ngo_coordinator", "cwc_member", "cwc_chair", "convenor"]
    people = [personas[k] for k in keys]
    laptop = await _open(people[0], last_id=None)
    phone = await _open(people[0], last_id=None)  # a second socket of the same person
    others = [await _open(p, last_id=None) for p in people[1:3]]
    bystander = await _open(personas["ngo_counsellor"], last_id=None)
    for comm in [laptop, phone, *others, bystander]:
        await _until_synced(comm)
    assert len(fanout.hub()) == 5

    ids = await _notify(people, 1)  # one notify() to four people (one without a socket)
    expected = dict(zip([p.pk for p in people], ids, strict=True))
    for comm, person in [
        (laptop, people[0]),
        (phone, people[0]),
        *zip(others, people[1:3], strict=True),
    ]:
        msg = json.loads(await comm.receive_from(timeout=5))
        assert msg["notification"]["id"] == expected[person.pk]
        assert await comm.receive_nothing(timeout=0.1)
    assert await bystander.receive_nothing(timeout=0.2)
    for comm in [laptop, phone, *others, bystander]:
        await comm.disconnect()


async def test_the_hub_leaves_the_group_when_its_last_socket_closes(
    personas: dict[str, Any],
) -> None:
    import asyncio

    layer = get_channel_layer()
    # The in-memory layer keys its groups by name, the Redis pub/sub one (per event loop)
    # by the prefixed Redis channel of the group.
    key = getattr(layer, "_get_group_channel_name", lambda group: group)(fanout.FANOUT_GROUP)
    comm = await _open(personas["ngo_coordinator"], last_id=None)
    await _until_synced(comm)
    hub = fanout.hub()
    assert hub.channel in layer.groups[key]
    await comm.disconnect()
    for _ in range(100):
        if hub.task is None and hub.stopper is None:
            break
        await asyncio.sleep(0.02)
    assert hub.task is None and len(hub) == 0
    assert not layer.groups.get(key)


async def test_events_the_hub_delivers_while_hello_drains_its_buffer_are_not_lost(
    personas: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hub runs beside the socket's own task: a delivery that lands while ``hello``
    is still writing the buffered events must be written too, after them, once."""
    from notifications import consumers

    def row(i: int) -> dict[str, Any]:
        return {"id": i, "kind": "k", "urgency": "normal", "title": f"FTU-{i}", "link": "/"}

    async def replay(user: Any, after_id: int | None) -> Any:
        return [row(3), row(4)], 4, 0, False

    monkeypatch.setattr(consumers, "_replay", replay)
    consumer = consumers.NotificationConsumer()
    consumer.scope = {}
    consumer.user = personas["ngo_coordinator"]
    consumer.user_id = consumer.user.pk
    consumer.synced, consumer.last_sent, consumer.overflowed = False, 0, False
    consumer.sent, consumer.sent_order = set(), collections.deque()
    consumer.pending = [row(4), row(5)]  # buffered before hello (4 is also replayed)
    frames: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        frames.append(json.loads(message["text"]))
        if frames[-1].get("notification", {}).get("id") == 5:
            await consumer.deliver(row(6))  # the hub, between two writes of the drain

    consumer.base_send = send
    await consumer._hello(0)
    await consumer.deliver(row(7))  # live, after synced
    assert [f["notification"]["id"] for f in frames if f["type"] == "notification"] == [
        3,
        4,
        5,
        6,
        7,
    ]
    assert [f["type"] for f in frames][-2] == "synced"


async def test_an_id_committed_after_a_higher_one_still_goes_out_once(
    personas: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two transactions can commit out of id order: the lower id, pushed second, is new to
    the socket and must be sent; a repeat of any id is not."""
    from notifications import consumers

    def row(i: int) -> dict[str, Any]:
        return {"id": i, "kind": "k", "urgency": "normal", "title": f"FTU-{i}", "link": "/"}

    async def replay(user: Any, after_id: int | None) -> Any:
        return [row(3)], 3, 0, False

    monkeypatch.setattr(consumers, "_replay", replay)
    consumer = consumers.NotificationConsumer()
    consumer.scope = {}
    consumer.user = personas["ngo_coordinator"]
    consumer.user_id = consumer.user.pk
    consumer.synced, consumer.last_sent, consumer.overflowed = False, 0, False
    consumer.sent, consumer.sent_order = set(), collections.deque()
    consumer.pending = []
    frames: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        frames.append(json.loads(message["text"]))

    consumer.base_send = send
    await consumer._hello(2)
    for i in (10, 8, 10, 8, 3):
        await consumer.deliver(row(i))
    sent = [f["notification"]["id"] for f in frames if f["type"] == "notification"]
    assert sent == [3, 10, 8]
