"""The inbox (without JavaScript), the polling feed, preferences and the convenor's outbox."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse

from notifications.models import Channel, Notification, OutboxMessage, OutboxState
from notifications.services import notify

pytestmark = pytest.mark.django_db


def _notify(user: Any, n: int = 1, kind: str = "referral.accepted", url: str = "/cases/") -> list:
    rows = []
    for i in range(n):
        with transaction.atomic():
            rows += notify(recipients=[user], kind=kind, title=f"FTU-2026-{i:04d}", url=url)
    return rows


def test_inbox_lists_only_ones_own_notifications(personas: dict[str, Any], login: Any) -> None:
    _notify(personas["ngo_coordinator"], 2)
    _notify(personas["cwc_member"], 1)
    page = login(personas["ngo_coordinator"]).get(reverse("notifications:inbox"))
    assert page.status_code == 200
    assert page.context["page"].paginator.count == 2
    assert page.context["unread"] == 2
    assert b'id="ftu-bell-count" aria-live="polite">2<' in page.content


def test_inbox_filters_by_unread_kind_urgency_and_date(
    personas: dict[str, Any], login: Any
) -> None:
    user = personas["ngo_coordinator"]
    [read] = _notify(user, 1)
    Notification.objects.filter(pk=read.pk).update(read_at=read.created)
    [urgent] = _notify(user, 1, kind="referral.received")
    [old] = _notify(user, 1)
    Notification.objects.filter(pk=old.pk).update(created=old.created - datetime.timedelta(days=10))
    old.refresh_from_db()
    client = login(user)

    def ids(query: str) -> set[int]:
        response = client.get(reverse("notifications:inbox") + query)
        assert response.status_code == 200
        return {n.pk for n in response.context["page"]}

    assert ids("") == {read.pk, urgent.pk, old.pk}
    assert ids("?unread=on") == {urgent.pk, old.pk}
    assert ids("?kind=referral.received") == {urgent.pk}
    assert ids("?urgency=urgent") == {urgent.pk}
    since = (old.created + datetime.timedelta(days=5)).strftime("%d/%m/%Y")
    assert ids(f"?since={since}") == {read.pk, urgent.pk}
    until = (old.created + datetime.timedelta(days=1)).strftime("%d/%m/%Y")
    assert ids(f"?until={until}") == {old.pk}


def test_inbox_query_count_is_constant(
    personas: dict[str, Any], login: Any, django_assert_max_num_queries: Any
) -> None:
    user = personas["ngo_coordinator"]
    client = login(user)
    _notify(user, 2)
    client.get(reverse("notifications:inbox"))  # warm caches (session, policy)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("notifications:inbox"))
    _notify(user, 60)
    with django_assert_max_num_queries(len(few)):
        response = client.get(reverse("notifications:inbox") + "?page=2")
    assert len(response.context["page"]) == 25


def test_mark_read_redirects_to_the_link(personas: dict[str, Any], login: Any) -> None:
    [row] = _notify(personas["ngo_coordinator"], url="/cases/")
    client = login(personas["ngo_coordinator"])
    url = reverse("notifications:mark_read", args=[row.pk])
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == "/cases/"
    row.refresh_from_db()
    assert row.read_at is not None


def test_mark_read_never_redirects_off_site(personas: dict[str, Any], login: Any) -> None:
    [row] = _notify(personas["ngo_coordinator"], url="//evil.example/x")
    response = login(personas["ngo_coordinator"]).post(
        reverse("notifications:mark_read", args=[row.pk])
    )
    assert response["Location"] == reverse("notifications:inbox")


def test_someone_elses_notification_is_404_and_stays_unread(
    personas: dict[str, Any], login: Any
) -> None:
    [row] = _notify(personas["ngo_coordinator"])
    response = login(personas["cwc_member"]).post(reverse("notifications:mark_read", args=[row.pk]))
    assert response.status_code == 404
    row.refresh_from_db()
    assert row.read_at is None


def test_anonymous_cannot_mark_read(personas: dict[str, Any], login: Any) -> None:
    [row] = _notify(personas["ngo_coordinator"])
    response = login(None).post(reverse("notifications:mark_read", args=[row.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_mark_all_read(personas: dict[str, Any], login: Any) -> None:
    user = personas["ngo_coordinator"]
    _notify(user, 3)
    other = _notify(personas["cwc_member"], 1)
    client = login(user)
    assert client.get(reverse("notifications:mark_all_read")).status_code == 405
    response = client.post(reverse("notifications:mark_all_read"))
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=user, read_at__isnull=True).exists()
    other[0].refresh_from_db()
    assert other[0].read_at is None


def test_mark_read_needs_csrf(personas: dict[str, Any]) -> None:
    from django.test import Client

    [row] = _notify(personas["ngo_coordinator"])
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas["ngo_coordinator"])
    assert client.post(reverse("notifications:mark_read", args=[row.pk])).status_code == 403


def test_feed_returns_what_came_after_the_given_id(personas: dict[str, Any], login: Any) -> None:
    user = personas["ngo_coordinator"]
    rows = _notify(user, 3)
    _notify(personas["cwc_member"], 2)
    client = login(user)
    data = client.get(reverse("notifications:feed") + f"?after={rows[0].pk}").json()
    assert [n["id"] for n in data["notifications"]] == [rows[1].pk, rows[2].pk]
    assert set(data["notifications"][0]) == {"id", "kind", "urgency", "title", "link"}
    assert data["last_id"] == rows[2].pk and data["unread"] == 3 and data["more"] is False
    empty = client.get(reverse("notifications:feed") + f"?after={rows[2].pk}").json()
    assert empty["notifications"] == [] and empty["last_id"] == rows[2].pk
    assert client.get(reverse("notifications:feed") + "?after=x").status_code == 400


def test_preferences_page_saves_choices(personas: dict[str, Any], login: Any) -> None:
    user = personas["ngo_coordinator"]
    user.phone = "+919800000001"
    user.save()
    client = login(user)
    page = client.get(reverse("notifications:preferences"))
    assert page.status_code == 200
    assert "sms__referral.received" in page.context["form"].fields
    assert "sms__referral.accepted" not in page.context["form"].fields  # not urgent
    response = client.post(
        reverse("notifications:preferences"),
        {
            "email__referral.received": "on",
            "sms__referral.received": "on",
            "quiet_start": "22:00",
            "quiet_end": "07:00",
        },
    )
    assert response.status_code == 302
    from notifications.models import DeliverySettings, KindPreference

    assert KindPreference.objects.get(user=user, kind="referral.received").sms is True
    assert KindPreference.objects.get(user=user, kind="referral.accepted").email is False
    assert DeliverySettings.objects.get(user=user).digest is False


def test_preferences_refuse_half_quiet_hours_and_sms_without_phone(
    personas: dict[str, Any], login: Any
) -> None:
    user = personas["ngo_coordinator"]
    user.phone = ""
    user.save()
    client = login(user)
    response = client.post(reverse("notifications:preferences"), {"quiet_start": "22:00"})
    assert response.status_code == 200 and response.context["form"].errors
    response = client.post(reverse("notifications:preferences"), {"sms__referral.received": "on"})
    assert response.status_code == 200 and response.context["form"].errors
    from notifications.models import KindPreference

    assert not KindPreference.objects.filter(user=user).exists()


def test_test_notification_reaches_oneself(personas: dict[str, Any], login: Any) -> None:
    user = personas["ngo_coordinator"]
    response = login(user).post(reverse("notifications:send_test"))
    assert response.status_code == 302
    assert Notification.objects.filter(recipient=user, kind="notifications.test").count() == 1


def test_outbox_page_lists_failures_for_the_convenor_only(
    personas: dict[str, Any], login: Any
) -> None:
    from django.utils import timezone

    failed = OutboxMessage.objects.create(
        channel=Channel.EMAIL,
        recipient=personas["ngo_coordinator"],
        template="notification",
        kind="referral.received",
        dedupe_key="email:x",
        state=OutboxState.FAILED,
        attempts=6,
        last_error="SMTPRecipientsRefused",
        next_attempt_at=timezone.now(),
    )
    OutboxMessage.objects.create(
        channel=Channel.EMAIL,
        recipient=personas["ngo_coordinator"],
        template="notification",
        dedupe_key="email:y",
        state=OutboxState.SENT,
        attempts=1,
        next_attempt_at=timezone.now(),
    )
    page = login(personas["convenor"]).get(reverse("notifications:outbox"))
    assert page.status_code == 200
    assert [m.pk for m in page.context["page"]] == [failed.pk]
    assert b"SMTPRecipientsRefused" in page.content
    assert (
        login(personas["ngo_coordinator"]).get(reverse("notifications:outbox")).status_code == 403
    )


def test_the_open_button_is_a_verb_in_hindi(personas: dict[str, Any], login: Any) -> None:
    """The button "Open" is खोलें (open it), not खुला (the state of an open item)."""
    _notify(personas["ngo_coordinator"], 1)
    client = login(personas["ngo_coordinator"])
    client.cookies["django_language"] = "hi"
    page = client.get(reverse("notifications:inbox")).content.decode()
    assert ">खोलें</button>" in page
    assert "खुला" not in page
