"""Writes about child cases, referrals, CWC productions and leads.

Each service: checks the permission, validates, changes rows in one transaction, writes the
audit entry (field *names* only), adds a timeline event, starts or meets statutory clocks,
and ends with its ``notify_*`` helper.  Notification titles carry the case code, never an
identity.  Concurrent transitions lock the row (``select_for_update``) and re-check state.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from agencies.models import Membership, Organisation, User
from ftu import audit, clocks
from ftu.crypto import blind_index
from ftu.languages import in_every_language
from ftu.policy import Cap, can, grants
from ftu.roles import OrgKind, Role
from notifications.services import Text, notify, translated
from referrals import clock_rules, identity, selectors
from referrals.models import (
    AgeBasis,
    CaseCounter,
    CaseEvent,
    Caseworker,
    ChildCase,
    CwcOrder,
    CwcProduction,
    Lead,
    Milestone,
    Referral,
    ReferralService,
    Source,
    Urgency,
    org_ids,
)

# --- helpers ------------------------------------------------------------------------------


def duplicate_index(*, name: str, age_band: str, guardian_contact: str) -> str:
    digits = "".join(ch for ch in guardian_contact or "" if ch.isdigit())[-10:]
    return blind_index(name, age_band, digits, purpose="case-duplicate")


def _allocate_code(year: int) -> str:
    """Next ``FTU-<year>-<serial>``.  Must run inside the caller's transaction: the UPDATE
    locks the year's counter row until commit, so concurrent creators queue on it."""
    CaseCounter.objects.bulk_create([CaseCounter(year=year, last=0)], ignore_conflicts=True)
    CaseCounter.objects.filter(year=year).update(last=F("last") + 1)
    serial = CaseCounter.objects.values_list("last", flat=True).get(year=year)
    return f"FTU-{year}-{serial:04d}"


def _event(
    case: ChildCase,
    kind: str,
    message: str,
    *,
    params: dict[str, Any] | None = None,
    note: str = "",
    actor: Any = None,
    org: Any = None,
    referral: Referral | None = None,
    at: datetime.datetime | None = None,
) -> CaseEvent:
    """A timeline entry; ``message`` is untranslated, each reader sees it in their language."""
    return CaseEvent.record(
        case,
        kind,
        message,
        params=params,
        note=note,
        referral=referral,
        actor=actor,
        organisation=org,
        at=at or timezone.now(),
    )


def _org_name(org: Organisation) -> dict[str, str]:
    return in_every_language(lambda: org.display_name)


def _require(user: Any, cap: Cap) -> None:
    if not can(user, cap):
        raise PermissionDenied


def _require_holder(user: Any, case: ChildCase) -> None:
    if not selectors.is_holder(user, case):
        raise PermissionDenied


def _require_open(case: ChildCase) -> None:
    closed = ChildCase.objects.filter(pk=case.pk, closed_at__isnull=False).exists()
    if closed:
        raise ValidationError(_("This case is closed: reopen it first."))


def acting_org(user: Any, case: ChildCase) -> Organisation:
    """The organisation through which ``user`` holds ``case`` (the recording one first)."""
    holding = selectors.holding_orgs(case)
    mine = [o for o in org_ids(user) if o in holding]
    if case.recording_org_id in mine:
        return case.recording_org
    if mine:
        return Organisation.objects.get(pk=mine[0])
    worker = Caseworker.objects.filter(case=case, user=user, active=True).first()
    if worker and worker.organisation_id in org_ids(user):
        return worker.organisation
    raise PermissionDenied


def recording_orgs_for(user: Any) -> list[Organisation]:
    """Organisations through which a person may record a case."""
    rows = Membership.objects.active().filter(user=user).select_related("organisation")
    return [m.organisation for m in rows if grants(Cap.CASE_CREATE, m.organisation.kind, m.role)]


# --- cases --------------------------------------------------------------------------------


def case_create(*, actor: User, organisation: Organisation, data: dict[str, Any]):
    """Record a child case; start the 24-hour clocks.  Returns (case, possible duplicates the
    actor may know: a list of case codes)."""
    _require(actor, Cap.CASE_CREATE)
    if organisation.pk not in [o.pk for o in recording_orgs_for(actor)]:
        raise PermissionDenied
    fields = {k: v for k, v in data.items() if k not in {"recording_org"}}
    with transaction.atomic():
        now = timezone.now()
        case = ChildCase(
            recording_org=organisation,
            created_by=actor,
            age_assessed_by=fields.pop("age_assessed_by", None) or actor,
            **fields,
        )
        if not case.district:
            case.district = organisation.district
        if case.age_assessed_at is None:
            case.age_assessed_at = now
        case.treated_as_child = True
        case.duplicate_index = duplicate_index(
            name=case.name, age_band=case.age_band, guardian_contact=case.guardian_contact
        )
        case.code = _allocate_code(timezone.localtime(now).year)
        case.full_clean()
        case.save()
        identity.store_case_identity(case)
        Caseworker.objects.create(case=case, user=actor, organisation=organisation, added_by=actor)
        filled = [f for f in ChildCase.PROTECTED_FIELDS if getattr(case, f)]
        audit.record(
            actor=actor, action="case.create", obj=case, organisation=organisation, fields=filled
        )
        _event(
            case,
            CaseEvent.Kind.CREATED,
            gettext_noop("Case recorded"),
            actor=actor,
            org=organisation,
        )
        _start_first_clocks(case, actor)
        duplicates = list(
            ChildCase.objects.held_by(actor)
            .filter(duplicate_index=case.duplicate_index)
            .exclude(pk=case.pk)
            .values_list("code", flat=True)
        )
    return case, duplicates


def child_case_open_from_rescue(
    *,
    actor: User,
    unit: Organisation,
    police_station: Organisation | None,
    sex: str,
    age_band: str,
    languages: list[str],
    needs: list[str],
    rescued_at: datetime.datetime,
    cwc: Organisation | None,
    rescue_ref: str,
    note: str = "",
) -> tuple[ChildCase, Referral | None]:
    """Open the child case of a minor rescued by ``unit`` and draft its CWC production referral.

    Called by the raid outcome's confirmation, inside its transaction.  The case carries no
    identity (the holders fill it in later); its preliminary age assessment is by appearance,
    by the actor, at the rescue.  The 24-hour clocks run from ``rescued_at``, not from now.
    ``rescue_ref`` identifies the rescued person (it keys the drafted referral, so a replay
    returns the first draft); ``note`` (e.g. the band recorded at the rescue) goes on the
    timeline.  Returns (case, drafted referral or None when the district has no active CWC).
    """
    _require(actor, Cap.CASE_CREATE)
    if unit.kind != OrgKind.POLICE or unit.pk not in org_ids(actor):
        raise PermissionDenied
    if police_station is not None and police_station.kind != OrgKind.POLICE:
        raise ValidationError({"police_station": _("Choose a police station.")})
    if timezone.is_naive(rescued_at) or rescued_at > timezone.now():
        raise ValidationError({"rescued_at": _("The time cannot be in the future.")})
    with transaction.atomic():
        now = timezone.now()
        case = ChildCase(
            recording_org=unit,
            created_by=actor,
            district=unit.district,
            police_station=police_station or unit,
            sex=sex,
            age_band=age_band,
            languages=list(languages),
            needs=list(needs),
            source=Source.RESCUE,
            first_contact_at=rescued_at,
            age_basis=AgeBasis.APPEARANCE,
            age_assessed_by=actor,
            age_assessed_at=rescued_at,
            treated_as_child=True,
        )
        # No identity yet: an empty index (never a duplicate of anything) says so, and
        # ``case_identity_record`` fills both in.
        case.duplicate_index = ""
        case.code = _allocate_code(timezone.localtime(now).year)
        # The name is required of a case recorded by hand; here nobody may write one down.
        case.full_clean(exclude=["name", "duplicate_index"])
        case.save()
        Caseworker.objects.create(case=case, user=actor, organisation=unit, added_by=actor)
        audit.record(actor=actor, action="case.create_from_rescue", obj=case, organisation=unit)
        _event(
            case,
            CaseEvent.Kind.CREATED,
            gettext_noop("Case recorded from a rescue"),
            note=note,
            actor=actor,
            org=unit,
            at=rescued_at,
        )
        _start_first_clocks(case, actor)
        referral = None
        if cwc is not None:
            referral, _created = referral_create(
                actor=actor,
                case=case,
                to_org=cwc,
                service=ReferralService.CWC_PRODUCTION,
                urgency=Urgency.URGENT,
                idempotency_key=uuid.uuid5(uuid.NAMESPACE_URL, f"ftu:rescue:{rescue_ref}"),
                send=False,
            )
        notify_case_from_rescue(case, actor=actor, drafted=referral is not None)
    return case, referral


def case_identity_record(*, actor: User, case: ChildCase, data: dict[str, Any]) -> list[str]:
    """A holder records the identity of a case opened without one (from a rescue).

    Only once: a case that has an identity is never overwritten here.  Audited with the field
    names.  Returns the codes of possible duplicates among the cases the actor holds.
    """
    _require(actor, Cap.CASE_LIST)
    unknown = set(data) - set(ChildCase.PROTECTED_FIELDS)
    if unknown:
        raise ValidationError(_("Only identity fields can be recorded here."))
    if not (data.get("name") or "").strip():
        raise ValidationError({"name": _("Give the child's name.")})
    with transaction.atomic():
        case = ChildCase.objects.select_for_update().get(pk=case.pk)
        _require_holder(actor, case)
        if case.duplicate_index:
            raise ValidationError(_("The identity of this case is already recorded."))
        org = acting_org(actor, case)
        for name, value in data.items():
            setattr(case, name, (value or "").strip())
        case.duplicate_index = duplicate_index(
            name=case.name, age_band=case.age_band, guardian_contact=case.guardian_contact
        )
        case.full_clean()
        case.save(update_fields=[*data, "duplicate_index", "updated"])
        # The actions feed's guard compares posts with these keyed hashes.
        identity.store_case_identity(case)
        filled = [f for f in ChildCase.PROTECTED_FIELDS if getattr(case, f)]
        audit.record(
            actor=actor, action="case.identity_record", obj=case, organisation=org, fields=filled
        )
        _event(
            case, CaseEvent.Kind.CREATED, gettext_noop("Identity recorded"), actor=actor, org=org
        )
        return list(
            ChildCase.objects.held_by(actor)
            .filter(duplicate_index=case.duplicate_index)
            .exclude(pk=case.pk)
            .values_list("code", flat=True)
        )


def district_cwc(district: str) -> Organisation | None:
    """The active Child Welfare Committee of a district (the first by name if several)."""
    return (
        Organisation.objects.filter(kind=OrgKind.CWC, is_active=True, district=district)
        .order_by("name", "pk")
        .first()
    )


def _start_first_clocks(case: ChildCase, actor: Any) -> None:
    """The 24-hour clocks, from the time of rescue or first contact (not of recording)."""
    for rule in (
        clock_rules.MEDICAL_CARE,
        clock_rules.REPORT_CWC_COURT,
        clock_rules.CWC_PRODUCTION,
    ):
        clocks.clock_start(obj=case, rule=rule, started_at=case.first_contact_at, actor=actor)


def notify_case_from_rescue(case: ChildCase, *, actor: Any, drafted: bool) -> None:
    if drafted:
        title = gettext_lazy(
            "%(code)s: child case opened from a rescue; send the CWC production referral"
        )
    else:
        title = gettext_lazy(
            "%(code)s: child case opened from a rescue; no active CWC in the district"
        )
    notify(
        recipients=selectors.case_holder_people(case),
        kind="case.from_rescue",
        title=translated(title, code=case.code),
        url=case.get_absolute_url(),
        urgency="urgent",
        actor=actor,
    )


def case_reveal(*, actor: User, case: ChildCase, reason: str) -> dict[str, Any]:
    """Return the protected fields for a holder who gives a reason; audited (fail closed).

    For a case whose identity retention erased, the reveal is audited all the same and
    returns an empty dict (the page says when it was erased)."""
    _require(actor, Cap.CASE_LIST)
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ValidationError({"reason": _("Say why you need to see the identity.")})
    with transaction.atomic():
        _require_holder(actor, case)
        org = acting_org(actor, case)
        audit.record(
            actor=actor,
            action="case.reveal",
            obj=case,
            organisation=org,
            fields=list(ChildCase.PROTECTED_FIELDS),
            reason=reason,
        )
        _event(case, CaseEvent.Kind.REVEALED, gettext_noop("Identity viewed"), actor=actor, org=org)
        fresh = ChildCase.objects.get(pk=case.pk)
    if fresh.identity_erased_at is not None:
        return {}
    return {name: getattr(fresh, name) for name in ChildCase.PROTECTED_FIELDS}


def case_determine_age(
    *, actor: User, case: ChildCase, age: int, method: str, at: datetime.datetime
) -> ChildCase:
    """Record the determined age (JJ Act s.94); meets the age-determination clock."""
    _require(actor, Cap.CASE_LIST)
    with transaction.atomic():
        case = ChildCase.objects.select_for_update().get(pk=case.pk)
        _require_holder(actor, case)
        if at > timezone.now():
            raise ValidationError({"at": _("The date cannot be in the future.")})
        case.determined_age = age
        case.age_method = method
        case.age_determined_at = at
        case.treated_as_child = age < 18
        case.full_clean()
        case.save(
            update_fields=[
                "determined_age",
                "age_method",
                "age_determined_at",
                "treated_as_child",
                "updated",
            ]
        )
        org = acting_org(actor, case)
        audit.record(
            actor=actor,
            action="case.age_determine",
            obj=case,
            organisation=org,
            fields=["determined_age", "age_method"],
        )
        _event(
            case,
            CaseEvent.Kind.AGE_DETERMINED,
            gettext_noop("Age determined"),
            actor=actor,
            org=org,
            at=at,
        )
        clocks.clock_meet(obj=case, rule=clock_rules.AGE_DETERMINATION, at=at, actor=actor)
    return case


def case_milestone_record(
    *, actor: User, case: ChildCase, milestone: str, at: datetime.datetime
) -> None:
    """Record an event that satisfies a clock (medical care given, reported, SIR)."""
    _require(actor, Cap.CASE_LIST)
    if milestone not in clock_rules.MILESTONE_RULES:
        raise ValidationError({"milestone": _("Choose an event.")})
    if at > timezone.now():
        raise ValidationError({"at": _("The time cannot be in the future.")})
    with transaction.atomic():
        _require_holder(actor, case)
        org = acting_org(actor, case)
        label = in_every_language(lambda: Milestone(milestone).label)
        audit.record(actor=actor, action=f"case.milestone.{milestone}", obj=case, organisation=org)
        _event(
            case,
            CaseEvent.Kind.MILESTONE,
            "%(event)s",
            params={"event": label},
            actor=actor,
            org=org,
            at=at,
        )
        clocks.clock_meet(obj=case, rule=clock_rules.MILESTONE_RULES[milestone], at=at, actor=actor)


def case_clock_not_applicable(*, actor: User, case: ChildCase, rule: str, reason: str) -> None:
    _require(actor, Cap.CASE_LIST)
    if rule not in {r.code for r in clock_rules.CASE_RULES}:
        raise ValidationError({"rule": _("Choose a deadline.")})
    with transaction.atomic():
        _require_holder(actor, case)
        org = acting_org(actor, case)
        clocks.clock_not_applicable(obj=case, rule=rule, reason=reason, actor=actor)
        _event(
            case,
            CaseEvent.Kind.CLOCK_NA,
            gettext_noop("%(rule)s: not applicable"),
            params={"rule": in_every_language(lambda: clocks.get_rule(rule).label)},
            actor=actor,
            org=org,
        )


def cwc_production_record(
    *,
    actor: User,
    case: ChildCase,
    cwc: Organisation,
    produced_at: datetime.datetime,
    before_whom: str,
    orders: list[str],
    order_details: str = "",
    final_order: bool = False,
    next_date: datetime.date | None = None,
) -> CwcProduction:
    """Record a production before the CWC and its order.

    Meets the production clock; the first production starts the SIR and final-order clocks;
    an order for age determination starts that clock; a final order meets its clock.
    """
    _require(actor, Cap.CASE_LIST)
    if cwc.kind != OrgKind.CWC:
        raise ValidationError({"cwc": _("Choose a Child Welfare Committee.")})
    if produced_at > timezone.now():
        raise ValidationError({"produced_at": _("The time cannot be in the future.")})
    if produced_at < case.first_contact_at:
        raise ValidationError({"produced_at": _("The production cannot precede the rescue.")})
    unknown = set(orders) - set(CwcOrder.values)
    if unknown or not orders:
        raise ValidationError({"orders": _("Choose at least one order.")})
    with transaction.atomic():
        case = ChildCase.objects.select_for_update().get(pk=case.pk)
        _require_holder(actor, case)
        org = acting_org(actor, case)
        first = not CwcProduction.objects.filter(case=case).exists()
        production = CwcProduction(
            case=case,
            cwc=cwc,
            produced_at=produced_at,
            before_whom=before_whom,
            orders=list(orders),
            order_details=order_details,
            final_order=final_order,
            next_date=next_date,
            recorded_by=actor,
        )
        production.full_clean()
        production.save()
        if case.cwc_id is None:
            case.cwc = cwc
            case.save(update_fields=["cwc", "updated"])
        audit.record(
            actor=actor,
            action="case.production",
            obj=production,
            organisation=org,
            fields=["order_details"] if order_details else [],
        )
        _event(
            case,
            CaseEvent.Kind.PRODUCTION,
            gettext_noop("Produced before the CWC"),
            actor=actor,
            org=org,
            at=produced_at,
        )
        clocks.clock_meet(obj=case, rule=clock_rules.CWC_PRODUCTION, at=produced_at, actor=actor)
        if first:
            clocks.clock_start(obj=case, rule=clock_rules.SIR, started_at=produced_at, actor=actor)
            clocks.clock_start(
                obj=case, rule=clock_rules.FINAL_ORDER, started_at=produced_at, actor=actor
            )
        if CwcOrder.AGE_DETERMINATION in orders and case.determined_age is None:
            clocks.clock_start(
                obj=case, rule=clock_rules.AGE_DETERMINATION, started_at=produced_at, actor=actor
            )
        if final_order:
            clocks.clock_meet(obj=case, rule=clock_rules.FINAL_ORDER, at=produced_at, actor=actor)
    return production


# --- referrals ----------------------------------------------------------------------------


def referral_create(
    *,
    actor: User,
    case: ChildCase,
    to_org: Organisation,
    service: str,
    urgency: str,
    note: str = "",
    idempotency_key: uuid.UUID,
    send: bool = True,
) -> tuple[Referral, bool]:
    """Create (and by default send) a referral.  Returns (referral, created).

    The same ``idempotency_key`` from the same person returns the first referral instead of
    creating a second one (double submit, retry, two racing requests).
    """
    _require(actor, Cap.CASE_LIST)
    existing = Referral.objects.filter(created_by=actor, idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing, False
    if to_org.kind not in selectors.RECEIVING_KINDS or not to_org.is_active:
        raise ValidationError({"to_org": _("This organisation cannot receive referrals.")})
    try:
        with transaction.atomic():
            _require_holder(actor, case)
            _require_open(case)
            from_org = acting_org(actor, case)
            if from_org.pk == to_org.pk:
                raise ValidationError({"to_org": _("Refer to another organisation.")})
            referral = Referral(
                case=case,
                from_org=from_org,
                to_org=to_org,
                created_by=actor,
                service=service,
                urgency=urgency,
                note=note,
                idempotency_key=idempotency_key,
            )
            referral.full_clean(validate_constraints=False)
            referral.save()
            audit.record(actor=actor, action="referral.create", obj=referral, organisation=from_org)
            _event(
                case,
                CaseEvent.Kind.REFERRAL,
                gettext_noop("Referral to %(org)s drafted"),
                params={"org": _org_name(to_org)},
                actor=actor,
                org=from_org,
                referral=referral,
            )
            if send:
                _send(actor, referral)
    except IntegrityError:
        # A concurrent request with the same key won: replay its referral.
        existing = Referral.objects.filter(
            created_by=actor, idempotency_key=idempotency_key
        ).first()
        if existing is None:
            raise
        return existing, False
    return referral, True


def _send(actor: User, referral: Referral) -> None:
    now = timezone.now()
    rule = clock_rules.REFERRAL_RESPONSE[referral.urgency]
    referral.state = Referral.State.SENT
    referral.sent_at = now
    referral.response_due_at = rule.due_for(now)
    referral.save(update_fields=["state", "sent_at", "response_due_at", "updated"])
    audit.record(actor=actor, action="referral.send", obj=referral, organisation=referral.from_org)
    _event(
        referral.case,
        CaseEvent.Kind.REFERRAL,
        gettext_noop("Referral sent to %(org)s"),
        params={"org": _org_name(referral.to_org)},
        actor=actor,
        org=referral.from_org,
        referral=referral,
    )
    clocks.clock_start(obj=referral, rule=rule, started_at=now, actor=actor)
    notify_referral_sent(referral, actor=actor)


def _locked(referral: Referral) -> Referral:
    return (
        Referral.objects.select_for_update(of=("self",))
        .select_related("case", "from_org", "to_org")
        .get(pk=referral.pk)
    )


def _is_sender(user: Any, referral: Referral) -> bool:
    return referral.from_org_id in org_ids(user)


def _is_receiving_coordinator(user: Any, referral: Referral) -> bool:
    return (
        can(user, Cap.REFERRAL_RESPOND)
        and Membership.objects.active()
        .filter(user=user, organisation_id=referral.to_org_id, role=Role.COORDINATOR)
        .exists()
    )


def referral_send(*, actor: User, referral: Referral) -> Referral:
    _require(actor, Cap.CASE_LIST)
    with transaction.atomic():
        referral = _locked(referral)
        if not _is_sender(actor, referral):
            raise PermissionDenied
        if referral.state != Referral.State.DRAFT:
            raise ValidationError(_("Only a draft can be sent."))
        _require_holder(actor, referral.case)
        _require_open(referral.case)
        _send(actor, referral)
    return referral


def referral_withdraw(*, actor: User, referral: Referral) -> Referral:
    _require(actor, Cap.CASE_LIST)
    with transaction.atomic():
        referral = _locked(referral)
        if not _is_sender(actor, referral):
            raise PermissionDenied
        if referral.state not in (Referral.State.DRAFT, Referral.State.SENT):
            raise ValidationError(_("A referral can be withdrawn only before it is accepted."))
        was_sent = referral.state == Referral.State.SENT
        referral.state = Referral.State.WITHDRAWN
        referral.closed_at = timezone.now()
        referral.save(update_fields=["state", "closed_at", "updated"])
        audit.record(
            actor=actor, action="referral.withdraw", obj=referral, organisation=referral.from_org
        )
        _event(
            referral.case,
            CaseEvent.Kind.REFERRAL,
            gettext_noop("Referral to %(org)s withdrawn"),
            params={"org": _org_name(referral.to_org)},
            actor=actor,
            org=referral.from_org,
            referral=referral,
        )
        if was_sent:
            clocks.clock_not_applicable(
                obj=referral,
                rule=clock_rules.REFERRAL_RESPONSE[referral.urgency],
                reason=_("Withdrawn by the sender."),
                actor=actor,
            )
            _notify(
                selectors.coordinators_of(referral.to_org_id),
                "referral.withdrawn",
                translated(gettext_lazy("%(code)s: referral withdrawn"), code=referral.case.code),
                referral,
                actor,
            )
    return referral


def referral_accept(*, actor: User, referral: Referral, caseworker: User) -> Referral:
    """The receiving coordinator accepts and names a caseworker.  Exactly one of several
    concurrent responses wins: the row is locked and its state re-checked."""
    _require(actor, Cap.REFERRAL_RESPOND)
    with transaction.atomic():
        referral = _locked(referral)
        if not _is_receiving_coordinator(actor, referral):
            raise PermissionDenied
        _check_open(referral)
        if (
            not Membership.objects.active()
            .filter(user=caseworker, organisation_id=referral.to_org_id)
            .exists()
        ):
            raise ValidationError({"caseworker": _("Choose a member of your organisation.")})
        now = timezone.now()
        referral.state = Referral.State.ACCEPTED
        referral.responded_at = now
        referral.responded_by = actor
        referral.caseworker = caseworker
        referral.save(
            update_fields=["state", "responded_at", "responded_by", "caseworker", "updated"]
        )
        case = referral.case
        if not Caseworker.objects.filter(case=case, user=caseworker, active=True).exists():
            Caseworker.objects.create(
                case=case, user=caseworker, organisation=referral.to_org, added_by=actor
            )
        if referral.to_org.kind == OrgKind.CWC and case.cwc_id is None:
            ChildCase.objects.filter(pk=case.pk, cwc__isnull=True).update(cwc=referral.to_org)
        audit.record(
            actor=actor, action="referral.accept", obj=referral, organisation=referral.to_org
        )
        _event(
            case,
            CaseEvent.Kind.REFERRAL,
            gettext_noop("Referral accepted by %(org)s"),
            params={"org": _org_name(referral.to_org)},
            actor=actor,
            org=referral.to_org,
            referral=referral,
        )
        clocks.clock_meet(
            obj=referral, rule=clock_rules.REFERRAL_RESPONSE[referral.urgency], at=now, actor=actor
        )
        title = translated(gettext_lazy("%(code)s: referral accepted"), code=case.code)
        _notify(selectors.sender_people(referral), "referral.accepted", title, referral, actor)
        _notify(
            [caseworker],
            "referral.assigned",
            translated(gettext_lazy("%(code)s: you are the caseworker"), code=case.code),
            referral,
            actor,
        )
    return referral


def _check_open(referral: Referral) -> None:
    if referral.state == Referral.State.SENT:
        return
    if referral.state == Referral.State.ACCEPTED:
        who = referral.responded_by.full_name if referral.responded_by else ""
        raise ValidationError(_("This referral was already accepted by %(who)s.") % {"who": who})
    if referral.state == Referral.State.DECLINED:
        raise ValidationError(_("This referral was already declined."))
    raise ValidationError(_("This referral is no longer waiting for an answer."))


def referral_decline(*, actor: User, referral: Referral, reason: str) -> Referral:
    _require(actor, Cap.REFERRAL_RESPOND)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for declining.")})
    with transaction.atomic():
        referral = _locked(referral)
        if not _is_receiving_coordinator(actor, referral):
            raise PermissionDenied
        _check_open(referral)
        now = timezone.now()
        referral.state = Referral.State.DECLINED
        referral.decline_reason = reason
        referral.responded_at = now
        referral.responded_by = actor
        referral.closed_at = now
        referral.save(
            update_fields=[
                "state",
                "decline_reason",
                "responded_at",
                "responded_by",
                "closed_at",
                "updated",
            ]
        )
        audit.record(
            actor=actor,
            action="referral.decline",
            obj=referral,
            organisation=referral.to_org,
            fields=["decline_reason"],
        )
        _event(
            referral.case,
            CaseEvent.Kind.REFERRAL,
            gettext_noop("Referral declined by %(org)s"),
            params={"org": _org_name(referral.to_org)},
            actor=actor,
            org=referral.to_org,
            referral=referral,
        )
        clocks.clock_meet(
            obj=referral, rule=clock_rules.REFERRAL_RESPONSE[referral.urgency], at=now, actor=actor
        )
        title = translated(
            gettext_lazy("%(code)s: referral declined, refer again"), code=referral.case.code
        )
        _notify(
            selectors.sender_people(referral) + selectors.convenors(),
            "referral.declined",
            title,
            referral,
            actor,
        )
    return referral


def referral_complete(*, actor: User, referral: Referral) -> Referral:
    """The service was given: the receiving organisation's hold on the case ends."""
    _require(actor, Cap.CASE_LIST)
    with transaction.atomic():
        referral = _locked(referral)
        receiving = referral.to_org_id in org_ids(actor) and (
            _is_receiving_coordinator(actor, referral) or referral.caseworker_id == actor.pk
        )
        if not (receiving or _is_sender(actor, referral)):
            raise PermissionDenied
        if referral.state != Referral.State.ACCEPTED:
            raise ValidationError(_("Only an accepted referral can be completed."))
        referral.state = Referral.State.COMPLETED
        referral.closed_at = timezone.now()
        referral.save(update_fields=["state", "closed_at", "updated"])
        Caseworker.objects.filter(
            case=referral.case, organisation=referral.to_org, active=True
        ).update(active=False, ended=referral.closed_at)
        audit.record(
            actor=actor, action="referral.complete", obj=referral, organisation=referral.to_org
        )
        _event(
            referral.case,
            CaseEvent.Kind.REFERRAL,
            gettext_noop("Referral to %(org)s completed"),
            params={"org": _org_name(referral.to_org)},
            actor=actor,
            referral=referral,
        )
        title = translated(gettext_lazy("%(code)s: referral completed"), code=referral.case.code)
        _notify(
            selectors.sender_people(referral) + selectors.coordinators_of(referral.to_org_id),
            "referral.completed",
            title,
            referral,
            actor,
        )
    return referral


def referral_deadline_missed(*, referral: Referral) -> None:
    """Called by the clock tick (inside its transaction) when nobody answered in time."""
    _event(
        referral.case,
        CaseEvent.Kind.REFERRAL,
        gettext_noop("No answer from %(org)s in time: refer again"),
        params={"org": _org_name(referral.to_org)},
        referral=referral,
    )


def _notify(people: list[Any], kind: str, title: Text, referral: Referral, actor: Any) -> None:
    notify(recipients=people, kind=kind, title=title, url=referral.get_absolute_url(), actor=actor)


def notify_referral_sent(referral: Referral, *, actor: Any) -> None:
    title = translated(
        gettext_lazy("%(code)s: new referral for %(service)s"),
        code=referral.case.code,
        service=referral.get_service_display,
    )
    notify(
        recipients=selectors.coordinators_of(referral.to_org_id),
        kind="referral.sent",
        title=title,
        url=referral.get_absolute_url(),
        urgency="urgent" if referral.urgency != "routine" else None,
        actor=actor,
    )


# --- leads --------------------------------------------------------------------------------


def lead_record(
    *,
    actor: User,
    case: ChildCase,
    police_org: Organisation,
    offender_role: str,
    description: str,
    places: str = "",
    phones: str = "",
    vehicles: str = "",
) -> Lead:
    _require(actor, Cap.LEAD_RECORD)
    with transaction.atomic():
        _require_holder(actor, case)
        if police_org.pk not in set(selectors.police_holders(case).values_list("pk", flat=True)):
            raise ValidationError({"police_org": _("Choose a police unit on this case.")})
        org = acting_org(actor, case)
        lead = Lead(
            case=case,
            recorded_by=actor,
            recording_org=org,
            police_org=police_org,
            offender_role=offender_role,
            description=description,
            places=places,
            phones=phones,
            vehicles=vehicles,
        )
        lead.full_clean()
        lead.save()
        filled = [f for f in ("description", "places", "phones", "vehicles") if getattr(lead, f)]
        audit.record(actor=actor, action="lead.record", obj=lead, organisation=org, fields=filled)
        _event(
            case,
            CaseEvent.Kind.LEAD,
            gettext_noop("Lead shared with %(org)s"),
            params={"org": _org_name(police_org)},
            actor=actor,
            org=org,
        )
        title = translated(
            gettext_lazy("%(code)s: new lead (%(role)s)"),
            code=case.code,
            role=lead.get_offender_role_display,
        )
        notify(
            recipients=selectors.members_of(police_org.pk),
            kind="lead.new",
            title=title,
            url=lead.get_absolute_url(),
            actor=actor,
        )
    return lead


def _lead_locked(lead: Lead, actor: Any) -> Lead:
    lead = Lead.objects.select_for_update(of=("self",)).select_related("case").get(pk=lead.pk)
    if lead.police_org_id not in org_ids(actor):
        raise PermissionDenied
    return lead


def lead_acknowledge(*, actor: User, lead: Lead) -> Lead:
    _require(actor, Cap.LEAD_RECEIVE)
    with transaction.atomic():
        lead = _lead_locked(lead, actor)
        if lead.state != Lead.State.NEW:
            raise ValidationError(_("This lead was already acknowledged."))
        lead.state = Lead.State.ACKNOWLEDGED
        lead.acknowledged_at = timezone.now()
        lead.acknowledged_by = actor
        lead.save(update_fields=["state", "acknowledged_at", "acknowledged_by"])
        audit.record(actor=actor, action="lead.acknowledge", obj=lead, organisation=lead.police_org)
        _tell_recorder(
            lead,
            "lead.acknowledged",
            gettext_lazy("%(code)s: lead acknowledged by the police"),
            actor,
        )
    return lead


def lead_act(*, actor: User, lead: Lead, reference: str) -> Lead:
    _require(actor, Cap.LEAD_RECEIVE)
    reference = (reference or "").strip()
    if not reference:
        raise ValidationError({"reference": _("Name the FIR or the raid this lead fed.")})
    with transaction.atomic():
        lead = _lead_locked(lead, actor)
        if lead.state == Lead.State.ACTED_ON:
            raise ValidationError(_("This lead is already marked as acted on."))
        now = timezone.now()
        if lead.state == Lead.State.NEW:
            lead.acknowledged_at, lead.acknowledged_by = now, actor
        lead.state = Lead.State.ACTED_ON
        lead.acted_at = now
        lead.acted_by = actor
        lead.action_reference = reference
        lead.full_clean()
        lead.save()
        audit.record(
            actor=actor,
            action="lead.act",
            obj=lead,
            organisation=lead.police_org,
            fields=["action_reference"],
        )
        _tell_recorder(
            lead, "lead.acted", gettext_lazy("%(code)s: the police acted on a lead"), actor
        )
    return lead


def _tell_recorder(lead: Lead, kind: str, message: Any, actor: Any) -> None:
    """The person who shared the lead hears what the police did with it (by case code)."""
    notify(
        recipients=[lead.recorded_by],
        kind=kind,
        title=translated(message, code=lead.case.code),
        url=lead.get_absolute_url(),
        actor=actor,
    )
