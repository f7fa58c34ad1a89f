"""Building raids for tests through the services (so side effects are the real ones)."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from raids import services
from raids.choices import RaidStatus, TeamRole
from raids.models import Raid

LOCATION = "CANARY-LOCATION-5d1e, behind the fictional sugar mill"
GROUNDS = "CANARY-GROUNDS-77aa: informant reports minors held"

# The steps from planning to each status, and who takes them.
PATH = [
    (RaidStatus.APPROVED, "approve", "supervisor"),
    (RaidStatus.BRIEFED, "brief", "lead"),
    (RaidStatus.EXECUTED, "execute", "lead"),
    (RaidStatus.DEBRIEFED, "debrief", "lead"),
]

DEFAULT_TEAM = (
    ("ngo_counsellor", "ngo", TeamRole.RESCUE_WORKER),
    ("cwc_member", "cwc", TeamRole.CWC_MEMBER),
)


def make_raid(
    personas: dict[str, Any],
    *,
    status: str = RaidStatus.PLANNING,
    codename: str = "KESTREL",
    team: tuple[tuple[str, str, str], ...] = DEFAULT_TEAM,
    start: datetime.datetime | None = None,
) -> Raid:
    lead = personas["ahtu_officer"]
    supervisor = personas["police_supervisor"]
    start = start or timezone.now() + datetime.timedelta(days=2)
    raid = services.raid_open(
        actor=lead,
        unit=personas["orgs"]["ahtu"],
        codename=codename,
        lead=lead,
        supervisor=supervisor,
        window_start=start,
        window_end=start + datetime.timedelta(hours=4),
        grounds=GROUNDS,
        target_location=LOCATION,
    )
    for key, org, role in team:
        services.team_add(
            actor=lead,
            raid=raid,
            user=personas[key],
            organisation=personas["orgs"][org],
            role=role,
        )
    for target, step, who in PATH:
        if raid.status == status:
            break
        actor = lead if who == "lead" else supervisor
        raid = services.raid_move(actor=actor, raid=raid, step=step, confirm_gaps=True)
        assert raid.status == target
    return raid
