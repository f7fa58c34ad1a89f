"""Reads of notifications, always scoped to the viewer (``Notification.objects.visible_to``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Max

from notifications.models import Notification, OutboxMessage, OutboxState


def notifications_visible_to(user: Any) -> Any:
    """The person's own notifications, newest first."""
    return Notification.objects.visible_to(user).order_by("-id")


def unread_count(user: Any) -> int:
    return Notification.objects.visible_to(user).unread().count()


def latest_id(user: Any) -> int:
    return Notification.objects.visible_to(user).aggregate(m=Max("id"))["m"] or 0


def notifications_after(user: Any, after_id: int, *, limit: int | None = None) -> list:
    """Rows a (re)connecting client missed: id > ``after_id``, oldest first, at most ``limit``.

    Served by the (recipient, id) index.  Ids increase, so "everything after the last id the
    client saw" is exactly what it missed, whatever happened to the channel layer meanwhile.
    """
    limit = limit or settings.FTU_NOTIFY_REPLAY_MAX
    return list(
        Notification.objects.visible_to(user)
        .filter(id__gt=after_id)
        .order_by("id")
        .only("id", "kind", "urgency", "title", "url")[:limit]
    )


def outbox_for_convenor() -> Any:
    """Failed and retrying deliveries, for the convenor's page (who, what, why — no content)."""
    return (
        OutboxMessage.objects.exclude(state=OutboxState.SENT)
        .filter(attempts__gt=0)
        .select_related("recipient")
        .order_by("-id")
    )
