"""Demo meetings for the embedded demo: one held and published, one coming up (with its ATR).

Idempotent: a demo meeting that exists (by title) is left as it is.  Built through the
services, so the audit log and notifications are those of real use.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from meetings import services
from meetings.models import Meeting

PAST_TITLE = "FTU monthly review (demo) — मासिक समीक्षा"
NEXT_TITLE = "FTU monthly review (demo, next)"


def _at(days: int, hour: int) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


def _invitees(people: dict[str, Any]) -> dict[str, Any]:
    orgs = people["orgs"]
    return {
        "invited_organisations": [
            orgs[k] for k in ("ahtu", "admin", "dcpu", "cwc", "ngo", "shelter", "mp")
        ],
        "invited_people": [people["police_supervisor"]],
    }


@transaction.atomic
def build(people: dict[str, Any]) -> None:
    convenor, reviewer = people["convenor"], people["mp_reviewer"]
    orgs = people["orgs"]
    if not Meeting.objects.filter(title=PAST_TITLE).exists():
        meeting = services.meeting_schedule(
            actor=convenor,
            data={
                "title": PAST_TITLE,
                "kind": Meeting.Kind.MONTHLY_REVIEW,
                "start": _at(-28, 11),
                "end": _at(-28, 13),
                "venue": "Collectorate meeting hall, Meerut",
                "online_link": "",
                "chair": people["admin_officer"],
                **_invitees(people),
            },
        )
        items = [
            ("आश्रय गृह की क्षमता", "shelter", ()),
            ("Awareness drive in schools", "ngo", ()),
            ("Follow-up of last month's operation", "ahtu", ("ahtu_officer", "police_supervisor")),
        ]
        for title, org, named in items:
            services.agenda_item_add(
                actor=convenor,
                meeting=meeting,
                data={
                    "title": title,
                    "description": "",
                    "presenter_organisation": orgs[org],
                    "minutes_allotted": 20,
                    "is_confidential": bool(named),
                    "named_people": [people[k] for k in named],
                },
            )
        meeting = services.meeting_mark_held(actor=convenor, meeting=meeting)
        services.attendance_record(
            actor=convenor,
            meeting=meeting,
            rows=[
                services.AttendanceRow(status="present", organisation=o)
                for o in meeting.invited_organisations.all()
                if o.kind != "mp_office"
            ]
            + [
                services.AttendanceRow(
                    status="apologies", organisation=orgs["mp"], delegate_name=""
                ),
                services.AttendanceRow(status="present", person=people["police_supervisor"]),
            ],
        )
        minutes = services.minutes_start(actor=convenor, meeting=meeting)
        texts = {
            1: ("सुरक्षा आश्रय गृह में 30 में से 27 बिस्तर भरे हैं।", "Ten more beds to be arranged."),
            2: (
                "Asha Counselling Trust reached 12 schools.",
                "Extend the drive to 20 more schools.",
            ),
            3: ("Reviewed in closed session.", "Statements to be completed."),
        }
        for item in minutes.items.select_related("agenda_item"):
            discussion, decisions = texts[item.agenda_item.position]
            services.minutes_item_save(
                actor=convenor,
                item=item,
                base_revision=item.revision,
                discussion=discussion,
                decisions=decisions,
            )
        today = timezone.localdate()
        actions = [
            (1, "Arrange ten more shelter beds", "shelter", "shelter_coordinator", 10),
            (2, "Awareness sessions in 20 more schools", "ngo", "ngo_coordinator", -3),
            (3, "Complete the pending statements", "ahtu", "ahtu_officer", 20),
        ]
        created = {}
        for position, text, org, owner, due in actions:
            created[position] = services.action_item_add(
                actor=convenor,
                item=minutes.items.get(agenda_item__position=position),
                data={
                    "text": text,
                    "organisation": orgs[org],
                    "owner": people[owner],
                    "due_date": today + datetime.timedelta(days=due),
                },
            )
        minutes = services.minutes_circulate(actor=convenor, minutes=minutes)
        minutes = services.minutes_submit(actor=convenor, minutes=minutes)
        minutes = services.minutes_approve(actor=reviewer, minutes=minutes)
        services.minutes_publish(actor=convenor, minutes=minutes)
        services.action_item_update(
            actor=people["shelter_coordinator"],
            action=created[1],
            text="Six beds arranged with the DCPU's help.",
            state="in_progress",
        )
        services.meeting_publish_summary(
            actor=convenor,
            meeting=meeting,
            summary="The FTU reviewed shelter capacity and the schools awareness drive.",
        )
    if not Meeting.objects.filter(title=NEXT_TITLE).exists():
        meeting = services.meeting_schedule(
            actor=convenor,
            data={
                "title": NEXT_TITLE,
                "kind": Meeting.Kind.MONTHLY_REVIEW,
                "start": _at(5, 11),
                "end": _at(5, 13),
                "venue": "Collectorate meeting hall, Meerut",
                "online_link": "https://meet.example.invalid/ftu-meerut",
                "chair": people["admin_officer"],
                **_invitees(people),
            },
        )
        services.agenda_item_add(
            actor=convenor,
            meeting=meeting,
            data={
                "title": "बाल कल्याण समिति की बैठकों का समय",
                "description": "",
                "presenter_organisation": orgs["cwc"],
                "minutes_allotted": 15,
                "is_confidential": False,
                "named_people": [],
            },
        )
