"""The BNSS s.193(2) charge-sheet clock on the shared clocks engine."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from agencies.models import Membership, User
from ftu import clocks
from ftu.models import Clock
from notifications.models import Notification
from raids import clock_rules, services
from raids.choices import OffenderRole, Section, Stage

pytestmark = pytest.mark.django_db
D = datetime.date
RULE = clock_rules.CHARGE_SHEET.code


@pytest.fixture
def colleague(personas):
    """A second AHTU officer: told about the clock's events (the actor never is)."""
    user = User.objects.create_user(
        "ahtu.two@demo.ftu.example", None, full_name="SI Two", preferred_language="en"
    )
    Membership.objects.create(user=user, organisation=personas["orgs"]["ahtu"])
    return user


def _case(personas, on):
    return services.case_open(
        actor=personas["ahtu_officer"],
        unit=personas["orgs"]["ahtu"],
        fir_number="31/2026",
        police_station=personas["orgs"]["ps_civil"],
        fir_registered_on=on,
        lead_reference="LEAD-31",
    )


def _accused(personas, case, sections):
    return services.accused_add(
        actor=personas["ahtu_officer"],
        case=case,
        role=OffenderRole.CUSTOMER,
        sections=list(sections),
        arrested_on=case.fir_registered_on,
    )


def _clock(case):
    return Clock.objects.get(object_id=str(case.pk), rule=RULE)


def _ist(day, hour=0, minute=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def test_not_started_without_pocso_4_6_8_10(personas) -> None:
    case = _case(personas, D(2026, 1, 15))
    assert not Clock.objects.filter(rule=RULE).exists()
    _accused(personas, case, [Section.ITPA_3, Section.BNS_143])
    assert not Clock.objects.filter(rule=RULE).exists()


def test_started_from_the_fir_date_when_an_accused_is_charged(personas) -> None:
    case = _case(personas, D(2025, 12, 31))
    _accused(personas, case, [Section.ITPA_3])
    _accused(personas, case, [Section.POCSO_8])
    _accused(personas, case, [Section.POCSO_6])
    clock = _clock(case)
    assert clock.started_at == _ist(D(2025, 12, 31))
    # Two months from 31 Dec is 28 Feb; the whole of that day counts.
    assert clock.due_at == _ist(D(2026, 2, 28), 23, 59)
    assert case.charge_sheet_due() == D(2026, 2, 28)
    assert Clock.objects.filter(rule=RULE).count() == 1


def test_met_when_every_charged_accused_is_charge_sheeted(personas, colleague) -> None:
    lead = personas["ahtu_officer"]
    today = timezone.localdate()
    case = _case(personas, today - datetime.timedelta(days=20))
    a1 = _accused(personas, case, [Section.POCSO_4])
    a2 = _accused(personas, case, [Section.POCSO_10])
    services.accused_advance(actor=lead, accused=a1, stage=Stage.CHARGE_SHEETED, on=today)
    assert _clock(case).state == Clock.State.RUNNING
    services.accused_advance(actor=lead, accused=a2, stage=Stage.CHARGE_SHEETED, on=today)
    clock = _clock(case)
    assert clock.state == Clock.State.MET and clock.met_at == _ist(today)
    met = Notification.objects.filter(kind="clock.met")
    assert [n.recipient for n in met] == [colleague]
    assert met[0].title == "FIR 31/2026: Charge sheet (investigation complete) met"


def test_missed_once_and_the_tick_is_idempotent(personas, colleague) -> None:
    case = _case(personas, D(2026, 1, 15))
    _accused(personas, case, [Section.POCSO_4])
    due = _clock(case).due_at
    assert due == _ist(D(2026, 3, 15), 23, 59)
    clocks.tick(due - datetime.timedelta(days=10))  # the 14-day warning
    clocks.tick(due - datetime.timedelta(days=10))
    soon = Notification.objects.filter(kind="clock.due_soon")
    assert {n.recipient for n in soon} == {personas["ahtu_officer"], colleague}
    assert soon.count() == 2
    clocks.tick(due + datetime.timedelta(minutes=1))
    clocks.tick(due + datetime.timedelta(minutes=2))
    assert _clock(case).state == Clock.State.MISSED
    missed = Notification.objects.filter(kind="clock.missed")
    assert missed.count() == 2
    assert not Notification.objects.filter(recipient=personas["ngo_coordinator"]).exists()
    # Filed late: met, late.
    services.accused_advance(
        actor=personas["ahtu_officer"],
        accused=case.accused.get(),
        stage=Stage.CHARGE_SHEETED,
        on=D(2026, 3, 20),
    )
    clock = _clock(case)
    assert clock.state == Clock.State.MET and clock.met_late_by


def test_revised_charges_stop_the_clock(personas) -> None:
    case = _case(personas, timezone.localdate() - datetime.timedelta(days=3))
    accused = _accused(personas, case, [Section.POCSO_4])
    services.accused_advance(
        actor=personas["ahtu_officer"],
        accused=accused,
        stage=Stage.CHARGE_SHEETED,
        on=timezone.localdate(),
        sections=[Section.POCSO_12],
    )
    clock = _clock(case)
    assert clock.state == Clock.State.NOT_APPLICABLE and "s.4, 6, 8 or 10" in clock.reason


def test_the_case_page_shows_the_clock(personas, login) -> None:
    case = _case(personas, D(2026, 1, 15))
    page = reverse("raids:case", args=[case.pk])
    body = login(personas["ahtu_officer"]).get(page).content.decode()
    assert "No deadline is running." in body
    _accused(personas, case, [Section.POCSO_6])
    body = login(personas["ahtu_officer"]).get(page).content.decode()
    assert "Charge sheet (investigation complete)" in body and "BNSS 2023 s.193(2)" in body
    assert "15/03/2026 23:59" in body


def test_the_deadline_board_lists_it_for_the_unit_only(personas, login) -> None:
    case = _case(personas, D(2026, 1, 15))
    _accused(personas, case, [Section.POCSO_4])
    clocks.tick(timezone.now())
    board = reverse("referrals:clocks")
    body = login(personas["ahtu_officer"]).get(board).content.decode()
    assert "FIR 31/2026" in body and case.get_absolute_url() in body
    for key in ("ngo_coordinator", "cwc_member", "convenor"):
        assert "FIR 31/2026" not in login(personas[key]).get(board).content.decode()
