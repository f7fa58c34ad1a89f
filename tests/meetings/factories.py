"""Meetings built through the services, as the convenor would (shared by tests and samples)."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from meetings import services
from meetings.models import ActionItem, AgendaItem, Meeting, Minutes


def schedule(
    personas: dict[str, Any],
    *,
    title: str = "Monthly review",
    start: datetime.datetime | None = None,
    hours: float = 2,
    orgs: tuple[str, ...] = ("ngo", "cwc"),
    people: tuple[str, ...] = ("station_officer",),
) -> Meeting:
    start = start or (timezone.now() - datetime.timedelta(hours=3)).replace(second=0, microsecond=0)
    return services.meeting_schedule(
        actor=personas["convenor"],
        data={
            "title": title,
            "kind": Meeting.Kind.MONTHLY_REVIEW,
            "start": start,
            "end": start + datetime.timedelta(hours=hours),
            "venue": "Collectorate meeting hall",
            "online_link": "",
            "chair": personas["admin_officer"],
            "invited_organisations": [personas["orgs"][k] for k in orgs],
            "invited_people": [personas[k] for k in people],
        },
    )


def agenda(
    personas: dict[str, Any],
    meeting: Meeting,
    title: str,
    *,
    confidential_for: tuple[str, ...] = (),
    presenter: str | None = "ngo",
) -> AgendaItem:
    return services.agenda_item_add(
        actor=personas["convenor"],
        meeting=meeting,
        data={
            "title": title,
            "description": "",
            "presenter_organisation": personas["orgs"][presenter] if presenter else None,
            "minutes_allotted": 15,
            "is_confidential": bool(confidential_for),
            "named_people": [personas[k] for k in confidential_for],
        },
    )


def held_with_draft(personas: dict[str, Any], **kwargs: Any) -> tuple[Meeting, Minutes]:
    meeting = schedule(personas, **kwargs)
    agenda(personas, meeting, "Shelter capacity")
    agenda(personas, meeting, "Operational matter", confidential_for=("ahtu_officer",))
    meeting = services.meeting_mark_held(actor=personas["convenor"], meeting=meeting)
    minutes = services.minutes_start(actor=personas["convenor"], meeting=meeting)
    return meeting, minutes


def add_action(
    personas: dict[str, Any],
    minutes: Minutes,
    *,
    text: str = "Add ten shelter beds",
    org: str = "shelter",
    owner: str = "shelter_coordinator",
    due: datetime.date | None = None,
    position: int = 1,
) -> ActionItem:
    item = minutes.items.get(agenda_item__position=position)
    return services.action_item_add(
        actor=personas["convenor"],
        item=item,
        data={
            "text": text,
            "organisation": personas["orgs"][org],
            "owner": personas[owner],
            "due_date": due or timezone.localdate() + datetime.timedelta(days=14),
        },
    )


def publish(personas: dict[str, Any], minutes: Minutes) -> Minutes:
    convenor, reviewer = personas["convenor"], personas["mp_reviewer"]
    if minutes.state in (Minutes.State.DRAFT, Minutes.State.RETURNED):
        minutes = services.minutes_circulate(actor=convenor, minutes=minutes)
    minutes = services.minutes_submit(actor=convenor, minutes=minutes)
    minutes = services.minutes_approve(actor=reviewer, minutes=minutes)
    return services.minutes_publish(actor=convenor, minutes=minutes)
