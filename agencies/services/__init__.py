"""Writes about partners and people.  Each checks permission, writes the audit log in the
same transaction and emits its events after commit."""

from __future__ import annotations

from agencies.services.invitations import (
    InvitationUnusable,
    invitation_accept,
    invitation_create,
    invitation_for_token,
    invitation_refused,
    invitation_revoke,
)
from agencies.services.organisations import (
    membership_deactivate,
    membership_update,
    organisation_create,
    organisation_set_active,
    organisation_update,
    person_deactivate,
)
from agencies.services.profiles import profile_update
from agencies.services.sessions import end_sessions

__all__ = [
    "InvitationUnusable",
    "end_sessions",
    "invitation_accept",
    "invitation_create",
    "invitation_for_token",
    "invitation_refused",
    "invitation_revoke",
    "membership_deactivate",
    "membership_update",
    "organisation_create",
    "organisation_set_active",
    "organisation_update",
    "person_deactivate",
    "profile_update",
]
