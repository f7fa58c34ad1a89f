"""Partner organisations and memberships: the convenor's list, coordinators' teams."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Membership, Organisation, User
from agencies.permissions import can_manage_members
from agencies.services.sessions import end_sessions
from ftu import audit
from ftu.policy import Cap, can, forget
from ftu.roles import Role

ORGANISATION_FIELDS = (
    "name",
    "name_hi",
    "short_name",
    "kind",
    "parent",
    "district",
    "shelter_beds",
    "counselling_slots",
    "phone_24x7",
    "email",
    "address",
    "is_public",
)
ORGANISATION_M2M = ("services", "languages")


def _apply(organisation: Organisation, data: dict[str, Any]) -> list[str]:
    changed = []
    for name in ORGANISATION_FIELDS:
        if name in data and getattr(organisation, name) != data[name]:
            setattr(organisation, name, data[name])
            changed.append(name)
    return changed


def _set_m2m(organisation: Organisation, data: dict[str, Any]) -> list[str]:
    changed = []
    for name in ORGANISATION_M2M:
        if name not in data:
            continue
        manager = getattr(organisation, name)
        new = {obj.pk for obj in data[name]}
        if set(manager.values_list("pk", flat=True)) != new:
            manager.set(list(data[name]))
            changed.append(name)
    return changed


def organisation_create(*, actor: User, data: dict[str, Any]) -> Organisation:
    """The convenor adds a partner (fields as in ``ORGANISATION_FIELDS`` plus M2M)."""
    if not can(actor, Cap.ORGANISATION_MANAGE):
        raise PermissionDenied
    organisation = Organisation()
    changed = _apply(organisation, data)
    with transaction.atomic():
        organisation.full_clean()
        organisation.save()
        changed += _set_m2m(organisation, data)
        audit.record(
            actor=actor,
            action="organisation.create",
            obj=organisation,
            organisation=organisation,
            fields=changed,
        )
    return organisation


def organisation_update(
    *, actor: User, organisation: Organisation, data: dict[str, Any]
) -> Organisation:
    if not can(actor, Cap.ORGANISATION_MANAGE):
        raise PermissionDenied
    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
        changed = _apply(organisation, data)
        if organisation.parent_id == organisation.pk and organisation.pk is not None:
            raise ValidationError({"parent": _("An organisation cannot be part of itself.")})
        organisation.full_clean()
        if changed:
            organisation.save(update_fields=[*changed, "updated"])
        changed += _set_m2m(organisation, data)
        audit.record(
            actor=actor,
            action="organisation.update",
            obj=organisation,
            organisation=organisation,
            fields=changed,
        )
    return organisation


def organisation_set_active(
    *, actor: User, organisation: Organisation, active: bool
) -> Organisation:
    """Deactivate (or reactivate) a partner.  Deactivating ends its members' sessions."""
    if not can(actor, Cap.ORGANISATION_MANAGE):
        raise PermissionDenied
    if not active and organisation.memberships.filter(user=actor, is_active=True).exists():
        raise ValidationError(_("You cannot deactivate your own organisation."))
    with transaction.atomic():
        updated = Organisation.objects.filter(pk=organisation.pk, is_active=not active).update(
            is_active=active, updated=timezone.now()
        )
        if not updated:
            raise ValidationError(
                _("This organisation is already active.")
                if active
                else _("This organisation is already deactivated.")
            )
        audit.record(
            actor=actor,
            action="organisation.activate" if active else "organisation.deactivate",
            obj=organisation,
            organisation=organisation,
            fields=["is_active"],
        )
        if not active:
            members = User.objects.filter(
                memberships__organisation=organisation, memberships__is_active=True
            ).distinct()
            for user in members:
                end_sessions(user)
    organisation.refresh_from_db()
    return organisation


def membership_update(*, actor: User, membership: Membership, role: str, title: str) -> Membership:
    """A coordinator (or the convenor) changes a member's role or title; audited."""
    if not can_manage_members(actor, membership.organisation):
        raise PermissionDenied
    if role not in Role.values:
        raise ValidationError({"role": _("Choose a valid role.")})
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        if not membership.is_active:
            raise ValidationError(_("This membership has ended."))
        if membership.user_id == actor.pk and role != membership.role:
            raise ValidationError(_("You cannot change your own role."))
        changed = []
        if membership.role != role:
            membership.role = role
            changed.append("role")
        if membership.title != title.strip():
            membership.title = title.strip()
            changed.append("title")
        membership.full_clean(validate_unique=False)
        if changed:
            membership.save(update_fields=changed)
        audit.record(
            actor=actor,
            action="membership.role_change" if "role" in changed else "membership.update",
            obj=membership,
            organisation=membership.organisation,
            fields=changed,
        )
        if "role" in changed:
            # Open sockets were authorised under the old role: make them reconnect.
            from notifications.services import revoke_sockets

            revoke_sockets(membership.user_id)
    forget(membership.user)
    return membership


def membership_deactivate(*, actor: User, membership: Membership) -> Membership:
    """End a membership; the person's sessions and sockets end with it."""
    if not can_manage_members(actor, membership.organisation):
        raise PermissionDenied
    if membership.user_id == actor.pk:
        raise ValidationError(_("You cannot end your own membership."))
    with transaction.atomic():
        updated = Membership.objects.filter(pk=membership.pk, is_active=True).update(
            is_active=False, ended=timezone.now()
        )
        if not updated:
            raise ValidationError(_("This membership has already ended."))
        audit.record(
            actor=actor,
            action="membership.deactivate",
            obj=membership,
            organisation=membership.organisation,
            fields=["is_active", "ended"],
        )
        end_sessions(membership.user)
    membership.refresh_from_db()
    forget(membership.user)
    return membership


def person_deactivate(*, actor: User, person: User) -> User:
    """The convenor switches a person off everywhere: no log-in, sessions and sockets end."""
    if not can(actor, Cap.PERSON_DEACTIVATE):
        raise PermissionDenied
    if person.pk == actor.pk:
        raise ValidationError(_("You cannot deactivate yourself."))
    with transaction.atomic():
        updated = User.objects.filter(pk=person.pk, is_active=True).update(is_active=False)
        if not updated:
            raise ValidationError(_("This person is already deactivated."))
        audit.record(actor=actor, action="person.deactivate", obj=person, fields=["is_active"])
        end_sessions(person)
    person.refresh_from_db()
    return person
