from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse

from notifications.models import Notification
from referrals import services
from referrals.models import Lead
from tests.referrals.world import build_world, make_case

pytestmark = pytest.mark.django_db


def test_counsellor_holder_records_a_lead_for_the_police_on_the_case(
    personas: dict[str, Any], login: Any
) -> None:
    p = personas
    world = build_world(p)
    services.referral_accept(
        actor=p["ngo_coordinator"], referral=world.pending, caseworker=p["ngo_counsellor"]
    )
    client = login(p["ngo_counsellor"])
    url = reverse("referrals:case_lead", args=[world.case.pk])
    page = client.get(url).content.decode()
    assert p["orgs"]["ahtu"].name in page and p["orgs"]["ps_civil"].name in page
    r = client.post(
        url,
        {
            "police_org": p["orgs"]["ps_civil"].pk,
            "offender_role": "trafficker",
            "description": "Drives a white van",
            "phones": "9111111111",
        },
    )
    assert r.status_code == 302
    lead = Lead.objects.get(offender_role="trafficker")
    assert lead.recording_org == p["orgs"]["ngo"] and lead.state == "new"
    with connection.cursor() as cur:
        cur.execute("SELECT description FROM referrals_lead WHERE id=%s", [lead.pk])
        assert "white van" not in cur.fetchone()[0]
    note = Notification.objects.get(kind="lead.new", recipient=p["station_officer"])
    assert note.title.startswith(world.case.code)


def test_police_see_the_lead_and_the_code_never_the_identity(
    personas: dict[str, Any], login: Any
) -> None:
    world = build_world(personas)
    body = login(personas["ahtu_officer"]).get(world.lead.get_absolute_url()).content.decode()
    assert "CanaryLeadDesc" in body and world.case.code in body
    for marker in world.markers.values():
        assert marker not in body
    # A police unit that does not hold the case has neither the lead nor the case.
    assert (
        login(personas["police_supervisor"]).get(world.lead.get_absolute_url()).status_code == 404
    )


def test_lead_states_new_acknowledged_acted_on(personas: dict[str, Any], login: Any) -> None:
    p = personas
    world = build_world(p)
    client = login(p["ahtu_officer"])
    assert (
        client.post(reverse("referrals:lead_acknowledge", args=[world.lead.pk])).status_code == 302
    )
    world.lead.refresh_from_db()
    assert world.lead.state == "acknowledged"
    with pytest.raises(ValidationError):
        services.lead_acknowledge(actor=p["ahtu_officer"], lead=world.lead)
    with pytest.raises(ValidationError):
        services.lead_act(actor=p["ahtu_officer"], lead=world.lead, reference=" ")
    client.post(
        reverse("referrals:lead_act", args=[world.lead.pk]),
        {"reference": "FIR 123/2026 PS Civil Lines"},
    )
    world.lead.refresh_from_db()
    assert world.lead.state == "acted_on"
    assert world.lead.action_reference == "FIR 123/2026 PS Civil Lines"
    assert Notification.objects.filter(kind="lead.acted", recipient=p["cwc_member"]).exists()


def test_only_the_receiving_police_unit_acts_on_a_lead(
    personas: dict[str, Any], login: Any
) -> None:
    p = personas
    world = build_world(p)
    # Station officer holds the case but the lead went to the AHTU.
    with pytest.raises(PermissionDenied):
        services.lead_acknowledge(actor=p["station_officer"], lead=world.lead)
    assert (
        login(p["cwc_member"])
        .post(reverse("referrals:lead_acknowledge", args=[world.lead.pk]))
        .status_code
        == 404
    )
    assert (
        login(p["station_officer"])
        .post(reverse("referrals:lead_acknowledge", args=[world.lead.pk]))
        .status_code
        == 404
    )


def test_lead_needs_a_police_unit_holding_the_case(personas: dict[str, Any]) -> None:
    p = personas
    case = make_case(p["ngo_counsellor"], p["orgs"]["ngo"])  # no police station on it
    with pytest.raises(ValidationError):
        services.lead_record(
            actor=p["ngo_counsellor"],
            case=case,
            police_org=p["orgs"]["ahtu"],
            offender_role="customer",
            description="x",
        )
    world = build_world(p)
    with pytest.raises(PermissionDenied):  # pending referral: not a holder
        services.lead_record(
            actor=p["ngo_counsellor"],
            case=world.case,
            police_org=p["orgs"]["ahtu"],
            offender_role="customer",
            description="x",
        )
    with pytest.raises(PermissionDenied):  # police cannot record leads
        services.lead_record(
            actor=p["ahtu_officer"],
            case=world.case,
            police_org=p["orgs"]["ahtu"],
            offender_role="customer",
            description="x",
        )
