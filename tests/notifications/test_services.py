"""Storing and pushing notifications; the inbox services; preferences."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from notifications.fanout import FANOUT_GROUP
from notifications.models import DeliverySettings, KindPreference, Notification, OutboxMessage
from notifications.services import (
    notification_mark_read,
    notifications_mark_all_read,
    notify,
    preferences_save,
    revoke_sockets,
)
from tests.conftest import delivered

pytestmark = pytest.mark.django_db


def _notify(recipients: list[Any], **kw: Any) -> list[Notification]:
    return notify(
        recipients=recipients,
        kind=kw.pop("kind", "referral.received"),
        title=kw.pop("title", "FTU-2026-0042 referred to you"),
        url="/cases/",
        **kw,
    )


def test_rolled_back_transaction_stores_and_sends_nothing(
    personas: dict[str, Any], channel_layer_spy: list, django_capture_on_commit_callbacks: Any
) -> None:
    class Boom(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(Boom), transaction.atomic():
            _notify([personas["ngo_coordinator"]])
            revoke_sockets(personas["ngo_counsellor"].pk)
            raise Boom
    assert callbacks == []
    assert Notification.objects.count() == 0
    assert OutboxMessage.objects.count() == 0
    assert channel_layer_spy == []
    assert mail.outbox == []


def test_committed_notification_is_pushed_after_commit_with_the_safe_payload_only(
    personas: dict[str, Any], channel_layer_spy: list, django_capture_on_commit_callbacks: Any
) -> None:
    coordinator, actor = personas["ngo_coordinator"], personas["ahtu_officer"]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        rows = _notify([coordinator, actor, coordinator], actor=actor)
    assert channel_layer_spy == []  # nothing before commit
    for callback in callbacks:
        callback()
    assert [r.recipient_id for r in rows] == [coordinator.pk]
    assert channel_layer_spy == [
        (
            FANOUT_GROUP,
            {
                "type": "notify.batch",
                "notifications": [
                    [
                        coordinator.pk,
                        {
                            "id": rows[0].pk,
                            "kind": "referral.received",
                            "urgency": "urgent",
                            "title": "FTU-2026-0042 referred to you",
                            "link": "/cases/",
                        },
                    ]
                ],
            },
        )
    ]


def test_one_layer_message_carries_every_recipient_in_id_order(
    personas: dict[str, Any], channel_layer_spy: list, django_capture_on_commit_callbacks: Any
) -> None:
    people = [personas[k] for k in ("ngo_coordinator", "cwc_member", "cwc_chair", "convenor")]
    with django_capture_on_commit_callbacks(execute=True):
        rows = _notify(people)
    assert len(channel_layer_spy) == 1  # one publish for the whole fan-out
    assert delivered(channel_layer_spy) == [(r.recipient_id, r.payload()) for r in rows]
    assert [r.pk for r in rows] == sorted(r.pk for r in rows)


def test_a_large_fan_out_is_chunked_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    from notifications import fanout

    monkeypatch.setattr(fanout, "BATCH_MAX", 3)
    pairs = [(uid, {"id": uid}) for uid in range(1, 8)]
    messages = fanout.batch_messages(pairs)
    assert [len(m["notifications"]) for m in messages] == [3, 3, 1]
    assert [p for m in messages for p in m["notifications"]] == [[u, p] for u, p in pairs]


def test_the_spy_refuses_a_batch_with_an_identity_in_it() -> None:
    from tests.conftest import _channel_message_problem

    good = {"id": 1, "kind": "k", "urgency": "normal", "title": "FTU-2026-0001", "link": "/"}
    assert _channel_message_problem({"type": "notify.batch", "notifications": [[1, good]]}) is None
    leaky = {**good, "child_name": "X"}
    assert _channel_message_problem(
        {"type": "notify.batch", "notifications": [[1, good], [2, leaky]]}
    )
    assert _channel_message_problem({"type": "notify.batch", "notifications": [["x", good]]})
    assert _channel_message_problem({"type": "notify", "notification": good})


def test_inactive_people_are_left_out(personas: dict[str, Any]) -> None:
    assert _notify([personas["deactivated"]]) == []


def test_mark_read_is_idempotent_and_only_for_the_recipient(personas: dict[str, Any]) -> None:
    [row] = _notify([personas["ngo_coordinator"]])
    with pytest.raises(PermissionDenied):
        notification_mark_read(actor=personas["ngo_counsellor"], notification=row)
    notification_mark_read(actor=personas["ngo_coordinator"], notification=row)
    row.refresh_from_db()
    first = row.read_at
    assert first is not None
    notification_mark_read(actor=personas["ngo_coordinator"], notification=row)
    row.refresh_from_db()
    assert row.read_at == first


def test_mark_all_read_touches_only_the_actors_rows(personas: dict[str, Any]) -> None:
    mine = personas["ngo_coordinator"]
    _notify([mine, personas["cwc_member"]])
    _notify([mine])
    assert notifications_mark_all_read(actor=mine) == 2
    assert Notification.objects.filter(recipient=mine, read_at__isnull=True).count() == 0
    assert Notification.objects.filter(read_at__isnull=True).count() == 1


def test_preferences_save_keeps_sms_only_for_urgent_kinds(personas: dict[str, Any]) -> None:
    user = personas["ngo_coordinator"]
    user.phone = "+919800000001"
    user.save()
    preferences_save(
        actor=user,
        kinds={"referral.received": (True, True), "referral.accepted": (False, True)},
        quiet_start=datetime.time(22, 0),
        quiet_end=datetime.time(7, 0),
        digest=False,
    )
    prefs = {p.kind: (p.email, p.sms) for p in KindPreference.objects.filter(user=user)}
    assert prefs == {"referral.received": (True, True), "referral.accepted": (False, False)}
    settings_row = DeliverySettings.objects.get(user=user)
    assert (settings_row.quiet_start, settings_row.quiet_end, settings_row.digest) == (
        datetime.time(22, 0),
        datetime.time(7, 0),
        False,
    )


def test_sms_needs_a_phone_number(personas: dict[str, Any]) -> None:
    user = personas["ngo_coordinator"]
    user.phone = ""
    user.save()
    with pytest.raises(ValidationError):
        preferences_save(
            actor=user,
            kinds={"referral.received": (True, True)},
            quiet_start=None,
            quiet_end=None,
            digest=True,
        )
    assert not KindPreference.objects.filter(user=user).exists()
