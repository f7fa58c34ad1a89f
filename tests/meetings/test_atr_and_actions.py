from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from ftu.scheduling import TICK_HANDLERS
from meetings import services
from meetings.models import ActionItem, ActionItemWarning, AtrEntry
from meetings.selectors import atr_for
from notifications.models import Notification
from tests.meetings import factories


def _published_action(personas: dict[str, Any], **kwargs: Any) -> ActionItem:
    _meeting, draft = factories.held_with_draft(
        personas, start=timezone.now().replace(microsecond=0) - datetime.timedelta(days=30)
    )
    action = factories.add_action(personas, draft, **kwargs)
    factories.publish(personas, draft)
    action.refresh_from_db()
    return action


def test_atr_carries_open_items_forward_until_done(personas: dict[str, Any], login: Any) -> None:
    action = _published_action(personas)
    services.action_item_update(
        actor=personas["shelter_coordinator"],
        action=action,
        text="Five beds added",
        state="in_progress",
    )
    nxt = factories.schedule(
        personas, title="Next review", start=timezone.now() + datetime.timedelta(days=1)
    )
    page = login(personas["ngo_coordinator"]).get(nxt.get_absolute_url()).content.decode()
    assert "Add ten shelter beds" in page and "Five beds added" in page
    rows = atr_for(personas["ngo_coordinator"], nxt)
    assert [r["item"].pk for r in rows] == [action.pk]

    services.action_item_update(
        actor=personas["shelter_staff"], action=action, text="All ten added", state="done"
    )
    assert atr_for(personas["ngo_coordinator"], nxt) == []
    page = login(personas["ngo_coordinator"]).get(nxt.get_absolute_url()).content.decode()
    assert "Add ten shelter beds" not in page


def test_atr_is_frozen_when_the_meeting_is_held(personas: dict[str, Any]) -> None:
    action = _published_action(personas)
    nxt = factories.schedule(personas, title="Next review")
    nxt = services.meeting_mark_held(actor=personas["convenor"], meeting=nxt)
    assert list(AtrEntry.objects.filter(meeting=nxt).values_list("action_item_id", "state")) == [
        (action.pk, "open")
    ]
    services.action_item_update(
        actor=personas["shelter_coordinator"], action=action, text="Done", state="done"
    )
    rows = atr_for(personas["convenor"], nxt)
    assert [(r["item"].pk, r["state"]) for r in rows] == [(action.pk, "Open")]


def test_atr_hides_actions_of_confidential_items(personas: dict[str, Any]) -> None:
    _published_action(
        personas, text="Check the hotel", org="ahtu", owner="ahtu_officer", position=2
    )
    nxt = factories.schedule(
        personas, title="Next", start=timezone.now() + datetime.timedelta(days=1)
    )
    assert atr_for(personas["ngo_coordinator"], nxt) == []
    assert [r["item"].text for r in atr_for(personas["ahtu_officer"], nxt)] == ["Check the hotel"]


def test_action_update_permissions(personas: dict[str, Any], login: Any) -> None:
    action = _published_action(personas)
    url = reverse("meetings:action_detail", args=[action.pk])
    data = {"state": "in_progress", "date": timezone.localdate().isoformat(), "text": "Started"}
    # A participant who sees the meeting but does not own the item: 403.
    assert login(personas["ngo_coordinator"]).post(url, data).status_code == 403
    assert login(personas["outsider"]).post(url, data).status_code == 404
    assert login(personas["media_member"]).get(url).status_code == 404
    with pytest.raises(PermissionDenied):
        services.action_item_update(
            actor=personas["cwc_member"], action=action, text="x", state="done"
        )
    assert login(personas["shelter_staff"]).post(url, data).status_code == 302
    action.refresh_from_db()
    assert action.state == "in_progress"
    assert action.updates.get().author == personas["shelter_staff"]
    services.action_item_update(
        actor=personas["convenor"], action=action, text="Dropped", state="dropped"
    )
    with pytest.raises(ValidationError):
        services.action_item_update(
            actor=personas["convenor"], action=action, text="again", state="open"
        )


def test_action_list_filters_and_scoping(personas: dict[str, Any], login: Any) -> None:
    past_due = timezone.localdate() - datetime.timedelta(days=2)
    late = _published_action(personas, text="Late item", due=past_due)
    _meeting, draft = factories.held_with_draft(personas)
    on_time = factories.add_action(personas, draft, text="On-time item")
    ngo_item = factories.add_action(
        personas, draft, text="NGO item", org="ngo", owner="ngo_counsellor"
    )
    factories.publish(personas, draft)
    client = login(personas["shelter_coordinator"])
    url = reverse("meetings:action_list")
    body = client.get(url).content.decode()
    assert "Late item" in body and "On-time item" in body and "NGO item" not in body
    body = client.get(url, {"overdue": "true"}).content.decode()
    assert "Late item" in body and "On-time item" not in body
    body = client.get(url, {"meeting": late.meeting_id}).content.decode()
    assert "Late item" in body and "On-time item" not in body
    body = client.get(url, {"state": "done"}).content.decode()
    assert "Late item" not in body
    # Another organisation's list is not offered to a shelter member.
    response = client.get(url, {"organisation": personas["orgs"]["ngo"].pk})
    assert "NGO item" not in response.content.decode()
    # The convenor opens any organisation's list.
    body = (
        login(personas["convenor"])
        .get(url, {"organisation": personas["orgs"]["ngo"].pk})
        .content.decode()
    )
    assert "NGO item" in body and "Late item" not in body
    assert on_time.pk and ngo_item.pk


def test_action_list_query_count_is_constant(
    personas: dict[str, Any], login: Any, django_assert_max_num_queries: Any
) -> None:
    _meeting, draft = factories.held_with_draft(personas)
    for i in range(3):
        factories.add_action(personas, draft, text=f"item {i}")
    factories.publish(personas, draft)
    client = login(personas["convenor"])
    url = reverse("meetings:action_list")
    client.get(url)
    with django_assert_max_num_queries(14) as few:
        client.get(url)
    _meeting2, draft2 = factories.held_with_draft(personas, title="Second")
    for i in range(15):
        factories.add_action(personas, draft2, text=f"more {i}")
    factories.publish(personas, draft2)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count("more ") == 15


def test_meeting_list_query_count_is_constant(
    personas: dict[str, Any], login: Any, django_assert_max_num_queries: Any
) -> None:
    factories.schedule(personas)
    client = login(personas["ngo_coordinator"])
    url = reverse("meetings:meeting_list")
    client.get(url)
    with django_assert_max_num_queries(14) as few:
        client.get(url)
    for i in range(10):
        factories.schedule(
            personas, title=f"Meeting {i}", start=timezone.now() + datetime.timedelta(days=i + 1)
        )
        factories.schedule(
            personas, title=f"Old {i}", start=timezone.now() - datetime.timedelta(days=i + 1)
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert "Meeting 9" in response.content.decode() and "Old 9" in response.content.decode()


def test_tick_warns_due_soon_and_overdue_exactly_once(personas: dict[str, Any]) -> None:
    tick = TICK_HANDLERS["meetings.action_items"]
    soon = _published_action(
        personas, text="Soon", due=timezone.localdate() + datetime.timedelta(days=2)
    )
    late = _published_action(
        personas, text="Late", due=timezone.localdate() - datetime.timedelta(days=1)
    )
    far = _published_action(
        personas, text="Far", due=timezone.localdate() + datetime.timedelta(days=30)
    )
    now = timezone.now()
    tick(now)
    tick(now)
    tick(now + datetime.timedelta(minutes=1))
    owner = personas["shelter_coordinator"]
    assert Notification.objects.filter(recipient=owner, kind="meeting.action_due_soon").count() == 1
    assert Notification.objects.filter(recipient=owner, kind="meeting.action_overdue").count() == 1
    assert (
        Notification.objects.filter(
            recipient=personas["convenor"], kind="meeting.action_overdue"
        ).count()
        == 1
    )
    assert set(ActionItemWarning.objects.values_list("action_item_id", "kind")) == {
        (soon.pk, "due_soon"),
        (late.pk, "overdue"),
    }
    # Days later the due-soon item becomes overdue: that is a new warning, sent once.
    later = now + datetime.timedelta(days=3)
    tick(later)
    tick(later)
    assert Notification.objects.filter(recipient=owner, kind="meeting.action_overdue").count() == 2
    # Done items are never warned about.
    services.action_item_update(actor=owner, action=far, text="done early", state="done")
    tick(now + datetime.timedelta(days=40))
    assert not ActionItemWarning.objects.filter(action_item=far).exists()
