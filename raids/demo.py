"""A fictional demo raid and prosecution case for the embedded demo (``manage.py seed_demo``).

Idempotent: found by codename / FIR number, created only once.  Everything is invented:
the codename, the place, the FIR.  Built through the services, so the audit log,
checklist and notifications are the real ones.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from raids import services
from raids.choices import OffenderRole, RaidStatus, Section, Stage, TaskState, TeamRole
from raids.models import ProsecutionCase, Raid

CODENAME = "NEELGAI"
FIR = "DEMO-17/2026"


@transaction.atomic
def build(people: dict[str, Any]) -> Raid:
    """The demo raid (briefed, with a team and a task board) and a case from a lead."""
    existing = Raid.objects.filter(codename=CODENAME).first()
    if existing is not None:
        return existing
    orgs = people["orgs"]
    lead, supervisor = people["ahtu_officer"], people["police_supervisor"]
    start = timezone.localtime().replace(hour=5, minute=0, second=0, microsecond=0)
    start += datetime.timedelta(days=3)
    raid = services.raid_open(
        actor=lead,
        unit=orgs["ahtu"],
        codename=CODENAME,
        lead=lead,
        supervisor=supervisor,
        window_start=start,
        window_end=start + datetime.timedelta(hours=3),
        grounds="(Demo) An informant reports girls under 18 kept in a rented upper floor.",
        target_location="(Demo) House 0, Fictional Lane, Imaginary Nagar — not a real place.",
    )
    for key, org, role in (
        ("station_officer", "ps_civil", TeamRole.OFFICER),
        ("ngo_counsellor", "ngo", TeamRole.RESCUE_WORKER),
        ("cwc_member", "cwc", TeamRole.CWC_MEMBER),
        ("wcd_officer", "dcpu", TeamRole.WCD_MEMBER),
        ("shelter_coordinator", "shelter", TeamRole.OTHER),
    ):
        services.team_add(
            actor=lead, raid=raid, user=people[key], organisation=orgs[org], role=role
        )
    due = start - datetime.timedelta(hours=6)
    tasks = [
        services.task_create(
            actor=lead,
            raid=raid,
            title="Two vehicles with drivers",
            due=due,
            owner_org=orgs["ahtu"],
        ),
        services.task_create(
            actor=lead,
            raid=raid,
            title="Shelter beds for up to six girls",
            due=due,
            owner_user=people["shelter_coordinator"],
        ),
        services.task_create(
            actor=lead,
            raid=raid,
            title="CWC sitting on standby the same day",
            due=start,
            owner_user=people["cwc_member"],
        ),
        services.task_create(
            actor=lead, raid=raid, title="Interpreter (Bengali)", due=due, owner_org=orgs["ngo"]
        ),
    ]
    services.task_move(actor=people["cwc_member"], task=tasks[2], to_state=TaskState.ACKNOWLEDGED)
    services.task_move(
        actor=people["ngo_counsellor"],
        task=tasks[3],
        to_state=TaskState.BLOCKED,
        reason="Interpreter on leave; asking the DCPU panel.",
    )
    raid = services.raid_move(actor=supervisor, raid=raid, step="approve")
    raid = services.raid_move(actor=lead, raid=raid, step="brief")
    assert raid.status == RaidStatus.BRIEFED  # noqa: S101 - demo invariant

    if not ProsecutionCase.objects.filter(fir_number=FIR).exists():
        today = timezone.localdate()
        case = services.case_open(
            actor=lead,
            unit=orgs["ahtu"],
            fir_number=FIR,
            police_station=orgs["ps_kotwali"],
            fir_registered_on=today - datetime.timedelta(days=40),
            lead_reference="LEAD-DEMO-3",
        )
        services.accused_add(
            actor=lead,
            case=case,
            role=OffenderRole.CUSTOMER,
            sections=[Section.POCSO_4, Section.BNS_99],
            arrested_on=today - datetime.timedelta(days=40),
        )
        trafficker = services.accused_add(
            actor=lead,
            case=case,
            role=OffenderRole.TRAFFICKER,
            sections=[Section.BNS_143, Section.ITPA_5],
            arrested_on=today - datetime.timedelta(days=39),
        )
        services.accused_advance(
            actor=lead, accused=trafficker, stage=Stage.CHARGE_SHEETED, on=today
        )
    return raid
