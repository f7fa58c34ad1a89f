"""The notification socket at ``/ws/notifications/``: a relay, never a writer.

Protocol (JSON text frames, at most ``MAX_FRAME`` bytes; anything else closes the socket):

client → server
  ``{"type": "hello", "last_id": N}``  once, after opening: N is the last notification id the
  page has seen.  The server replays every stored row with id > N, oldest first (``null``:
  no baseline, nothing replayed — the inbox page shows history), then
  ``{"type": "synced", "last_id": M, "unread": U, "truncated": bool}``, then streams live
  ones.
  ``{"type": "ping"}``  keep-alive; answered with ``{"type": "pong"}``.  At most once a
  minute a ping also re-checks that the session and the account are still valid.

server → client
  ``{"type": "notification", "notification": {id, kind, urgency, title, link}}``

Close codes the client understands (static/js/notifications.js):
  4401  not logged in, or the session ended          → stop; the page shows "log in again"
  4403  account deactivated / no active membership   → stop
  4400  malformed message (a client bug)              → reconnect with backoff
  1009  message too big                               → reconnect with backoff

The channel layer is only a doorbell (at-most-once): the rows in the database are the
queue, so whatever the layer drops, the next ``hello`` replays.

A socket has no channel-layer channel of its own: live events reach it through its
process's hub (``notifications.fanout``: one subscription per process, one layer message
per ``notify()``), which calls :meth:`NotificationConsumer.deliver` and
:meth:`NotificationConsumer.revoke`.
"""

from __future__ import annotations

import collections
import json
import logging
import time
from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from ftu import metrics
from notifications import fanout

logger = logging.getLogger(__name__)

MAX_FRAME = 64 * 1024
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_MALFORMED = 4400
CLOSE_TOO_BIG = 1009
# Live events buffered while the replay runs (or before hello); beyond this the replay
# query catches up instead.
MAX_PENDING = 1000
# Ids already sent on this socket, remembered to drop a repeat (replay and live overlap, a
# retried push).  A set, not "anything at or below the highest id sent": two transactions
# may commit out of id order, and the lower id must still go out when it comes.
SENT_MEMORY = 5000


@database_sync_to_async
def _may_connect(user: Any) -> bool:
    from ftu.middleware import mfa_enrolment_pending
    from ftu.policy import Cap, can

    # Someone who must still enrol an authenticator reaches only the enrolment pages over
    # HTTP; the socket is held to the same rule.
    return bool(user.is_active and can(user, Cap.USE_HUB) and not mfa_enrolment_pending(user))


@database_sync_to_async
def _replay(user: Any, after_id: int | None) -> tuple[list[dict[str, Any]], int, int, bool]:
    from notifications import selectors

    if after_id is None:
        return [], selectors.latest_id(user), selectors.unread_count(user), False
    limit = settings.FTU_NOTIFY_REPLAY_MAX
    rows = selectors.notifications_after(user, after_id, limit=limit)
    last = rows[-1].id if rows else max(after_id, selectors.latest_id(user))
    return [n.payload() for n in rows], last, selectors.unread_count(user), len(rows) >= limit


@database_sync_to_async
def _still_valid(user_id: int, session_key: str | None) -> bool:
    """The session still exists, belongs to this person, within its limits; person active."""
    from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.base import SessionBase
    from django.utils.module_loading import import_string

    if not session_key:
        return False
    store: SessionBase = import_string(f"{settings.SESSION_ENGINE}.SessionStore")(session_key)
    data = store.load()
    if not data or str(data.get(SESSION_KEY)) != str(user_id):
        return False
    now = int(time.time())
    if now - int(data.get("ftu_started", now)) > settings.SESSION_COOKIE_AGE:
        return False
    if now - int(data.get("ftu_seen", now)) > settings.SESSION_IDLE_TIMEOUT:
        return False
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    return bool(data.get(HASH_SESSION_KEY)) and data[HASH_SESSION_KEY] == (
        user.get_session_auth_hash()
    )


class NotificationConsumer(AsyncWebsocketConsumer):
    # Whether this socket is counted in the open-connections gauge (decremented once).
    counted = False
    # Whether this socket is in its process's hub (removed once).
    registered = False
    user_id: int | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        # Channels would give the socket a channel-layer channel of its own (a Redis
        # SUBSCRIBE per socket) and a receive loop on it; live events come through the
        # process's hub instead (notifications.fanout), so only the browser is read here.
        self.scope = scope
        self.channel_layer = None
        self.base_send = send
        try:
            while True:
                await self.dispatch(await receive())
        except StopConsumer:
            pass
        finally:
            # Also when the server cancels the connection without a disconnect message.
            self._forget()

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels >= 4.2 runs ``aclose_old_connections`` (a hop to the shared sync thread)
        # before EVERY handler (PERFORMANCE.md, lever 1).  No handler here touches the ORM
        # directly: every read goes through ``database_sync_to_async``, which closes old
        # connections itself before and after, so skipping the hop is safe.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self) -> None:
        self.user = self.scope.get("user")
        self.user_id = None
        self.synced = False
        self.last_sent = 0
        self.sent: set[int] = set()
        self.sent_order: collections.deque[int] = collections.deque()
        self.pending: list[dict[str, Any]] = []
        self.overflowed = False
        self.checked_at = time.monotonic()
        # Accept first, then close with a code: a refused handshake reaches the browser as
        # 1006 with no reason, and the client could not tell "log in" from "network down".
        await self.accept()
        if self.user is None or not self.user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if not await _may_connect(self.user):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.user_id = self.user.pk
        # Registered (and the process subscribed) before ``hello`` can be handled, so
        # every row committed after the replay's read arrives live.
        self.registered = True
        self.hub = fanout.hub()
        await self.hub.add(self)
        self.counted = True
        metrics.websocket_connected()

    def _unregister(self) -> None:
        if self.registered:
            self.registered = False
            self.hub.remove(self)

    def _forget(self) -> None:
        self._unregister()
        self.pending = []
        if self.counted:
            self.counted = False
            metrics.websocket_disconnected()

    async def disconnect(self, code: int) -> None:
        self._forget()

    # --- from the browser ------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.user_id is None:
            return
        if text_data is None:
            await self.close(code=CLOSE_MALFORMED)
            return
        if len(text_data) > MAX_FRAME or len(text_data.encode()) > MAX_FRAME:
            await self.close(code=CLOSE_TOO_BIG)
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self.close(code=CLOSE_MALFORMED)
            return
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "hello" and not self.synced:
            last_id = content.get("last_id")
            if last_id is not None and (
                isinstance(last_id, bool) or not isinstance(last_id, int) or last_id < 0
            ):
                await self.close(code=CLOSE_MALFORMED)
                return
            await self._hello(last_id)
        elif kind == "ping" and len(content) == 1:
            await self._ping()
        else:
            await self.close(code=CLOSE_MALFORMED)

    async def _hello(self, last_id: int | None) -> None:
        if last_id is None:  # no baseline: start from now
            rows, last, unread, truncated = await _replay(self.user, None)
            last_id = last
        else:
            rows, last, unread, truncated = await _replay(self.user, last_id)
        self.last_sent = last_id
        for payload in rows:
            await self._send_notification(payload)
        self.last_sent = max(self.last_sent, last)
        # The hub keeps buffering into ``pending`` while this runs (every ``await`` lets it
        # deliver): drain until nothing is left, then switch to live delivery with no
        # ``await`` in between, so no event falls between the buffer and the stream.
        while self.pending or self.overflowed:
            if self.overflowed:
                # Live events were dropped while buffering: read them from the database.
                self.overflowed = False
                self.pending = []
                more, last, unread, truncated = await _replay(self.user, self.last_sent)
                for payload in more:
                    await self._send_notification(payload)
                continue
            pending, self.pending = self.pending, []
            for payload in pending:
                await self._send_notification(payload)
        self.synced = True
        await self.send(
            text_data=json.dumps(
                {
                    "type": "synced",
                    "last_id": self.last_sent,
                    "unread": unread,
                    "truncated": truncated,
                }
            )
        )

    async def _ping(self) -> None:
        now = time.monotonic()
        if now - self.checked_at >= settings.FTU_SOCKET_RECHECK_SECONDS:
            self.checked_at = now
            session = self.scope.get("session")
            key = getattr(session, "session_key", None)
            if not await _still_valid(self.user_id, key):
                await self.close(code=CLOSE_UNAUTHENTICATED)
                return
        await self.send(text_data='{"type":"pong"}')

    async def _send_notification(self, payload: dict[str, Any]) -> None:
        pid = payload["id"]
        if pid in self.sent:
            return  # already delivered (replay and live overlap, a retried push)
        self.sent.add(pid)
        self.sent_order.append(pid)
        if len(self.sent_order) > SENT_MEMORY:
            self.sent.discard(self.sent_order.popleft())
        self.last_sent = max(self.last_sent, pid)
        await self.base_send(
            {
                "type": "websocket.send",
                "text": json.dumps({"type": "notification", "notification": payload}),
            }
        )

    # --- from the process's hub (notifications.fanout) --------------------------------------

    async def deliver(self, payload: dict[str, Any]) -> None:
        """A live notification for this person (the hub calls it in id order)."""
        if not self.synced:
            if len(self.pending) < MAX_PENDING:
                self.pending.append(payload)
            else:
                self.overflowed = True
            return
        await self._send_notification(payload)

    async def revoke(self) -> None:
        """The account or membership was revoked: close at once."""
        await self.close(code=CLOSE_FORBIDDEN)

    async def close(self, code: int | None = None, reason: str | None = None) -> None:
        # A socket being closed receives nothing more from the hub.
        self._unregister()
        await super().close(code=code, reason=reason)
