"""Writes that end (or resume) a case's life: closing, reopening, the legal hold.

Who: a case is closed or reopened by its recording organisation's coordinator or by the CWC
handling it (``Cap.CASE_CLOSE`` and that relation to the case); the legal hold is set and
cleared by the convenor or the CWC handling the case (``Cap.CASE_LEGAL_HOLD``).

Closing refuses while a referral of the case is still open (draft, sent or accepted): each
of those is a service someone else is giving or deciding on, and ending it is their act
(withdraw, decline, complete), with its own audit row and notifications; closing over them
would silently end another organisation's work and its access to the identity.  Running
statutory clocks of the case are marked not applicable with the closure reason.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from agencies.models import Membership, User
from ftu import audit, clocks
from ftu.languages import in_every_language
from ftu.models import Clock
from ftu.policy import Cap, can, is_convenor
from ftu.roles import OrgKind, Role
from notifications.services import Text, notify, translated
from referrals import selectors
from referrals.models import CaseEvent, ChildCase, ClosureReason, Referral

OPEN_REFERRAL_STATES = (Referral.State.DRAFT, Referral.State.SENT, Referral.State.ACCEPTED)


def _is_cwc_of(user: Any, case: ChildCase) -> bool:
    return (
        case.cwc_id is not None
        and Membership.objects.active()
        .filter(user=user, organisation_id=case.cwc_id, organisation__kind=OrgKind.CWC)
        .exists()
    )


def may_close(user: Any, case: ChildCase) -> bool:
    """The recording organisation's coordinator or a member of the CWC handling the case."""
    if not can(user, Cap.CASE_CLOSE):
        return False
    recorder = (
        Membership.objects.active()
        .filter(user=user, organisation_id=case.recording_org_id, role=Role.COORDINATOR)
        .exists()
    )
    return recorder or _is_cwc_of(user, case)


def may_hold(user: Any, case: ChildCase) -> bool:
    """The convenor or a member of the CWC handling the case."""
    if not can(user, Cap.CASE_LEGAL_HOLD):
        return False
    return is_convenor(user) or _is_cwc_of(user, case)


def _lock(case: ChildCase) -> ChildCase:
    return (
        ChildCase.objects.select_for_update(of=("self",))
        .select_related("recording_org")
        .defer(*ChildCase.PROTECTED_FIELDS)
        .get(pk=case.pk)
    )


def _acting_org(user: Any, case: ChildCase) -> Any:
    """The organisation in whose name ``user`` acts on ``case`` (recorder, CWC, secretariat)."""
    rows = Membership.objects.active().filter(user=user).select_related("organisation")
    by_id = {m.organisation_id: m.organisation for m in rows}
    for org_id in (case.recording_org_id, case.cwc_id):
        if org_id in by_id:
            return by_id[org_id]
    return next(iter(by_id.values()), None)


def _notify_holders(case: ChildCase, kind: str, title: Text, actor: Any) -> None:
    notify(
        recipients=selectors.case_holder_people(case),
        kind=kind,
        title=title,
        url=case.get_absolute_url(),
        actor=actor,
    )


def case_close(*, actor: User, case: ChildCase, reason: str, note: str = "") -> ChildCase:
    """Close a case.  Locks the case row; refuses while a referral is open."""
    if reason not in ClosureReason.values:
        raise ValidationError({"reason": _("Choose why the case is closed.")})
    note = (note or "").strip()
    if reason == ClosureReason.OTHER and not note:
        raise ValidationError({"note": _("Say why the case is closed.")})
    with transaction.atomic():
        case = _lock(case)
        if not may_close(actor, case):
            raise PermissionDenied
        if case.closed_at is not None:
            raise ValidationError(_("This case is already closed."))
        open_refs = list(
            Referral.objects.filter(case=case, state__in=OPEN_REFERRAL_STATES)
            .select_related("to_org")
            .order_by("pk")
        )
        if open_refs:
            raise ValidationError(
                _(
                    "Referrals still open (to %(orgs)s): withdraw, complete or have them "
                    "answered before closing the case."
                )
                % {"orgs": ", ".join(sorted({r.to_org.display_name for r in open_refs}))}
            )
        now = timezone.now()
        case.closed_at = now
        case.closed_by = actor
        case.closure_reason = reason
        case.closure_note = note
        case.save(
            update_fields=["closed_at", "closed_by", "closure_reason", "closure_note", "updated"]
        )
        org = _acting_org(actor, case)
        label = str(ClosureReason(reason).label)
        audit.record(
            actor=actor,
            action="case.close",
            obj=case,
            organisation=org,
            fields=["closure_reason", "closure_note"] if note else ["closure_reason"],
            reason=reason,
        )
        why = _("Case closed: %(reason)s") % {"reason": label}
        for clock in clocks.clocks_for(case):
            if clock.state == Clock.State.RUNNING:
                clocks.clock_not_applicable(obj=case, rule=clock.rule, reason=why, actor=actor)
        _timeline(
            case,
            CaseEvent.Kind.CLOSED,
            gettext_noop("Case closed: %(reason)s"),
            params={"reason": in_every_language(lambda: ClosureReason(reason).label)},
            actor=actor,
            org=org,
        )
        _notify_holders(
            case,
            "case.closed",
            translated(gettext_lazy("%(code)s: case closed"), code=case.code),
            actor,
        )
    return case


def case_reopen(*, actor: User, case: ChildCase, reason: str) -> ChildCase:
    """Reopen a closed case (a reason is required).  Clocks closed with it stay not
    applicable: deadlines that apply again are started by the events that start them."""
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ValidationError({"reason": _("Say why the case is reopened.")})
    with transaction.atomic():
        case = _lock(case)
        if not may_close(actor, case):
            raise PermissionDenied
        if case.closed_at is None:
            raise ValidationError(_("This case is not closed."))
        case.closed_at = None
        case.closed_by = None
        case.closure_reason = ""
        case.closure_note = ""
        case.save(
            update_fields=["closed_at", "closed_by", "closure_reason", "closure_note", "updated"]
        )
        org = _acting_org(actor, case)
        audit.record(actor=actor, action="case.reopen", obj=case, organisation=org, reason=reason)
        _timeline(
            case, CaseEvent.Kind.REOPENED, gettext_noop("Case reopened"), actor=actor, org=org
        )
        _notify_holders(
            case,
            "case.reopened",
            translated(gettext_lazy("%(code)s: case reopened"), code=case.code),
            actor,
        )
    return case


def case_legal_hold(*, actor: User, case: ChildCase, hold: bool, reason: str) -> ChildCase:
    """Set (``hold=True``) or clear the legal hold; a reason is required either way."""
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ValidationError({"reason": _("Give the proceeding or the reason.")})
    with transaction.atomic():
        case = _lock(case)
        if not may_hold(actor, case):
            raise PermissionDenied
        if case.legal_hold == hold:
            raise ValidationError(
                _("The case is already under a legal hold.")
                if hold
                else _("The case is not under a legal hold.")
            )
        if hold and case.identity_erased_at is not None:
            raise ValidationError(_("The identity of this case was already erased."))
        case.legal_hold = hold
        case.legal_hold_reason = reason[:300] if hold else ""
        case.legal_hold_at = timezone.now()
        case.legal_hold_by = actor
        case.save(
            update_fields=[
                "legal_hold",
                "legal_hold_reason",
                "legal_hold_at",
                "legal_hold_by",
                "updated",
            ]
        )
        org = _acting_org(actor, case)
        audit.record(
            actor=actor,
            action="case.legal_hold.set" if hold else "case.legal_hold.clear",
            obj=case,
            organisation=org,
            reason=reason,
        )
        message = gettext_noop("Legal hold set") if hold else gettext_noop("Legal hold cleared")
        _timeline(case, CaseEvent.Kind.LEGAL_HOLD, message, actor=actor, org=org)
    return case


def _timeline(
    case: ChildCase,
    kind: str,
    message: str,
    *,
    actor: Any,
    org: Any,
    params: dict[str, Any] | None = None,
) -> None:
    CaseEvent.record(case, kind, message, params=params, actor=actor, organisation=org)
