"""Prosecution cases: who sees them, stages only forward, the charge-sheet clock, the figures."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from raids import services
from raids.choices import OffenderRole, RaidStatus, Section, Stage
from raids.models import Accused, ProsecutionCase, add_months
from raids.selectors import MonthFigures, prosecution_figures
from tests.raids.helpers import make_raid

pytestmark = pytest.mark.django_db
D = datetime.date
JAN_15 = D(2026, 1, 15)


def _case(personas, fir="9/2026", on=JAN_15, station="ps_civil"):
    return services.case_open(
        actor=personas["ahtu_officer"],
        unit=personas["orgs"]["ahtu"],
        fir_number=fir,
        police_station=personas["orgs"][station],
        fir_registered_on=on,
        lead_reference="LEAD-12",
    )


def _accused(personas, case, role=OffenderRole.CUSTOMER, sections=(Section.POCSO_4,), on=None):
    return services.accused_add(
        actor=personas["ahtu_officer"],
        case=case,
        role=role,
        sections=list(sections),
        arrested_on=on or case.fir_registered_on,
    )


def test_case_from_a_lead_through_the_page(personas, login) -> None:
    response = login(personas["ahtu_officer"]).post(
        reverse("raids:case_open"),
        {
            "unit": personas["orgs"]["ahtu"].pk,
            "fir_number": "12/2026",
            "police_station": personas["orgs"]["ps_kotwali"].pk,
            "fir_registered_on": "2026-02-01",
            "lead_reference": "LEAD-7",
        },
    )
    case = ProsecutionCase.objects.get()
    assert response.status_code == 302 and case.raid is None and case.lead_reference == "LEAD-7"
    assert login(personas["ngo_coordinator"]).get(reverse("raids:case_open")).status_code == 403


def test_one_case_per_fir(personas) -> None:
    _case(personas)
    with pytest.raises(ValidationError):
        _case(personas)


@pytest.mark.parametrize(
    "key,visible",
    [
        ("ahtu_officer", True),
        ("police_supervisor", True),
        ("station_officer", False),
        ("ngo_coordinator", False),
        ("ngo_counsellor", False),
        ("media_member", False),
        ("mp_reviewer", False),
        ("convenor", False),
    ],
)
def test_case_from_a_lead_is_seen_by_the_unit_only(personas, login, key, visible) -> None:
    case = _case(personas)
    user = personas[key]
    assert ProsecutionCase.objects.visible_to(user).filter(pk=case.pk).exists() is visible
    response = login(user).get(case.get_absolute_url())
    assert response.status_code == (200 if visible else 404)


def test_case_from_a_raid_is_seen_by_its_team(personas, login, other_supervisor) -> None:
    raid = make_raid(personas, status=RaidStatus.EXECUTED)
    outcome = services.outcome_save(
        actor=personas["ahtu_officer"],
        raid=raid,
        minors_rescued=0,
        adults_rescued=0,
        fir_number="77/2026",
        fir_registered_on=timezone.localdate(),
        police_station=personas["orgs"]["ps_civil"],
        sections=[Section.POCSO_6],
    )
    services.offender_add(
        actor=personas["ahtu_officer"], outcome=outcome, role="customer", sections=["pocso_6"]
    )
    case = services.outcome_confirm(actor=personas["ahtu_officer"], outcome=outcome)
    assert login(personas["ngo_counsellor"]).get(case.get_absolute_url()).status_code == 200
    for key in ("ngo_coordinator", "media_member", "station_officer"):
        assert login(personas[key]).get(case.get_absolute_url()).status_code == 404, key
    assert login(other_supervisor).get(case.get_absolute_url()).status_code == 404
    # The team sees the case but only police of the unit manage it.
    with pytest.raises(PermissionDenied):
        _accused(personas | {"ahtu_officer": personas["ngo_counsellor"]}, case)
    body = login(personas["ngo_counsellor"]).get(case.get_absolute_url()).content.decode()
    assert "Add an accused" not in body and "raid KESTREL" in body


def test_stages_only_move_forward_with_dates_in_order(personas, login) -> None:
    case = _case(personas, on=D(2026, 1, 15))
    a1 = _accused(personas, case, on=D(2026, 1, 15))
    lead = personas["ahtu_officer"]
    with pytest.raises(ValidationError) as exc:
        services.accused_advance(
            actor=lead, accused=a1, stage=Stage.CHARGE_SHEETED, on=D(2026, 1, 10)
        )
    assert "cannot be before 15/01/2026" in exc.value.messages[0]
    a1 = services.accused_advance(
        actor=lead, accused=a1, stage=Stage.CHARGE_SHEETED, on=D(2026, 3, 1)
    )
    a1 = services.accused_advance(actor=lead, accused=a1, stage=Stage.ON_TRIAL, on=D(2026, 4, 1))
    with pytest.raises(ValidationError) as exc:
        services.accused_advance(
            actor=lead, accused=a1, stage=Stage.CHARGE_SHEETED, on=D(2026, 5, 1)
        )
    assert "a stage can only move forward" in exc.value.messages[0]
    a1 = services.accused_advance(actor=lead, accused=a1, stage=Stage.CONVICTED, on=D(2026, 6, 1))
    with pytest.raises(ValidationError):
        services.accused_advance(actor=lead, accused=a1, stage=Stage.ACQUITTED, on=D(2026, 7, 1))
    a1.refresh_from_db()
    assert (a1.stage, a1.charge_sheeted_on, a1.trial_started_on, a1.judgment_on) == (
        Stage.CONVICTED,
        D(2026, 3, 1),
        D(2026, 4, 1),
        D(2026, 6, 1),
    )
    # Through the page, a backward stage is refused with the message.
    a2 = _accused(personas, case)
    services.accused_advance(actor=lead, accused=a2, stage=Stage.ON_TRIAL, on=D(2026, 2, 1))
    response = login(lead).post(
        reverse("raids:accused_advance", args=[case.pk, a2.pk]),
        {"stage": "charge_sheeted", "on": "2026-03-01"},
    )
    assert (
        response.status_code == 400 and "a stage can only move forward" in response.content.decode()
    )


def test_future_dates_are_refused(personas) -> None:
    case = _case(personas)
    a1 = _accused(personas, case)
    with pytest.raises(ValidationError):
        services.accused_advance(
            actor=personas["ahtu_officer"],
            accused=a1,
            stage=Stage.CHARGE_SHEETED,
            on=timezone.localdate() + datetime.timedelta(days=1),
        )


def test_charges_can_be_revised_at_the_charge_sheet(personas) -> None:
    case = _case(personas)
    a1 = _accused(personas, case, sections=(Section.BNS_99,))
    assert not a1.under_pocso
    a1 = services.accused_advance(
        actor=personas["ahtu_officer"],
        accused=a1,
        stage=Stage.CHARGE_SHEETED,
        on=D(2026, 2, 1),
        sections=[Section.POCSO_4, Section.BNS_99],
    )
    a1.refresh_from_db()
    assert a1.under_pocso and a1.sections == ["pocso_4", "bns_99"]
    with pytest.raises(ValidationError):
        _accused(personas, case, sections=("pocso_99",))


@pytest.mark.parametrize(
    "fir_on,due",
    [
        (D(2026, 1, 15), D(2026, 3, 15)),
        (D(2025, 12, 31), D(2026, 2, 28)),
        (D(2027, 12, 31), D(2028, 2, 29)),
        (D(2026, 11, 30), D(2027, 1, 30)),
    ],
)
def test_add_months(fir_on, due) -> None:
    assert add_months(fir_on, 2) == due


def test_charge_sheet_clock_runs_for_pocso_4_6_8_10_only(personas, login) -> None:
    case = _case(personas, on=D(2026, 1, 15))
    _accused(personas, case, sections=(Section.POCSO_12, Section.ITPA_3))
    case = ProsecutionCase.objects.prefetch_related("accused").get(pk=case.pk)
    assert case.charge_sheet_due() is None
    a2 = _accused(personas, case, sections=(Section.POCSO_8,))
    case = ProsecutionCase.objects.prefetch_related("accused").get(pk=case.pk)
    assert case.charge_sheet_due() == D(2026, 3, 15)
    assert case.charge_sheet_overdue(today=D(2026, 3, 16))
    assert not case.charge_sheet_overdue(today=D(2026, 3, 15))
    body = login(personas["ahtu_officer"]).get(case.get_absolute_url()).content.decode()
    assert "15/03/2026" in body
    services.accused_advance(
        actor=personas["ahtu_officer"], accused=a2, stage=Stage.CHARGE_SHEETED, on=D(2026, 3, 1)
    )
    case = ProsecutionCase.objects.prefetch_related("accused").get(pk=case.pk)
    assert not case.charge_sheet_pending() and not case.charge_sheet_overdue(today=D(2026, 6, 1))


def test_case_list_keeps_a_constant_number_of_queries(
    personas, login, django_assert_max_num_queries
) -> None:
    client = login(personas["ahtu_officer"])
    _accused(personas, _case(personas, fir="1/26"))
    client.get(reverse("raids:cases"))
    with django_assert_max_num_queries(15) as one:
        client.get(reverse("raids:cases"))
    for i in range(2, 9):
        case = _case(personas, fir=f"{i}/26")
        _accused(personas, case)
        _accused(personas, case, role=OffenderRole.TRAFFICKER)
    with django_assert_max_num_queries(15) as many:
        response = client.get(reverse("raids:cases"))
    assert "8 cases" in response.content.decode()
    assert len(many.captured_queries) == len(one.captured_queries)


def _seed(personas, fir, role, sections, arrested, charged=None, trial=None, end=None, stage=None):
    case = _case(personas, fir=fir, on=arrested)
    accused = Accused(
        case=case,
        label="A1",
        role=role,
        sections=list(sections),
        stage=stage or Stage.ARRESTED,
        arrested_on=arrested,
        charge_sheeted_on=charged,
        trial_started_on=trial,
        judgment_on=end,
    )
    accused.full_clean()
    accused.save()
    return accused


def test_prosecution_figures_on_a_small_seeded_set(personas) -> None:
    P4, B99, I3 = Section.POCSO_4, Section.BNS_99, Section.ITPA_3
    C, T = OffenderRole.CUSTOMER, OffenderRole.TRAFFICKER
    # customer, POCSO, arrested Jan, charge-sheeted Feb, convicted Apr
    _seed(
        personas,
        "f1",
        C,
        [P4],
        D(2026, 1, 5),
        D(2026, 2, 10),
        D(2026, 3, 1),
        D(2026, 4, 20),
        Stage.CONVICTED,
    )
    # customer, POCSO, arrested Jan, charge-sheeted Mar
    _seed(personas, "f2", C, [P4, B99], D(2026, 1, 31), D(2026, 3, 2), stage=Stage.CHARGE_SHEETED)
    # customer, BNS only, arrested Feb, charge-sheeted Feb: not "under POCSO"
    _seed(personas, "f3", C, [B99], D(2026, 2, 1), D(2026, 2, 25), stage=Stage.CHARGE_SHEETED)
    # customer, POCSO, arrested Mar, acquitted Apr: not convicted
    _seed(
        personas,
        "f4",
        C,
        [P4],
        D(2026, 3, 3),
        D(2026, 3, 20),
        D(2026, 4, 1),
        D(2026, 4, 2),
        Stage.ACQUITTED,
    )
    # trafficker, POCSO, convicted Apr: not a customer
    _seed(
        personas,
        "f5",
        T,
        [P4, I3],
        D(2026, 1, 3),
        D(2026, 2, 3),
        D(2026, 3, 3),
        D(2026, 4, 3),
        Stage.CONVICTED,
    )
    # customer arrested in December 2025: outside the period
    _seed(personas, "f6", C, [P4], D(2025, 12, 31))

    figures = prosecution_figures(start=D(2026, 1, 1), end=D(2026, 4, 30))
    assert figures == [
        MonthFigures(
            D(2026, 1, 1), customers_arrested=2, customers_charged_pocso=0, customers_convicted=0
        ),
        MonthFigures(
            D(2026, 2, 1), customers_arrested=1, customers_charged_pocso=1, customers_convicted=0
        ),
        MonthFigures(
            D(2026, 3, 1), customers_arrested=1, customers_charged_pocso=2, customers_convicted=0
        ),
        MonthFigures(
            D(2026, 4, 1), customers_arrested=0, customers_charged_pocso=0, customers_convicted=1
        ),
    ]
    # A narrower period, and a unit with nothing.
    assert prosecution_figures(start=D(2026, 2, 15), end=D(2026, 2, 28)) == [
        MonthFigures(D(2026, 2, 1), 0, 0, 0)
    ]
    assert prosecution_figures(start=D(2026, 2, 1), end=D(2026, 2, 28)) == [
        MonthFigures(D(2026, 2, 1), 1, 1, 0)
    ]
    nothing = prosecution_figures(
        start=D(2026, 1, 1), end=D(2026, 1, 31), unit=personas["orgs"]["ps_kotwali"]
    )
    assert nothing == [MonthFigures(D(2026, 1, 1), 0, 0, 0)]


def test_figures_take_three_queries(personas, django_assert_num_queries) -> None:
    _seed(personas, "f1", OffenderRole.CUSTOMER, [Section.POCSO_4], D(2026, 1, 5))
    with django_assert_num_queries(3):
        prosecution_figures(start=D(2025, 1, 1), end=D(2026, 12, 31))
