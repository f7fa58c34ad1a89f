"""Small predicates on top of the access policy: who may act on which organisation."""

from __future__ import annotations

from typing import Any

from ftu.policy import Cap, can
from ftu.roles import Role


def can_manage_members(user: Any, organisation: Any) -> bool:
    """Invite to, and manage the people of, ``organisation``: its coordinators, the convenor.

    True for a deactivated organisation too, so that the caller can say why nothing can be
    done there instead of pretending it does not exist.
    """
    if not can(user, Cap.MEMBER_INVITE):
        return False
    if can(user, Cap.MEMBER_INVITE_ANY_ORG):
        return True
    from agencies.models import Membership

    return (
        Membership.objects.active()
        .filter(user=user, organisation_id=organisation.pk, role=Role.COORDINATOR)
        .exists()
    )
