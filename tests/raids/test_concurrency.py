"""Races that only a real database shows: run on PostgreSQL, skipped on SQLite."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from agencies.models import User
from ftu.models import AuditEvent
from raids import services
from raids.models import Raid
from tests.referrals.test_concurrency import race

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (SQLite serialises)"
    ),
]


START = timezone.now().replace(microsecond=0) + datetime.timedelta(days=1)


def _open(personas: dict[str, Any], codename: str, key: uuid.UUID) -> tuple[Raid, bool]:
    """The same form (same window) sent by one officer from several requests at once."""
    lead = User.objects.get(pk=personas["ahtu_officer"].pk)
    start = START
    return services.raid_open_once(
        actor=lead,
        unit=personas["orgs"]["ahtu"],
        codename=codename,
        lead=lead,
        supervisor=personas["police_supervisor"],
        window_start=start,
        window_end=start + datetime.timedelta(hours=2),
        grounds="g",
        target_location="t",
        idempotency_key=key,
    )


def test_two_requests_with_one_key_open_one_raid(personas: dict[str, Any]) -> None:
    key = uuid.uuid4()
    results = race(4, lambda i: _open(personas, "heron", key))
    assert all(kind == "ok" for kind, _ in results), results
    raids = {raid.pk for _, (raid, _created) in results}
    assert len(raids) == 1 and Raid.objects.count() == 1
    assert sum(created for _, (_raid, created) in results) == 1
    assert AuditEvent.objects.filter(action="raid.open").count() == 1


def test_two_raids_racing_for_one_codename_get_the_forms_message(
    personas: dict[str, Any],
) -> None:
    results = race(2, lambda i: _open(personas, "heron", uuid.uuid4()))
    oks = [r for r in results if r[0] == "ok"]
    errors = [r[1] for r in results if r[0] == "error"]
    assert len(oks) == 1 and Raid.objects.count() == 1
    assert len(errors) == 1 and isinstance(errors[0], ValidationError), errors
    assert "codename" in errors[0].message_dict
