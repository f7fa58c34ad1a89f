"""Closed cases lose their protected identity after the retention period (time travel)."""

from __future__ import annotations

import datetime
import json
from collections import Counter
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from ftu.models import AuditEvent, Clock
from ftu.scheduling import run_tick
from referrals import closure, retention, services
from referrals.models import CaseEvent, ChildCase, CwcProduction, Referral
from tests.referrals.world import make_case, refer

pytestmark = pytest.mark.django_db

CLOSED = datetime.datetime(2026, 1, 15, 6, 30, tzinfo=datetime.UTC)
DAYS = 3 * 365


@pytest.fixture(autouse=True)
def _period(settings: Any) -> None:
    settings.FTU_CASE_IDENTITY_RETENTION_DAYS = DAYS


def _closed_case(p: dict[str, Any], *, hold: bool = False) -> ChildCase:
    """An NGO case produced before the CWC (with order details), closed on CLOSED."""
    with time_machine.travel(CLOSED - datetime.timedelta(days=5), tick=False):
        case = make_case(p["ngo_counsellor"], p["orgs"]["ngo"])
        ref = refer(p["ngo_counsellor"], case, p["orgs"]["cwc"], service="cwc_production")
        services.referral_accept(actor=p["cwc_chair"], referral=ref, caseworker=p["cwc_member"])
    with time_machine.travel(CLOSED - datetime.timedelta(days=4), tick=False):
        services.cwc_production_record(
            actor=p["cwc_member"],
            case=case,
            cwc=p["orgs"]["cwc"],
            produced_at=CLOSED - datetime.timedelta(days=4, hours=1),
            before_whom="Bench I",
            orders=["restoration"],
            order_details="CanaryOrder restore to the uncle at the farm",
        )
        services.referral_complete(actor=p["cwc_chair"], referral=ref)
    with time_machine.travel(CLOSED, tick=False):
        closure.case_close(actor=p["ngo_coordinator"], case=case, reason="restored")
        if hold:
            closure.case_legal_hold(
                actor=p["convenor"], case=case, hold=True, reason="POCSO trial pending"
            )
    return ChildCase.objects.get(pk=case.pk)


def _figures() -> dict[str, Any]:
    """What the dashboard and the reports count: cases, clear fields, clocks, referrals."""
    cases = ChildCase.objects.all()
    return {
        "cases": sorted(cases.values_list("code", "district", "sex", "age_band", "source")),
        "closed": sorted(cases.values_list("code", "closure_reason")),
        "clocks": sorted(Clock.objects.values_list("object_id", "rule", "state", "due_at")),
        "referrals": Counter(Referral.objects.values_list("service", "state")),
        "productions": sorted(CwcProduction.objects.values_list("case_id", "produced_at")),
    }


def _at(days: int, hours: int = 0) -> Any:
    return time_machine.travel(CLOSED + datetime.timedelta(days=days, hours=hours), tick=False)


def test_identity_stays_until_the_period_is_over(personas: dict[str, Any]) -> None:
    case = _closed_case(personas)
    with _at(DAYS - 1, 23):
        result = retention.erase_closed_identities()
    assert result.codes == []
    fresh = ChildCase.objects.get(pk=case.pk)
    assert fresh.identity_erased_at is None and fresh.name == case.name
    assert not AuditEvent.objects.filter(action="case.identity_erase").exists()


def test_identity_is_erased_after_the_period_and_figures_stay(personas: dict[str, Any]) -> None:
    case = _closed_case(personas)
    name, guardian = case.name, case.guardian_contact
    assert case.identity_indexes.exists()
    before = _figures()
    with _at(DAYS, 1):
        result = retention.erase_closed_identities()
    assert result.codes == [case.code]
    fresh = ChildCase.objects.get(pk=case.pk)
    assert fresh.code == case.code
    assert fresh.identity_erased_at == CLOSED + datetime.timedelta(days=DAYS, hours=1)
    assert all(getattr(fresh, f) == "" for f in ChildCase.PROTECTED_FIELDS)
    assert fresh.duplicate_index == ""
    # The actions feed's keyed hashes of the name and guardian go too.
    assert not fresh.identity_indexes.exists()
    assert CwcProduction.objects.get(case=case).order_details == ""
    # Nothing of the identity is left in the row (encrypted or not) or the production.
    with connection.cursor() as cur:
        cur.execute("SELECT * FROM referrals_childcase WHERE id=%s", [case.pk])
        row = " ".join(str(v) for v in cur.fetchone())
    assert case.duplicate_index not in row
    assert _figures() == before
    event = AuditEvent.objects.get(action="case.identity_erase")
    assert event.object_id == str(case.pk) and event.actor_id is None
    assert set(ChildCase.PROTECTED_FIELDS) <= set(event.fields)
    dumped = json.dumps([event.fields, event.reason])
    assert name not in dumped and guardian not in dumped and "CanaryOrder" not in dumped
    assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.ERASED).count() == 1


def test_second_run_changes_nothing(personas: dict[str, Any]) -> None:
    case = _closed_case(personas)
    with _at(DAYS + 1):
        assert retention.erase_closed_identities().codes == [case.code]
    erased_at = ChildCase.objects.get(pk=case.pk).identity_erased_at
    audit_rows = AuditEvent.objects.count()
    with _at(DAYS + 30):
        assert retention.erase_closed_identities().codes == []
        retention.identity_retention_tick(CLOSED + datetime.timedelta(days=DAYS + 30))
    assert ChildCase.objects.get(pk=case.pk).identity_erased_at == erased_at
    assert AuditEvent.objects.count() == audit_rows


def test_a_held_case_keeps_its_identity_until_the_hold_is_cleared(
    personas: dict[str, Any],
) -> None:
    p = personas
    case = _closed_case(p, hold=True)
    with _at(DAYS + 400):
        assert retention.erase_closed_identities().codes == []
        assert ChildCase.objects.get(pk=case.pk).name == case.name
        closure.case_legal_hold(
            actor=p["cwc_member"], case=case, hold=False, reason="Trial concluded, no appeal"
        )
        assert retention.erase_closed_identities().codes == [case.code]
    assert ChildCase.objects.get(pk=case.pk).name == ""


def test_open_and_reopened_cases_are_untouched(personas: dict[str, Any]) -> None:
    p = personas
    with time_machine.travel(CLOSED, tick=False):
        open_case = make_case(p["ngo_counsellor"], p["orgs"]["ngo"])
    reopened = _closed_case(p)
    with _at(10):
        closure.case_reopen(actor=p["ngo_coordinator"], case=reopened, reason="Child ran away")
    with _at(DAYS + 10):
        assert retention.erase_closed_identities().codes == []
    assert ChildCase.objects.get(pk=open_case.pk).name == open_case.name
    assert ChildCase.objects.get(pk=reopened.pk).name == reopened.name


def test_the_tick_erases_due_cases(personas: dict[str, Any]) -> None:
    case = _closed_case(personas)
    with _at(DAYS + 2):
        assert run_tick() == []
    assert ChildCase.objects.get(pk=case.pk).identity_erased_at is not None


def test_dry_run_lists_and_changes_nothing(personas: dict[str, Any]) -> None:
    case = _closed_case(personas)
    out = StringIO()
    with _at(DAYS + 2):
        call_command("erase_closed_identities", "--dry-run", stdout=out)
    assert "Would erase the identity of 1 case(s)" in out.getvalue()
    assert case.code in out.getvalue()
    assert ChildCase.objects.get(pk=case.pk).name == case.name
    assert not AuditEvent.objects.filter(action="case.identity_erase").exists()
    out = StringIO()
    with _at(DAYS + 2):
        call_command("erase_closed_identities", stdout=out)
    assert "Erased the identity of 1 case(s)" in out.getvalue()
    assert ChildCase.objects.get(pk=case.pk).name == ""


def test_zero_means_never_and_a_short_period_is_refused(
    personas: dict[str, Any], settings: Any
) -> None:
    case = _closed_case(personas)
    settings.FTU_CASE_IDENTITY_RETENTION_DAYS = 0
    out = StringIO()
    with _at(DAYS * 5):
        call_command("erase_closed_identities", stdout=out)
        assert retention.erase_closed_identities().codes == []
    assert "nothing is erased" in out.getvalue()
    settings.FTU_CASE_IDENTITY_RETENTION_DAYS = 200
    with _at(DAYS * 5), pytest.raises(CommandError, match="at least 365"):
        call_command("erase_closed_identities", stdout=StringIO())
    assert ChildCase.objects.get(pk=case.pk).name == case.name


def test_settings_refuse_a_period_below_a_year() -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "FTU_CASE_IDENTITY_RETENTION_DAYS": "30"}
    env.pop("DATABASE_URL", None)
    proc = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import django; django.setup()"],
        env={**env, "DJANGO_SETTINGS_MODULE": "ftu.settings"},
        capture_output=True,
        text=True,
    )
    assert proc.returncode != 0 and "at least 365" in proc.stderr


def test_reveal_of_an_erased_case_says_when_and_is_audited(
    personas: dict[str, Any], login: Any
) -> None:
    p = personas
    case = _closed_case(p)
    with _at(DAYS + 2):
        retention.erase_closed_identities()
    response = login(p["ngo_coordinator"]).post(
        reverse("referrals:case_reveal", args=[case.pk]), {"reason": "Follow-up visit report"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    erased_on = (CLOSED + datetime.timedelta(days=DAYS + 2)).astimezone(
        datetime.timezone(datetime.timedelta(hours=5, minutes=30))
    )
    assert f"was erased on {erased_on:%d/%m/%Y}" in body
    assert case.name not in body and case.address not in body
    assert response["Cache-Control"].startswith("no-store")
    event = AuditEvent.objects.filter(action="case.reveal").latest("pk")
    assert event.reason == "Follow-up visit report" and event.actor_id == p["ngo_coordinator"].pk
    # The closed case's page tells holders too; the hold form is gone.
    page = login(p["cwc_member"]).get(case.get_absolute_url()).content.decode()
    assert "was erased on" in page
    assert reverse("referrals:case_legal_hold", args=[case.pk]) not in page


def test_a_hold_cannot_be_set_once_erased(personas: dict[str, Any]) -> None:
    from django.core.exceptions import ValidationError

    case = _closed_case(personas)
    with _at(DAYS + 2):
        retention.erase_closed_identities()
    with pytest.raises(ValidationError, match="already erased"):
        closure.case_legal_hold(
            actor=personas["convenor"], case=case, hold=True, reason="Appeal filed late"
        )
