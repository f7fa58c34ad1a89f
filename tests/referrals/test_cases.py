from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from ftu.models import AuditEvent, Clock
from referrals import services
from referrals.models import CaseEvent, ChildCase, HeldCase
from tests.referrals.world import build_world, case_data, make_case

pytestmark = pytest.mark.django_db


def test_case_codes_are_sequential_per_year(personas: dict[str, Any]) -> None:
    p = personas
    a = make_case(p["ahtu_officer"], p["orgs"]["ahtu"])
    b = make_case(p["ngo_counsellor"], p["orgs"]["ngo"])
    year = timezone.localtime().year
    assert a.code == f"FTU-{year}-0001"
    assert b.code == f"FTU-{year}-0002"


def test_protected_fields_are_encrypted_at_rest(personas: dict[str, Any]) -> None:
    case = make_case(personas["ahtu_officer"], personas["orgs"]["ahtu"])
    with connection.cursor() as cur:
        cur.execute(
            "SELECT name, address, circumstances FROM referrals_childcase WHERE id=%s", [case.pk]
        )
        row = cur.fetchone()
    assert all(v.startswith("fernet:") for v in row)
    assert case.name not in "".join(row)
    assert ChildCase.objects.get(pk=case.pk).name == case.name


def test_create_starts_the_24_hour_clocks_and_names_the_recorder(personas: dict[str, Any]) -> None:
    case = make_case(personas["ahtu_officer"], personas["orgs"]["ahtu"])
    rules = set(Clock.objects.filter(object_id=str(case.pk)).values_list("rule", flat=True))
    assert rules == {"case.medical_care", "case.report_cwc_court", "case.cwc_production"}
    clock = Clock.objects.get(object_id=str(case.pk), rule="case.cwc_production")
    assert clock.due_at == case.first_contact_at + datetime.timedelta(hours=24)
    assert case.caseworkers.get().user == personas["ahtu_officer"]
    assert case.treated_as_child
    audit = AuditEvent.objects.get(action="case.create")
    assert "name" in audit.fields and case.name not in str(audit.fields)


def test_media_and_mp_cannot_record_a_case(personas: dict[str, Any], login: Any) -> None:
    for key in ("media_member", "mp_reviewer", "convenor"):
        assert login(personas[key]).get(reverse("referrals:case_new")).status_code == 403
    with pytest.raises(Exception):  # noqa: B017 - PermissionDenied from the service
        make_case(personas["media_member"], personas["orgs"]["media"])


def test_case_create_view_records_and_redirects(personas: dict[str, Any], login: Any) -> None:
    data = case_data()
    post = {k: v for k, v in data.items() if v is not None and k not in ("languages", "needs")}
    post["first_contact_at"] = timezone.localtime(data["first_contact_at"]).strftime(
        "%Y-%m-%dT%H:%M"
    )
    post["age_assessed_at"] = ""
    post["languages"] = ["hi", "ur"]
    post["needs"] = ["shelter"]
    post["recording_org"] = personas["orgs"]["ngo"].pk
    response = login(personas["ngo_counsellor"]).post(reverse("referrals:case_new"), post)
    assert response.status_code == 302, response.content.decode()[:2000]
    case = ChildCase.objects.get()
    assert response["Location"] == case.get_absolute_url()
    assert case.recording_org == personas["orgs"]["ngo"]
    assert case.languages == ["hi", "ur"]
    assert data["name"] not in response["Location"]


def test_future_first_contact_is_refused(personas: dict[str, Any], login: Any) -> None:
    data = case_data()
    post = {k: v for k, v in data.items() if v is not None and k not in ("languages", "needs")}
    post["first_contact_at"] = (timezone.localtime() + datetime.timedelta(days=1)).strftime(
        "%Y-%m-%dT%H:%M"
    )
    post["age_assessed_at"] = ""
    post["recording_org"] = personas["orgs"]["ngo"].pk
    response = login(personas["ngo_counsellor"]).post(reverse("referrals:case_new"), post)
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["first_contact_at"]
    assert ChildCase.objects.count() == 0


def test_duplicate_warning_only_for_people_who_know_the_other_case(
    personas: dict[str, Any],
) -> None:
    p = personas
    first = make_case(p["ahtu_officer"], p["orgs"]["ahtu"])
    same = {
        "name": "  " + first.name.upper() + " ",
        "guardian_contact": "+91 " + first.guardian_contact,
    }
    _c, dups = services.case_create(
        actor=p["ahtu_officer"], organisation=p["orgs"]["ahtu"], data=case_data(**same)
    )
    assert dups == [first.code]
    _c, dups = services.case_create(
        actor=p["ngo_counsellor"], organisation=p["orgs"]["ngo"], data=case_data(**same)
    )
    assert dups == []  # the NGO does not hold the first case: no hint that it exists


def test_holder_reveals_identity_with_a_reason(personas: dict[str, Any], login: Any) -> None:
    world = build_world(personas)
    url = reverse("referrals:case_reveal", args=[world.case.pk])
    client = login(personas["station_officer"])
    response = client.post(url, {"reason": "Recording the statement under s.24"})
    assert response.status_code == 200
    body = response.content.decode()
    assert world.markers["name"] in body and world.markers["circumstances"] in body
    assert "no-store" in response["Cache-Control"]
    assert world.markers["name"] not in body.split("<title>")[1].split("</title>")[0]
    event = AuditEvent.objects.get(action="case.reveal")
    assert event.actor == personas["station_officer"]
    assert event.reason == "Recording the statement under s.24"
    assert set(event.fields) == set(ChildCase.PROTECTED_FIELDS)
    assert CaseEvent.objects.filter(case=world.case, kind="revealed").count() == 1


def test_reveal_without_a_reason_shows_nothing(personas: dict[str, Any], login: Any) -> None:
    world = build_world(personas)
    url = reverse("referrals:case_reveal", args=[world.case.pk])
    response = login(personas["ahtu_officer"]).post(url, {"reason": ""})
    assert response.status_code == 200
    assert world.markers["name"] not in response.content.decode()
    assert not AuditEvent.objects.filter(action="case.reveal").exists()


@pytest.mark.parametrize(
    "key", ["ngo_coordinator", "convenor", "shelter_coordinator", "media_member", "outsider"]
)
def test_non_holders_cannot_reveal(personas: dict[str, Any], login: Any, key: str) -> None:
    world = build_world(personas)
    url = reverse("referrals:case_reveal", args=[world.case.pk])
    response = login(personas[key]).post(url, {"reason": "I would like to see it"})
    assert response.status_code == 404
    assert world.markers["name"] not in response.content.decode()
    assert not AuditEvent.objects.filter(action="case.reveal").exists()


def test_pending_referral_and_convenor_see_the_case_by_code_only(
    personas: dict[str, Any], login: Any
) -> None:
    world = build_world(personas)
    for key in ("ngo_coordinator", "convenor"):
        response = login(personas[key]).get(world.case.get_absolute_url())
        assert response.status_code == 200
        body = response.content.decode()
        assert world.case.code in body
        assert "Show the identity" not in body
        for marker in world.markers.values():
            assert marker not in body


def test_declined_and_withdrawn_organisations_lose_the_case(personas: dict[str, Any]) -> None:
    world = build_world(personas)
    p = personas
    assert not ChildCase.objects.visible_to(p["shelter_coordinator"]).exists()
    services.referral_withdraw(actor=p["ahtu_officer"], referral=world.pending)
    assert not ChildCase.objects.visible_to(p["ngo_coordinator"]).exists()
    assert HeldCase.objects.visible_to(p["cwc_member"]).filter(pk=world.case.pk).exists()


def test_determined_age_meets_its_clock(personas: dict[str, Any]) -> None:
    world = build_world(personas)
    p = personas
    services.cwc_production_record(
        actor=p["cwc_member"],
        case=world.case,
        cwc=p["orgs"]["cwc"],
        produced_at=timezone.now() - datetime.timedelta(minutes=30),
        before_whom="Bench of three",
        orders=["age_determination", "shelter"],
    )
    clock = Clock.objects.get(object_id=str(world.case.pk), rule="case.age_determination")
    assert clock.state == "running"
    services.case_determine_age(
        actor=p["cwc_member"], case=world.case, age=19, method="school", at=timezone.now()
    )
    clock.refresh_from_db()
    world.case.refresh_from_db()
    assert clock.state == "met"
    assert world.case.determined_age == 19 and not world.case.treated_as_child


def test_production_meets_production_clock_and_starts_sir_and_final_order(
    personas: dict[str, Any], login: Any
) -> None:
    world = build_world(personas)
    produced = timezone.now() - datetime.timedelta(minutes=10)
    response = login(personas["ahtu_officer"]).post(
        reverse("referrals:case_production", args=[world.case.pk]),
        {
            "cwc": personas["orgs"]["cwc"].pk,
            "produced_at": timezone.localtime(produced).strftime("%Y-%m-%dT%H:%M"),
            "before_whom": "Chairperson and two members",
            "orders": ["shelter", "counselling"],
            "next_date": "",
        },
    )
    assert response.status_code == 302
    states = dict(
        Clock.objects.filter(
            object_id=str(world.case.pk), content_type__model="childcase"
        ).values_list("rule", "state")
    )
    assert states["case.cwc_production"] == "met"
    assert states["case.sir"] == "running"
    assert states["case.final_order"] == "running"
    assert "case.age_determination" not in states


def test_milestone_and_not_applicable(personas: dict[str, Any], login: Any) -> None:
    world = build_world(personas)
    client = login(personas["ahtu_officer"])
    at = timezone.localtime(timezone.now() - datetime.timedelta(minutes=5))
    r = client.post(
        reverse("referrals:case_milestone", args=[world.case.pk]),
        {"milestone": "medical_care", "at": at.strftime("%Y-%m-%dT%H:%M")},
    )
    assert r.status_code == 302
    r = client.post(
        reverse("referrals:case_clock_na", args=[world.case.pk]),
        {"rule": "case.report_cwc_court", "reason": ""},
    )
    assert r.status_code == 400
    r = client.post(
        reverse("referrals:case_clock_na", args=[world.case.pk]),
        {"rule": "case.report_cwc_court", "reason": "Reported by the CWC itself"},
    )
    assert r.status_code == 302
    states = dict(
        Clock.objects.filter(
            object_id=str(world.case.pk), content_type__model="childcase"
        ).values_list("rule", "state")
    )
    assert states["case.medical_care"] == "met"
    assert states["case.report_cwc_court"] == "not_applicable"
    page = client.get(world.case.get_absolute_url()).content.decode()
    assert "Reported by the CWC itself" in page


def test_actions_on_a_case_are_post_only_and_holder_only(
    personas: dict[str, Any], login: Any
) -> None:
    world = build_world(personas)
    url = reverse("referrals:case_clock_na", args=[world.case.pk])
    assert login(personas["ahtu_officer"]).get(url).status_code == 405
    assert (
        login(personas["ngo_coordinator"])
        .post(url, {"rule": "case.sir", "reason": "x y z"})
        .status_code
        == 404
    )
