"""Writes about raids and prosecutions.  One function per use case.

Each service checks the permission (``raids.permissions``), validates, changes rows in one
transaction, writes the audit entry (field names only) and ends with its notifications,
which are stored in the same transaction and pushed after commit.  Transitions update
conditionally (``status`` in the WHERE clause) or lock the row, so two people cannot both
move the same raid or task.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies.models import Membership, Organisation, User
from ftu import audit, clocks
from ftu.crypto import blind_index
from ftu.languages import in_every_language
from ftu.policy import Cap, can, grants
from ftu.roles import OrgKind, Role
from notifications.services import Text, notify, translated
from raids import clock_rules
from raids import permissions as perms
from raids.choices import (
    CHECKLIST,
    FINAL_STAGES,
    STAGE_RANK,
    TASK_MOVES,
    RaidStatus,
    Stage,
    TaskState,
    TeamRole,
)
from raids.models import (
    Accused,
    ArrestedOffender,
    ChecklistItem,
    HandOver,
    ProsecutionCase,
    Raid,
    RaidOutcome,
    RescuedPerson,
    Task,
    TaskEvent,
    TeamMember,
)

POLICE_ROLES = (TeamRole.OFFICER, TeamRole.WOMAN_OFFICER)


class ChecklistGaps(Exception):
    """Raised by :func:`raid_move` when items are unchecked and the mover has not confirmed."""

    def __init__(self, items: list[ChecklistItem]) -> None:
        super().__init__("unchecked checklist items")
        self.items = items


# --- notifications -------------------------------------------------------------------------


def raid_people(raid: Raid) -> list[User]:
    """Everyone who can see the raid: lead, supervisor, active team (fresh from the database)."""
    ids = {raid.lead_id, raid.supervisor_id}
    ids |= set(raid.team.active().values_list("user_id", flat=True))
    return [
        u
        for u in User.objects.filter(pk__in=ids)
        if Raid.objects.visible_to(u).filter(pk=raid.pk).exists()
    ]


def notify_raid(
    *,
    raid: Raid,
    kind: str,
    event: Text,
    actor: User,
    recipients: Iterable[User] | None = None,
    url: str | None = None,
) -> None:
    """Tell the raid's people.  The title carries the codename and what happened — never the
    place, the grounds or anyone's name.  Recipients are always checked against visibility."""
    people = raid_people(raid) if recipients is None else list(recipients)
    allowed = [p for p in people if Raid.objects.visible_to(p).filter(pk=raid.pk).exists()]
    notify(
        recipients=allowed,
        kind=kind,
        title=translated(
            gettext_lazy("Raid %(codename)s: %(event)s"), codename=raid.codename, event=event
        ),
        url=url or raid.get_absolute_url(),
        actor=actor,
    )


# --- raid ----------------------------------------------------------------------------------


def police_units_of(user: Any) -> QuerySet[Organisation]:
    return Organisation.objects.filter(
        kind=OrgKind.POLICE,
        is_active=True,
        memberships__user=user,
        memberships__is_active=True,
    ).distinct()


def eligible_supervisors(unit: Organisation) -> QuerySet[User]:
    """Police coordinators of the unit or of the police organisations above it."""
    org_ids = [unit.pk]
    parent = unit.parent
    while parent is not None and parent.kind == OrgKind.POLICE and parent.pk not in org_ids:
        org_ids.append(parent.pk)
        parent = parent.parent
    return User.objects.filter(
        is_active=True,
        memberships__in=Membership.objects.active().filter(
            organisation_id__in=org_ids, role=Role.COORDINATOR
        ),
    ).distinct()


def eligible_leads(unit: Organisation) -> QuerySet[User]:
    return User.objects.filter(
        is_active=True, memberships__in=Membership.objects.active().filter(organisation=unit)
    ).distinct()


def raid_open(
    *,
    actor: User,
    unit: Organisation,
    codename: str,
    lead: User,
    supervisor: User,
    window_start: datetime.datetime,
    window_end: datetime.datetime,
    grounds: str,
    target_location: str,
    idempotency_key: uuid.UUID | None = None,
) -> Raid:
    """Open a raid in planning; the legal checklist comes with it.  The supervisor is asked."""
    return raid_open_once(
        actor=actor,
        unit=unit,
        codename=codename,
        lead=lead,
        supervisor=supervisor,
        window_start=window_start,
        window_end=window_end,
        grounds=grounds,
        target_location=target_location,
        idempotency_key=idempotency_key,
    )[0]


def _fingerprint(**fields: Any) -> str:
    """A keyed hash (never the plain values: grounds and target are protected) of a form."""
    parts = []
    for name in sorted(fields):
        value = fields[name]
        if isinstance(value, datetime.datetime):
            value = value.astimezone(datetime.UTC).isoformat()
        elif hasattr(value, "pk"):
            value = value.pk
        parts.append(f"{name}={value}")
    return blind_index(*parts, purpose="raid.open")


def _opened_with(actor: User, key: uuid.UUID | None, fingerprint: str) -> Raid | None:
    """The raid this person's form with this key opened; refused if the form changed since."""
    if key is None:
        return None
    raid = Raid.objects.filter(opened_by=actor, idempotency_key=key).first()
    if raid is not None and raid.idempotency_fingerprint != fingerprint:
        raise ValidationError(
            _(
                "This form already opened raid %(codename)s and was changed since. "
                "To open another raid, start a new form."
            )
            % {"codename": raid.codename}
        )
    return raid


def raid_open_once(
    *,
    actor: User,
    unit: Organisation,
    codename: str,
    lead: User,
    supervisor: User,
    window_start: datetime.datetime,
    window_end: datetime.datetime,
    grounds: str,
    target_location: str,
    idempotency_key: uuid.UUID | None = None,
) -> tuple[Raid, bool]:
    """:func:`raid_open`, returning ``(raid, created)``.

    The same ``idempotency_key`` from the same person returns the raid it opened first
    (a double tap, a retry over a slow network, two racing requests) instead of a second
    raid or an error; two different raids racing for one codename get the form's message.
    """
    if not can(actor, Cap.RAID_OPEN) or not police_units_of(actor).filter(pk=unit.pk).exists():
        raise PermissionDenied
    fingerprint = _fingerprint(
        unit=unit,
        codename=codename.strip().upper(),
        lead=lead,
        supervisor=supervisor,
        window_start=window_start,
        window_end=window_end,
        grounds=grounds,
        target_location=target_location,
    )
    existing = _opened_with(actor, idempotency_key, fingerprint)
    if existing is not None:
        return existing, False
    if not eligible_leads(unit).filter(pk=lead.pk).exists():
        raise ValidationError({"lead": _("The lead officer must be an active member of the unit.")})
    if not eligible_supervisors(unit).filter(pk=supervisor.pk).exists():
        raise ValidationError(
            {"supervisor": _("Choose a police supervisor of this unit or the district above it.")}
        )
    raid = Raid(
        codename=codename.strip().upper(),
        unit=unit,
        lead=lead,
        supervisor=supervisor,
        opened_by=actor,
        window_start=window_start,
        window_end=window_end,
        grounds=grounds,
        target_location=target_location,
        idempotency_key=idempotency_key,
        idempotency_fingerprint=fingerprint if idempotency_key else "",
    )
    try:
        raid.full_clean()
    except ValidationError:
        # The same form may have been committed since the check above (codename taken).
        existing = _opened_with(actor, idempotency_key, fingerprint)
        if existing is not None:
            return existing, False
        raise
    try:
        with transaction.atomic():
            _open(raid, actor=actor, lead=lead, supervisor=supervisor)
    except IntegrityError:
        existing = _opened_with(actor, idempotency_key, fingerprint)
        if existing is not None:
            return existing, False
        if Raid.objects.filter(codename=raid.codename).exists():
            raise ValidationError(
                {"codename": _("Another raid has just taken this codename. Choose another.")}
            ) from None
        raise
    return raid, True


def _open(raid: Raid, *, actor: User, lead: User, supervisor: User) -> None:
    raid.save()
    ChecklistItem.objects.bulk_create(
        ChecklistItem(raid=raid, code=code, phase=phase, source=source, position=i)
        for i, (code, phase, source) in enumerate(CHECKLIST)
    )
    if actor.pk != lead.pk:
        # Whoever opens a raid for someone else stays on it, visibly, as a team member.
        TeamMember.objects.create(
            raid=raid, user=actor, organisation=raid.unit, role=TeamRole.OFFICER, added_by=actor
        )
    audit.record(
        actor=actor,
        action="raid.open",
        obj=raid,
        organisation=raid.unit,
        fields=["codename", "lead", "supervisor", "window", "grounds", "target_location"],
    )
    notify_raid(
        raid=raid,
        kind="raid.approval",
        event=gettext_lazy("approval requested"),
        actor=actor,
        recipients=[supervisor],
    )
    if actor.pk != lead.pk:
        notify_raid(
            raid=raid,
            kind="raid.team",
            event=gettext_lazy("you lead it"),
            actor=actor,
            recipients=[lead],
        )


def raid_update_plan(
    *,
    actor: User,
    raid: Raid,
    window_start: datetime.datetime,
    window_end: datetime.datetime,
    grounds: str,
    target_location: str,
    version: int,
) -> Raid:
    """The lead edits the plan before execution.  A stale form (version) is refused."""
    if not perms.is_lead(actor, raid) or raid.status not in (
        RaidStatus.PLANNING,
        RaidStatus.APPROVED,
        RaidStatus.BRIEFED,
    ):
        raise PermissionDenied
    probe = Raid(
        pk=raid.pk,
        codename=raid.codename,
        unit=raid.unit,
        lead=raid.lead,
        supervisor=raid.supervisor,
        opened_by=raid.opened_by,
        window_start=window_start,
        window_end=window_end,
        grounds=grounds,
        target_location=target_location,
    )
    probe._state.adding = False  # validate as the stored row, not as a new one
    probe.full_clean()
    with transaction.atomic():
        changed = Raid.objects.filter(pk=raid.pk, version=version, status=raid.status).update(
            window_start=window_start,
            window_end=window_end,
            grounds=grounds,
            target_location=target_location,
            version=F("version") + 1,
        )
        if not changed:
            raise ValidationError(
                _("Someone changed this raid after you opened the form. Reload and try again.")
            )
        audit.record(
            actor=actor,
            action="raid.update_plan",
            obj=raid,
            organisation=raid.unit,
            fields=["window", "grounds", "target_location"],
        )
        notify_raid(raid=raid, kind="raid.status", event=gettext_lazy("plan updated"), actor=actor)
    raid.refresh_from_db()
    return raid


def raid_move(
    *, actor: User, raid: Raid, step: str, reason: str = "", confirm_gaps: bool = False
) -> Raid:
    """Move the raid one step of its lifecycle (``raids.permissions.STEPS``).

    The update is conditional on the current status, so of two people moving the same raid
    at once exactly one wins; the other gets a clear refusal.  ``execute`` and ``close``
    raise :class:`ChecklistGaps` while legal checklist items are unchecked and the mover
    has not confirmed having seen them.
    """
    spec = perms.STEPS.get(step)
    if spec is None:
        raise ValidationError(_("Unknown step."))
    if not spec.allowed(actor, raid):
        raise PermissionDenied
    if raid.status not in spec.sources:
        raise ValidationError(
            _("This raid is %(status)s: it cannot be moved that way.")
            % {"status": raid.get_status_display()}
        )
    reason = reason.strip()
    if step == "cancel" and not reason:
        raise ValidationError({"reason": _("Say why the raid is cancelled.")})
    gaps: list[ChecklistItem] = []
    if step in ("execute", "close"):
        gaps = list(raid.checklist.filter(checked=False))
        if gaps and not confirm_gaps:
            raise ChecklistGaps(gaps)
    if step == "close":
        outcome = RaidOutcome.objects.filter(raid=raid).first()
        if outcome is None or not outcome.is_confirmed:
            raise ValidationError(_("Confirm the outcome before closing the raid."))
    now = timezone.now()
    updates: dict[str, Any] = {
        "status": spec.target,
        spec.stamp: now,
        "version": F("version") + 1,
    }
    if step == "cancel":
        updates["cancel_reason"] = reason[:300]
    if step == "close":
        updates["shared_summary"] = raid.outcome.shareable_summary()
    with transaction.atomic():
        moved = Raid.objects.filter(pk=raid.pk, status=raid.status).update(**updates)
        if not moved:
            current = Raid.objects.get(pk=raid.pk)
            raise ValidationError(
                _("Someone else moved this raid first: it is now %(status)s.")
                % {"status": current.get_status_display()}
            )
        # The audit log is read by the convenor, who is not on the team: never copy the
        # team's free text (a cancel reason) into it, only field names and checklist codes.
        audit_reason = ("unchecked: " + ",".join(i.code for i in gaps)) if gaps else ""
        audit.record(
            actor=actor,
            action=f"raid.{step}",
            obj=raid,
            organisation=raid.unit,
            fields=["status", "cancel_reason"] if reason else ["status"],
            reason=audit_reason,
        )
        raid.refresh_from_db()
        notify_raid(
            raid=raid,
            kind="raid.status",
            event=lambda: str(raid.get_status_display()).lower(),
            actor=actor,
        )
    return raid


def target_reveal(*, actor: User, raid: Raid) -> None:
    """Record that the person reads the target location and grounds (every read is audited)."""
    if not perms.can_see_target(actor, raid):
        raise PermissionDenied
    if perms.is_lead(actor, raid):
        why = "raid lead"
    elif perms.is_supervisor(actor, raid):
        why = "approving supervisor"
    else:
        why = f"raid team, status {raid.status}"
    audit.record(
        actor=actor,
        action="raid.target_view",
        obj=raid,
        organisation=raid.unit,
        fields=["grounds", "target_location"],
        reason=why,
    )


# --- team ----------------------------------------------------------------------------------


def team_add(
    *, actor: User, raid: Raid, user: User, organisation: Organisation, role: str
) -> TeamMember:
    """Name a person on the team, for one of their organisations (never media or MP's office)."""
    if not perms.can_manage_team(actor, raid):
        raise PermissionDenied
    membership = Membership.objects.active().filter(user=user, organisation=organisation).first()
    if membership is None or not grants(Cap.RAID_JOIN, organisation.kind, membership.role):
        raise ValidationError(
            {"user": _("This person cannot be named on a raid for this organisation.")}
        )
    if role not in TeamRole.values:
        raise ValidationError({"role": _("Choose a role from the list.")})
    if role in POLICE_ROLES and organisation.kind != OrgKind.POLICE:
        raise ValidationError({"role": _("Officer roles are for police members.")})
    if user.pk in (raid.lead_id, raid.supervisor_id):
        raise ValidationError({"user": _("The lead and the supervisor already see the raid.")})
    with transaction.atomic():
        if raid.team.active().filter(user=user).exists():
            raise ValidationError({"user": _("This person is already on the team.")})
        member = TeamMember.objects.create(
            raid=raid, user=user, organisation=organisation, role=role, added_by=actor
        )
        audit.record(
            actor=actor,
            action="raid.team_add",
            obj=raid,
            organisation=raid.unit,
            fields=["team"],
            reason=f"user {user.pk} as {role}",
        )
        notify_raid(
            raid=raid,
            kind="raid.team",
            event=gettext_lazy("you are on the team"),
            actor=actor,
            recipients=[user],
        )
    return member


def team_remove(*, actor: User, member: TeamMember) -> None:
    """End a person's seat at once.  They are told generically, without the codename.

    Their earlier notifications about this raid lose the codename too, and the generic
    notification (kind group "raid") makes any open board of theirs refresh into a 404.
    """
    raid = member.raid
    if not perms.can_manage_team(actor, raid):
        raise PermissionDenied
    with transaction.atomic():
        ended = TeamMember.objects.filter(pk=member.pk, removed_at__isnull=True).update(
            removed_at=timezone.now(), removed_by=actor
        )
        if not ended:
            raise ValidationError(_("This person is no longer on the team."))
        audit.record(
            actor=actor,
            action="raid.team_remove",
            obj=raid,
            organisation=raid.unit,
            fields=["team"],
            reason=f"user {member.user_id}",
        )
        _redact_old_notifications(member.user, raid)
        # Tasks they own go back to their organisation, so nothing is orphaned.
        Task.objects.filter(raid=raid, owner_user=member.user).update(
            owner_user=None, owner_org=member.organisation, version=F("version") + 1
        )
        notify(
            recipients=[member.user],
            kind="raid.assignment_ended",
            title=gettext_lazy("A raid assignment ended"),
            url="/raids/",
            actor=actor,
        )


def _redact_old_notifications(user: User, raid: Raid) -> None:
    from notifications.models import Notification

    prefix = raid.get_absolute_url()
    generic = gettext_lazy("A raid assignment ended")
    titles = in_every_language(lambda: generic)
    language = user.preferred_language if user.preferred_language in titles else "en"
    Notification.objects.filter(recipient=user, url__startswith=prefix).update(
        title=titles[language], titles=titles, text="", texts={}, url="/raids/"
    )


# --- legal checklist -----------------------------------------------------------------------


def checklist_mark(*, actor: User, item: ChecklistItem, checked: bool, note: str = "") -> None:
    raid = item.raid
    if not perms.can_tick_checklist(actor, raid):
        raise PermissionDenied
    with transaction.atomic():
        locked = ChecklistItem.objects.select_for_update().get(pk=item.pk)
        locked.checked = checked
        locked.note = note.strip()
        locked.checked_by = actor if checked else None
        locked.checked_at = timezone.now() if checked else None
        locked.save(update_fields=["checked", "note", "checked_by", "checked_at"])
        audit.record(
            actor=actor,
            action="raid.checklist",
            obj=raid,
            organisation=raid.unit,
            fields=["checklist." + item.code],
            reason="checked" if checked else "unchecked",
        )


# --- coordination tasks --------------------------------------------------------------------


def task_create(
    *,
    actor: User,
    raid: Raid,
    title: str,
    due: datetime.datetime,
    owner_org: Organisation | None = None,
    owner_user: User | None = None,
) -> Task:
    if not perms.can_manage_tasks(actor, raid):
        raise PermissionDenied
    if owner_org is None and owner_user is None:
        raise ValidationError(_("Give the task an owner: an organisation or a person."))
    team = perms.active_team(raid)
    people = {m.user_id for m in team} | {raid.lead_id, raid.supervisor_id}
    orgs = {m.organisation_id for m in team} | {raid.unit_id}
    if owner_user is not None and owner_user.pk not in people:
        raise ValidationError({"owner_user": _("The owner must be on the team.")})
    if owner_org is not None and owner_org.pk not in orgs:
        raise ValidationError({"owner_org": _("The organisation must be on the team.")})
    task = Task(
        raid=raid,
        title=title.strip(),
        due=due,
        owner_org=owner_org,
        owner_user=owner_user,
        created_by=actor,
    )
    task.full_clean()
    with transaction.atomic():
        task.save()
        TaskEvent.objects.create(task=task, raid=raid, actor=actor, to_state=TaskState.OPEN)
        audit.record(actor=actor, action="raid.task_create", obj=task, organisation=raid.unit)
        notify_raid(raid=raid, kind="raid.task", event=gettext_lazy("new task"), actor=actor)
    return task


def task_move(*, actor: User, task: Task, to_state: str, reason: str = "") -> Task:
    """Move a task.  The row is locked and the move checked against its *current* state, so
    two members acting at once are applied one after the other and both are logged; a move
    that no longer makes sense (already done) is refused with a clear message."""
    raid = task.raid
    if not perms.can_move_tasks(actor, raid):
        raise PermissionDenied
    reason = reason.strip()
    if to_state == TaskState.BLOCKED and not reason:
        raise ValidationError({"reason": _("Say why the task is blocked.")})
    with transaction.atomic():
        locked = Task.objects.select_for_update().get(pk=task.pk)
        if to_state not in TASK_MOVES.get(locked.state, ()):
            raise ValidationError(
                _("This task is %(state)s: it cannot become %(to)s.")
                % {
                    "state": locked.get_state_display().lower(),
                    "to": str(TaskState(to_state).label).lower()
                    if to_state in TaskState.values
                    else to_state,
                }
            )
        from_state = locked.state
        locked.state = to_state
        locked.blocked_reason = reason[:300] if to_state == TaskState.BLOCKED else ""
        locked.version += 1
        locked.save(update_fields=["state", "blocked_reason", "version", "updated"])
        TaskEvent.objects.create(
            task=locked,
            raid=raid,
            actor=actor,
            from_state=from_state,
            to_state=to_state,
            note=locked.blocked_reason,
        )
        audit.record(
            actor=actor,
            action="raid.task_move",
            obj=locked,
            organisation=raid.unit,
            fields=["state"],
            reason=f"{from_state}->{to_state}",
        )
        notify_raid(raid=raid, kind="raid.task", event=gettext_lazy("a task changed"), actor=actor)
    return locked


# --- outcome -------------------------------------------------------------------------------


def _editable_outcome(actor: User, raid: Raid) -> RaidOutcome | None:
    """Precondition: inside a transaction.  Locks the outcome row, as ``outcome_confirm``
    does, so no row can be added to an outcome while it is being confirmed."""
    if not perms.can_record_outcome(actor, raid):
        raise PermissionDenied
    outcome = RaidOutcome.objects.select_for_update().filter(raid=raid).first()
    if outcome is not None and outcome.is_confirmed:
        raise ValidationError(_("The outcome is confirmed and can no longer be changed."))
    return outcome


def outcome_save(
    *,
    actor: User,
    raid: Raid,
    minors_rescued: int,
    adults_rescued: int,
    fir_number: str = "",
    fir_registered_on: datetime.date | None = None,
    police_station: Organisation | None = None,
    sections: list[str] | None = None,
) -> RaidOutcome:
    """Record (or correct) the outcome's header while it is a draft."""
    with transaction.atomic():
        return _outcome_save(
            actor=actor,
            raid=raid,
            minors_rescued=minors_rescued,
            adults_rescued=adults_rescued,
            fir_number=fir_number,
            fir_registered_on=fir_registered_on,
            police_station=police_station,
            sections=sections,
        )


def _outcome_save(
    *,
    actor: User,
    raid: Raid,
    minors_rescued: int,
    adults_rescued: int,
    fir_number: str,
    fir_registered_on: datetime.date | None,
    police_station: Organisation | None,
    sections: list[str] | None,
) -> RaidOutcome:
    outcome = _editable_outcome(actor, raid) or RaidOutcome(raid=raid, recorded_by=actor)
    if police_station is not None and police_station.kind != OrgKind.POLICE:
        raise ValidationError({"police_station": _("Choose a police station.")})
    outcome.minors_rescued = minors_rescued
    outcome.adults_rescued = adults_rescued
    outcome.fir_number = fir_number.strip()
    outcome.fir_registered_on = fir_registered_on
    outcome.police_station = police_station
    outcome.sections = list(sections or [])
    outcome.recorded_by = actor
    outcome.recorded_at = timezone.now()
    outcome.full_clean()
    with transaction.atomic():
        outcome.save()
        audit.record(
            actor=actor,
            action="raid.outcome_save",
            obj=raid,
            organisation=raid.unit,
            fields=["fir_number", "police_station", "sections", "counts"],
        )
    return outcome


def rescued_add(
    *,
    actor: User,
    outcome: RaidOutcome,
    rescued_at: datetime.datetime,
    age_band: str,
    sex: str,
    languages: list[str],
    needs: list[str],
) -> RescuedPerson:
    with transaction.atomic():
        _editable_outcome(actor, outcome.raid)
        return _rescued_add(
            actor=actor,
            outcome=outcome,
            rescued_at=rescued_at,
            age_band=age_band,
            sex=sex,
            languages=languages,
            needs=needs,
        )


def _rescued_add(
    *,
    actor: User,
    outcome: RaidOutcome,
    rescued_at: datetime.datetime,
    age_band: str,
    sex: str,
    languages: list[str],
    needs: list[str],
) -> RescuedPerson:
    person = RescuedPerson(
        outcome=outcome,
        rescued_at=rescued_at,
        age_band=age_band,
        sex=sex,
        languages=list(languages),
        needs=list(needs),
    )
    person.handover = HandOver.PENDING if person.is_minor else HandOver.NOT_APPLICABLE
    person.full_clean()
    with transaction.atomic():
        person.save()
        audit.record(
            actor=actor,
            action="raid.rescued_add",
            obj=outcome.raid,
            organisation=outcome.raid.unit,
            fields=["rescued"],
        )
    return person


def offender_add(
    *, actor: User, outcome: RaidOutcome, role: str, sections: list[str]
) -> ArrestedOffender:
    with transaction.atomic():
        _editable_outcome(actor, outcome.raid)
        offender = ArrestedOffender(outcome=outcome, role=role, sections=list(sections))
        offender.full_clean()
        offender.save()
        audit.record(
            actor=actor,
            action="raid.offender_add",
            obj=outcome.raid,
            organisation=outcome.raid.unit,
            fields=["arrested"],
        )
    return offender


def outcome_row_remove(*, actor: User, row: RescuedPerson | ArrestedOffender) -> None:
    outcome = row.outcome
    with transaction.atomic():
        _editable_outcome(actor, outcome.raid)
        row.delete()
        audit.record(
            actor=actor,
            action="raid.outcome_row_remove",
            obj=outcome.raid,
            organisation=outcome.raid.unit,
            fields=["rescued" if isinstance(row, RescuedPerson) else "arrested"],
        )


def outcome_confirm(*, actor: User, outcome: RaidOutcome) -> ProsecutionCase | None:
    """Freeze the outcome: counts must match the rows.  Opens the prosecution case of the FIR
    with one accused per arrested offender, and hands the rescued minors over to child cases."""
    raid = outcome.raid
    if not perms.can_record_outcome(actor, raid):
        raise PermissionDenied
    with transaction.atomic():
        locked = RaidOutcome.objects.select_for_update().get(pk=outcome.pk)
        if locked.is_confirmed:
            raise ValidationError(_("The outcome is already confirmed."))
        problems = locked.mismatches()
        if problems:
            raise ValidationError(problems)
        locked.confirmed_at = timezone.now()
        locked.save(update_fields=["confirmed_at"])
        case = None
        if locked.fir_number:
            case = _case_from_outcome(actor, raid, locked)
        audit.record(
            actor=actor,
            action="raid.outcome_confirm",
            obj=raid,
            organisation=raid.unit,
            fields=["outcome"],
        )
        _hand_over_rescued_minors(locked, actor)
        notify_raid(
            raid=raid, kind="raid.status", event=gettext_lazy("outcome recorded"), actor=actor
        )
    return case


def _case_from_outcome(actor: User, raid: Raid, outcome: RaidOutcome) -> ProsecutionCase:
    if outcome.police_station is None or outcome.fir_registered_on is None:
        raise ValidationError(_("An FIR needs its police station and registration date."))
    case, _created = ProsecutionCase.objects.get_or_create(
        police_station=outcome.police_station,
        fir_number=outcome.fir_number,
        defaults={
            "fir_registered_on": outcome.fir_registered_on,
            "unit": raid.unit,
            "raid": raid,
            "created_by": actor,
        },
    )
    # An FIR opened elsewhere (another raid, or another unit from a lead) is not this raid's
    # to extend: one generic answer, which confirms nothing about that other case.
    if not _created and (
        case.raid_id not in (None, raid.pk)
        or not (case.unit_id == raid.unit_id or perms.can_manage_case(actor, case))
    ):
        raise ValidationError(
            {"fir_number": _("This FIR number cannot be used for this raid: check it.")}
        )
    if case.raid_id is None:
        case.raid = raid
        case.save(update_fields=["raid"])
    arrested_on = timezone.localtime(raid.executed_at or timezone.now()).date()
    start = case.accused.count()
    for i, offender in enumerate(outcome.arrested.all(), start=start + 1):
        accused = Accused(
            case=case,
            label=f"A{i}",
            role=offender.role,
            sections=list(offender.sections),
            stage=Stage.ARRESTED,
            arrested_on=arrested_on,
            from_offender=offender,
        )
        accused.full_clean()
        accused.save()
    audit.record(actor=actor, action="prosecution.open", obj=case, organisation=raid.unit)
    _sync_charge_sheet_clock(case, actor)
    return case


# The rescue's choices → the child case's (same meaning; a band that does not fit one of the
# case's bands becomes "uncertain", treated as a child, and the rescue's band is kept on the
# case's timeline).
_CASE_SEX = {"f": "female", "m": "male", "t": "transgender", "u": "not_known"}
_CASE_AGE_BAND = {"16_17": "15-17", "uncertain": "uncertain"}
_CASE_NEEDS = {
    "medical": "medical",
    "shelter": "shelter",
    "counselling": "counselling",
    "interpreter": "interpreter",
    "legal_aid": "legal_aid",
    "family_tracing": "other",
    "special_educator": "education",
}


def _hand_over_rescued_minors(outcome: RaidOutcome, actor: User) -> list[RescuedPerson]:
    """The rescue → child case → CWC chain (issues #4 and #6).

    Precondition: called inside ``outcome_confirm``'s transaction, the outcome row locked.

    For each rescued minor still ``PENDING`` (row locked and re-checked, so a replay or a
    concurrent call opens nothing twice): open a child case held by the raid's unit, with the
    FIR's police station (or the unit) on it and no identity, whose 24-hour statutory clocks
    run from the rescue time; draft a CWC production referral to the district's active CWC;
    link the row to the case code and mark it done.  Returns the rows handed over.
    """
    from referrals import services as referrals

    raid = outcome.raid
    unit = raid.unit
    pending = list(
        RescuedPerson.objects.select_for_update()
        .filter(outcome=outcome, handover=HandOver.PENDING)
        .order_by("pk")
    )
    minors = [p for p in pending if p.is_minor]
    if not minors:
        return []
    cwc = referrals.district_cwc(unit.district)
    station = outcome.police_station or unit
    for person in minors:
        band = _CASE_AGE_BAND.get(person.age_band, "uncertain")
        note = (
            ""
            if band != "uncertain"
            else _("apparent age at the rescue: %(band)s") % {"band": person.get_age_band_display()}
        )
        case, _referral = referrals.child_case_open_from_rescue(
            actor=actor,
            unit=unit,
            police_station=station,
            sex=_CASE_SEX[person.sex],
            age_band=band,
            languages=list(person.languages),
            needs=sorted({_CASE_NEEDS[n] for n in person.needs}),
            rescued_at=person.rescued_at,
            cwc=cwc,
            rescue_ref=f"raid-{raid.pk}-person-{person.pk}",
            note=note,
        )
        person.child_case_ref = case.code
        person.handover = HandOver.DONE
        person.save(update_fields=["child_case_ref", "handover"])
    audit.record(
        actor=actor,
        action="raid.minors_handover",
        obj=raid,
        organisation=unit,
        fields=["rescued"],
        reason=f"{len(minors)} child case(s) opened",
    )
    return minors


def outcome_hand_over_pending(*, actor: User, outcome: RaidOutcome) -> list[RescuedPerson]:
    """Replay the hand-over of a confirmed outcome's minors still pending (those confirmed
    before the chain was wired); does nothing for rows already handed over."""
    if not perms.can_record_outcome(actor, outcome.raid):
        raise PermissionDenied
    with transaction.atomic():
        locked = RaidOutcome.objects.select_for_update().get(pk=outcome.pk)
        if not locked.is_confirmed:
            raise ValidationError(_("Confirm the outcome first."))
        return _hand_over_rescued_minors(locked, actor)


# --- prosecution ---------------------------------------------------------------------------


def _ist_start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _sync_charge_sheet_clock(case: ProsecutionCase, actor: User | None) -> None:
    """Keep the BNSS s.193(2) clock in step with the accused (call inside the transaction).

    Starts it (from the FIR date) once an accused is charged under POCSO s.4, 6, 8 or 10;
    meets it, on the last charge-sheet date, when every such accused is charge-sheeted; marks
    it not applicable if revised charges take every accused off it before that.
    """
    on_clock = [a for a in Accused.objects.filter(case=case) if a.on_charge_sheet_clock]
    rule = clock_rules.CHARGE_SHEET
    running = [c for c in clocks.clocks_for(case) if c.rule == rule.code]
    if not on_clock:
        if running and running[0].state == running[0].State.RUNNING:
            clocks.clock_not_applicable(
                obj=case,
                rule=rule,
                reason=_("No accused is charged under POCSO s.4, 6, 8 or 10 any more."),
                actor=actor,
            )
        return
    clock = clocks.clock_start(
        obj=case, rule=rule, started_at=_ist_start_of(case.fir_registered_on), actor=actor
    )
    if clock.state not in (clock.State.RUNNING, clock.State.MISSED):
        return
    dates = [a.charge_sheeted_on for a in on_clock]
    if all(dates):
        clocks.clock_meet(obj=case, rule=rule, at=_ist_start_of(max(dates)), actor=actor)


def case_open(
    *,
    actor: User,
    unit: Organisation,
    fir_number: str,
    police_station: Organisation,
    fir_registered_on: datetime.date,
    lead_reference: str,
) -> ProsecutionCase:
    """Open a prosecution case without a raid, from a lead (a free-text reference for now)."""
    if (
        not can(actor, Cap.PROSECUTION_MANAGE)
        or not police_units_of(actor).filter(pk=unit.pk).exists()
    ):
        raise PermissionDenied
    if police_station.kind != OrgKind.POLICE:
        raise ValidationError({"police_station": _("Choose a police station.")})
    if not lead_reference.strip():
        raise ValidationError({"lead_reference": _("Give the reference of the lead.")})
    case = ProsecutionCase(
        unit=unit,
        fir_number=fir_number.strip(),
        police_station=police_station,
        fir_registered_on=fir_registered_on,
        lead_reference=lead_reference.strip(),
        created_by=actor,
    )
    case.full_clean()
    with transaction.atomic():
        case.save()
        audit.record(actor=actor, action="prosecution.open", obj=case, organisation=unit)
    return case


def accused_add(
    *,
    actor: User,
    case: ProsecutionCase,
    role: str,
    sections: list[str],
    arrested_on: datetime.date | None,
    name: str = "",
) -> Accused:
    if not perms.can_manage_case(actor, case):
        raise PermissionDenied
    with transaction.atomic():
        # Lock the case so two additions do not take the same label.
        ProsecutionCase.objects.select_for_update().filter(pk=case.pk).first()
        accused = Accused(
            case=case,
            label=f"A{case.accused.count() + 1}",
            name=name.strip(),
            role=role,
            sections=list(sections),
            stage=Stage.ARRESTED,
            arrested_on=arrested_on,
        )
        accused.full_clean()
        accused.save()
        audit.record(
            actor=actor,
            action="prosecution.accused_add",
            obj=case,
            organisation=case.unit,
            fields=["accused", "name"] if name else ["accused"],
        )
        _sync_charge_sheet_clock(case, actor)
    return accused


STAGE_DATE_FIELD = {
    Stage.CHARGE_SHEETED: "charge_sheeted_on",
    Stage.ON_TRIAL: "trial_started_on",
    Stage.CONVICTED: "judgment_on",
    Stage.ACQUITTED: "judgment_on",
    Stage.DISCHARGED: "judgment_on",
}


def accused_advance(
    *,
    actor: User,
    accused: Accused,
    stage: str,
    on: datetime.date,
    sections: list[str] | None = None,
) -> Accused:
    """Move an accused forward (never back), dated no earlier than the stages before.

    Charges may be revised at the same time (``sections``), e.g. at the charge sheet.
    """
    case = accused.case
    if not perms.can_manage_case(actor, case):
        raise PermissionDenied
    if stage not in STAGE_DATE_FIELD:
        raise ValidationError({"stage": _("Choose a stage from the list.")})
    with transaction.atomic():
        locked = Accused.objects.select_for_update().get(pk=accused.pk)
        if locked.stage in FINAL_STAGES or STAGE_RANK[stage] <= STAGE_RANK[locked.stage]:
            raise ValidationError(
                {
                    "stage": _("%(label)s is %(current)s: a stage can only move forward.")
                    % {"label": locked.label, "current": locked.get_stage_display().lower()}
                }
            )
        earlier = [
            d
            for d in (locked.arrested_on, locked.charge_sheeted_on, locked.trial_started_on)
            if d is not None
        ]
        if earlier and on < max(earlier):
            raise ValidationError(
                {
                    "on": _("The date cannot be before %(date)s, the date of an earlier stage.")
                    % {"date": max(earlier).strftime("%d/%m/%Y")}
                }
            )
        if on > timezone.localdate():
            raise ValidationError({"on": _("The date cannot be in the future.")})
        locked.stage = stage
        setattr(locked, STAGE_DATE_FIELD[stage], on)
        if sections is not None:
            locked.sections = list(sections)
        locked.full_clean()
        locked.save()
        audit.record(
            actor=actor,
            action="prosecution.stage",
            obj=case,
            organisation=case.unit,
            fields=["stage", STAGE_DATE_FIELD[stage]]
            + (["sections"] if sections is not None else []),
            reason=f"{locked.label} -> {stage}",
        )
        _sync_charge_sheet_clock(case, actor)
    return locked
