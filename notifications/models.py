"""Notifications: one row per recipient, the durable queue behind the websocket doorbell."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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
    title = models.CharField(_("title"), max_length=200)
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

    def payload(self) -> dict[str, object]:
        """The only fields that ever travel through the channel layer."""
        return {
            "id": self.id,
            "kind": self.kind,
            "urgency": self.urgency,
            "title": self.title,
            "link": self.url,
        }
