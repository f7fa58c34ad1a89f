"""Models shared by every app: the append-only, hash-chained audit log; statutory clocks."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.db import models
from django.utils import timezone
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


class ClockQuerySet(models.QuerySet["Clock"]):
    def running(self) -> ClockQuerySet:
        return self.filter(state=Clock.State.RUNNING)

    def visible_to(self, user: object) -> ClockQuerySet:
        """Clocks on objects the person may see (each clocked model's own ``visible_to``)."""
        from ftu.clocks import visible_clock_filter

        return self.filter(visible_clock_filter(user))


class Clock(models.Model):
    """One statutory deadline on one object (a child case, a referral, a raid...).

    The rule (``ftu.clocks.RULES[rule]``) says how long it runs, whom it warns and why (the
    citation).  ``warnings_sent`` holds the seconds-before-due of each due-soon warning
    already emitted, and ``missed_notified``/``met_notified`` make every event fire once.
    """

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        MET = "met", _("Met")
        MISSED = "missed", _("Missed")
        NOT_APPLICABLE = "not_applicable", _("Not applicable")

    content_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.PROTECT, related_name="+"
    )
    # Text so that models with integer or UUID keys can both carry clocks.
    object_id = models.CharField(max_length=64)
    obj = GenericForeignKey("content_type", "object_id")
    rule = models.CharField(max_length=64)
    started_at = models.DateTimeField()
    due_at = models.DateTimeField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.RUNNING)
    met_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)
    warnings_sent = models.JSONField(default=list, blank=True)
    missed_notified = models.BooleanField(default=False)
    met_notified = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = ClockQuerySet.as_manager()

    class Meta:
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "rule"], name="clock_one_per_rule"
            ),
            models.CheckConstraint(
                condition=models.Q(due_at__gte=models.F("started_at")), name="clock_due_after_start"
            ),
        ]
        indexes = [
            # clocks_for(obj) and the case page.
            models.Index(fields=["content_type", "object_id"], name="clock_object_idx"),
            # the tick and the "overdue and due soon" list: running clocks by due time.
            models.Index(fields=["state", "due_at"], name="clock_state_due_idx"),
        ]
        verbose_name = _("statutory clock")
        verbose_name_plural = _("statutory clocks")

    def __str__(self) -> str:
        return f"{self.rule} · {self.state}"

    @property
    def rule_spec(self) -> Any:
        from ftu.clocks import get_rule

        return get_rule(self.rule)

    def time_left(self, now: datetime.datetime | None = None) -> datetime.timedelta:
        return self.due_at - (now or timezone.now())

    def is_overdue(self, now: datetime.datetime | None = None) -> bool:
        if self.state == self.State.MISSED:
            return True
        return self.state == self.State.RUNNING and self.due_at <= (now or timezone.now())

    @property
    def met_late_by(self) -> datetime.timedelta | None:
        if self.state == self.State.MET and self.met_at and self.met_at > self.due_at:
            return self.met_at - self.due_at
        return None
