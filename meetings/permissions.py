"""Predicates: who may act on meetings, minutes and action items (already visible ones)."""

from __future__ import annotations

from typing import Any

from agencies.models import Membership
from ftu.policy import Cap, can


def may_manage_meetings(user: Any) -> bool:
    """Scheduling, the agenda, attendance and drafting minutes: the convenor."""
    return can(user, Cap.MEETING_SCHEDULE)


def may_review_minutes(user: Any) -> bool:
    return can(user, Cap.MINUTES_APPROVE)


def may_comment(user: Any) -> bool:
    """Participants (the meeting is already visible to them) comment on circulated minutes."""
    return can(user, Cap.MEETING_ATTEND)


def may_update_action(user: Any, item: Any) -> bool:
    """The owner, any active member of the owning organisation, or the convenor."""
    if not can(user, Cap.MEETING_ATTEND):
        return False
    if item.owner_id == user.pk or can(user, Cap.MEETING_SCHEDULE):
        return True
    return (
        Membership.objects.active().filter(user=user, organisation_id=item.organisation_id).exists()
    )
