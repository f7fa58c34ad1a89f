"""E-mail and SMS through the outbox: preferences, quiet hours, retries, giving up, digest."""

from __future__ import annotations

import datetime
import smtplib
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone

from notifications import delivery, sms
from notifications.models import KindPreference, Notification, OutboxMessage, OutboxState
from notifications.services import notify, preferences_save

pytestmark = pytest.mark.django_db

IST = ZoneInfo("Asia/Kolkata")


def _at(hour: int, minute: int = 0, day: int = 10) -> datetime.datetime:
    return datetime.datetime(2026, 11, day, hour, minute, tzinfo=IST)


def _notify(user: Any, kind: str = "referral.received", title: str = "FTU-2026-0042") -> Any:
    with transaction.atomic():
        return notify(recipients=[user], kind=kind, title=title, url="/cases/")


@pytest.fixture
def person(personas: dict[str, Any]) -> Any:
    user = personas["ngo_coordinator"]
    user.phone = "+919800000001"
    user.preferred_language = "en"
    user.save()
    return user


class FailingEmailBackend:
    calls = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def send_messages(self, messages: list) -> int:
        FailingEmailBackend.calls += 1
        raise smtplib.SMTPRecipientsRefused({"someone@example.org": (550, b"no such user")})


class FailingSMSBackend(sms.BaseBackend):
    def send(self, *, to: str, text: str) -> None:
        raise sms.SMSError("gateway HTTP 503")


def test_urgent_kind_is_e_mailed_by_default_with_title_and_link_only(
    person: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        [row] = _notify(person)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [person.contact_email]
    assert message.subject == "[FTU Hub] FTU-2026-0042"
    assert "http://127.0.0.1:8000/cases/" in message.body
    out = OutboxMessage.objects.get(notification=row)
    assert (out.state, out.attempts, out.last_error) == (OutboxState.SENT, 1, "")


def test_normal_kind_is_not_e_mailed_unless_chosen(
    person: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _notify(person, kind="referral.accepted")
    assert mail.outbox == []
    KindPreference.objects.create(user=person, kind="referral.accepted", email=True)
    with django_capture_on_commit_callbacks(execute=True):
        _notify(person, kind="referral.accepted")
    assert len(mail.outbox) == 1


def test_e_mail_switched_off_sends_nothing_but_keeps_the_in_app_row(
    person: Any, django_capture_on_commit_callbacks: Any
) -> None:
    KindPreference.objects.create(user=person, kind="referral.received", email=False)
    with django_capture_on_commit_callbacks(execute=True):
        rows = _notify(person)
    assert len(rows) == 1 and mail.outbox == []
    assert not OutboxMessage.objects.exists()


def test_sms_uses_the_fixed_template_and_never_the_title(
    person: Any, django_capture_on_commit_callbacks: Any, _sms_outbox: list
) -> None:
    KindPreference.objects.create(user=person, kind="referral.received", email=False, sms=True)
    with django_capture_on_commit_callbacks(execute=True):
        _notify(person, title="CANARY-TITLE")
    assert len(_sms_outbox) == 1
    to, text = _sms_outbox[0]
    assert to == "+919800000001"
    assert "CANARY" not in text
    assert (
        text
        == "FTU Hub, urgent: Referral received. Open the hub: http://127.0.0.1:8000/notifications/"
    )


def test_e_mail_is_in_the_recipients_language(
    person: Any, django_capture_on_commit_callbacks: Any
) -> None:
    person.preferred_language = "hi"
    person.save()
    with django_capture_on_commit_callbacks(execute=True):
        [row] = _notify(person)
    message = OutboxMessage.objects.get(notification=row)
    from django.utils import translation

    calls = []
    real = translation.override

    def spy(language: str, *a: Any, **kw: Any) -> Any:
        calls.append(language)
        return real(language, *a, **kw)

    import notifications.delivery as d

    d.translation.override = spy  # type: ignore[assignment]
    try:
        d.render_email(
            OutboxMessage.objects.select_related("recipient", "notification").get(pk=message.pk)
        )
    finally:
        d.translation.override = real  # type: ignore[assignment]
    assert calls == ["hi"]


def test_quiet_hours_delay_normal_messages_but_not_urgent_ones(
    person: Any, django_capture_on_commit_callbacks: Any
) -> None:
    preferences_save(
        actor=person,
        kinds={"referral.accepted": (True, False), "referral.received": (True, False)},
        quiet_start=datetime.time(22, 0),
        quiet_end=datetime.time(7, 0),
        digest=True,
    )
    with time_machine.travel(_at(23, 30), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            [normal] = _notify(person, kind="referral.accepted")
            [urgent] = _notify(person, kind="referral.received")
        assert [m.subject for m in mail.outbox] == ["[FTU Hub] FTU-2026-0042"]
        held = OutboxMessage.objects.get(notification=normal)
        assert held.state == OutboxState.PENDING
        assert held.next_attempt_at == _at(7, 0, day=11)
        assert OutboxMessage.objects.get(notification=urgent).state == OutboxState.SENT
        assert delivery.process_outbox() == 0  # still quiet
    with time_machine.travel(_at(7, 1, day=11), tick=False):
        assert delivery.process_outbox() == 1
    assert len(mail.outbox) == 2
    # The in-app row was there all along.
    assert Notification.objects.filter(pk=normal.pk).exists()


def test_failing_smtp_is_retried_with_backoff_then_given_up_visibly(
    person: Any,
    personas: dict[str, Any],
    settings: Any,
    django_capture_on_commit_callbacks: Any,
    caplog: Any,
) -> None:
    settings.EMAIL_BACKEND = "tests.notifications.test_outbox.FailingEmailBackend"
    settings.FTU_OUTBOX_MAX_ATTEMPTS = 4
    settings.FTU_OUTBOX_RETRY_BASE = 60
    FailingEmailBackend.calls = 0
    start = _at(12, 0)
    with time_machine.travel(start, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            [row] = _notify(person)
    message = OutboxMessage.objects.get(notification=row)
    assert (message.state, message.attempts) == (OutboxState.PENDING, 1)
    assert message.next_attempt_at == start + datetime.timedelta(seconds=60)
    assert message.last_error == "SMTPRecipientsRefused"  # no address in the error
    delays = []
    now = start
    for _ in range(3):
        with time_machine.travel(message.next_attempt_at - datetime.timedelta(seconds=1)):
            assert delivery.process_outbox() == 0  # not due yet
        now = message.next_attempt_at
        with time_machine.travel(now, tick=False):
            delivery.process_outbox()
        message.refresh_from_db()
        delays.append((message.next_attempt_at - now).total_seconds())
    assert FailingEmailBackend.calls == 4
    assert delays[:2] == [120, 240]
    assert (message.state, message.attempts) == (OutboxState.FAILED, 4)
    assert "someone@example.org" not in message.last_error
    assert any("failed after 4 attempts" in r.getMessage() for r in caplog.records)
    # The convenor hears of it in the hub (never by e-mail: that is what failed).
    told = Notification.objects.get(recipient=personas["convenor"], kind="outbox.failed")
    assert str(message.pk) in told.title
    assert not OutboxMessage.objects.filter(notification=told).exists()
    # Given up: the sweep leaves it alone.
    with time_machine.travel(now + datetime.timedelta(days=1)):
        assert delivery.process_outbox() == 0
    assert FailingEmailBackend.calls == 4


def test_failing_sms_gateway_is_retried_then_given_up(
    person: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.FTU_SMS_BACKEND = "tests.notifications.test_outbox.FailingSMSBackend"
    settings.FTU_OUTBOX_MAX_ATTEMPTS = 2
    KindPreference.objects.create(user=person, kind="referral.received", email=False, sms=True)
    with django_capture_on_commit_callbacks(execute=True):
        [row] = _notify(person)
    message = OutboxMessage.objects.get(notification=row)
    assert (message.state, message.last_error) == (
        OutboxState.PENDING,
        "SMSError: gateway HTTP 503",
    )
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=1)):
        delivery.process_outbox()
    message.refresh_from_db()
    assert (message.state, message.attempts) == (OutboxState.FAILED, 2)


def test_a_claimed_message_is_sent_once_even_if_two_workers_try(
    person: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    KindPreference.objects.create(user=person, kind="referral.received", email=True)
    with django_capture_on_commit_callbacks(execute=False):  # no immediate send
        [row] = _notify(person)
    message = OutboxMessage.objects.get(notification=row)
    assert delivery.send_message(message.pk) is True
    assert delivery.send_message(message.pk) is False
    assert len(mail.outbox) == 1


def test_inactive_recipient_is_not_e_mailed(
    person: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        [row] = _notify(person)
    type(person).objects.filter(pk=person.pk).update(is_active=False)
    assert delivery.process_outbox() == 0
    assert mail.outbox == []
    assert OutboxMessage.objects.get(notification=row).state == OutboxState.FAILED


def test_daily_digest_is_sent_once_a_day_after_0800_ist(
    person: Any, personas: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    KindPreference.objects.create(user=person, kind="referral.accepted", email=False)
    with django_capture_on_commit_callbacks(execute=True):
        _notify(person, kind="referral.accepted", title="FTU-2026-0007 accepted")
    preferences_save(
        actor=personas["cwc_member"], kinds={}, quiet_start=None, quiet_end=None, digest=False
    )
    _notify(personas["cwc_member"], kind="referral.accepted")
    with time_machine.travel(_at(7, 59), tick=False):
        assert delivery.enqueue_digests() == 0
    with time_machine.travel(_at(8, 0), tick=False):
        assert delivery.enqueue_digests() == 1
        assert delivery.enqueue_digests() == 0  # idempotent
        delivery.process_outbox()
    with time_machine.travel(_at(9, 0), tick=False):
        assert delivery.enqueue_digests() == 0  # still the same IST day
    assert len(mail.outbox) == 1
    digest = mail.outbox[0]
    assert digest.to == [person.contact_email]
    assert digest.subject == "FTU Hub: 1 unread notifications"
    assert "FTU-2026-0007 accepted" in digest.body
    with time_machine.travel(_at(8, 0, day=11), tick=False):
        assert delivery.enqueue_digests() == 1
