"""Builders for referral tests and samples: cases made through the services, with markers.

Every protected field of :func:`make_case` holds a unique marker string, so a test can look
for it in any response, e-mail, log record or channel message (the canary).
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from referrals import services
from referrals.models import ChildCase, Lead, Referral


def markers(tag: str = "") -> dict[str, str]:
    token = uuid.uuid4().hex[:10]
    return {
        "name": f"CanaryName{tag}{token}",
        "aliases": f"CanaryAlias{tag}{token}",
        "guardian_name": f"CanaryGuardian{tag}{token}",
        "guardian_contact": f"98{token[:8].translate(str.maketrans('abcdef', '123456'))}",
        "address": f"CanaryAddress{tag}{token}",
        "school": f"CanarySchool{tag}{token}",
        "identifying_marks": f"CanaryMark{tag}{token}",
        "circumstances": f"CanaryStory{tag}{token}",
    }


def case_data(**overrides: Any) -> dict[str, Any]:
    now = timezone.now()
    data: dict[str, Any] = {
        "first_contact_at": now - datetime.timedelta(hours=2),
        "source": "rescue",
        "police_station": None,
        "district": "Meerut",
        "sex": "female",
        "apparent_age": 14,
        "age_band": "12-14",
        "age_basis": "appearance",
        "age_assessed_at": now - datetime.timedelta(hours=1),
        "languages": ["hi"],
        "needs": ["medical", "counselling"],
        **markers(),
    }
    data.update(overrides)
    return data


def make_case(actor: Any, org: Any, **overrides: Any) -> ChildCase:
    case, _dups = services.case_create(actor=actor, organisation=org, data=case_data(**overrides))
    return case


def refer(
    actor: Any,
    case: ChildCase,
    to_org: Any,
    *,
    service: str = "counselling",
    urgency: str = "urgent",
    send: bool = True,
) -> Referral:
    referral, _created = services.referral_create(
        actor=actor,
        case=case,
        to_org=to_org,
        service=service,
        urgency=urgency,
        note="Needs a counsellor who speaks Hindi.",
        idempotency_key=uuid.uuid4(),
        send=send,
    )
    return referral


@dataclass
class World:
    case: ChildCase
    cwc_referral: Referral
    pending: Referral
    declined: Referral
    lead: Lead
    markers: dict[str, str] = field(default_factory=dict)


def build_world(p: dict[str, Any]) -> World:
    """AHTU records a case at PS Civil Lines; the CWC accepts its referral, the NGO has one
    pending, the shelter declined one; the CWC member shares a lead with the AHTU."""
    orgs = p["orgs"]
    case = make_case(p["ahtu_officer"], orgs["ahtu"], police_station=orgs["ps_civil"])
    cwc_ref = refer(p["ahtu_officer"], case, orgs["cwc"], service="cwc_production")
    services.referral_accept(actor=p["cwc_chair"], referral=cwc_ref, caseworker=p["cwc_member"])
    pending = refer(p["ahtu_officer"], case, orgs["ngo"])
    declined = refer(p["ahtu_officer"], case, orgs["shelter"], service="shelter")
    services.referral_decline(
        actor=p["shelter_coordinator"], referral=declined, reason="No bed free this week."
    )
    lead = services.lead_record(
        actor=p["cwc_member"],
        case=case,
        police_org=orgs["ahtu"],
        offender_role="customer",
        description="CanaryLeadDesc tall man",
        places="CanaryLeadPlace",
        phones="9000000001",
    )
    values = {f: getattr(ChildCase.objects.get(pk=case.pk), f) for f in ChildCase.PROTECTED_FIELDS}
    return World(
        case=case,
        cwc_referral=cwc_ref,
        pending=pending,
        declined=declined,
        lead=lead,
        markers=values,
    )
