"""Reads about meetings, minutes and action items, always starting from ``visible_to``."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.shortcuts import get_object_or_404

from agencies.models import Membership, Organisation, User
from ftu.policy import Cap, can
from meetings.models import (
    ActionItem,
    ActionItemUpdate,
    AgendaItem,
    AtrEntry,
    Attendance,
    Meeting,
    Minutes,
    MinutesComment,
    MinutesItem,
)


def meetings_visible_to(user: Any) -> QuerySet[Meeting]:
    return Meeting.objects.visible_to(user).select_related("chair")


def meeting_detail(user: Any, pk: int) -> Meeting:
    return get_object_or_404(meetings_visible_to(user), pk=pk)


def agenda_for(user: Any, meeting: Meeting) -> list[AgendaItem]:
    """The items this person may read, in order (confidential ones only for named people)."""
    return list(
        meeting.agenda_items.readable_by(user)
        .select_related("presenter_organisation")
        .prefetch_related("named_people")
        .order_by("position")
    )


def agenda_item_detail(user: Any, pk: int) -> AgendaItem:
    return get_object_or_404(AgendaItem.objects.visible_to(user).select_related("meeting"), pk=pk)


def withheld_count(user: Any, meeting: Meeting) -> int:
    return meeting.agenda_items.count() - meeting.agenda_items.readable_by(user).count()


def _with_latest_update(qs: QuerySet[ActionItem]) -> QuerySet[ActionItem]:
    latest = ActionItemUpdate.objects.filter(action_item=OuterRef("pk")).order_by("-created", "-pk")
    return qs.annotate(
        latest_update_text=Subquery(latest.values("text")[:1]),
        latest_update_date=Subquery(latest.values("date")[:1]),
    )


def atr_items(meeting: Meeting) -> QuerySet[ActionItem]:
    """Every live, still pending action item of earlier meetings, with its latest update.

    For the scheduled meeting it is computed; once held, ``AtrEntry`` rows keep it as it stood.
    """
    return _with_latest_update(
        ActionItem.objects.live()
        .pending()
        .filter(meeting__start__lt=meeting.start)
        .exclude(meeting=meeting)
        .select_related("organisation", "owner", "meeting")
    ).order_by("due_date", "pk")


def atr_for(user: Any, meeting: Meeting) -> list[dict[str, Any]]:
    """The ATR rows this person may read, live or frozen."""
    if meeting.state == Meeting.State.HELD:
        readable = ActionItem.objects.readable_by(user).values("pk")
        entries = AtrEntry.objects.filter(meeting=meeting, action_item__in=readable).select_related(
            "action_item__organisation", "action_item__owner", "action_item__meeting"
        )
        return [
            {
                "item": e.action_item,
                "state": e.action_item.State(e.state).label,
                "update": e.latest_update,
                "update_date": e.latest_update_date,
            }
            for e in entries
        ]
    if meeting.state == Meeting.State.CANCELLED:
        return []
    return [
        {
            "item": a,
            "state": a.get_state_display(),
            "update": a.latest_update_text or "",
            "update_date": a.latest_update_date,
        }
        for a in atr_items(meeting).readable_by(user)
    ]


def attendance_for(meeting: Meeting) -> list[dict[str, Any]]:
    """One row per invited person and organisation, with what was recorded (if anything)."""
    recorded = {
        (a.person_id, a.organisation_id): a for a in Attendance.objects.filter(meeting=meeting)
    }
    rows = []
    for org in meeting.invited_organisations.all():
        rows.append({"organisation": org, "record": recorded.get((None, org.pk))})
    for person in meeting.invited_people.all():
        rows.append({"person": person, "record": recorded.get((person.pk, None))})
    return rows


def minutes_of(user: Any, meeting: Meeting) -> list[Minutes]:
    return list(Minutes.objects.visible_to(user).filter(meeting=meeting).order_by("number"))


def minutes_detail(user: Any, pk: int) -> Minutes:
    return get_object_or_404(
        Minutes.objects.visible_to(user).select_related("meeting", "reviewed_by"), pk=pk
    )


def minutes_items_for(user: Any, minutes: Minutes) -> list[MinutesItem]:
    """The items this person may read, with their comments and action items attached.

    Action items of earlier versions stay with their agenda item in a corrigendum.
    """
    items = list(
        MinutesItem.objects.visible_to(user)
        .filter(minutes=minutes)
        .select_related("agenda_item__presenter_organisation", "updated_by")
        .prefetch_related(
            Prefetch(
                "comments",
                queryset=MinutesComment.objects.select_related("author", "resolved_by"),
            )
        )
    )
    actions_by_agenda: dict[int, list[ActionItem]] = defaultdict(list)
    actions = ActionItem.objects.filter(
        meeting_id=minutes.meeting_id,
        minutes_item__minutes__number__lte=minutes.number,
        minutes_item__agenda_item_id__in=[i.agenda_item_id for i in items],
    ).select_related("organisation", "owner", "minutes_item")
    for action in actions:
        actions_by_agenda[action.minutes_item.agenda_item_id].append(action)
    for item in items:
        item.actions = actions_by_agenda.get(item.agenda_item_id, [])
    return items


def minutes_item_detail(user: Any, pk: int) -> MinutesItem:
    return get_object_or_404(
        MinutesItem.objects.visible_to(user).select_related("minutes__meeting", "agenda_item"),
        pk=pk,
    )


def comment_detail(user: Any, pk: int) -> MinutesComment:
    return get_object_or_404(
        MinutesComment.objects.visible_to(user).select_related("item__minutes"),
        pk=pk,
    )


def action_items_visible_to(user: Any) -> QuerySet[ActionItem]:
    return _with_latest_update(
        ActionItem.objects.visible_to(user).select_related("organisation", "owner", "meeting")
    )


def meetings_with_actions_for(user: Any) -> QuerySet[Meeting]:
    """Meetings to filter an action list by: those whose action items the person sees."""
    return Meeting.objects.filter(
        pk__in=ActionItem.objects.visible_to(user).values("meeting_id")
    ).order_by("-start")


def action_item_detail(user: Any, pk: int) -> ActionItem:
    return get_object_or_404(
        ActionItem.objects.visible_to(user).select_related("organisation", "owner", "meeting"),
        pk=pk,
    )


def action_updates(action: ActionItem) -> QuerySet[ActionItemUpdate]:
    return action.updates.select_related("author")


def organisations_for_action_lists(user: Any) -> QuerySet[Organisation]:
    """Whose lists a person may open: their own organisations; every one for convenor and MP."""
    from meetings.models import sees_every_meeting

    if sees_every_meeting(user):
        return Organisation.objects.active()
    return Organisation.objects.active().filter(
        pk__in=Membership.objects.active().filter(user=user).values("organisation_id")
    )


def invitable_people() -> QuerySet[User]:
    """People of partner organisations (media members cannot be invited: they see no meeting)."""
    from ftu.policy import PARTNER_KINDS

    return (
        User.objects.filter(
            is_active=True,
            memberships__is_active=True,
            memberships__organisation__is_active=True,
            memberships__organisation__kind__in=[str(k) for k in PARTNER_KINDS],
        )
        .distinct()
        .order_by("full_name")
    )


def invitable_organisations() -> QuerySet[Organisation]:
    from ftu.policy import PARTNER_KINDS

    return Organisation.objects.active().filter(kind__in=[str(k) for k in PARTNER_KINDS])


def public_summaries(user: Any) -> QuerySet[Meeting]:
    """What anyone (media included) may read: the summaries the convenor published."""
    if not can(user, Cap.USE_HUB):
        return Meeting.objects.none()
    return Meeting.objects.with_public_summary().order_by("-start")
