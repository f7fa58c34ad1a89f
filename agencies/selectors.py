"""Reads of partners and people, scoped to the viewer."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from agencies.models import Invitation, Membership, Organisation, User


def organisations_visible_to(user: Any) -> QuerySet[Organisation]:
    return (
        Organisation.objects.visible_to(user)
        .select_related("parent")
        .prefetch_related("services", "languages")
    )


def organisation_detail(user: Any, pk: int) -> Organisation:
    from django.shortcuts import get_object_or_404

    qs = organisations_visible_to(user).prefetch_related(
        Prefetch(
            "memberships",
            queryset=Membership.objects.active().select_related("user").order_by("-role"),
            to_attr="active_memberships",
        )
    )
    return get_object_or_404(qs, pk=pk)


def memberships_of(user: User) -> QuerySet[Membership]:
    return Membership.objects.active().filter(user=user).select_related("organisation")


def coordinated_organisations(user: Any) -> QuerySet[Organisation]:
    """Organisations a person may invite into: those they coordinate, or all for the convenor."""
    from ftu.policy import Cap, can
    from ftu.roles import Role

    if can(user, Cap.MEMBER_INVITE_ANY_ORG):
        return Organisation.objects.active()
    return Organisation.objects.active().filter(
        memberships__user=user, memberships__role=Role.COORDINATOR, memberships__is_active=True
    )


def organisations_manageable_by(user: Any) -> QuerySet[Organisation]:
    """Every organisation, deactivated ones too, for the convenor; nothing for anyone else."""
    from ftu.policy import Cap, can

    if not can(user, Cap.ORGANISATION_MANAGE):
        return Organisation.objects.none()
    return Organisation.objects.select_related("parent").prefetch_related("services", "languages")


def invitations_manageable_by(user: Any) -> QuerySet[Invitation]:
    """Invitations to the organisations a person coordinates (all for the convenor)."""
    return Invitation.objects.filter(
        organisation__in=coordinated_organisations(user)
    ).select_related("organisation", "invited_by")


def memberships_manageable_by(user: Any) -> QuerySet[Membership]:
    return Membership.objects.filter(
        organisation__in=coordinated_organisations(user)
    ).select_related("organisation", "user")


def pending_invitations(user: Any, organisation: Organisation) -> QuerySet[Invitation]:
    from django.utils import timezone

    return invitations_manageable_by(user).filter(
        organisation=organisation, state=Invitation.State.PENDING, expires__gt=timezone.now()
    )


def people_deactivatable_by(user: Any) -> QuerySet[User]:
    from ftu.policy import Cap, can

    if not can(user, Cap.PERSON_DEACTIVATE):
        return User.objects.none()
    return User.objects.filter(is_active=True)
