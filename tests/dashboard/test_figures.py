"""Each figure's selector on a small seeded set whose answer is known by hand.

Data are made through the apps' services (timestamps the services set to "now" are moved
afterwards with ``update()`` where a figure needs a known month or duration).
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from dashboard import selectors
from dashboard.selectors import IST, Period, add_months
from ftu import clocks
from ftu.models import Clock
from meetings import services as meeting_services
from meetings.models import ActionItem
from raids import services as raid_services
from raids.choices import OffenderRole, RaidStatus, Section, Stage
from referrals import clock_rules
from referrals import services as referral_services
from referrals.models import Referral
from tests.meetings import factories
from tests.raids.helpers import make_raid
from tests.raids.test_prosecution import _seed
from tests.referrals.world import make_case, refer

pytestmark = pytest.mark.django_db
H = datetime.timedelta(hours=1)


def _two_months() -> tuple[Period, datetime.datetime]:
    """The two months before the current one, and the IST midnight between them."""
    this = Period.last_twelve().last
    m1 = add_months(this, -1)
    m0 = add_months(this, -2)
    return Period(m0, m1), datetime.datetime.combine(m1, datetime.time(), tzinfo=IST)


def _row(table, label):
    return next(r for r in table.rows if r.label == label)


def _case(p, at):
    return make_case(p["cwc_member"], p["orgs"]["cwc"], first_contact_at=at, age_assessed_at=at)


def _produce(p, case, at):
    referral_services.cwc_production_record(
        actor=p["cwc_member"],
        case=case,
        cwc=p["orgs"]["cwc"],
        produced_at=at,
        before_whom="Bench of three",
        orders=["shelter"],
    )


def test_children_rescued_production_and_clocks_by_ist_month(personas) -> None:
    p = personas
    period, boundary = _two_months()
    # 30 minutes after IST midnight is still the month before in UTC: must count in m1.
    a = _case(p, boundary + datetime.timedelta(minutes=30))
    b = _case(p, boundary - datetime.timedelta(minutes=30))  # m0
    c = _case(p, boundary + datetime.timedelta(days=3))  # m1
    _case(p, boundary - datetime.timedelta(days=40))  # before the period
    _produce(p, a, boundary + 10 * H)  # within 24 h
    _produce(p, c, boundary + datetime.timedelta(days=3) + 30 * H)  # late
    clocks.tick(timezone.now())  # b's production clock is missed

    rescued = selectors.children_rescued(period)
    assert [r.values for r in rescued.rows[:2]] == [[1], [2]]
    assert rescued.rows[-1].values == [3] and rescued.rows[-1].is_total

    production = selectors.cwc_production(period)
    assert [r.values for r in production.rows[:2]] == [[0, 1], [1, 1]]
    assert [r.extra for r in production.rows[:2]] == [0, 50]
    assert production.rows[-1].values == [1, 2] and production.rows[-1].extra == 33

    table = selectors.clocks(period)
    # The production clocks have their own figure: counted once only, not here too.
    assert str(clock_rules.CWC_PRODUCTION.label) not in [r.label for r in table.rows]
    medical = _row(table, str(clock_rules.MEDICAL_CARE.label))
    assert medical.values == [0, 0, 3]
    assert table.rows[-1].label == "Total"
    # Each month's counts (what suppression protects) add up to the period's.
    r = table.rows.index(medical)
    assert [sum(m[r][c] for m in table.by_month) for c in range(3)] == [0, 0, 3]
    assert len(table.by_month) == 2
    # b's production clock is missed, not met: the running clocks (final orders) are left out.
    assert (
        Clock.objects.get(object_id=str(b.pk), rule=clock_rules.CWC_PRODUCTION.code).state
        == "missed"
    )


def test_referrals_median_by_state_and_service(personas) -> None:
    p = personas
    period, boundary = _two_months()
    case = _case(p, boundary - 48 * H)
    accepted = []
    for hours in (2, 4, 9):
        ref = refer(p["cwc_member"], case, p["orgs"]["ngo"], service="counselling")
        referral_services.referral_accept(
            actor=p["ngo_coordinator"], referral=ref, caseworker=p["ngo_counsellor"]
        )
        accepted.append((ref.pk, hours))
    declined = refer(p["cwc_member"], case, p["orgs"]["shelter"], service="shelter")
    referral_services.referral_decline(
        actor=p["shelter_coordinator"], referral=declined, reason="No bed"
    )
    pending = refer(p["cwc_member"], case, p["orgs"]["ngo"], service="medical")
    draft = refer(p["cwc_member"], case, p["orgs"]["ngo"], service="legal_aid", send=False)
    # Move them into known months: the three accepted and the pending one in m1, the
    # declined one in m0; a draft has no sent time and never counts.
    for pk, hours in accepted:
        sent = boundary + 5 * H
        Referral.objects.filter(pk=pk).update(sent_at=sent, responded_at=sent + hours * H)
    Referral.objects.filter(pk=declined.pk).update(sent_at=boundary - H)
    Referral.objects.filter(pk=pending.pk).update(sent_at=boundary + H)
    assert draft.sent_at is None

    median = selectors.referral_acceptance(period)
    assert median.rows[0].values == [0] and median.rows[0].extra is None
    assert median.rows[1].values == [3] and median.rows[1].extra == 4.0

    states = selectors.referrals_by_state(period)
    columns = [str(label) for value, label in Referral.State.choices if value != "draft"]
    assert states.columns == columns
    by_state = dict(zip(columns, states.rows[1].values, strict=True))
    assert by_state["Accepted"] == 3 and by_state["Sent"] == 1 and by_state["Declined"] == 0
    assert dict(zip(columns, states.rows[0].values, strict=True))["Declined"] == 1
    assert sum(states.rows[-1].values) == 5

    services = selectors.referrals_by_service(period)
    by_service = dict(zip(services.columns, services.rows[-1].values, strict=True))
    assert by_service["Counselling"] == 3 and by_service["Shelter"] == 1
    assert by_service["Medical care"] == 1 and by_service["Legal aid"] == 0


def _closed_raid(p, codename, roles):
    raid = make_raid(p, status=RaidStatus.DEBRIEFED, codename=codename)
    lead = p["ahtu_officer"]
    outcome = raid_services.outcome_save(
        actor=lead,
        raid=raid,
        minors_rescued=0,
        adults_rescued=0,
        fir_number=f"{codename}/2026",
        fir_registered_on=timezone.localdate(),
        police_station=p["orgs"]["ps_civil"],
        sections=[Section.POCSO_4],
    )
    for role in roles:
        raid_services.offender_add(
            actor=lead, outcome=outcome, role=role, sections=[Section.POCSO_4]
        )
    raid_services.outcome_confirm(actor=lead, outcome=outcome)
    return raid_services.raid_move(
        actor=p["police_supervisor"], raid=raid, step="close", confirm_gaps=True
    )


def test_raids_count_only_once_closed_and_arrests_by_role(personas) -> None:
    p = personas
    C, T = OffenderRole.CUSTOMER, OffenderRole.TRAFFICKER
    assert _closed_raid(p, "HERON", [C, C, T]).status == RaidStatus.CLOSED
    _closed_raid(p, "OSPREY", [C])
    make_raid(p, status=RaidStatus.EXECUTED, codename="PLOVER")  # executed, still open
    make_raid(p, status=RaidStatus.DEBRIEFED, codename="EGRET")  # debriefed, still open
    period = Period.last_twelve()

    raids = selectors.raids_executed(period)
    assert raids.rows[11].values == [2] and raids.rows[-1].values == [2]

    arrested = selectors.offenders_arrested(period)
    by_role = dict(zip(arrested.columns, arrested.rows[11].values, strict=True))
    assert by_role["Customer"] == 3 and by_role["Trafficker"] == 1
    assert sum(arrested.rows[-1].values) == 4


def test_prosecutions_reuse_prosecution_figures(personas) -> None:
    D = datetime.date
    P4 = Section.POCSO_4
    C = OffenderRole.CUSTOMER
    _seed(
        personas,
        "f1",
        C,
        [P4],
        D(2025, 1, 5),
        D(2025, 2, 10),
        D(2025, 3, 1),
        D(2025, 4, 20),
        Stage.CONVICTED,
    )
    _seed(personas, "f2", C, [P4], D(2025, 1, 31), D(2025, 3, 2), stage=Stage.CHARGE_SHEETED)
    table = selectors.prosecutions(Period(D(2025, 1, 1), D(2025, 4, 1)))
    assert [r.values for r in table.rows] == [[0, 0], [1, 0], [1, 0], [0, 1], [2, 1]]
    assert table.rows[-1].label == "Total 2025"


def test_action_items_and_attendance_by_organisation(personas) -> None:
    p = personas
    today = timezone.localdate()
    meeting, minutes = factories.held_with_draft(
        p, orgs=("ngo", "cwc", "ps_civil"), people=("station_officer",)
    )
    first = factories.add_action(p, minutes, org="shelter", owner="shelter_coordinator")
    factories.add_action(p, minutes, text="Two more", org="shelter", owner="shelter_coordinator")
    factories.add_action(p, minutes, text="Patrol", org="ps_civil", owner="station_officer")
    factories.publish(p, minutes)
    ActionItem.objects.filter(pk=first.pk).update(due_date=today - datetime.timedelta(days=1))
    meeting_services.attendance_record(
        actor=p["convenor"],
        meeting=meeting,
        rows=[
            meeting_services.AttendanceRow("present", organisation=p["orgs"]["ngo"]),
            meeting_services.AttendanceRow("apologies", organisation=p["orgs"]["cwc"]),
            meeting_services.AttendanceRow("present", organisation=p["orgs"]["ps_civil"]),
            meeting_services.AttendanceRow("absent", person=p["station_officer"]),
        ],
    )
    actions = selectors.action_items()
    labels = [r.label for r in actions.rows]
    assert p["orgs"]["ps_civil"].name not in labels  # a police station is a place
    assert _row(actions, "Police stations (together)").values == [1, 0]
    assert _row(actions, p["orgs"]["shelter"].name).values == [2, 1]
    assert actions.rows[-1].values == [3, 1]

    table = selectors.attendance(Period.last_twelve())
    assert _row(table, p["orgs"]["ngo"].name).values == [1, 0, 0]
    assert _row(table, p["orgs"]["cwc"].name).values == [0, 1, 0]
    assert _row(table, "Police stations (together)").values == [1, 0, 0]
    assert _row(table, "People invited by name").values == [0, 0, 1]
    assert table.rows[-1].values == [2, 1, 1] and table.rows[-1].extra == 50
    text = " ".join(
        r.label for t in selectors.dashboard_tables(Period.last_twelve()) for r in t.rows
    )
    assert p["station_officer"].full_name not in text and "Civil Lines" not in text
