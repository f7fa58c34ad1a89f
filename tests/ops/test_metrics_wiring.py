"""Issue #10: the hub's metrics move when notifications are created and pushed, when the
outbox is processed and when the clocks tick, as a scraper sees them on /metrics."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from ftu import clocks, metrics
from ftu.models import Clock
from ftu.scheduling import run_tick
from notifications import delivery
from notifications.models import OutboxMessage, OutboxState
from notifications.services import notify, notify_test
from tests.referrals.world import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def scrape(settings: Any) -> Any:
    """Read one sample from /metrics as the local scraper (127.0.0.1) sees it."""
    settings.FTU_METRICS_ALLOWED_IPS = ["127.0.0.1"]

    def value(name: str, **labels: str) -> float:
        response = Client(REMOTE_ADDR="127.0.0.1").get("/metrics")
        assert response.status_code == 200
        for family in text_string_to_metric_families(response.content.decode()):
            for sample in family.samples:
                if sample.name == name and all(
                    sample.labels.get(k) == v for k, v in labels.items()
                ):
                    return sample.value
        return 0.0

    return value


def test_a_notification_moves_created_pushed_and_latency(
    personas: dict[str, Any], scrape: Any, django_capture_on_commit_callbacks: Any
) -> None:
    created = scrape("ftu_notifications_created_total", kind="notifications.test")
    pushed = scrape("ftu_notifications_pushed_total", outcome="sent")
    latencies = scrape("ftu_notification_push_latency_seconds_count")
    with django_capture_on_commit_callbacks(execute=True):
        notify_test(actor=personas["ngo_coordinator"])
    assert scrape("ftu_notifications_created_total", kind="notifications.test") == created + 1
    assert scrape("ftu_notifications_pushed_total", outcome="sent") == pushed + 1
    assert scrape("ftu_notification_push_latency_seconds_count") == latencies + 1


def test_a_failed_push_is_counted_as_failed(
    personas: dict[str, Any],
    scrape: Any,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def down(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("redis down")

    monkeypatch.setattr("notifications.fanout.publish", down)
    failed = scrape("ftu_notifications_pushed_total", outcome="failed")
    sent = scrape("ftu_notifications_pushed_total", outcome="sent")
    people = [personas["ngo_coordinator"], personas["cwc_chair"]]
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notify(recipients=people, kind="notifications.test", title="Test", url="/")
    assert scrape("ftu_notifications_pushed_total", outcome="failed") == failed + 2
    assert scrape("ftu_notifications_pushed_total", outcome="sent") == sent


def test_a_rolled_back_notification_is_not_pushed(
    personas: dict[str, Any], scrape: Any, django_capture_on_commit_callbacks: Any
) -> None:
    pushed = scrape("ftu_notifications_pushed_total", outcome="sent")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify_test(actor=personas["ngo_coordinator"])
    assert callbacks  # the push waits for the commit...
    assert scrape("ftu_notifications_pushed_total", outcome="sent") == pushed  # ...not yet


def test_the_outbox_sets_its_backlog_gauge(
    personas: dict[str, Any], scrape: Any, settings: Any
) -> None:
    person = personas["ngo_coordinator"]
    later = timezone.now() + datetime.timedelta(hours=3)
    for i in range(3):
        OutboxMessage.objects.create(
            channel="email",
            recipient=person,
            template="notification",
            dedupe_key=f"metrics-test-{i}",
            next_attempt_at=later,  # quiet hours: waiting
        )
    OutboxMessage.objects.create(
        channel="sms",
        recipient=person,
        template="notification",
        dedupe_key="metrics-test-sent",
        state=OutboxState.SENT,
        next_attempt_at=later,
    )
    delivery.process_outbox()
    assert scrape("ftu_outbox_backlog", channel="email") == 3
    assert scrape("ftu_outbox_backlog", channel="sms") == 0
    OutboxMessage.objects.filter(dedupe_key="metrics-test-0").update(state=OutboxState.SENT)
    delivery.process_outbox()
    assert scrape("ftu_outbox_backlog", channel="email") == 2


def test_the_clocks_tick_sets_due_soon_overdue_and_counts_missed(
    personas: dict[str, Any], scrape: Any, django_capture_on_commit_callbacks: Any
) -> None:
    p = personas
    start = timezone.now() - datetime.timedelta(hours=1)
    case = make_case(p["ahtu_officer"], p["orgs"]["ahtu"], first_contact_at=start)
    clocks.clock_not_applicable(obj=case, rule="case.report_cwc_court", reason="Not needed")
    rule = "case.cwc_production"
    due = Clock.objects.get(rule=rule).due_at
    missed = scrape("ftu_clocks_missed_total", kind=rule)

    with django_capture_on_commit_callbacks(execute=True):
        run_tick(due - datetime.timedelta(hours=2))  # within the 6-hour warning
    assert scrape("ftu_clocks_due_soon", kind=rule) == 1
    assert scrape("ftu_clocks_due_soon", kind="case.medical_care") == 1
    assert scrape("ftu_clocks_due_soon", kind="case.report_cwc_court") == 0
    assert scrape("ftu_clocks_overdue", kind=rule) == 0
    assert scrape("ftu_clocks_missed_total", kind=rule) == missed

    with django_capture_on_commit_callbacks(execute=True):
        run_tick(due + datetime.timedelta(minutes=1))
        run_tick(due + datetime.timedelta(minutes=2))  # missed once, counted once
    assert scrape("ftu_clocks_due_soon", kind=rule) == 0
    assert scrape("ftu_clocks_overdue", kind=rule) == 1
    assert scrape("ftu_clocks_missed_total", kind=rule) == missed + 1

    clocks.clock_meet(obj=case, rule=rule, at=due + datetime.timedelta(minutes=5))
    run_tick(due + datetime.timedelta(minutes=6))
    assert scrape("ftu_clocks_overdue", kind=rule) == 0  # met late: no longer overdue


def test_broken_metrics_never_fail_a_notify_or_a_tick(
    personas: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    class Broken:
        def __getattr__(self, name: str) -> Any:
            raise RuntimeError("registry broken")

    for name in (
        "NOTIFICATIONS_CREATED",
        "NOTIFICATIONS_PUSHED",
        "PUSH_LATENCY",
        "OUTBOX_BACKLOG",
        "CLOCKS_DUE_SOON",
        "CLOCKS_OVERDUE",
        "CLOCKS_MISSED",
    ):
        monkeypatch.setattr(metrics, name, Broken())
    with django_capture_on_commit_callbacks(execute=True):
        rows = notify_test(actor=personas["ngo_coordinator"])
    assert rows
    case = make_case(personas["ahtu_officer"], personas["orgs"]["ahtu"])
    due = Clock.objects.filter(object_id=str(case.pk)).order_by("due_at").first().due_at
    with django_capture_on_commit_callbacks(execute=True):
        run_tick(due + datetime.timedelta(minutes=1))
    assert Clock.objects.filter(state=Clock.State.MISSED).exists()
    delivery.process_outbox()
