"""Writing notifications: stored in the caller's transaction, pushed after it commits.

Other apps call :func:`notify` at the end of their services (via their own ``notify_*``
helpers).  The rows are the queue; the push is only a doorbell and may be lost.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ftu import metrics
from ftu.languages import in_every_language
from notifications import fanout
from notifications.kinds import get_kind
from notifications.models import Notification, Urgency

logger = logging.getLogger(__name__)

#: A title or text: a plain string, a lazy translation, or a function that builds it; the
#: last two are rendered in each recipient's own language.
Text = str | Promise | Callable[[], str]


def translated(message: str | Promise, /, **params: Any) -> Callable[[], str]:
    """A title or text rendered later, in each recipient's language.

    ``translated(gettext_lazy("%(code)s: referral accepted"), code=case.code)``; a parameter
    may be lazy too (a rule's label), or a function rendered at the same time
    (``service=referral.get_service_display``), so it comes out in the same language.
    """

    def value(v: Any) -> Any:
        if isinstance(v, Promise):
            return str(v)
        return v() if callable(v) else v

    def render() -> str:
        if not params:
            return str(message)
        return str(message) % {k: value(v) for k, v in params.items()}

    return render


def _every_language(value: Text, limit: int) -> dict[str, str]:
    """``{language: text}`` for a lazy or built text; nothing for a plain string."""
    if isinstance(value, str):
        return {}
    build = value if callable(value) else (lambda: str(value))
    return {code: text[:limit] for code, text in in_every_language(build).items()}


def _for(person: Any, languages: dict[str, str], plain: Text) -> str:
    """The text in the person's preferred language (the hub's default if not one of ours)."""
    if not languages:
        return str(plain)
    preferred = getattr(person, "preferred_language", "")
    return languages.get(preferred) or languages[settings.LANGUAGE_CODE]


def notify(
    *,
    recipients: Iterable[Any],
    kind: str,
    title: Text,
    url: str,
    text: Text = "",
    urgency: str | None = None,
    actor: Any = None,
) -> list[Notification]:
    """Store one notification per recipient (the actor and inactive people left out).

    ``title`` (and ``text``) may be a lazy string or a function that builds it with
    ``gettext`` (see :func:`translated`): it is then built in every language of the hub and
    stored so; each row's ``title`` is the one in the recipient's preferred language (live
    toast, e-mail, SMS) and the inbox shows the one in the reader's current language.

    Must be called inside the transaction of the change it reports; the push to open
    browsers happens only after that transaction commits, and never if it rolls back.
    """
    titles = _every_language(title, 200)
    texts = _every_language(text, 500)
    spec = get_kind(kind)

    def title_for(person: Any) -> str:
        return _for(person, titles, title)

    def text_for(person: Any) -> str:
        return _for(person, texts, text)

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
                title=title_for(person)[:200],
                titles=titles,
                texts=texts,
                text=text_for(person)[:500],
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
    metrics.notifications_created(kind, len(created))
    payloads = [(n.recipient_id, n.payload()) for n in created]
    stored_at = min((n.created for n in created if n.created), default=None)
    transaction.on_commit(lambda: push(payloads, created_at=stored_at))
    from notifications import delivery

    delivery.enqueue_external(created)
    return created


def push(
    payloads: list[tuple[int, dict[str, Any]]], *, created_at: datetime.datetime | None = None
) -> None:
    """Ring each recipient's doorbell.  A failure loses nothing: the rows are stored.

    ONE channel-layer message for all the recipients (``notifications.fanout``): every
    server process receives it once and writes to the sockets it holds.

    Counted in the metrics (pushed, by outcome; latency from the rows' creation to the
    hand-over to the channel layer, which delivers to open sockets at once).

    One ``async_to_sync`` hop per push: each hop runs a fresh event loop, and the pub/sub
    layer keeps a Redis connection per loop.
    """
    layer = get_channel_layer()
    if layer is None or not payloads:
        return
    try:
        async_to_sync(fanout.publish)(layer, payloads)
    except Exception:  # noqa: BLE001 - Redis down must never fail the caller
        logger.warning("notification push failed; clients will catch up on reconnect")
        metrics.notification_pushed(ok=False, count=len(payloads))
        return
    latency = (timezone.now() - created_at).total_seconds() if created_at else None
    metrics.notification_pushed(ok=True, count=len(payloads))
    if latency is not None:
        metrics.observe_push_latency(latency, count=len(payloads))


def revoke_sockets(user_id: int) -> None:
    """Close every open socket of a person (deactivated, membership ended, logged out).

    Call it inside the transaction that revokes access: it sends after commit.
    """

    def _send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            async_to_sync(fanout.revoke)(layer, user_id)
        except Exception:  # noqa: BLE001
            logger.warning("socket revocation push failed")

    transaction.on_commit(_send)


# --- the inbox ---------------------------------------------------------------------------


def notification_mark_read(*, actor: Any, notification: Notification) -> Notification:
    """Mark one of the actor's own notifications read (idempotent).

    The caller fetched ``notification`` through ``visible_to(actor)``; checked again here.
    """
    if notification.recipient_id != actor.pk:
        raise PermissionDenied
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.read_at = now
    return notification


def notifications_mark_all_read(*, actor: Any) -> int:
    """Mark every unread notification of the actor read.  Returns how many changed."""
    return Notification.objects.visible_to(actor).unread().update(read_at=timezone.now())


def notify_test(*, actor: Any) -> list[Notification]:
    """Send the person a test notification through every channel they chose.

    Lets a person check their bell, e-mail and SMS set-up; also the event the two-process
    test causes through one server and receives through the other.
    """
    from django.urls import reverse
    from django.utils.translation import gettext

    with transaction.atomic():
        return notify(
            recipients=[actor],
            kind="notifications.test",
            title=gettext("Test notification"),
            url=reverse("notifications:preferences"),
        )


def preferences_save(
    *,
    actor: Any,
    kinds: dict[str, tuple[bool, bool]],
    quiet_start: Any,
    quiet_end: Any,
    digest: bool,
) -> None:
    """Store the actor's delivery choices.  ``kinds``: code → (e-mail, SMS).

    SMS is kept only for urgent kinds and only when the person has a phone number.
    """
    from ftu import audit
    from notifications.kinds import get_kind
    from notifications.models import DeliverySettings, KindPreference

    if (quiet_start is None) != (quiet_end is None):
        raise ValidationError(_("Give both ends of the quiet hours, or neither."))
    wants_sms = any(sms for _email, sms in kinds.values())
    if wants_sms and not actor.phone:
        raise ValidationError(_("Add a phone number to your profile to receive SMS."))
    with transaction.atomic():
        DeliverySettings.objects.update_or_create(
            user=actor,
            defaults={"quiet_start": quiet_start, "quiet_end": quiet_end, "digest": digest},
        )
        for code, (email, sms) in kinds.items():
            kind = get_kind(code)
            KindPreference.objects.update_or_create(
                user=actor, kind=code, defaults={"email": email, "sms": sms and kind.urgent}
            )
        audit.record(
            actor=actor,
            action="notifications.preferences",
            obj=actor,
            fields=["email", "sms", "quiet_hours", "digest"],
        )
