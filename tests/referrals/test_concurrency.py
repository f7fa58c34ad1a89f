"""Races that only a real database shows: run on PostgreSQL, skipped on SQLite."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from agencies.models import Membership
from ftu.roles import Role
from referrals import services
from referrals.models import ChildCase, Referral
from tests.referrals.world import case_data, make_case, refer

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (SQLite serialises)"
    ),
]


def race(n: int, fn: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        from django.db import connections

        try:
            barrier.wait()
            results[i] = ("ok", fn(i))
        except Exception as exc:  # noqa: BLE001 - collected for the assertions
            results[i] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_coordinators_accepting_at_once_one_wins(personas: dict[str, Any]) -> None:
    p = personas
    second = p["ngo_counsellor"]
    Membership.objects.filter(user=second).update(role=Role.COORDINATOR)
    case = make_case(p["ahtu_officer"], p["orgs"]["ahtu"])
    referral = refer(p["ahtu_officer"], case, p["orgs"]["ngo"])
    actors = [p["ngo_coordinator"], second]

    def accept(i: int) -> Referral:
        from agencies.models import User

        actor = User.objects.get(pk=actors[i].pk)
        return services.referral_accept(
            actor=actor, referral=Referral.objects.get(pk=referral.pk), caseworker=actor
        )

    results = race(2, accept)
    oks = [r for r in results if r[0] == "ok"]
    errors = [r[1] for r in results if r[0] == "error"]
    assert len(oks) == 1
    assert len(errors) == 1 and isinstance(errors[0], ValidationError)
    assert "already accepted" in " ".join(errors[0].messages)
    referral.refresh_from_db()
    assert referral.state == "accepted"
    assert referral.caseworker_id == oks[0][1].caseworker_id


def test_concurrent_case_creation_allocates_distinct_codes(personas: dict[str, Any]) -> None:
    p = personas

    def create(i: int) -> str:
        case, _ = services.case_create(
            actor=p["ahtu_officer"], organisation=p["orgs"]["ahtu"], data=case_data()
        )
        return case.code

    results = race(6, create)
    codes = [r[1] for r in results if r[0] == "ok"]
    assert len(codes) == 6 and len(set(codes)) == 6, results
    assert ChildCase.objects.count() == 6


def test_double_submit_race_creates_one_referral(personas: dict[str, Any]) -> None:
    p = personas
    case = make_case(p["ahtu_officer"], p["orgs"]["ahtu"])
    key = uuid.uuid4()

    def create(i: int) -> int:
        referral, _ = services.referral_create(
            actor=p["ahtu_officer"],
            case=case,
            to_org=p["orgs"]["ngo"],
            service="counselling",
            urgency="urgent",
            idempotency_key=key,
        )
        return referral.pk

    results = race(4, create)
    pks = {r[1] for r in results if r[0] == "ok"}
    assert len(pks) == 1, results
    assert Referral.objects.count() == 1
