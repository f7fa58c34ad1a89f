"""Audit and access logs: kept >= 365 days, purged only when configured, chain still verifies."""

from __future__ import annotations

import datetime
from io import StringIO
from typing import Any

import pytest
import time_machine
from axes.models import AccessLog
from django.core.management import CommandError, call_command
from django.db import connection

from ftu import audit
from ftu.models import AuditEvent
from ftu.retention import RetentionError, purge_audit

START = datetime.datetime(2025, 1, 10, 9, 0, tzinfo=datetime.UTC)


def _history(user: Any) -> None:
    """Three old events (Jan 2025), two recent ones (Mar 2026), and log-in records."""
    for day in range(3):
        with time_machine.travel(START + datetime.timedelta(days=day), tick=False):
            audit.record(actor=user, action="case.view", object_type="case", object_id=day)
            AccessLog.objects.create(username=user.email, ip_address="10.0.0.1", user_agent="t")
    for day in range(2):
        with time_machine.travel(datetime.datetime(2026, 3, 1 + day, tzinfo=datetime.UTC)):
            audit.record(actor=user, action="case.view", object_type="case", object_id=10 + day)
            AccessLog.objects.create(username=user.email, ip_address="10.0.0.1", user_agent="t")


@pytest.fixture
def user(audit_db: None, django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(email="auditor@x.invalid", password=None)


def test_nothing_is_purged_unless_configured(settings: Any, user: Any) -> None:
    settings.FTU_AUDIT_RETENTION_DAYS = None
    _history(user)
    out = StringIO()
    with time_machine.travel(datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC)):
        call_command("purge_audit", "--older-than-days", "400", stdout=out)
    assert "not set" in out.getvalue()
    assert AuditEvent.objects.count() == 5 and AccessLog.objects.count() == 5


@pytest.mark.parametrize("days", [0, 30, 364])
def test_younger_than_a_year_is_refused(settings: Any, user: Any, days: int) -> None:
    settings.FTU_AUDIT_RETENTION_DAYS = 365
    _history(user)
    with pytest.raises(CommandError, match="at least 365"):
        call_command("purge_audit", "--older-than-days", str(days))
    assert AuditEvent.objects.count() == 5


def test_younger_than_the_configured_period_is_refused(settings: Any, user: Any) -> None:
    settings.FTU_AUDIT_RETENTION_DAYS = 730
    with pytest.raises(RetentionError, match="730"):
        purge_audit(400)


def test_settings_refuse_a_retention_below_a_year() -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "FTU_AUDIT_RETENTION_DAYS": "200"}
    env.pop("DATABASE_URL", None)
    proc = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import django; django.setup()"],
        env={**env, "DJANGO_SETTINGS_MODULE": "ftu.settings"},
        capture_output=True,
        text=True,
    )
    assert proc.returncode != 0 and "at least 365" in proc.stderr


def test_purge_keeps_a_year_and_the_chain_verifies(settings: Any, user: Any) -> None:
    settings.FTU_AUDIT_RETENTION_DAYS = 365
    _history(user)
    assert audit.verify_chain().ok
    # 365 days after the last old event: all three old rows are older than a year.
    with time_machine.travel(START + datetime.timedelta(days=2 + 366)):
        out = StringIO()
        call_command("purge_audit", "--older-than-days", "365", stdout=out)
    assert "Purged 3 audit events (through #3) and 3 log-in records" in out.getvalue()
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == [4, 5, 6]
    anchor = AuditEvent.objects.get(seq=6)
    assert anchor.action == audit.PURGE_ACTION and anchor.object_id == "3"
    assert AccessLog.objects.count() == 2
    report = audit.verify_chain()
    assert report.ok, report.problem
    assert report.checked == 3 and report.purged_through == 3
    # New events keep chaining after the anchor.
    audit.record(actor=user, action="case.view", object_type="case", object_id=99)
    assert audit.verify_chain().ok


def test_a_row_one_day_short_of_a_year_stays(settings: Any, user: Any) -> None:
    settings.FTU_AUDIT_RETENTION_DAYS = 365
    _history(user)
    # 364 days after the third old event: only the first two are past a year.
    with time_machine.travel(START + datetime.timedelta(days=2 + 364, hours=1)):
        result = purge_audit(365)
    assert result.audit_rows == 2 and result.through_seq == 2
    assert AuditEvent.objects.filter(object_id="2", action="case.view").exists()
    assert audit.verify_chain().ok


def test_a_second_purge_chains_onto_the_first(settings: Any, user: Any) -> None:
    settings.FTU_AUDIT_RETENTION_DAYS = 365
    _history(user)
    with time_machine.travel(START + datetime.timedelta(days=400)):
        purge_audit(365)  # removes #1-#3, anchor #6
    with time_machine.travel(datetime.datetime(2028, 1, 1, tzinfo=datetime.UTC)):
        result = purge_audit(365)  # removes #4-#6 (incl. the first anchor), anchor #7
    assert result.through_seq == 6
    report = audit.verify_chain()
    assert report.ok and report.purged_through == 6 and report.checked == 1


def test_deleting_old_rows_without_the_purge_is_caught(settings: Any, user: Any) -> None:
    _history(user)
    with audit.maintenance(), connection.cursor() as cur:
        cur.execute("DELETE FROM ftu_auditevent WHERE seq <= 2")
    report = audit.verify_chain()
    assert not report.ok and report.broken_at == 3 and "no purge record" in report.problem


def test_a_forged_anchor_that_does_not_link_is_caught(settings: Any, user: Any) -> None:
    settings.FTU_AUDIT_RETENTION_DAYS = 365
    _history(user)
    with audit.maintenance(), connection.cursor() as cur:
        cur.execute("DELETE FROM ftu_auditevent WHERE seq <= 2")
    audit.record(
        actor=None,
        action=audit.PURGE_ACTION,
        object_type="ftu.auditevent",
        object_id="2",
        reason="Retention purge: through #2, last hash " + "f" * 64,
    )
    report = audit.verify_chain()
    assert not report.ok and "does not link" in report.problem


def test_the_log_refuses_deletion_outside_the_purge(user: Any) -> None:
    _history(user)
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(seq=1).delete()
    with pytest.raises(Exception, match="append-only"), connection.cursor() as cur:
        cur.execute("DELETE FROM ftu_auditevent WHERE seq = 1")
