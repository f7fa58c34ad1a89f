"""Notifications: one row per recipient, the durable queue behind the websocket doorbell."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")


class NotificationQuerySet(models.QuerySet["Notification"]):
    def visible_to(self, user: object) -> NotificationQuerySet:
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(recipient=user)

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """What one person is told.  ``id`` increases, so a client resumes from the last id seen.

    Title and text are safe to show anywhere (lock screens, e-mail subjects): a case code or a
    raid codename, never a child's identity or a place.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=64)
    urgency = models.CharField(
        _("urgency"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL
    )
    title = models.CharField(pgettext_lazy("a heading, not a job title", "title"), max_length=200)
    # The title in each language of the hub ({"en": …, "hi": …}) when the sender gave it so:
    # each reader sees it in their own language, whoever caused it and in which.
    titles = models.JSONField(_("titles"), blank=True, default=dict)
    texts = models.JSONField(_("texts"), blank=True, default=dict)  # the same, for ``text``
    text = models.CharField(_("text"), max_length=500, blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [
            # catch-up after reconnect: WHERE recipient = ? AND id > ? ORDER BY id
            models.Index(fields=["recipient", "id"], name="notif_recipient_id_idx"),
            # the bell count: WHERE recipient = ? AND read_at IS NULL
            models.Index(
                fields=["recipient"],
                condition=models.Q(read_at__isnull=True),
                name="notif_unread_idx",
            ),
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"

    @property
    def is_urgent(self) -> bool:
        return self.urgency == Urgency.URGENT

    @property
    def display_title(self) -> str:
        """The title in the active language (as stored when it was given in one only)."""
        return self.titles.get(translation.get_language() or "", "") or self.title

    @property
    def display_text(self) -> str:
        return self.texts.get(translation.get_language() or "", "") or self.text

    def payload(self) -> dict[str, object]:
        """The only fields that ever travel through the channel layer."""
        # ``title`` is the one in the recipient's preferred language, which the language
        # switch keeps equal to the page's (ftu.views.set_language).
        return {
            "id": self.id,
            "kind": self.kind,
            "urgency": self.urgency,
            "title": self.title,
            "link": self.url,
        }


class DeliverySettings(models.Model):
    """A person's delivery choices that are not per kind: quiet hours and the daily digest.

    Quiet hours are wall-clock times in IST (the project's TIME_ZONE); a window may cross
    midnight (22:00–07:00).  Urgent notifications ignore them.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="delivery_settings"
    )
    quiet_start = models.TimeField(_("quiet hours start"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet hours end"), null=True, blank=True)
    digest = models.BooleanField(_("daily digest e-mail"), default=True)

    class Meta:
        verbose_name = _("delivery settings")
        verbose_name_plural = _("delivery settings")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(quiet_start__isnull=True, quiet_end__isnull=True)
                    | models.Q(quiet_start__isnull=False, quiet_end__isnull=False)
                ),
                name="notif_quiet_hours_both_or_none",
            )
        ]

    def __str__(self) -> str:
        return f"delivery settings of {self.user_id}"


class KindPreference(models.Model):
    """Per person and kind: e-mail on/off, SMS on/off (urgent kinds only).  In-app is always on.

    No row means the default of the kind (see ``notifications.preferences``).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="kind_preferences"
    )
    kind = models.CharField(_("kind"), max_length=64)
    email = models.BooleanField(_("e-mail"), default=True)
    sms = models.BooleanField(_("SMS"), default=False)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notif_pref_user_kind_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.kind} preference of {self.user_id}"


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


class OutboxState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutboxMessage(models.Model):
    """One e-mail or SMS to send, written in the transaction of the notification it carries.

    Holds no address and no free text: the address is read from the recipient when sending
    (so a changed address is used, and a deleted person's message dies with them) and the
    body is rendered from a fixed template.  ``last_error`` holds an error class or status
    code, never a message that could quote an address.
    """

    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="outbox_messages"
    )
    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, null=True, blank=True, related_name="outbox"
    )
    template = models.CharField(_("template"), max_length=32)
    kind = models.CharField(_("kind"), max_length=64, blank=True)
    # Makes enqueueing idempotent: one e-mail per notification and channel, one digest a day.
    dedupe_key = models.CharField(max_length=100, unique=True)
    state = models.CharField(
        _("state"), max_length=8, choices=OutboxState.choices, default=OutboxState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    last_error = models.CharField(_("last error"), max_length=200, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [
            # the worker's claim: WHERE state = 'pending' AND next_attempt_at <= now
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(state="pending"),
                name="notif_outbox_due_idx",
            ),
            # the convenor's page: WHERE state = 'failed' ORDER BY id DESC
            models.Index(fields=["state", "id"], name="notif_outbox_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.template} → {self.recipient_id} ({self.state})"
