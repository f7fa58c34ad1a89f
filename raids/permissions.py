"""Who may do what to a raid or a prosecution case: small predicates over one object.

Every predicate assumes the object was fetched through ``visible_to(user)`` (outside it the
answer is a 404 before any predicate runs) and combines a capability of the access policy
(``ftu.policy``) with the person's place on *this* raid: lead, approving supervisor, member.

The lifecycle, and who moves each step:

========  ===================================  ==========================================
step      from → to                            who
========  ===================================  ==========================================
approve   planning → approved                  the named supervisor (raid.approve), not lead
brief     approved → briefed                   the lead (raid.lead)
execute   briefed → executed                   the lead, after confirming unchecked items
debrief   executed → debriefed                 the lead
close     debriefed → closed                   the lead or the supervisor, outcome confirmed
cancel    planning/approved/briefed → cancel.  the lead or the supervisor, with a reason
========  ===================================  ==========================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from ftu.policy import Cap, can
from raids.choices import TARGET_OPEN_TO_TEAM, RaidStatus
from raids.models import ProsecutionCase, Raid


def is_lead(user: Any, raid: Raid) -> bool:
    return raid.lead_id == user.pk and can(user, Cap.RAID_LEAD)


def is_supervisor(user: Any, raid: Raid) -> bool:
    return raid.supervisor_id == user.pk and can(user, Cap.RAID_APPROVE)


def is_member(user: Any, raid: Raid) -> bool:
    """An active team member (named seat not removed)."""
    return any(m.user_id == user.pk for m in active_team(raid))


def active_team(raid: Raid) -> list[Any]:
    """The active seats; uses the ``active_team`` prefetch of the detail selector if present."""
    cached = getattr(raid, "active_team", None)
    if cached is not None:
        return list(cached)
    return list(raid.team.active().select_related("user", "organisation"))


def can_see_target(user: Any, raid: Raid) -> bool:
    """Lead and supervisor always; the team from the briefing on (not once cancelled)."""
    if is_lead(user, raid) or is_supervisor(user, raid):
        return True
    return raid.status in TARGET_OPEN_TO_TEAM and is_member(user, raid)


def can_manage_team(user: Any, raid: Raid) -> bool:
    return is_lead(user, raid) and raid.is_live


def can_manage_tasks(user: Any, raid: Raid) -> bool:
    """Create tasks: the lead (the team moves them)."""
    return is_lead(user, raid) and raid.is_live


def can_move_tasks(user: Any, raid: Raid) -> bool:
    return raid.is_live and (
        is_lead(user, raid) or is_supervisor(user, raid) or is_member(user, raid)
    )


def can_tick_checklist(user: Any, raid: Raid) -> bool:
    """The lead, or a police officer on the team (they are the ones at the door)."""
    if not raid.is_live or not can(user, Cap.RAID_LEAD):
        return False
    return is_lead(user, raid) or is_member(user, raid)


def can_see_checklist_gaps(user: Any, raid: Raid) -> bool:
    return is_lead(user, raid) or is_supervisor(user, raid)


def can_record_outcome(user: Any, raid: Raid) -> bool:
    return is_lead(user, raid) and raid.status in (RaidStatus.EXECUTED, RaidStatus.DEBRIEFED)


@dataclass(frozen=True)
class Step:
    name: str
    sources: tuple[str, ...]
    target: str
    label: Any
    stamp: str  # the Raid field set to now()

    def allowed(self, user: Any, raid: Raid) -> bool:
        return PREDICATES[self.name](user, raid)


STEPS: dict[str, Step] = {
    s.name: s
    for s in (
        Step("approve", (RaidStatus.PLANNING,), RaidStatus.APPROVED, _("Approve"), "approved_at"),
        Step("brief", (RaidStatus.APPROVED,), RaidStatus.BRIEFED, _("Mark briefed"), "briefed_at"),
        Step(
            "execute", (RaidStatus.BRIEFED,), RaidStatus.EXECUTED, _("Mark executed"), "executed_at"
        ),
        Step(
            "debrief",
            (RaidStatus.EXECUTED,),
            RaidStatus.DEBRIEFED,
            _("Mark debriefed"),
            "debriefed_at",
        ),
        Step("close", (RaidStatus.DEBRIEFED,), RaidStatus.CLOSED, _("Close"), "closed_at"),
        Step(
            "cancel",
            (RaidStatus.PLANNING, RaidStatus.APPROVED, RaidStatus.BRIEFED),
            RaidStatus.CANCELLED,
            _("Cancel"),
            "cancelled_at",
        ),
    )
}

PREDICATES = {
    # Four eyes: the named supervisor approves; the check constraint keeps them apart from the lead.
    "approve": lambda u, r: is_supervisor(u, r) and not is_lead(u, r),
    "brief": is_lead,
    "execute": is_lead,
    "debrief": is_lead,
    "close": lambda u, r: is_lead(u, r) or is_supervisor(u, r),
    "cancel": lambda u, r: is_lead(u, r) or is_supervisor(u, r),
}


def available_steps(user: Any, raid: Raid) -> list[Step]:
    """The steps this person may take now (buttons on the raid page)."""
    return [s for s in STEPS.values() if raid.status in s.sources and s.allowed(user, raid)]


# --- prosecution ---------------------------------------------------------------------------


def can_manage_case(user: Any, case: ProsecutionCase) -> bool:
    """Police of the case's unit (or the police organisation above it) manage the case."""
    from agencies.models import Membership
    from ftu.roles import OrgKind

    if not can(user, Cap.PROSECUTION_MANAGE):
        return False
    org_ids = set(
        Membership.objects.active()
        .filter(user=user, organisation__kind=OrgKind.POLICE)
        .values_list("organisation_id", flat=True)
    )
    unit = case.unit
    return case.unit_id in org_ids or (unit.parent_id is not None and unit.parent_id in org_ids)
