"""Recording the outcome: counts that match the rows, structured sections, the hand-over."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from ftu.models import AuditEvent
from raids import services
from raids.choices import AgeBand, OffenderRole, RaidStatus, Section, Sex, Stage
from raids.models import HandOver, ProsecutionCase, RaidOutcome
from tests.raids.helpers import LOCATION, make_raid

pytestmark = pytest.mark.django_db


@pytest.fixture
def executed(personas):
    return make_raid(personas, status=RaidStatus.EXECUTED)


def _header(personas, raid, **kw):
    data = {
        "minors_rescued": 2,
        "adults_rescued": 1,
        "fir_number": "55/2026",
        "fir_registered_on": timezone.localdate(),
        "police_station": personas["orgs"]["ps_civil"],
        "sections": [Section.POCSO_4, Section.ITPA_3],
    }
    data.update(kw)
    return services.outcome_save(actor=personas["ahtu_officer"], raid=raid, **data)


def _person(personas, outcome, band):
    return services.rescued_add(
        actor=personas["ahtu_officer"],
        outcome=outcome,
        rescued_at=timezone.now(),
        age_band=band,
        sex=Sex.FEMALE,
        languages=["hi", "bn"],
        needs=["medical", "shelter"],
    )


def test_outcome_only_after_execution_and_by_the_lead(personas) -> None:
    briefed = make_raid(personas, status=RaidStatus.BRIEFED)
    with pytest.raises(PermissionDenied):
        _header(personas, briefed)
    executed = make_raid(personas, status=RaidStatus.EXECUTED, codename="OTHER")
    with pytest.raises(PermissionDenied):
        services.outcome_save(
            actor=personas["police_supervisor"], raid=executed, minors_rescued=0, adults_rescued=0
        )


def test_counts_must_match_the_rows(personas, executed) -> None:
    outcome = _header(personas, executed)
    _person(personas, outcome, AgeBand.AGE_12_15)
    _person(personas, outcome, AgeBand.AGE_18_PLUS)
    with pytest.raises(ValidationError) as exc:
        services.outcome_confirm(actor=personas["ahtu_officer"], outcome=outcome)
    assert exc.value.messages == ["2 minor(s) declared but 1 recorded."]
    outcome.refresh_from_db()
    assert not outcome.is_confirmed


def test_uncertain_age_counts_as_a_minor(personas, executed) -> None:
    outcome = _header(personas, executed, minors_rescued=1, adults_rescued=0)
    person = _person(personas, outcome, AgeBand.UNCERTAIN)
    assert person.is_minor and person.handover == HandOver.PENDING
    assert outcome.mismatches() == []


def test_negative_counts_and_unknown_sections_are_refused(personas, executed, login) -> None:
    with pytest.raises(ValidationError) as exc:
        _header(personas, executed, minors_rescued=-1)
    assert "minors_rescued" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        _header(personas, executed, sections=["pocso_4", "ipc_999"])
    assert exc.value.message_dict["sections"] == ["Unknown section(s): ipc_999."]
    client = login(personas["ahtu_officer"])
    response = client.post(
        reverse("raids:outcome_save", args=[executed.pk]),
        {"minors_rescued": "-3", "adults_rescued": "0", "sections": ["bns_999"]},
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "Ensure this value is greater than or equal to 0." in body
    assert "Select a valid choice. bns_999 is not one of the available choices." in body
    assert not RaidOutcome.objects.exists()


def test_arrests_need_an_fir(personas, executed) -> None:
    outcome = _header(personas, executed, minors_rescued=0, adults_rescued=0, fir_number="")
    services.offender_add(
        actor=personas["ahtu_officer"], outcome=outcome, role=OffenderRole.CUSTOMER, sections=[]
    )
    with pytest.raises(ValidationError) as exc:
        services.outcome_confirm(actor=personas["ahtu_officer"], outcome=outcome)
    assert "the FIR number is required" in exc.value.messages[0]


def test_confirming_opens_the_case_and_hands_minors_over(personas, executed, login) -> None:
    lead = personas["ahtu_officer"]
    outcome = _header(personas, executed)
    _person(personas, outcome, AgeBand.AGE_12_15)
    _person(personas, outcome, AgeBand.AGE_16_17)
    _person(personas, outcome, AgeBand.AGE_18_PLUS)
    services.offender_add(
        actor=lead, outcome=outcome, role=OffenderRole.CUSTOMER, sections=[Section.POCSO_4]
    )
    services.offender_add(
        actor=lead, outcome=outcome, role=OffenderRole.TRAFFICKER, sections=[Section.BNS_143]
    )
    response = login(lead).post(reverse("raids:outcome_confirm", args=[executed.pk]))
    case = ProsecutionCase.objects.get()
    assert response.status_code == 302 and response["Location"] == case.get_absolute_url()
    assert case.raid == executed and case.unit == personas["orgs"]["ahtu"]
    accused = list(case.accused.order_by("label"))
    assert [(a.label, a.role, a.stage, a.under_pocso) for a in accused] == [
        ("A1", OffenderRole.CUSTOMER, Stage.ARRESTED, True),
        ("A2", OffenderRole.TRAFFICKER, Stage.ARRESTED, False),
    ]
    assert accused[0].arrested_on == timezone.localtime(executed.executed_at).date()
    outcome.refresh_from_db()
    assert outcome.is_confirmed
    # The minors become child cases (tests/raids/test_handover.py), the adult does not.
    rows = sorted(outcome.rescued.values_list("handover", flat=True))
    assert rows == [HandOver.DONE, HandOver.DONE, HandOver.NOT_APPLICABLE]
    event = AuditEvent.objects.get(action="raid.minors_handover")
    assert event.reason == "2 child case(s) opened"
    # Frozen afterwards.
    with pytest.raises(ValidationError):
        _person(personas, outcome, AgeBand.AGE_12_15)
    with pytest.raises(ValidationError):
        services.outcome_confirm(actor=lead, outcome=outcome)


def test_outcome_page_is_read_only_for_the_team(personas, executed, login) -> None:
    outcome = _header(personas, executed)
    _person(personas, outcome, AgeBand.AGE_12_15)
    body = (
        login(personas["cwc_member"])
        .get(reverse("raids:outcome", args=[executed.pk]))
        .content.decode()
    )
    assert "12 to 15" in body and "55/2026" in body
    assert "Confirm the outcome" not in body
    response = login(personas["cwc_member"]).post(
        reverse("raids:outcome_confirm", args=[executed.pk])
    )
    assert response.status_code == 403


def test_the_shareable_summary_names_no_place_no_person_no_codename(personas, executed) -> None:
    outcome = _header(personas, executed, minors_rescued=1, adults_rescued=0)
    _person(personas, outcome, AgeBand.AGE_12_15)
    services.offender_add(
        actor=personas["ahtu_officer"],
        outcome=outcome,
        role=OffenderRole.CUSTOMER,
        sections=[Section.POCSO_4],
    )
    summary = outcome.shareable_summary()
    month = timezone.localtime(executed.executed_at).strftime("%m/%Y")
    assert summary == (
        f"An FTU rescue operation in {month} brought 1 child(ren) and 0 adult(s) to safety; "
        "1 offender(s) were arrested, 1 of them customer(s). "
        "Cases registered under: ITPA, POCSO."
    )
    for secret in (
        LOCATION,
        "KESTREL",
        "55/2026",
        "Anti-Human",
        personas["ahtu_officer"].full_name,
    ):
        assert secret not in summary


def test_rescue_time_is_kept_for_the_clocks(personas, executed) -> None:
    outcome = _header(personas, executed, minors_rescued=1, adults_rescued=0)
    at = timezone.now() - datetime.timedelta(hours=5)
    person = services.rescued_add(
        actor=personas["ahtu_officer"],
        outcome=outcome,
        rescued_at=at,
        age_band=AgeBand.UNDER_12,
        sex=Sex.MALE,
        languages=["ne"],
        needs=["interpreter"],
    )
    person.refresh_from_db()
    assert (
        person.rescued_at == at and person.languages == ["ne"] and person.needs == ["interpreter"]
    )
    with pytest.raises(ValidationError):
        services.rescued_add(
            actor=personas["ahtu_officer"],
            outcome=outcome,
            rescued_at=at,
            age_band=AgeBand.UNDER_12,
            sex=Sex.MALE,
            languages=["xx"],
            needs=[],
        )


def test_the_lead_records_the_outcome_through_the_pages(personas, executed, login) -> None:
    client = login(personas["ahtu_officer"])
    page = client.get(reverse("raids:outcome", args=[executed.pk]))
    assert page.status_code == 200 and "Counts, FIR and sections" in page.content.decode()
    # Rows before the header are refused clearly.
    early = client.post(reverse("raids:offender_add", args=[executed.pk]), {"role": "customer"})
    assert early.status_code == 400
    assert "Save the outcome&#x27;s counts and FIR first." in early.content.decode()
    response = client.post(
        reverse("raids:outcome_save", args=[executed.pk]),
        {
            "minors_rescued": "1",
            "adults_rescued": "0",
            "fir_number": "88/2026",
            "fir_registered_on": timezone.localdate().isoformat(),
            "police_station": personas["orgs"]["ps_civil"].pk,
            "sections": ["pocso_4", "bns_99"],
        },
    )
    assert response.status_code == 302
    rescued_at = timezone.localtime(executed.executed_at).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("raids:rescued_add", args=[executed.pk]),
        {
            "rescued_at": rescued_at,
            "age_band": "12_15",
            "sex": "f",
            "languages": ["bn"],
            "needs": ["shelter"],
        },
    )
    assert response.status_code == 302
    response = client.post(
        reverse("raids:offender_add", args=[executed.pk]),
        {"role": "customer", "sections": ["pocso_4"]},
    )
    assert response.status_code == 302
    page = client.get(reverse("raids:outcome", args=[executed.pk])).content.decode()
    assert "12 to 15" in page and "Awaiting a child case" in page and "Customer" in page
    assert "POCSO s.4 (punishment for penetrative sexual assault)" in page
    response = client.post(reverse("raids:outcome_confirm", args=[executed.pk]))
    assert response.status_code == 302
    case = ProsecutionCase.objects.get(fir_number="88/2026")
    page = client.get(case.get_absolute_url()).content.decode()
    assert "A1" in page and "Arrested" in page


def test_an_fir_opened_by_another_unit_is_not_extended_by_the_raid(personas, executed) -> None:
    """Civil Lines opened FIR 55/2026 from a lead: the AHTU raid cannot add its accused to it."""
    from django.core.exceptions import ValidationError

    other = services.case_open(
        actor=personas["station_officer"],
        unit=personas["orgs"]["ps_civil"],
        fir_number="55/2026",
        police_station=personas["orgs"]["ps_civil"],
        fir_registered_on=timezone.localdate(),
        lead_reference="lead from counselling",
    )
    outcome = _header(personas, executed, minors_rescued=0, adults_rescued=0)
    services.offender_add(
        actor=personas["ahtu_officer"],
        outcome=outcome,
        role=OffenderRole.CUSTOMER,
        sections=[Section.POCSO_4],
    )
    with pytest.raises(ValidationError) as refused:
        services.outcome_confirm(actor=personas["ahtu_officer"], outcome=outcome)
    assert "another raid" not in str(refused.value)
    other.refresh_from_db()
    assert other.accused.count() == 0 and other.raid_id is None
    assert not RaidOutcome.objects.get(pk=outcome.pk).is_confirmed
