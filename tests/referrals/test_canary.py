"""The canary: protected values never reach anyone without need-to-know, anywhere.

A case is seeded whose protected fields hold unique markers, and it goes through its life
(referrals, a lead, a reveal by a holder, clock warnings and misses).  Then every hub page
is crawled as each persona without need-to-know, and every response, e-mail, log record,
channel-layer message, notification and audit row is searched for the markers.
"""

from __future__ import annotations

import datetime
import json
import logging
from typing import Any

import pytest
from channels.layers import get_channel_layer
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from ftu.models import AuditEvent
from ftu.scheduling import run_tick
from notifications.models import Notification
from referrals import services
from tests.referrals.world import build_world
from tests.samples import load_all
from tests.test_permission_matrix import hub_routes

pytestmark = pytest.mark.django_db

NO_NEED_TO_KNOW = [
    "media_member",
    "mp_reviewer",
    "outsider",
    "shelter_coordinator",  # its referral was declined
    "shelter_staff",
    "convenor",  # sees the case by code, never the identity without holding it
    "ngo_coordinator",  # a referral is pending: decides on the pseudonymous case
    "ngo_counsellor",
    "police_supervisor",
    "wcd_officer",
    "admin_officer",
]


@pytest.fixture
def sent_messages(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    layer = get_channel_layer()
    seen: list[Any] = []
    original = layer.group_send

    async def recording(group: str, message: dict[str, Any]) -> None:
        seen.append(message)
        await original(group, message)

    # On every layer notify() sends one ``notify.batch`` per call through group_send
    # (notifications.fanout): its payloads are searched with the rest of the message.
    monkeypatch.setattr(layer, "group_send", recording)
    return seen


def _found(markers: list[str], text: str) -> list[str]:
    return [m for m in markers if m in text]


def test_no_marker_reaches_anyone_without_need_to_know(
    personas: dict[str, Any],
    login: Any,
    caplog: pytest.LogCaptureFixture,
    sent_messages: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    caplog.set_level(logging.DEBUG)
    p = personas
    with django_capture_on_commit_callbacks(execute=True):
        world = build_world(p)
        services.case_reveal(actor=p["ahtu_officer"], case=world.case, reason="Statement")
        services.cwc_production_record(
            actor=p["cwc_member"],
            case=world.case,
            cwc=p["orgs"]["cwc"],
            produced_at=timezone.now() - datetime.timedelta(minutes=5),
            before_whom="Bench",
            orders=["shelter", "age_determination"],
            order_details="CanaryOrderDetail",
        )
        due = world.pending.response_due_at
        run_tick(due - datetime.timedelta(minutes=30))
        run_tick(due + datetime.timedelta(days=200))
    markers = [m for m in world.markers.values() if m] + ["CanaryOrderDetail"]
    assert len(markers) == 9
    assert sent_messages, "the channel layer should have carried notifications"

    samples = load_all()
    own = {
        "case": world.case.pk,
        "held_case": world.case.pk,
        "referral": world.pending.pk,
        "lead": world.lead.pk,
    }
    urls: list[str] = []
    built: dict[str, dict[str, Any]] = {}
    for route in hub_routes():
        access = route.access
        if access is None or "GET" not in access.methods:
            continue
        if access.sample in own:
            kwargs = {"pk": own[access.sample]}
        elif access.sample:
            # One object per sample: builders may create rows with unique names.
            if access.sample not in built:
                built[access.sample] = samples[access.sample](p)[0]
            kwargs = built[access.sample]
        else:
            kwargs = {}
        urls.append(reverse(route.name, kwargs=kwargs or None))
    # Also the declined referral and every object page of the other referrals.
    urls += [world.declined.get_absolute_url(), world.cwc_referral.get_absolute_url()]
    assert any("/cases/" in u for u in urls)

    leaks = []
    for key in NO_NEED_TO_KNOW:
        client = login(p[key])
        for url in urls:
            response = client.get(url)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            leaks += [(key, url, m) for m in _found(markers, body.decode(errors="replace"))]
        response = client.post(
            reverse("referrals:case_reveal", args=[world.case.pk]), {"reason": "curious about it"}
        )
        assert response.status_code == 404, key
        leaks += [(key, "reveal", m) for m in _found(markers, response.content.decode())]
    assert leaks == []

    for message in mail.outbox:
        assert _found(markers, message.subject + message.body) == []
    logs = "\n".join(r.getMessage() + json.dumps(r.__dict__, default=str) for r in caplog.records)
    assert _found(markers, logs) == []
    assert _found(markers, json.dumps(sent_messages, default=str)) == []
    notes = " ".join(f"{n.title} {n.text} {n.url}" for n in Notification.objects.all())
    assert Notification.objects.exists() and _found(markers, notes) == []
    audit = " ".join(
        json.dumps([a.action, a.object_id, a.fields, a.reason]) for a in AuditEvent.objects.all()
    )
    assert _found(markers, audit) == []


def test_holder_does_see_the_markers_after_reveal(personas: dict[str, Any], login: Any) -> None:
    """Guards the canary itself: the markers are there for those who may see them."""
    world = build_world(personas)
    body = (
        login(personas["cwc_member"])
        .post(
            reverse("referrals:case_reveal", args=[world.case.pk]), {"reason": "Production today"}
        )
        .content.decode()
    )
    assert all(m in body for m in world.markers.values() if m)
    page = login(personas["cwc_member"]).get(world.case.get_absolute_url()).content.decode()
    assert _found(list(world.markers.values()), page) == []  # not even holders without a reveal
