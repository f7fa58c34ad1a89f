"""Per-process fan-out: one channel-layer subscription per server process, local delivery.

Stock Channels gives every socket its own channel-layer channel (a Redis SUBSCRIBE each),
its own receive loop and one layer message per recipient: a notification to 1000 people is
1000 PUBLISHes, 1000 messages parsed by the layer's reader, 1000 queue hand-overs and 1000
consumer wake-ups, ~0.3 ms of CPU per delivery (bench/README.md).  Here instead:

* the publisher sends ONE layer message per ``notify()`` call (``notify.batch``: the
  ``[user id, payload]`` pairs of every recipient, in id order; chunked at ``BATCH_MAX``);
* every server process (every event loop that serves sockets) keeps ONE :class:`Hub`: one
  channel in the group ``FANOUT_GROUP`` (one SUBSCRIBE on Redis), a registry of its open
  sockets by person, and one task that receives the batches and writes each payload
  straight to that person's local sockets.  A process without sockets for a person skips
  it; a process without sockets at all is not subscribed.

The channel layer stays the only transport, so everything that holds for it still does:
Redis pub/sub between processes (the two-process test), the in-memory layer in the
embedded default and in tests, the allow-list spy on every message, at-most-once (the rows
are the queue: a lost batch is replayed by the next ``hello``), and a failing layer never
fails the write that caused the notification.

Writes are awaited one after the other, in batch order: per socket that is the order of
the ids, and the consumer drops an id it already sent (replay overlap, a retried push),
never a lower id that committed late.  uvicorn's ``websockets-sansio`` protocol
(deploy/systemd/ftu-ws.service) writes a frame without waiting for the peer, so one slow
phone cannot hold up the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any, Protocol

from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

# The one group every server process's hub listens on.
FANOUT_GROUP = "notifications.fanout"
# At most this many recipients per layer message (a notify() to more sends several, in order).
BATCH_MAX = 2000
# The in-memory layer forgets group members after a day; the hub renews its membership.
RENEW_SECONDS = 300.0


class Socket(Protocol):
    """What the hub needs from a consumer (``notifications.consumers.NotificationConsumer``)."""

    user_id: int | None

    async def deliver(self, payload: dict[str, Any]) -> None: ...

    async def revoke(self) -> None: ...


def batch_messages(payloads: Iterable[tuple[int, dict[str, Any]]]) -> list[dict[str, Any]]:
    """The layer messages for ``(recipient id, payload)`` pairs: ``notify.batch`` chunks."""
    pairs = [[int(user_id), payload] for user_id, payload in payloads]
    return [
        {"type": "notify.batch", "notifications": pairs[i : i + BATCH_MAX]}
        for i in range(0, len(pairs), BATCH_MAX)
    ]


async def publish(layer: Any, payloads: list[tuple[int, dict[str, Any]]]) -> None:
    """Send the payloads to every server process: one ``group_send`` per ``BATCH_MAX``."""
    for message in batch_messages(payloads):
        await layer.group_send(FANOUT_GROUP, message)


async def revoke(layer: Any, user_id: int) -> None:
    """Close every open socket of this person, in every process."""
    await layer.group_send(FANOUT_GROUP, {"type": "account.revoked", "user": int(user_id)})


class Hub:
    """The sockets of one event loop (one server process) and its one layer subscription."""

    def __init__(self) -> None:
        self.sockets: dict[int, set[Socket]] = {}
        self.layer: Any = None
        self.channel: str | None = None
        self.task: asyncio.Task | None = None
        self.lock = asyncio.Lock()
        self.stopper: asyncio.Task | None = None

    def __len__(self) -> int:
        return sum(len(s) for s in self.sockets.values())

    # --- registration (from the consumers) ----------------------------------------------

    async def add(self, socket: Socket) -> None:
        """Register an authenticated socket; returns once this process is subscribed, so
        that everything committed after the caller's replay reaches the socket."""
        if socket.user_id is None:
            raise ValueError("only an authenticated socket joins the hub")
        self.sockets.setdefault(socket.user_id, set()).add(socket)
        await self._ensure_running()

    def remove(self, socket: Socket) -> None:
        """Forget a socket (idempotent).  The last one out ends the subscription."""
        user_id = getattr(socket, "user_id", None)
        mine = self.sockets.get(user_id) if user_id is not None else None
        if mine is None or socket not in mine:
            return
        mine.discard(socket)
        if not mine:
            del self.sockets[user_id]
        if not self.sockets and self.task is not None and self.stopper is None:
            self.stopper = asyncio.ensure_future(self._stop_if_idle())

    # --- the subscription ---------------------------------------------------------------

    async def _ensure_running(self) -> None:
        async with self.lock:
            if self.task is not None and not self.task.done():
                return
            layer = get_channel_layer()
            if layer is None:
                return  # no layer at all: clients poll and replay
            channel = await layer.new_channel()
            await layer.group_add(FANOUT_GROUP, channel)
            self.layer, self.channel = layer, channel
            self.task = asyncio.ensure_future(self._run(layer, channel))

    async def _stop_if_idle(self) -> None:
        try:
            async with self.lock:
                if self.sockets or self.task is None:
                    return
                task, layer, channel = self.task, self.layer, self.channel
                self.task = self.layer = self.channel = None
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    pass
                try:
                    await layer.group_discard(FANOUT_GROUP, channel)
                except Exception:  # noqa: BLE001 - layer down: nothing left to undo
                    logger.warning("notification fan-out: leaving the group failed")
        finally:
            self.stopper = None

    async def _run(self, layer: Any, channel: str) -> None:
        renew_at = asyncio.get_running_loop().time() + RENEW_SECONDS
        while True:
            # Wake at least every RENEW_SECONDS, message or not: the in-memory layer forgets
            # group members after a day, and a quiet day must not end live delivery.
            timeout = max(renew_at - asyncio.get_running_loop().time(), 0.0)
            try:
                message = await asyncio.wait_for(layer.receive(channel), timeout)
            except asyncio.CancelledError:
                raise
            except TimeoutError:
                message = None
            except Exception:  # noqa: BLE001 - the layer reconnects; clients replay the gap
                logger.warning("notification fan-out: receive failed; retrying")
                await asyncio.sleep(1)
                continue
            if message is not None:
                try:
                    await self.dispatch(message)
                except Exception:  # noqa: BLE001 - one bad message must not end delivery
                    logger.exception("notification fan-out: a message could not be dispatched")
            now = asyncio.get_running_loop().time()
            if now >= renew_at:
                renew_at = now + RENEW_SECONDS
                try:
                    await layer.group_add(FANOUT_GROUP, channel)
                except Exception:  # noqa: BLE001
                    logger.warning("notification fan-out: renewing the group failed")

    # --- delivery -------------------------------------------------------------------------

    async def dispatch(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "notify.batch":
            sockets = self.sockets
            for user_id, payload in message["notifications"]:
                mine = sockets.get(user_id)
                if not mine:
                    continue
                for socket in tuple(mine):
                    try:
                        await socket.deliver(payload)
                    except Exception:  # noqa: BLE001 - a socket that went away mid-write
                        logger.debug("notification fan-out: write failed", exc_info=True)
                        self.remove(socket)
        elif kind == "account.revoked":
            for socket in tuple(self.sockets.get(message["user"], ())):
                self.remove(socket)
                try:
                    await socket.revoke()
                except Exception:  # noqa: BLE001
                    logger.debug("notification fan-out: close failed", exc_info=True)


_hubs: dict[asyncio.AbstractEventLoop, Hub] = {}


def hub() -> Hub:
    """This event loop's hub (a server process has one loop; tests have one per test)."""
    loop = asyncio.get_running_loop()
    found = _hubs.get(loop)
    if found is None:
        for old in [lp for lp in _hubs if lp.is_closed()]:
            del _hubs[old]
        found = _hubs[loop] = Hub()
    return found
