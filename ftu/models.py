"""Models shared by every app: the append-only, hash-chained audit log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: object) -> int:
        raise TypeError("The audit log is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:  # type: ignore[override]
        raise TypeError("The audit log is append-only.")


class AuditEvent(models.Model):
    """One security-relevant event.  Never holds a protected value: field *names* only.

    ``seq`` numbers the chain without gaps and ``hash`` is sha256(prev_hash ‖ canonical row),
    so an edited, inserted or deleted row breaks the chain (``manage.py verify_audit``).
    Database triggers refuse UPDATE and DELETE (migration 0002).
    """

    class Outcome(models.TextChoices):
        OK = "ok", _("Done")
        DENIED = "denied", _("Denied")
        FAILED = "failed", _("Failed")

    seq = models.PositiveBigIntegerField(unique=True, editable=False)
    created = models.DateTimeField(editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    organisation = models.ForeignKey(
        "agencies.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    fields = models.JSONField(default=list, blank=True)
    reason = models.TextField(blank=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, default=Outcome.OK)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-seq"]
        indexes = [
            # "who accessed this": the per-object view filters on both columns.
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            # the audit page filtered by person, newest first.
            models.Index(fields=["actor", "-created"], name="audit_actor_idx"),
            # retention purge and date filters.
            models.Index(fields=["created"], name="audit_created_idx"),
        ]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"
