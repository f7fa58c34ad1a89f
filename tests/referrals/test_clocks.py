from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ftu import clocks
from ftu.models import AuditEvent, Clock
from ftu.scheduling import run_tick
from notifications.models import Notification
from referrals import clock_rules
from referrals.models import CaseEvent
from tests.referrals.world import make_case, refer

pytestmark = pytest.mark.django_db
IST = zoneinfo.ZoneInfo("Asia/Kolkata")


def ist(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=IST)


def _clock(case: Any, rule: str) -> Clock:
    return Clock.objects.get(object_id=str(case.pk), rule=rule, content_type__model="childcase")


def test_24_hour_clock_across_midnight_in_ist(personas: dict[str, Any]) -> None:
    # Rescued at 23:30 IST on 31 Dec (18:00 UTC): due 23:30 IST on 1 Jan, next year.
    rescued = ist(2025, 12, 31, 23, 30)
    case = make_case(personas["ahtu_officer"], personas["orgs"]["ahtu"], first_contact_at=rescued)
    clock = _clock(case, "case.cwc_production")
    due = timezone.localtime(clock.due_at)
    assert (due.year, due.month, due.day, due.hour, due.minute) == (2026, 1, 1, 23, 30)
    assert clock.due_at.astimezone(datetime.UTC).hour == 18
    row = clocks.clock_summary(clock, now=ist(2026, 1, 1, 0, 15))
    assert "23 h 15 min left" in row["text"] and "01/01/2026 23:30" in row["text"]
    row = clocks.clock_summary(clock, now=ist(2026, 1, 2, 0, 45))
    assert "missed by 1 h 15 min" in row["text"] and row["badge"] == "urgent"


def test_month_rule_counts_calendar_months_in_ist() -> None:
    # 00:30 IST on 31 Oct is still 30 Oct in UTC: the month arithmetic must use IST.
    start = ist(2026, 10, 31, 0, 30)
    due = timezone.localtime(clock_rules.FINAL_ORDER.due_for(start))
    assert (due.year, due.month, due.day, due.hour, due.minute) == (2027, 2, 28, 0, 30)
    assert clock_rules.SIR.due_for(start) == start + datetime.timedelta(days=15)


def test_tick_warns_at_6_and_1_hours_then_misses_once_each(personas: dict[str, Any]) -> None:
    p = personas
    start = timezone.now() - datetime.timedelta(hours=1)
    case = make_case(p["ahtu_officer"], p["orgs"]["ahtu"], first_contact_at=start)
    for rule in ("case.medical_care", "case.report_cwc_court"):
        clocks.clock_not_applicable(obj=case, rule=rule, reason="Not needed here")
    due = _clock(case, "case.cwc_production").due_at

    def count(kind: str) -> int:
        return Notification.objects.filter(kind=kind, recipient=p["ahtu_officer"]).count()

    run_tick(due - datetime.timedelta(hours=7))
    assert count("clock.due_soon") == 0
    run_tick(due - datetime.timedelta(hours=5, minutes=59))
    run_tick(due - datetime.timedelta(hours=5, minutes=59))  # the same minute twice
    assert count("clock.due_soon") == 1
    run_tick(due - datetime.timedelta(hours=2))
    assert count("clock.due_soon") == 1
    run_tick(due - datetime.timedelta(minutes=59))
    assert count("clock.due_soon") == 2
    run_tick(due + datetime.timedelta(minutes=1))
    run_tick(due + datetime.timedelta(minutes=2))
    assert count("clock.missed") == 1
    assert _clock(case, "case.cwc_production").state == "missed"
    # The convenor hears of a missed clock, not of a due-soon one.
    assert Notification.objects.filter(kind="clock.missed", recipient=p["convenor"]).count() == 1
    assert not Notification.objects.filter(kind="clock.due_soon", recipient=p["convenor"]).exists()
    title = Notification.objects.filter(kind="clock.missed").first().title
    assert title.startswith(case.code) and case.name not in title


def test_a_late_tick_sends_only_the_nearest_warning(personas: dict[str, Any]) -> None:
    case = make_case(personas["ahtu_officer"], personas["orgs"]["ahtu"])
    clock = _clock(case, "case.cwc_production")
    run_tick(clock.due_at - datetime.timedelta(minutes=30))
    clock.refresh_from_db()
    assert clock.warnings_sent == [3600, 21600]
    n = Notification.objects.filter(kind="clock.due_soon", recipient=personas["ahtu_officer"])
    assert n.count() == 3  # one per running 24-hour clock, not two each
    run_tick(clock.due_at - datetime.timedelta(minutes=29))
    assert n.count() == 3


def test_meet_after_missed_shows_met_late_and_emits_met_once(personas: dict[str, Any]) -> None:
    case = make_case(personas["ahtu_officer"], personas["orgs"]["ahtu"])
    clock = _clock(case, "case.cwc_production")
    run_tick(clock.due_at + datetime.timedelta(hours=1))
    at = clock.due_at + datetime.timedelta(hours=2)
    clocks.clock_meet(obj=case, rule="case.cwc_production", at=at)
    clocks.clock_meet(obj=case, rule="case.cwc_production", at=at)
    clock.refresh_from_db()
    assert clock.state == "met" and clock.met_late_by == datetime.timedelta(hours=2)
    assert "late by 2 h" in clocks.clock_summary(clock)["text"]
    assert (
        Notification.objects.filter(kind="clock.met", recipient=personas["ahtu_officer"]).count()
        == 1
    )
    assert AuditEvent.objects.filter(action="clock.meet").count() == 1


def test_not_applicable_needs_a_reason_and_cannot_undo_a_met_clock(
    personas: dict[str, Any],
) -> None:
    from django.core.exceptions import ValidationError

    case = make_case(personas["ahtu_officer"], personas["orgs"]["ahtu"])
    with pytest.raises(ValidationError):
        clocks.clock_not_applicable(obj=case, rule="case.sir", reason="  ")
    clocks.clock_meet(obj=case, rule="case.medical_care", at=timezone.now())
    with pytest.raises(ValidationError):
        clocks.clock_not_applicable(obj=case, rule="case.medical_care", reason="changed mind")


def test_clock_start_is_idempotent(personas: dict[str, Any]) -> None:
    case = make_case(personas["ahtu_officer"], personas["orgs"]["ahtu"])
    before = _clock(case, "case.cwc_production")
    again = clocks.clock_start(obj=case, rule="case.cwc_production", started_at=timezone.now())
    assert again.pk == before.pk and again.due_at == before.due_at


def test_missed_referral_deadline_goes_back_to_sender_and_convenor(
    personas: dict[str, Any],
) -> None:
    p = personas
    case = make_case(p["ahtu_officer"], p["orgs"]["ahtu"])
    referral = refer(p["ahtu_officer"], case, p["orgs"]["ngo"], urgency="emergency")
    run_tick(referral.response_due_at - datetime.timedelta(minutes=30))
    assert (
        Notification.objects.filter(
            kind="referral.due_soon", recipient=p["ngo_coordinator"]
        ).count()
        == 1
    )
    run_tick(referral.response_due_at + datetime.timedelta(minutes=1))
    run_tick(referral.response_due_at + datetime.timedelta(minutes=1))
    told = list(
        Notification.objects.filter(kind="referral.overdue").values_list(
            "recipient__email", flat=True
        )
    )
    assert sorted(told) == sorted([p["ahtu_officer"].email, p["convenor"].email])
    assert CaseEvent.objects.filter(referral=referral, summary__startswith="No answer").count() == 1


def test_unknown_rule_is_refused() -> None:
    with pytest.raises(ValueError):
        clocks.register_rule(
            clocks.Rule(
                "x",
                "x",
                "x",
                datetime.timedelta(hours=1),
                warn_before=(datetime.timedelta(hours=2),),
            )
        )


def test_clock_board_visibility(personas: dict[str, Any], login: Any) -> None:
    p = personas
    case = make_case(
        p["ahtu_officer"],
        p["orgs"]["ahtu"],
        first_contact_at=timezone.now() - datetime.timedelta(hours=23),
    )
    url = reverse("referrals:clocks")
    for key in ("ahtu_officer", "convenor"):
        body = login(p[key]).get(url).content.decode()
        assert case.code in body and "Production before the CWC" in body
    for key in ("ngo_coordinator", "cwc_member", "police_supervisor"):
        assert case.code not in login(p[key]).get(url).content.decode()
    for key in ("media_member", "mp_reviewer", "outsider"):
        # outsider is an NGO member: has the page, sees nothing
        r = login(p[key]).get(url)
        assert r.status_code in (200, 403) and case.code not in r.content.decode()
    assert Clock.objects.visible_to(p["media_member"]).count() == 0
    assert Clock.objects.visible_to(p["convenor"]).count() == 3
