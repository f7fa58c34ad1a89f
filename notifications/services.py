"""Writing notifications: stored in the caller's transaction, pushed after it commits.

Other apps call :func:`notify` at the end of their services (via their own ``notify_*``
helpers).  The rows are the queue; the push is only a doorbell and may be lost.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from notifications.groups import user_group
from notifications.kinds import get_kind
from notifications.models import Notification, Urgency

logger = logging.getLogger(__name__)


def notify(
    *,
    recipients: Iterable[Any],
    kind: str,
    title: str,
    url: str,
    text: str = "",
    urgency: str | None = None,
    actor: Any = None,
) -> list[Notification]:
    """Store one notification per recipient (the actor and inactive people left out).

    Must be called inside the transaction of the change it reports; the push to open
    browsers happens only after that transaction commits, and never if it rolls back.
    """
    spec = get_kind(kind)
    level = urgency or (Urgency.URGENT if spec.urgent else Urgency.NORMAL)
    seen: set[int] = set()
    rows = []
    for person in recipients:
        if person is None or not person.is_active or person.pk in seen:
            continue
        if actor is not None and person.pk == actor.pk:
            continue
        seen.add(person.pk)
        rows.append(
            Notification(
                recipient=person,
                kind=kind,
                urgency=level,
                title=title[:200],
                text=text[:500],
                url=url,
            )
        )
    if not rows:
        return []
    created = Notification.objects.bulk_create(rows)
    if any(n.pk is None for n in created):  # backends without RETURNING
        created = list(
            Notification.objects.filter(recipient_id__in=seen, kind=kind).order_by("-id")[
                : len(rows)
            ]
        )
    payloads = [(n.recipient_id, n.payload()) for n in created]
    transaction.on_commit(lambda: push(payloads))
    from notifications import delivery

    delivery.enqueue_external(created)
    return created


def push(payloads: list[tuple[int, dict[str, Any]]]) -> None:
    """Ring each recipient's doorbell.  A failure loses nothing: the rows are stored."""
    layer = get_channel_layer()
    if layer is None:
        return
    send = async_to_sync(layer.group_send)
    for recipient_id, payload in payloads:
        try:
            send(user_group(recipient_id), {"type": "notify", "notification": payload})
        except Exception:  # noqa: BLE001 - Redis down must never fail the caller
            logger.warning("notification push failed; clients will catch up on reconnect")


def revoke_sockets(user_id: int) -> None:
    """Close every open socket of a person (deactivated, membership ended, logged out).

    Call it inside the transaction that revokes access: it sends after commit.
    """

    def _send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            async_to_sync(layer.group_send)(user_group(user_id), {"type": "account.revoked"})
        except Exception:  # noqa: BLE001
            logger.warning("socket revocation push failed")

    transaction.on_commit(_send)
