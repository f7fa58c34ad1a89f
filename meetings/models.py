"""Meetings, their agenda and attendance, versioned minutes, and the action items they create.

Who sees what is decided here, in the ``visible_to`` querysets (need-to-know):
- a meeting, its agenda and its unpublished minutes: the invited organisations and people, the
  convenor and the MP's office;
- published minutes: every FTU partner member;
- a confidential agenda item (and what the minutes and action items say about it): only the
  people named on it, in every view and in the PDF;
- media: only the public summary the convenor chose to publish.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ftu.policy import Cap, can, is_convenor

DUE_SOON_DAYS = 3


def _member_org_ids(user: Any) -> models.QuerySet:
    from agencies.models import Membership

    return Membership.objects.active().filter(user=user).values("organisation_id")


def sees_every_meeting(user: Any) -> bool:
    """The convenor schedules them all; the MP's office reviews them all."""
    return is_convenor(user) or can(user, Cap.MINUTES_APPROVE)


class MeetingQuerySet(models.QuerySet["Meeting"]):
    def visible_to(self, user: Any) -> MeetingQuerySet:
        if not can(user, Cap.MEETING_ATTEND):
            return self.none()
        if sees_every_meeting(user):
            return self.all()
        invited_org = Meeting.invited_organisations.through.objects.filter(
            meeting_id=OuterRef("pk"), organisation_id__in=_member_org_ids(user)
        )
        invited_person = Meeting.invited_people.through.objects.filter(
            meeting_id=OuterRef("pk"), user_id=user.pk
        )
        return self.filter(Exists(invited_org) | Exists(invited_person))

    def with_public_summary(self) -> MeetingQuerySet:
        return self.filter(public_summary_published__isnull=False).exclude(public_summary="")


class Meeting(models.Model):
    class Kind(models.TextChoices):
        MONTHLY_REVIEW = "monthly_review", _("Monthly review")
        EMERGENCY = "emergency", _("Emergency")
        TRAINING = "training", _("Training")
        OTHER = "other", _("Other")

    class State(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", _("Cancelled")

    title = models.CharField(pgettext_lazy("a heading, not a job title", "title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    start = models.DateTimeField(_("starts"))
    end = models.DateTimeField(_("ends"))
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    online_link = models.URLField(_("online link"), blank=True)
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("chair"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    convenor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    invited_organisations = models.ManyToManyField(
        "agencies.Organisation",
        verbose_name=_("invited organisations"),
        blank=True,
        related_name="meetings_invited",
    )
    invited_people = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited people"),
        blank=True,
        related_name="meetings_invited",
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default="scheduled")
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)
    held_at = models.DateTimeField(null=True, blank=True, editable=False)
    public_summary = models.TextField(_("public summary"), blank=True)
    public_summary_published = models.DateTimeField(null=True, blank=True, editable=False)
    # Increases with every change of time or place, so calendar clients update the event.
    sequence = models.PositiveIntegerField(default=0, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["-start"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="meeting_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(state="cancelled") | ~Q(cancel_reason=""),
                name="meeting_cancel_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("meetings:meeting_detail", args=[self.pk])

    @property
    def is_scheduled(self) -> bool:
        return self.state == self.State.SCHEDULED

    @property
    def uid(self) -> str:
        return f"meeting-{self.pk}@ftu-hub"


class AgendaItemQuerySet(models.QuerySet["AgendaItem"]):
    def readable_by(self, user: Any) -> AgendaItemQuerySet:
        """Drop confidential items the person is not named on."""
        named = AgendaItem.named_people.through.objects.filter(
            agendaitem_id=OuterRef("pk"), user_id=user.pk
        )
        return self.filter(Q(is_confidential=False) | Exists(named))

    def visible_to(self, user: Any) -> AgendaItemQuerySet:
        return self.filter(meeting__in=Meeting.objects.visible_to(user)).readable_by(user)


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda_items")
    position = models.PositiveIntegerField(_("position"))
    title = models.CharField(pgettext_lazy("a heading, not a job title", "title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    presenter_organisation = models.ForeignKey(
        "agencies.Organisation",
        verbose_name=_("presented by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    minutes_allotted = models.PositiveSmallIntegerField(_("time (minutes)"), null=True, blank=True)
    is_confidential = models.BooleanField(
        _("confidential"),
        default=False,
        help_text=_("Only the people named below see this item, its minutes and its actions."),
    )
    named_people = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("named people"), blank=True, related_name="+"
    )

    objects = AgendaItemQuerySet.as_manager()

    class Meta:
        ordering = ["meeting", "position"]
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "position"], name="agenda_position_unique")
        ]

    def __str__(self) -> str:
        return self.title


class Attendance(models.Model):
    class Status(models.TextChoices):
        PRESENT = "present", _("Present")
        ABSENT = "absent", _("Absent")
        APOLOGIES = "apologies", _("Apologies")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    organisation = models.ForeignKey(
        "agencies.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(_("attendance"), max_length=10, choices=Status.choices)
    delegate_name = models.CharField(_("delegate's name"), max_length=150, blank=True)
    recorded = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=True) ^ Q(organisation__isnull=True),
                name="attendance_person_xor_organisation",
            ),
            models.UniqueConstraint(
                fields=["meeting", "person"],
                condition=Q(person__isnull=False),
                name="attendance_once_per_person",
            ),
            models.UniqueConstraint(
                fields=["meeting", "organisation"],
                condition=Q(organisation__isnull=False),
                name="attendance_once_per_organisation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person or self.organisation}: {self.get_status_display()}"


class MinutesQuerySet(models.QuerySet["Minutes"]):
    def visible_to(self, user: Any) -> MinutesQuerySet:
        if not can(user, Cap.MINUTES_READ_PUBLISHED):
            return self.filter(meeting__in=Meeting.objects.visible_to(user))
        return self.filter(
            Q(meeting__in=Meeting.objects.visible_to(user)) | Q(state=Minutes.State.PUBLISHED)
        )


class Minutes(models.Model):
    """One version of a meeting's minutes.  Version 1 is the original; later ones are corrigenda.

    A published version is frozen; a correction is a new version that goes through the whole
    review again.  Every version stays readable.
    """

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        CIRCULATED = "circulated", _("Circulated for comments")
        SUBMITTED = "submitted", _("Submitted to the MP's office")
        RETURNED = "returned", _("Returned with comments")
        APPROVED = "approved", _("Approved")
        PUBLISHED = "published", _("Published")

    EDITABLE = (State.DRAFT, State.CIRCULATED, State.RETURNED)

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="minutes")
    number = models.PositiveIntegerField(_("version"))
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default="draft")
    correction_reason = models.TextField(_("reason for the correction"), blank=True)
    review_comments = models.TextField(_("reviewer's comments"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    circulated_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    objects = MinutesQuerySet.as_manager()

    class Meta:
        ordering = ["meeting", "number"]
        verbose_name = _("minutes")
        verbose_name_plural = _("minutes")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "number"], name="minutes_number_unique"),
            # At most one version in progress per meeting.
            models.UniqueConstraint(
                fields=["meeting"],
                condition=~Q(state="published"),
                name="minutes_one_open_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting} · v{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("meetings:minutes_detail", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        return self.state in self.EDITABLE

    @property
    def is_corrigendum(self) -> bool:
        return self.number > 1


class MinutesItemQuerySet(models.QuerySet["MinutesItem"]):
    def visible_to(self, user: Any) -> MinutesItemQuerySet:
        named = AgendaItem.named_people.through.objects.filter(
            agendaitem_id=OuterRef("agenda_item_id"), user_id=user.pk
        )
        return self.filter(minutes__in=Minutes.objects.visible_to(user)).filter(
            Q(agenda_item__is_confidential=False) | Exists(named)
        )


class MinutesItem(models.Model):
    """The minutes of one agenda item.  ``revision`` is the optimistic-concurrency counter."""

    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="items")
    agenda_item = models.ForeignKey(AgendaItem, on_delete=models.PROTECT, related_name="+")
    discussion = models.TextField(_("discussion"), blank=True)
    decisions = models.TextField(_("decisions"), blank=True)
    revision = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    updated = models.DateTimeField(default=timezone.now)

    objects = MinutesItemQuerySet.as_manager()

    EDITABLE_FIELDS = ("discussion", "decisions")

    class Meta:
        ordering = ["agenda_item__position"]
        constraints = [
            models.UniqueConstraint(fields=["minutes", "agenda_item"], name="minutes_item_unique")
        ]

    def __str__(self) -> str:
        return str(self.agenda_item)


class MinutesItemRevision(models.Model):
    """Each saved state of a minutes item, so a refused stale save can show what changed."""

    item = models.ForeignKey(MinutesItem, on_delete=models.CASCADE, related_name="revisions")
    revision = models.PositiveIntegerField()
    discussion = models.TextField(blank=True)
    decisions = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    saved = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["item", "revision"]
        constraints = [
            models.UniqueConstraint(fields=["item", "revision"], name="minutes_revision_unique")
        ]

    def __str__(self) -> str:
        return f"{self.item_id} r{self.revision}"


class MinutesCommentQuerySet(models.QuerySet["MinutesComment"]):
    def visible_to(self, user: Any) -> MinutesCommentQuerySet:
        return self.filter(item__in=MinutesItem.objects.visible_to(user))


class MinutesComment(models.Model):
    """A participant's comment on one item of circulated minutes; the convenor resolves it."""

    item = models.ForeignKey(MinutesItem, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("comment"), max_length=2000)
    created = models.DateTimeField(auto_now_add=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(_("resolution"), max_length=500, blank=True)

    objects = MinutesCommentQuerySet.as_manager()

    class Meta:
        ordering = ["created"]

    def __str__(self) -> str:
        return self.text[:60]


class ActionItemQuerySet(models.QuerySet["ActionItem"]):
    def live(self) -> ActionItemQuerySet:
        return self.filter(published__isnull=False)

    def pending(self) -> ActionItemQuerySet:
        return self.filter(state__in=ActionItem.PENDING)

    def overdue(self, today: datetime.date | None = None) -> ActionItemQuerySet:
        return self.pending().filter(due_date__lt=today or timezone.localdate())

    def readable_by(self, user: Any) -> ActionItemQuerySet:
        named = AgendaItem.named_people.through.objects.filter(
            agendaitem_id=OuterRef("minutes_item__agenda_item_id"), user_id=user.pk
        )
        return self.filter(
            Q(minutes_item__agenda_item__is_confidential=False) | Exists(named) | Q(owner=user)
        )

    def visible_to(self, user: Any) -> ActionItemQuerySet:
        """Live items of meetings the person sees, or owned by them or their organisation."""
        if not can(user, Cap.MEETING_ATTEND):
            return self.none()
        return (
            self.live()
            .filter(
                Q(meeting__in=Meeting.objects.visible_to(user))
                | Q(organisation_id__in=_member_org_ids(user))
                | Q(owner=user)
            )
            .readable_by(user)
        )


class ActionItem(models.Model):
    """A decision someone owns until it is done.  Live (on lists, the ATR and the clocks)
    from the moment the minutes that create it are published."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        DROPPED = "dropped", _("Dropped")

    PENDING = (State.OPEN, State.IN_PROGRESS)

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="action_items")
    minutes_item = models.ForeignKey(
        MinutesItem, on_delete=models.PROTECT, related_name="action_items"
    )
    text = models.TextField(_("action"), max_length=1000)
    organisation = models.ForeignKey(
        "agencies.Organisation",
        verbose_name=_("owning organisation"),
        on_delete=models.PROTECT,
        related_name="action_items",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="action_items",
    )
    due_date = models.DateField(_("due date"))
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default="open")
    created = models.DateTimeField(auto_now_add=True)
    published = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ActionItemQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "pk"]
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        indexes = [
            # The tick's scan and the organisation's list: pending live items by due date.
            models.Index(fields=["state", "due_date"], name="action_state_due_idx"),
        ]

    def __str__(self) -> str:
        return self.text[:80]

    def get_absolute_url(self) -> str:
        return reverse("meetings:action_detail", args=[self.pk])

    @property
    def is_pending(self) -> bool:
        return self.state in self.PENDING

    @property
    def is_overdue(self) -> bool:
        return self.is_pending and self.due_date < timezone.localdate()


class ActionItemUpdate(models.Model):
    """A dated status update; the latest one is what the Action Taken Report shows."""

    action_item = models.ForeignKey(ActionItem, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("date"), default=timezone.localdate)
    text = models.TextField(_("status update"), max_length=2000)
    state = models.CharField(_("new state"), max_length=12, choices=ActionItem.State.choices)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return self.text[:60]


class AtrEntry(models.Model):
    """The Action Taken Report as it stood when a meeting was held (later ones are computed)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="atr_entries")
    action_item = models.ForeignKey(ActionItem, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=12, choices=ActionItem.State.choices)
    latest_update = models.TextField(blank=True)
    latest_update_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["action_item__due_date", "action_item_id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "action_item"], name="atr_entry_unique")
        ]

    def __str__(self) -> str:
        return f"ATR {self.meeting_id}: #{self.action_item_id}"


class ActionItemWarning(models.Model):
    """Which due-soon / overdue warning was sent for which due date: each goes out once."""

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", _("Due soon")
        OVERDUE = "overdue", _("Overdue")

    action_item = models.ForeignKey(ActionItem, on_delete=models.CASCADE, related_name="warnings")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    due_date = models.DateField()
    sent = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["action_item", "kind", "due_date"], name="action_warning_once"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.action_item_id} {self.kind} {self.due_date:%d/%m/%Y}"
