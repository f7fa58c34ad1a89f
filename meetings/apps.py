from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = _("Meetings and minutes")

    def ready(self) -> None:
        from ftu import navigation
        from ftu.policy import Cap
        from meetings import ticks  # noqa: F401  (registers the action-item tick)
        from notifications.kinds import register_kind

        navigation.register("meetings:meeting_list", _("Meetings"), Cap.MEETING_ATTEND, order=40)
        navigation.register("meetings:action_list", _("Action items"), Cap.MEETING_ATTEND, order=41)
        navigation.register(
            "meetings:public_summaries", _("Meeting summaries"), Cap.USE_HUB, order=42
        )
        kinds = [
            ("meeting.invited", _("Invitation to a meeting"), False),
            ("meeting.changed", _("A meeting's time or place changed"), False),
            ("meeting.cancelled", _("A meeting is cancelled"), False),
            ("meeting.minutes_circulated", _("Draft minutes circulated for comments"), False),
            ("meeting.minutes_comment", _("A comment on draft minutes"), False),
            ("meeting.minutes_submitted", _("Minutes submitted for review"), False),
            ("meeting.minutes_returned", _("Minutes returned with comments"), False),
            ("meeting.minutes_approved", _("Minutes approved"), False),
            ("meeting.minutes_published", _("Minutes published"), False),
            ("meeting.action_assigned", _("An action item is assigned to you"), False),
            ("meeting.action_updated", _("Your action item was updated"), False),
            ("meeting.action_due_soon", _("An action item is due soon"), False),
            ("meeting.action_overdue", _("An action item is overdue"), True),
        ]
        for code, label, urgent in kinds:
            register_kind(code, label, urgent=urgent, group="meeting")
