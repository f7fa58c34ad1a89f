"""Raids (need-to-know teams, legal checklist, coordination tasks, outcome) and prosecutions.

Visibility is by named person, never by role: ``Raid.objects.visible_to(user)`` is the lead,
the approving supervisor and the active team, and nobody else — not another unit's
supervisor, not the convenor, never media or the MP's office.  Target and grounds are
encrypted; the team reads them only from the briefing on (``raids.permissions``).
"""

from __future__ import annotations

import calendar
import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ftu.crypto import EncryptedCharField, EncryptedTextField
from ftu.roles import Language
from raids.choices import (
    CHARGE_SHEET_CLOCK_SECTIONS,
    CHARGE_SHEET_MONTHS,
    MINOR_BANDS,
    SECTION_CODES,
    STAGE_RANK,
    AgeBand,
    ChecklistCode,
    ChecklistPhase,
    Need,
    OffenderRole,
    RaidStatus,
    Section,
    Sex,
    Stage,
    TaskState,
    TeamRole,
    act_of,
)

User = settings.AUTH_USER_MODEL


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later, clamped to the month's last day (31 Dec + 2 → 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def validate_sections(codes: Any) -> None:
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        raise ValidationError(_("Sections must be a list of section codes."))
    unknown = sorted(set(codes) - SECTION_CODES)
    if unknown:
        raise ValidationError(
            _("Unknown section(s): %(codes)s."), params={"codes": ", ".join(unknown)}
        )


def _validate_choice_list(codes: Any, allowed: list[str]) -> None:
    if not isinstance(codes, list) or set(codes) - set(allowed):
        raise ValidationError(_("Choose from the listed values only."))


def validate_languages(codes: Any) -> None:
    _validate_choice_list(codes, Language.values)


def validate_needs(codes: Any) -> None:
    _validate_choice_list(codes, Need.values)


def _active_org_ids(user: Any) -> Any:
    from agencies.models import Membership

    return Membership.objects.active().filter(user=user).values("organisation_id")


class RaidQuerySet(models.QuerySet["Raid"]):
    def visible_to(self, user: Any) -> RaidQuerySet:
        """The lead, the approving supervisor and the active team members — nobody else.

        A team member also needs an active membership of the organisation they were named
        for: leaving it ends their access.  Media and MP's office never hold ``raid.join``.
        """
        from ftu.policy import Cap, can

        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if not can(user, Cap.RAID_JOIN):
            return self.none()
        on_team = TeamMember.objects.filter(
            raid=OuterRef("pk"),
            user=user,
            removed_at__isnull=True,
            organisation_id__in=_active_org_ids(user),
        )
        return self.filter(Q(lead=user) | Q(supervisor=user) | Q(Exists(on_team)))

    def live(self) -> RaidQuerySet:
        from raids.choices import LIVE_STATUSES

        return self.filter(status__in=LIVE_STATUSES)


class Raid(models.Model):
    codename = models.CharField(
        _("codename"),
        max_length=40,
        unique=True,
        help_text=_("A word that says nothing about the place or the people."),
    )
    unit = models.ForeignKey(
        "agencies.Organisation",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="raids",
    )
    lead = models.ForeignKey(
        User, verbose_name=_("lead officer"), on_delete=models.PROTECT, related_name="+"
    )
    supervisor = models.ForeignKey(
        User,
        verbose_name=_("approving supervisor"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    opened_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=12, choices=RaidStatus.choices, default=RaidStatus.PLANNING
    )
    window_start = models.DateTimeField(_("planned start"))
    window_end = models.DateTimeField(_("planned end"))
    grounds = EncryptedTextField(_("grounds for the search"))
    target_location = EncryptedTextField(_("target location"))
    approved_at = models.DateTimeField(null=True, blank=True)
    briefed_at = models.DateTimeField(null=True, blank=True)
    executed_at = models.DateTimeField(null=True, blank=True)
    debriefed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)
    shared_summary = models.TextField(
        _("summary safe to share"),
        blank=True,
        help_text=_("No place, no names: produced on closing for the partners' actions feed."),
    )
    version = models.PositiveIntegerField(default=1)
    created = models.DateTimeField(auto_now_add=True)
    # The open form's key: a resubmitted or retried form replays the raid it opened.
    idempotency_key = models.UUIDField(null=True, blank=True, editable=False)
    # A keyed hash of what that form said: the same key with other contents is refused.
    idempotency_fingerprint = models.CharField(max_length=64, blank=True, editable=False)

    objects = RaidQuerySet.as_manager()

    class Meta:
        ordering = ["-window_start", "-id"]
        verbose_name = _("raid")
        verbose_name_plural = _("raids")
        constraints = [
            models.CheckConstraint(
                condition=Q(window_end__gt=models.F("window_start")),
                name="raid_window_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(supervisor=models.F("lead")), name="raid_supervisor_not_lead"
            ),
            models.CheckConstraint(
                condition=Q(status__in=RaidStatus.values), name="raid_status_known"
            ),
            models.UniqueConstraint(
                fields=["opened_by", "idempotency_key"], name="raid_idempotent_open"
            ),
        ]

    def __str__(self) -> str:
        return self.codename

    def get_absolute_url(self) -> str:
        return reverse("raids:detail", args=[self.pk])

    def clean(self) -> None:
        if self.window_start and self.window_end and self.window_end <= self.window_start:
            raise ValidationError({"window_end": _("The planned window must end after it starts.")})
        if self.lead_id and self.supervisor_id and self.lead_id == self.supervisor_id:
            raise ValidationError(
                {"supervisor": _("The lead officer cannot approve their own raid.")}
            )

    @property
    def is_live(self) -> bool:
        from raids.choices import LIVE_STATUSES

        return self.status in LIVE_STATUSES

    def unchecked_items(self) -> list[ChecklistItem]:
        return [item for item in self.checklist.all() if not item.checked]


class TeamMemberQuerySet(models.QuerySet["TeamMember"]):
    def active(self) -> TeamMemberQuerySet:
        return self.filter(removed_at__isnull=True)


class TeamMember(models.Model):
    """A named person on a raid, for one of their organisations, with a role in the raid."""

    raid = models.ForeignKey(Raid, on_delete=models.CASCADE, related_name="team")
    user = models.ForeignKey(User, verbose_name=_("person"), on_delete=models.PROTECT)
    organisation = models.ForeignKey(
        "agencies.Organisation", verbose_name=_("for"), on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(_("role in the raid"), max_length=20, choices=TeamRole.choices)
    added_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = TeamMemberQuerySet.as_manager()

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["raid", "user"],
                condition=Q(removed_at__isnull=True),
                name="raid_one_active_seat_per_person",
            )
        ]
        indexes = [
            # visible_to(): EXISTS(raid = ? AND user = ? AND removed_at IS NULL)
            models.Index(fields=["user", "raid"], name="raid_team_user_raid_idx"),
        ]
        verbose_name = _("team member")
        verbose_name_plural = _("team members")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    @property
    def is_active(self) -> bool:
        return self.removed_at is None


class ChecklistItem(models.Model):
    """One item of the legal checklist of a raid (created with the raid, ticked by the team)."""

    raid = models.ForeignKey(Raid, on_delete=models.CASCADE, related_name="checklist")
    code = models.CharField(max_length=20, choices=ChecklistCode.choices)
    phase = models.CharField(max_length=8, choices=ChecklistPhase.choices)
    source = models.CharField(max_length=80)
    position = models.PositiveSmallIntegerField(default=0)
    checked = models.BooleanField(default=False)
    # A reference (recording id, witness details) may identify people: encrypted.
    note = EncryptedTextField(_("reference or note"), blank=True, default="")
    checked_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["raid", "code"], name="raid_checklist_item_once")
        ]

    def __str__(self) -> str:
        return str(self.get_code_display())


class Task(models.Model):
    """A coordination task of the raid, owned by an organisation or a person on the team."""

    raid = models.ForeignKey(Raid, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(
        pgettext_lazy("a heading, not a job title", "title"),
        max_length=120,
        help_text=_("What is to be done (vehicles, shelter beds, CWC sitting…). No place names."),
    )
    owner_org = models.ForeignKey(
        "agencies.Organisation",
        verbose_name=_("owner organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    owner_user = models.ForeignKey(
        User,
        verbose_name=_("owner person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    due = models.DateTimeField(_("due"))
    state = models.CharField(
        _("state"), max_length=12, choices=TaskState.choices, default=TaskState.OPEN
    )
    blocked_reason = models.CharField(_("why it is blocked"), max_length=300, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["due", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner_org__isnull=False) | Q(owner_user__isnull=False),
                name="raid_task_has_owner",
            ),
            models.CheckConstraint(
                condition=~Q(state=TaskState.BLOCKED) | ~Q(blocked_reason=""),
                name="raid_task_blocked_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def owner_label(self) -> str:
        if self.owner_user_id:
            return str(self.owner_user)
        return str(self.owner_org)

    def is_overdue(self, now: datetime.datetime | None = None) -> bool:
        if self.state == TaskState.DONE:
            return False
        return self.due < (now or timezone.now())


class TaskEvent(models.Model):
    """Append-only log of task changes: concurrent changes are all kept, ordered by ``id``."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="events")
    raid = models.ForeignKey(Raid, on_delete=models.CASCADE, related_name="task_events")
    actor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    from_state = models.CharField(max_length=12, choices=TaskState.choices, blank=True)
    to_state = models.CharField(max_length=12, choices=TaskState.choices)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.task_id}: {self.from_state or '∅'} → {self.to_state}"


class RaidOutcome(models.Model):
    """What the raid produced.  Drafted by the lead, then confirmed (counts must match rows)."""

    raid = models.OneToOneField(Raid, on_delete=models.CASCADE, related_name="outcome")
    fir_number = models.CharField(_("FIR number"), max_length=40, blank=True)
    fir_registered_on = models.DateField(_("FIR registered on"), null=True, blank=True)
    police_station = models.ForeignKey(
        "agencies.Organisation",
        verbose_name=_("police station"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    sections = models.JSONField(
        _("sections invoked"), default=list, blank=True, validators=[validate_sections]
    )
    minors_rescued = models.PositiveSmallIntegerField(_("minors rescued"), default=0)
    adults_rescued = models.PositiveSmallIntegerField(_("adults rescued"), default=0)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("raid outcome")

    def __str__(self) -> str:
        return f"{self.raid}: {self.fir_number or '—'}"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    def sections_display(self) -> list[str]:
        return [str(Section(c).label) for c in self.sections if c in SECTION_CODES]

    def mismatches(self) -> list[str]:
        """Why the outcome cannot be confirmed yet (empty when it can).

        Uses the prefetched rows when present, so a page calling it adds no query.
        """
        from django.utils.translation import gettext as _g

        people = list(self.rescued.all())
        minors = sum(1 for p in people if p.is_minor)
        adults = len(people) - minors
        problems = []
        if minors != self.minors_rescued:
            problems.append(
                _g("%(n)d minor(s) declared but %(rows)d recorded.")
                % {"n": self.minors_rescued, "rows": minors}
            )
        if adults != self.adults_rescued:
            problems.append(
                _g("%(n)d adult(s) declared but %(rows)d recorded.")
                % {"n": self.adults_rescued, "rows": adults}
            )
        if self.arrested.exists() and not self.fir_number:
            problems.append(_g("Offenders were arrested: the FIR number is required."))
        if self.fir_number and not (self.police_station_id and self.fir_registered_on):
            problems.append(_g("An FIR needs its police station and registration date."))
        return problems

    def shareable_summary(self) -> str:
        """A summary safe for every partner: no place, no names, no exact date, no codename."""
        from django.utils.translation import gettext as _g

        arrested = list(self.arrested.all())
        customers = sum(1 for a in arrested if a.role == OffenderRole.CUSTOMER)
        acts = sorted({act_of(c).upper() for c in self.sections})
        when = self.raid.executed_at or self.raid.window_start
        when = timezone.localtime(when)
        text = _g(
            "An FTU rescue operation in %(month)s brought %(minors)d child(ren) and "
            "%(adults)d adult(s) to safety; %(arrested)d offender(s) were arrested, "
            "%(customers)d of them customer(s)."
        ) % {
            "month": when.strftime("%m/%Y"),
            "minors": self.minors_rescued,
            "adults": self.adults_rescued,
            "arrested": len(arrested),
            "customers": customers,
        }
        if acts:
            text += " " + _g("Cases registered under: %(acts)s.") % {"acts": ", ".join(acts)}
        return text


class HandOver(models.TextChoices):
    NOT_APPLICABLE = "n/a", _("Not applicable (adult)")
    PENDING = "pending", _("Awaiting a child case")
    DONE = "done", _("Child case opened")


class RescuedPerson(models.Model):
    """A person rescued in a raid: no names here; a minor becomes a child case (hand-over)."""

    outcome = models.ForeignKey(RaidOutcome, on_delete=models.CASCADE, related_name="rescued")
    rescued_at = models.DateTimeField(_("rescued at"))
    age_band = models.CharField(
        _("apparent age"),
        max_length=10,
        choices=AgeBand.choices,
        help_text=_("When in doubt the person is treated as a child."),
    )
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    languages = models.JSONField(
        _("languages spoken"),
        default=list,
        blank=True,
        validators=[validate_languages],
    )
    needs = models.JSONField(
        _("immediate needs"), default=list, blank=True, validators=[validate_needs]
    )
    handover = models.CharField(max_length=8, choices=HandOver.choices, default=HandOver.PENDING)
    # Filled by the hand-over to the child-case app after the merge (its case id).
    child_case_ref = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_age_band_display()} · {self.get_sex_display()}"

    @property
    def is_minor(self) -> bool:
        return self.age_band in MINOR_BANDS


class ArrestedOffender(models.Model):
    """An offender arrested in the raid, by role (names live encrypted on the prosecution)."""

    outcome = models.ForeignKey(RaidOutcome, on_delete=models.CASCADE, related_name="arrested")
    role = models.CharField(_("role"), max_length=12, choices=OffenderRole.choices)
    sections = models.JSONField(
        _("sections"), default=list, blank=True, validators=[validate_sections]
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return str(self.get_role_display())


class ProsecutionCaseQuerySet(models.QuerySet["ProsecutionCase"]):
    def visible_to(self, user: Any) -> ProsecutionCaseQuerySet:
        """Police of the case's unit (and coordinators of the police organisations above it),
        and the team of the raid it came from.  Nobody else: not media, not NGOs off the team."""
        from ftu.policy import Cap, can
        from ftu.roles import OrgKind, Role

        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if not can(user, Cap.PROSECUTION_VIEW):
            return self.none()
        from agencies.models import Membership

        mine = Membership.objects.active().filter(user=user, organisation__kind=OrgKind.POLICE)
        unit_ids = mine.values("organisation_id")
        coordinated = mine.filter(role=Role.COORDINATOR).values("organisation_id")
        return self.filter(
            Q(unit_id__in=unit_ids)
            | Q(unit__parent_id__in=coordinated)
            | Q(unit__parent__parent_id__in=coordinated)
            | Q(raid__in=Raid.objects.visible_to(user).values("pk"))
        )


class ProsecutionCase(models.Model):
    """A case per FIR, from a raid or from a lead, followed per accused to judgment."""

    fir_number = models.CharField(_("FIR number"), max_length=40)
    police_station = models.ForeignKey(
        "agencies.Organisation",
        verbose_name=_("police station"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    fir_registered_on = models.DateField(_("FIR registered on"))
    unit = models.ForeignKey(
        "agencies.Organisation",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="prosecutions",
    )
    raid = models.ForeignKey(
        Raid, on_delete=models.PROTECT, null=True, blank=True, related_name="prosecutions"
    )
    lead_reference = models.CharField(
        _("lead reference"),
        max_length=80,
        blank=True,
        help_text=_("When the case started from a lead rather than a raid: its reference."),
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    objects = ProsecutionCaseQuerySet.as_manager()

    class Meta:
        ordering = ["-fir_registered_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["police_station", "fir_number"], name="prosecution_one_case_per_fir"
            )
        ]
        verbose_name = _("prosecution case")
        verbose_name_plural = _("prosecution cases")

    def __str__(self) -> str:
        return f"FIR {self.fir_number}"

    def get_absolute_url(self) -> str:
        return reverse("raids:case", args=[self.pk])

    def charge_sheet_due(self) -> datetime.date | None:
        """BNSS s.193(2): investigation complete within two months of the information, when
        any accused is charged under POCSO s.4, 6, 8 or 10.  None when the clock does not run.

        Uses the prefetched accused when present.  The statutory-clock engine (ftu/clocks.py)
        is hooked in after the merge; this date is what it will be given.
        """
        if not any(a.on_charge_sheet_clock for a in self.accused.all()):
            return None
        return add_months(self.fir_registered_on, CHARGE_SHEET_MONTHS)

    def charge_sheet_pending(self) -> bool:
        return any(
            a.on_charge_sheet_clock and a.charge_sheeted_on is None for a in self.accused.all()
        )

    def charge_sheet_overdue(self, today: datetime.date | None = None) -> bool:
        due = self.charge_sheet_due()
        if due is None or not self.charge_sheet_pending():
            return False
        return (today or timezone.localdate()) > due


class Accused(models.Model):
    """One accused of a case; the stage moves only forward, with dates in order."""

    case = models.ForeignKey(ProsecutionCase, on_delete=models.CASCADE, related_name="accused")
    label = models.CharField(_("label"), max_length=20, help_text=_("A1, A2… as in the FIR."))
    name = EncryptedCharField(_("name"), max_length=150, blank=True, default="")
    role = models.CharField(_("role"), max_length=12, choices=OffenderRole.choices)
    sections = models.JSONField(_("sections"), default=list, validators=[validate_sections])
    # Derived from ``sections`` in clean(): lets the figures count in the database.
    under_pocso = models.BooleanField(default=False, editable=False)
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices)
    arrested_on = models.DateField(_("arrested on"), null=True, blank=True)
    charge_sheeted_on = models.DateField(_("charge-sheeted on"), null=True, blank=True)
    trial_started_on = models.DateField(_("trial started on"), null=True, blank=True)
    judgment_on = models.DateField(_("judgment or discharge on"), null=True, blank=True)
    from_offender = models.OneToOneField(
        ArrestedOffender, on_delete=models.SET_NULL, null=True, blank=True, related_name="accused"
    )

    class Meta:
        ordering = ["case", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "label"], name="prosecution_accused_label"),
            models.CheckConstraint(
                condition=Q(stage__in=Stage.values), name="prosecution_stage_known"
            ),
        ]
        indexes = [
            # prosecution_figures(): customers by month of each stage date
            models.Index(fields=["role", "arrested_on"], name="accused_role_arrested_idx"),
            models.Index(fields=["role", "judgment_on"], name="accused_role_judgment_idx"),
        ]
        verbose_name = _("accused")
        verbose_name_plural = _("accused")

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        validate_sections(self.sections)
        self.under_pocso = any(act_of(c) == "pocso" for c in self.sections)
        dates = [
            self.arrested_on,
            self.charge_sheeted_on,
            self.trial_started_on,
            self.judgment_on,
        ]
        known = [d for d in dates if d is not None]
        if known != sorted(known):
            raise ValidationError(_("Stage dates cannot be earlier than the stages before them."))

    @property
    def on_charge_sheet_clock(self) -> bool:
        return bool(CHARGE_SHEET_CLOCK_SECTIONS & set(self.sections))

    @property
    def stage_rank(self) -> int:
        return STAGE_RANK[self.stage]

    def sections_display(self) -> list[str]:
        return [str(Section(c).label) for c in self.sections if c in SECTION_CODES]

    def stage_date(self, stage: str) -> datetime.date | None:
        return {
            Stage.ARRESTED: self.arrested_on,
            Stage.CHARGE_SHEETED: self.charge_sheeted_on,
            Stage.ON_TRIAL: self.trial_started_on,
        }.get(stage, self.judgment_on)
