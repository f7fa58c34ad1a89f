"""E-mail and SMS delivery of stored notifications: the outbox.

``enqueue_external`` runs inside the transaction that stores the notifications (``notify``
calls it) and writes one :class:`OutboxMessage` per channel the person chose; after commit a
Celery task tries each due message once.  A failed attempt is rescheduled with exponential
backoff (``FTU_OUTBOX_RETRY_BASE`` · 2^(attempts-1), capped); after ``FTU_OUTBOX_MAX_ATTEMPTS``
the message is marked failed, logged at ERROR, listed on the convenor's outbox page and the
convenors are told in-app.  Beat (or the embedded ticker) runs :func:`process_outbox` every
minute, so a message whose task was lost (broker down, worker killed) is still sent.

Nothing personal is stored in the outbox: the address is read from the person when sending
and the text comes from fixed templates (title and link for e-mail; the kind's label and a
link for SMS).  Quiet hours delay non-urgent messages to the end of the window.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Count
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy

from ftu import metrics
from notifications import preferences, sms
from notifications.kinds import KINDS
from notifications.models import Channel, Notification, OutboxMessage, OutboxState

logger = logging.getLogger(__name__)

DIGEST_HOUR_IST = 8


def enqueue_external(notifications: Iterable[Notification]) -> list[OutboxMessage]:
    """Queue e-mail/SMS for these notifications according to each person's preferences.

    Precondition: called inside the transaction that created the notifications, so a
    rollback removes the outbox rows too; the send is scheduled with ``on_commit``.
    """
    rows = [n for n in notifications if n.pk is not None]
    rows = [n for n in rows if getattr(KINDS.get(n.kind), "external", False)]
    if not rows:
        return []
    user_ids = sorted({n.recipient_id for n in rows})
    stored = preferences.choices_for(user_ids)
    deliveries = preferences.settings_for(user_ids)
    now = timezone.now()
    messages = []
    for n in rows:
        person = n.recipient
        choice = preferences.choice(stored, n.recipient_id, n.kind)
        due = now
        if not n.is_urgent:
            due = preferences.quiet_until(deliveries.get(n.recipient_id), now) or now
        if choice.email:
            messages.append(_message(Channel.EMAIL, n, due))
        if choice.sms and n.is_urgent and getattr(person, "phone", ""):
            messages.append(_message(Channel.SMS, n, due))
    if not messages:
        return []
    created = OutboxMessage.objects.bulk_create(messages)
    _send_after_commit([m.dedupe_key for m in created if m.next_attempt_at <= now])
    return created


def _message(channel: str, n: Notification, due: datetime.datetime) -> OutboxMessage:
    return OutboxMessage(
        channel=channel,
        recipient_id=n.recipient_id,
        notification=n,
        template="notification",
        kind=n.kind,
        dedupe_key=f"{channel}:n{n.pk}",
        next_attempt_at=due,
    )


def _send_after_commit(dedupe_keys: list[str]) -> None:
    if not dedupe_keys:
        return

    def _kick() -> None:
        from notifications import tasks

        ids = list(
            OutboxMessage.objects.filter(dedupe_key__in=dedupe_keys).values_list("id", flat=True)
        )
        for message_id in ids:
            try:
                tasks.send_outbox_message.delay(message_id)
            except Exception:  # noqa: BLE001 - broker down: the minute sweep sends it
                logger.warning("outbox task not queued; the periodic sweep will send it")
                return

    transaction.on_commit(_kick)


# --- sending -----------------------------------------------------------------------------


def process_outbox(now: datetime.datetime | None = None, *, batch: int = 200) -> int:
    """Try every due pending message once.  Safe to run in several workers at once."""
    now = now or timezone.now()
    ids = list(
        OutboxMessage.objects.filter(state=OutboxState.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:batch]
    )
    sent = 0
    for message_id in ids:
        sent += bool(send_message(message_id, now=now))
    report_backlog()
    return sent


def report_backlog() -> None:
    """Set the outbox-backlog gauge: unsent (pending) messages per channel.  Never raises."""
    try:
        with transaction.atomic():  # a savepoint: a failure leaves the caller's transaction usable
            counts = dict(
                OutboxMessage.objects.filter(state=OutboxState.PENDING)
                .order_by()
                .values_list("channel")
                .annotate(n=Count("id"))
            )
    except Exception:  # noqa: BLE001 - a metric never fails the outbox
        logger.warning("outbox backlog could not be counted")
        return
    for channel in Channel.values:
        metrics.set_outbox_backlog(counts.get(channel, 0), channel=channel)


def send_message(message_id: int, *, now: datetime.datetime | None = None) -> bool:
    """One attempt at one message.  Returns whether it was sent.

    The message is claimed with a conditional UPDATE (a lease on ``next_attempt_at``), so
    two workers never send the same message; the send itself runs outside any transaction.
    """
    now = now or timezone.now()
    lease = now + datetime.timedelta(seconds=settings.FTU_OUTBOX_LEASE)
    claimed = OutboxMessage.objects.filter(
        pk=message_id, state=OutboxState.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=lease)
    if not claimed:
        return False
    message = OutboxMessage.objects.select_related("recipient", "notification").get(pk=message_id)
    person = message.recipient
    if not person.is_active:
        _finish(message, state=OutboxState.FAILED, error="recipient inactive", now=now)
        return False
    try:
        if message.channel == Channel.EMAIL:
            _send_email(message)
        else:
            _send_sms(message)
    except Exception as exc:  # noqa: BLE001 - any backend failure is retried
        _failed_attempt(message, _describe(exc), now=now)
        return False
    _finish(message, state=OutboxState.SENT, error="", now=now)
    return True


def _describe(exc: Exception) -> str:
    """An error description without personal data: the class, and for SMS our own text."""
    if isinstance(exc, sms.SMSError):
        return f"SMSError: {exc}"[:200]
    code = getattr(exc, "smtp_code", None)
    return f"{type(exc).__name__}" + (f" {code}" if code else "")


def _finish(message: OutboxMessage, *, state: str, error: str, now: datetime.datetime) -> None:
    OutboxMessage.objects.filter(pk=message.pk).update(
        state=state,
        attempts=message.attempts + 1,
        last_error=error,
        sent_at=now if state == OutboxState.SENT else None,
        next_attempt_at=now,
    )


def _failed_attempt(message: OutboxMessage, error: str, *, now: datetime.datetime) -> None:
    attempts = message.attempts + 1
    if attempts >= settings.FTU_OUTBOX_MAX_ATTEMPTS:
        with transaction.atomic():
            OutboxMessage.objects.filter(pk=message.pk).update(
                state=OutboxState.FAILED, attempts=attempts, last_error=error
            )
            _tell_convenors(message)
        logger.error(
            "outbox message %s (%s) failed after %s attempts: %s",
            message.pk,
            message.channel,
            attempts,
            error,
        )
        return
    delay = min(settings.FTU_OUTBOX_RETRY_BASE * 2 ** (attempts - 1), settings.FTU_OUTBOX_RETRY_MAX)
    OutboxMessage.objects.filter(pk=message.pk).update(
        attempts=attempts,
        last_error=error,
        next_attempt_at=now + datetime.timedelta(seconds=delay),
    )
    logger.warning("outbox message %s attempt %s failed: %s", message.pk, attempts, error)


def _tell_convenors(message: OutboxMessage) -> None:
    from agencies.models import Membership
    from ftu.roles import OrgKind, Role
    from notifications.services import notify, translated

    convenors = [
        m.user
        for m in Membership.objects.active()
        .filter(organisation__kind=OrgKind.SECRETARIAT, role=Role.COORDINATOR)
        .select_related("user")
    ]
    notify(
        recipients=convenors,
        kind="outbox.failed",
        title=translated(
            gettext_lazy("%(channel)s delivery #%(id)s failed after every attempt"),
            channel=Channel(message.channel).label,
            id=message.pk,
        ),
        url=reverse("notifications:outbox"),
    )


def _absolute(path: str) -> str:
    if path.startswith("/") and not path.startswith("//"):
        return settings.FTU_SITE_URL.rstrip("/") + path
    return settings.FTU_SITE_URL.rstrip("/") + reverse("notifications:inbox")


def _language(person: Any) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    lang = getattr(person, "preferred_language", "")
    return lang if lang in codes else settings.LANGUAGE_CODE


def render_email(message: OutboxMessage) -> tuple[str, str]:
    """(subject, body) in the recipient's language.  Only safe titles and links."""
    person = message.recipient
    context: dict[str, Any] = {
        "site": settings.SITE_NAME,
        "preferences_url": _absolute(reverse("notifications:preferences")),
        "inbox_url": _absolute(reverse("notifications:inbox")),
    }
    with translation.override(_language(person)):
        if message.template == "digest":
            unread = Notification.objects.visible_to(person).unread().order_by("-id")
            context["count"] = unread.count()
            context["items"] = [(n.display_title, _absolute(n.url)) for n in unread[:20]]
            subject = gettext("%(site)s: %(count)s unread notifications") % context
            body = render_to_string("notifications/email/digest.txt", context)
        else:
            n = message.notification
            context["title"] = n.display_title
            context["link"] = _absolute(n.url)
            context["urgent"] = n.is_urgent
            subject = f"[{settings.SITE_NAME}] {n.display_title}"
            body = render_to_string("notifications/email/notification.txt", context)
    return subject.replace("\n", " ").replace("\r", " "), body


def render_sms(message: OutboxMessage) -> str:
    """The fixed SMS template: the kind's label and the inbox link, nothing else."""
    kind = KINDS.get(message.kind)
    with translation.override(_language(message.recipient)):
        label = str(kind.label) if kind else gettext("Notification")
        return gettext("%(site)s, urgent: %(label)s. Open the hub: %(link)s") % {
            "site": settings.SITE_NAME,
            "label": label,
            "link": _absolute(reverse("notifications:inbox")),
        }


def _send_email(message: OutboxMessage) -> None:
    subject, body = render_email(message)
    address = message.recipient.contact_email
    EmailMessage(subject=subject, body=body, to=[address]).send(fail_silently=False)


def _send_sms(message: OutboxMessage) -> None:
    phone = message.recipient.phone
    if not phone:
        raise sms.SMSError("no phone number")
    sms.get_backend().send(to=phone, text=render_sms(message))


# --- the daily digest ----------------------------------------------------------------------


def enqueue_digests(now: datetime.datetime | None = None) -> int:
    """Queue today's digest for every active person with unread notifications who wants one.

    Idempotent (one digest per person per IST day, by ``dedupe_key``), so the embedded ticker
    may call it every minute after 08:00 IST and beat once at 08:00.
    """
    from agencies.models import User

    now = now or timezone.now()
    local = timezone.localtime(now)
    if local.hour < DIGEST_HOUR_IST:
        return 0
    day = local.date().isoformat()
    people = (
        # A subquery, not ``notifications__read_at__isnull``: that LEFT JOIN would also match
        # people with no notification at all.
        User.objects.filter(
            is_active=True,
            id__in=Notification.objects.unread().values("recipient_id"),
        )
        .exclude(delivery_settings__digest=False)
        .values_list("id", flat=True)
    )
    rows = [
        OutboxMessage(
            channel=Channel.EMAIL,
            recipient_id=uid,
            template="digest",
            dedupe_key=f"digest:{uid}:{day}",
            next_attempt_at=now,
        )
        for uid in people
    ]
    before = OutboxMessage.objects.filter(template="digest", dedupe_key__endswith=f":{day}")
    count_before = before.count()
    OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
    return before.count() - count_before
