from __future__ import annotations

import datetime
from typing import Any

from raids.choices import OffenderRole, RaidStatus, Section, Stage
from raids.models import Accused, ProsecutionCase
from tests.raids.helpers import make_raid
from tests.samples import sample


@sample("raid")
def raid(personas: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    # Briefed, so every person who sees it also reads its target page.  Visible to the lead
    # (ahtu_officer), the supervisor and the team (ngo_counsellor, cwc_member) only.
    obj = make_raid(personas, status=RaidStatus.BRIEFED, codename="SAMPLE")
    return {"pk": obj.pk}, obj


@sample("prosecution_case")
def prosecution_case(personas: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    from_raid = make_raid(personas, status=RaidStatus.BRIEFED, codename="SAMPLECASE")
    case = ProsecutionCase.objects.create(
        fir_number="101/2026",
        police_station=personas["orgs"]["ps_civil"],
        fir_registered_on=datetime.date(2026, 1, 10),
        unit=personas["orgs"]["ahtu"],
        raid=from_raid,
        created_by=personas["ahtu_officer"],
    )
    Accused.objects.create(
        case=case,
        label="A1",
        role=OffenderRole.CUSTOMER,
        sections=[Section.POCSO_4],
        under_pocso=True,
        stage=Stage.ARRESTED,
        arrested_on=datetime.date(2026, 1, 10),
    )
    return {"pk": case.pk}, case
