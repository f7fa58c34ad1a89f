"""Child cases, referrals, CWC productions and leads.

A case is known everywhere by its pseudonymous code (``FTU-2026-0042``).  Its protected
fields are encrypted at rest and shown only to its *holders* (``ChildCase.objects.held_by``):
the recording organisation, the police station on the case, the CWC handling it, the
organisations whose referral for the case is accepted (while it is), and the named
caseworkers (while they are members of their organisation).  ``visible_to`` adds the
pseudonymous view: organisations deciding on a referral sent to them, and the convenor.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from ftu.crypto import EncryptedCharField, EncryptedTextField
from ftu.policy import Cap, can, is_convenor
from ftu.roles import OrgKind


def org_ids(user: Any) -> list[int]:
    """Ids of the organisations of a person's active memberships (cached on the user)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_ftu_org_ids", None)
    if cached is None:
        from agencies.models import Membership

        cached = sorted(
            set(
                Membership.objects.active()
                .filter(user=user)
                .values_list("organisation_id", flat=True)
            )
        )
        user._ftu_org_ids = cached
    return cached


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    TRANSGENDER = "transgender", _("Transgender")
    NOT_KNOWN = "not_known", _("Not known")


class AgeBand(models.TextChoices):
    UNDER_6 = "0-5", _("0–5 years")
    FROM_6 = "6-11", _("6–11 years")
    FROM_12 = "12-14", _("12–14 years")
    FROM_15 = "15-17", _("15–17 years")
    UNCERTAIN = "uncertain", _("Uncertain (treated as a child)")


class Need(models.TextChoices):
    MEDICAL = "medical", _("Medical care")
    SHELTER = "shelter", _("Shelter")
    COUNSELLING = "counselling", _("Counselling")
    LEGAL_AID = "legal_aid", _("Legal aid")
    INTERPRETER = "interpreter", _("Interpreter")
    SUPPORT_PERSON = "support_person", _("Support person")
    EDUCATION = "education", _("Education")
    OTHER = "other", _("Other")


class Source(models.TextChoices):
    RESCUE = "rescue", _("Rescue")
    RAID = "raid", _("Raid")
    CHILDLINE = "childline", _("Childline call")
    WALK_IN = "walk_in", _("Walk-in")
    OUTREACH = "outreach", _("Outreach")
    OTHER = "other", _("Other")


class AgeBasis(models.TextChoices):
    DOCUMENTS = "documents", _("Documents")
    APPEARANCE = "appearance", _("Appearance")
    MEDICAL = "medical", _("Medical opinion")


class AgeMethod(models.TextChoices):
    SCHOOL = "school", _("School or matriculation certificate")
    BIRTH = "birth", _("Birth certificate (municipality or panchayat)")
    MEDICAL = "medical", _("Ossification or other medical test")


class ClosureReason(models.TextChoices):
    RESTORED = "restored", _("Restored to family")
    PLACED = "placed", _("Placed long-term (foster care, adoption, institution)")
    TRANSFERRED = "transferred", _("Transferred out of the district")
    AGED_OUT = "aged_out", _("Aged out of care")
    OTHER = "other", _("Other")


class CaseCounter(models.Model):
    """The last serial allocated per year; the row is locked by the UPDATE that bumps it."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("case counter")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class ChildCaseQuerySet(models.QuerySet["ChildCase"]):
    def held_by(self, user: Any) -> ChildCaseQuerySet:
        """Cases whose identity the person may see (need-to-know)."""
        if not can(user, Cap.CASE_LIST):
            return self.none()
        orgs = org_ids(user)
        accepted = Referral.objects.filter(
            case=OuterRef("pk"), to_org__in=orgs, state=Referral.State.ACCEPTED
        )
        worker = Caseworker.objects.filter(
            case=OuterRef("pk"), user=user, active=True, organisation__in=orgs
        )
        return self.filter(
            Q(recording_org__in=orgs)
            | Q(police_station__in=orgs)
            | Q(cwc__in=orgs)
            | Exists(accepted)
            | Exists(worker)
        )

    def visible_to(self, user: Any) -> ChildCaseQuerySet:
        """Cases the person may see by code: holders, orgs deciding a referral, the convenor."""
        if not can(user, Cap.CASE_LIST):
            return self.none()
        if is_convenor(user):
            return self.all()
        pending = Referral.objects.filter(
            case=OuterRef("pk"), to_org__in=org_ids(user), state=Referral.State.SENT
        )
        return self.held_by(user) | self.filter(Exists(pending))


class ChildCase(models.Model):
    """A child in the FTU's care.  Protected fields are encrypted; the code is pseudonymous."""

    PROTECTED_FIELDS = (
        "name",
        "aliases",
        "guardian_name",
        "guardian_contact",
        "address",
        "school",
        "identifying_marks",
        "circumstances",
    )

    code = models.CharField(_("case code"), max_length=20, unique=True, editable=False)
    recording_org = models.ForeignKey(
        "agencies.Organisation",
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="cases_recorded",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # In clear: what partners need to plan care without knowing who the child is.
    district = models.CharField(_("district"), max_length=80)
    police_station = models.ForeignKey(
        "agencies.Organisation",
        verbose_name=_("police station"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases_at_station",
        limit_choices_to={"kind": OrgKind.POLICE},
    )
    cwc = models.ForeignKey(
        "agencies.Organisation",
        verbose_name=_("CWC handling the case"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases_before_cwc",
        limit_choices_to={"kind": OrgKind.CWC},
    )
    sex = models.CharField(_("sex"), max_length=12, choices=Sex.choices)
    apparent_age = models.PositiveSmallIntegerField(_("apparent age"), null=True, blank=True)
    age_band = models.CharField(_("age band"), max_length=10, choices=AgeBand.choices)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    needs = models.JSONField(_("needs"), default=list, blank=True)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    first_contact_at = models.DateTimeField(_("time of rescue or first contact"))
    # Protected: encrypted at rest, shown only to holders after a reasoned, audited reveal.
    name = EncryptedCharField(_("name"), max_length=150)
    aliases = EncryptedTextField(_("aliases"), blank=True)
    guardian_name = EncryptedCharField(_("guardian"), max_length=150, blank=True)
    guardian_contact = EncryptedCharField(_("guardian's phone"), max_length=40, blank=True)
    address = EncryptedTextField(_("address"), blank=True)
    school = EncryptedCharField(_("school"), max_length=200, blank=True)
    identifying_marks = EncryptedTextField(_("identifying marks"), blank=True)
    circumstances = EncryptedTextField(_("circumstances"), blank=True)
    # Preliminary age assessment (Meerut SOP); the person is a child until determined otherwise.
    age_basis = models.CharField(
        _("basis of the age assessment"), max_length=12, choices=AgeBasis.choices
    )
    age_assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("age assessed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    age_assessed_at = models.DateTimeField(_("age assessed on"))
    treated_as_child = models.BooleanField(_("treated as a child"), default=True)
    determined_age = models.PositiveSmallIntegerField(_("determined age"), null=True, blank=True)
    age_method = models.CharField(
        _("how the age was determined"), max_length=10, choices=AgeMethod.choices, blank=True
    )
    age_determined_at = models.DateTimeField(_("age determined on"), null=True, blank=True)
    # Keyed hash of normalised name + age band + guardian phone: possible-duplicate check.
    duplicate_index = models.CharField(max_length=64, db_index=True, editable=False)
    # Closure (a holder closes the case; it can be reopened).  The note is safe text.
    closed_at = models.DateTimeField(_("closed on"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closure_reason = models.CharField(
        _("reason for closing"), max_length=12, choices=ClosureReason.choices, blank=True
    )
    closure_note = models.CharField(_("closing note"), max_length=300, blank=True)
    # Legal hold: a proceeding (trial, appeal, follow-up) still needs the identity, so
    # retention must not erase it.  Set and cleared by the convenor or the CWC.
    legal_hold = models.BooleanField(_("legal hold"), default=False)
    legal_hold_reason = models.CharField(_("reason for the legal hold"), max_length=300, blank=True)
    legal_hold_at = models.DateTimeField(null=True, blank=True)
    legal_hold_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Set when retention erased the protected fields (referrals/retention.py).
    identity_erased_at = models.DateTimeField(_("identity erased on"), null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = ChildCaseQuerySet.as_manager()

    class Meta:
        ordering = ["-first_contact_at", "-pk"]
        verbose_name = _("child case")
        verbose_name_plural = _("child cases")
        indexes = [
            # the case list, newest first, for the recording organisation.
            models.Index(fields=["recording_org", "-first_contact_at"], name="case_rec_org_idx"),
            # the convenor's case list (every case), newest first.
            models.Index(fields=["-first_contact_at", "-id"], name="case_recent_idx"),
            # retention: closed cases whose identity is still there, oldest closure first.
            models.Index(
                fields=["closed_at"],
                condition=Q(closed_at__isnull=False, identity_erased_at__isnull=True),
                name="case_erase_due_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | ~Q(closure_reason=""),
                name="case_closed_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(legal_hold=False) | ~Q(legal_hold_reason=""),
                name="case_hold_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(determined_age__isnull=True) | ~Q(age_method=""),
                name="case_determined_age_has_method",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def get_absolute_url(self) -> str:
        return reverse("referrals:case", args=[self.pk])

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    @property
    def protected_field_names(self) -> tuple[str, ...]:
        return self.PROTECTED_FIELDS

    def get_needs_display(self) -> list[str]:
        labels = dict(Need.choices)
        return [str(labels.get(n, n)) for n in self.needs]

    def get_languages_display(self) -> list[str]:
        from ftu.roles import Language

        labels = dict(Language.choices)
        return [str(labels.get(code, code)) for code in self.languages]


class HeldCaseQuerySet(ChildCaseQuerySet):
    def visible_to(self, user: Any) -> ChildCaseQuerySet:
        return self.held_by(user)


class HeldCase(ChildCase):
    """The same rows, seen as the objects only holders reach (identity, actions on the case).

    Views that act on a case or show its identity fetch through ``HeldCase.objects``, so
    organisations deciding a referral and the convenor get a 404 there.
    """

    objects = HeldCaseQuerySet.as_manager()

    class Meta:
        proxy = True
        verbose_name = _("held child case")


class Caseworker(models.Model):
    """A person named on a case (by the recorder, or when a referral is accepted)."""

    case = models.ForeignKey(ChildCase, on_delete=models.CASCADE, related_name="caseworkers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(
        "agencies.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    active = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)
    ended = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("caseworker")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "user"], condition=Q(active=True), name="one_active_caseworker"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case} · {self.user}"


class CaseIdentityIndex(models.Model):
    """One keyed hash (blind index) of an identifying phrase of a case: its name, each alias,
    the guardian's name, the school, the guardian's phone.

    Written by the services that write identity (``referrals.identity``), read by the actions
    feed's identity guard so that a holder cannot post a child's identity: nothing is ever
    decrypted for the check.  The hash alone reveals nothing without the server's key.
    """

    case = models.ForeignKey(ChildCase, on_delete=models.CASCADE, related_name="identity_indexes")
    digest = models.CharField(max_length=64, editable=False)

    class Meta:
        verbose_name = _("case identity index")
        verbose_name_plural = _("case identity indexes")
        constraints = [
            models.UniqueConstraint(fields=["case", "digest"], name="case_identity_index_unique")
        ]

    def __str__(self) -> str:
        return f"{self.case_id} · {self.digest[:8]}…"


class Urgency(models.TextChoices):
    EMERGENCY = "emergency", _("Emergency (respond within 4 hours)")
    URGENT = "urgent", _("Urgent (respond within 24 hours)")
    ROUTINE = "routine", _("Routine (respond within 3 days)")


class ReferralService(models.TextChoices):
    CWC_PRODUCTION = "cwc_production", _("CWC production")
    COUNSELLING = "counselling", _("Counselling")
    SHELTER = "shelter", _("Shelter")
    MEDICAL = "medical", _("Medical care")
    LEGAL_AID = "legal_aid", _("Legal aid")
    SUPPORT_PERSON = "support_person", _("Support person")
    OTHER = "other", _("Other")


class ReferralQuerySet(models.QuerySet["Referral"]):
    def visible_to(self, user: Any) -> ReferralQuerySet:
        """Sender organisation, receiving organisation (not once declined or withdrawn),
        the case's holders and the convenor."""
        if not can(user, Cap.CASE_LIST):
            return self.none()
        if is_convenor(user):
            return self.all()
        orgs = org_ids(user)
        held = ChildCase.objects.held_by(user).values("pk")
        return self.filter(
            Q(from_org__in=orgs)
            | Q(to_org__in=orgs, state__in=Referral.RECEIVER_STATES)
            | Q(case__in=held)
        )

    def overdue(self, now: datetime.datetime | None = None) -> ReferralQuerySet:
        return self.filter(state=Referral.State.SENT, response_due_at__lte=now or timezone.now())


class Referral(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Sent")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        COMPLETED = "completed", _("Completed")

    RECEIVER_STATES = (State.SENT, State.ACCEPTED, State.COMPLETED)

    case = models.ForeignKey(ChildCase, on_delete=models.PROTECT, related_name="referrals")
    from_org = models.ForeignKey(
        "agencies.Organisation",
        verbose_name=_("from"),
        on_delete=models.PROTECT,
        related_name="referrals_sent",
    )
    to_org = models.ForeignKey(
        "agencies.Organisation",
        verbose_name=_("to"),
        on_delete=models.PROTECT,
        related_name="referrals_received",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    service = models.CharField(_("service"), max_length=20, choices=ReferralService.choices)
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.URGENT
    )
    note = models.TextField(
        _("note"),
        blank=True,
        max_length=2000,
        help_text=_("What the receiving organisation needs to know. Never the child's identity."),
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    sent_at = models.DateTimeField(null=True, blank=True)
    response_due_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    caseworker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("caseworker"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decline_reason = models.TextField(_("reason for declining"), blank=True, max_length=1000)
    closed_at = models.DateTimeField(null=True, blank=True)
    # One per form: a double submit or a retry finds the first referral instead of a second.
    idempotency_key = models.UUIDField(default=uuid.uuid4, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "idempotency_key"], name="referral_idempotent_create"
            ),
            models.CheckConstraint(
                condition=~Q(state="declined") | ~Q(decline_reason=""),
                name="referral_decline_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["accepted", "completed"]) | Q(caseworker__isnull=False),
                name="referral_accepted_has_caseworker",
            ),
            models.CheckConstraint(
                condition=~Q(from_org=models.F("to_org")), name="referral_not_to_self"
            ),
        ]
        indexes = [
            # the inbox: a receiving organisation's referrals, newest first (state filtered
            # while scanning in order: the page stops after 25 rows).
            models.Index(fields=["to_org", "-created"], name="referral_inbox_idx"),
            # the outbox: a sending organisation's referrals, newest first.
            models.Index(fields=["from_org", "-created"], name="referral_outbox_idx"),
            # the overdue filter and escalation.
            models.Index(fields=["state", "response_due_at"], name="referral_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case.code} → {self.to_org}"

    def get_absolute_url(self) -> str:
        return reverse("referrals:referral", args=[self.pk])

    def is_overdue(self, now: datetime.datetime | None = None) -> bool:
        return (
            self.state == self.State.SENT
            and self.response_due_at is not None
            and self.response_due_at <= (now or timezone.now())
        )

    @property
    def urgency_badge(self) -> Any:
        """The urgency in one word, for a badge (the choice's label explains the delay)."""
        return URGENCY_BADGES.get(self.urgency, self.get_urgency_display())


URGENCY_BADGES = {
    Urgency.EMERGENCY: _("Emergency"),
    Urgency.URGENT: _("Urgent"),
}


class CaseEvent(models.Model):
    """The timeline of a case (and its referrals), shown to holders.  Safe text only."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Case recorded")
        REVEALED = "revealed", _("Identity viewed")
        AGE_DETERMINED = "age_determined", _("Age determined")
        MILESTONE = "milestone", _("Event recorded")
        CLOCK_NA = "clock_na", _("Deadline marked not applicable")
        PRODUCTION = "production", _("Produced before the CWC")
        REFERRAL = "referral", _("Referral")
        LEAD = "lead", _("Lead")
        CASEWORKER = "caseworker", _("Caseworker named")
        CLOSED = "closed", _("Case closed")
        REOPENED = "reopened", _("Case reopened")
        LEGAL_HOLD = "legal_hold", _("Legal hold")
        ERASED = "erased", _("Identity erased")

    case = models.ForeignKey(ChildCase, on_delete=models.CASCADE, related_name="events")
    referral = models.ForeignKey(
        Referral, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # What the timeline says, in the language of whoever caused the event (kept as written).
    summary = models.CharField(max_length=300)
    # The same, as the untranslated message and its values: each reader sees the event in
    # their own language.  A value is text as typed, or a {language: text} dict of names.
    message = models.CharField(max_length=200, blank=True, default="")
    params = models.JSONField(blank=True, default=dict)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    organisation = models.ForeignKey(
        "agencies.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            # the timeline of one case, newest first.
            models.Index(fields=["case", "-at"], name="case_event_case_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"

    @classmethod
    def record(
        cls,
        case: ChildCase,
        kind: str,
        message: str,
        *,
        params: dict[str, Any] | None = None,
        note: str = "",
        **fields: Any,
    ) -> CaseEvent:
        """Add an event; ``message`` is an untranslated msgid (``gettext_noop``)."""
        params = dict(params or {})
        if note:
            params["note"] = note
        event = cls(case=case, kind=kind, message=message, params=params, **fields)
        event.summary = event.text[:300]
        event.save()
        return event

    @property
    def text(self) -> str:
        """The event in the reader's language (events stored before messages: as written)."""
        if not self.message:
            return self.summary
        language = translation.get_language() or settings.LANGUAGE_CODE
        values = {
            key: (value.get(language) or value.get("en", "")) if isinstance(value, dict) else value
            for key, value in self.params.items()
            if key != "note"
        }
        try:
            text = translation.gettext(self.message)
            text = text % values if values else text
        except (KeyError, ValueError, TypeError):
            return self.summary or self.message
        note = self.params.get("note")
        return f"{text} ({note})" if note else text


class Milestone(models.TextChoices):
    MEDICAL_CARE = "medical_care", _("Emergency medical care given")
    REPORTED = "reported", _("Reported to the CWC and the Special Court")
    SIR = "sir", _("Social Investigation Report submitted")


class CwcOrder(models.TextChoices):
    SHELTER = "shelter", _("Shelter (children's home or fit facility)")
    RESTORATION = "restoration", _("Restoration to family")
    COUNSELLING = "counselling", _("Counselling")
    MEDICAL = "medical", _("Medical care")
    SUPPORT_PERSON = "support_person", _("Support person")
    AGE_DETERMINATION = "age_determination", _("Age determination")
    SIR = "sir", _("Social Investigation Report")
    OTHER = "other", _("Other")


class CwcProduction(models.Model):
    case = models.ForeignKey(ChildCase, on_delete=models.PROTECT, related_name="productions")
    cwc = models.ForeignKey(
        "agencies.Organisation",
        verbose_name=_("Child Welfare Committee"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": OrgKind.CWC},
    )
    produced_at = models.DateTimeField(_("produced on"))
    before_whom = models.CharField(_("before whom (bench members)"), max_length=300)
    orders = models.JSONField(_("orders"), default=list)
    order_details = EncryptedTextField(_("order details"), blank=True)
    final_order = models.BooleanField(_("this is the final order"), default=False)
    next_date = models.DateField(_("next date"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-produced_at"]
        verbose_name = _("CWC production")

    def __str__(self) -> str:
        return f"{self.case_id} @ {self.produced_at:%Y-%m-%d}"

    def get_orders_display(self) -> list[str]:
        labels = dict(CwcOrder.choices)
        return [str(labels.get(o, o)) for o in self.orders]


class OffenderRole(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    TRAFFICKER = "trafficker", _("Trafficker")
    FACILITATOR = "facilitator", _("Facilitator")
    OTHER = "other", _("Other")


class LeadQuerySet(models.QuerySet["Lead"]):
    def visible_to(self, user: Any) -> LeadQuerySet:
        """The police unit the lead is for, and the recording organisation while it holds
        the case.  Never the convenor or anyone else."""
        orgs = org_ids(user)
        q = Q(pk__in=[])
        if can(user, Cap.LEAD_RECEIVE):
            q |= Q(police_org__in=orgs)
        if can(user, Cap.LEAD_RECORD):
            q |= Q(recording_org__in=orgs, case__in=ChildCase.objects.held_by(user).values("pk"))
        return self.filter(q)


class Lead(models.Model):
    class State(models.TextChoices):
        NEW = "new", _("New")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        ACTED_ON = "acted_on", _("Acted on")

    case = models.ForeignKey(ChildCase, on_delete=models.PROTECT, related_name="leads")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recording_org = models.ForeignKey(
        "agencies.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    police_org = models.ForeignKey(
        "agencies.Organisation",
        verbose_name=_("for the police unit"),
        on_delete=models.PROTECT,
        related_name="leads_received",
        limit_choices_to={"kind": OrgKind.POLICE},
    )
    offender_role = models.CharField(
        _("offender's role"), max_length=12, choices=OffenderRole.choices
    )
    description = EncryptedTextField(_("description of the offender"))
    places = EncryptedTextField(_("places"), blank=True)
    phones = EncryptedTextField(_("phone numbers"), blank=True)
    vehicles = EncryptedTextField(_("vehicles"), blank=True)
    state = models.CharField(max_length=14, choices=State.choices, default=State.NEW)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acted_at = models.DateTimeField(null=True, blank=True)
    acted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action_reference = models.CharField(_("FIR or raid it fed"), max_length=200, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    objects = LeadQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("lead")
        indexes = [
            # the police unit's list of leads by state.
            models.Index(fields=["police_org", "state", "-created"], name="lead_police_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="acted_on") | ~Q(action_reference=""),
                name="lead_acted_has_reference",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case.code} · {self.get_offender_role_display()}"

    def get_absolute_url(self) -> str:
        return reverse("referrals:lead", args=[self.pk])
