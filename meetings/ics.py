"""The meeting as an iCalendar event (RFC 5545), in Asia/Kolkata with its VTIMEZONE."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from meetings.models import Meeting

IST = zoneinfo.ZoneInfo("Asia/Kolkata")


def meeting_calendar(meeting: Meeting, *, base_url: str = "", language: str | None = None) -> bytes:
    """One VEVENT: what, when, where and a link.  Never the agenda (it may be confidential)."""
    with translation.override(language or translation.get_language()):
        cal = Calendar()
        cal.add("prodid", "-//FTU Hub//meetings//EN")
        cal.add("version", "2.0")
        cancelled = meeting.state == Meeting.State.CANCELLED
        cal.add("method", "CANCEL" if cancelled else "PUBLISH")
        event = Event()
        event.add("uid", meeting.uid)
        event.add("sequence", meeting.sequence)
        event.add("dtstamp", timezone.now())
        event.add("dtstart", meeting.start.astimezone(IST))
        event.add("dtend", meeting.end.astimezone(IST))
        event.add("summary", meeting.title)
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        if meeting.venue:
            event.add("location", vText(meeting.venue))
        url = base_url + meeting.get_absolute_url()
        description = _("FTU meeting (%(kind)s). Agenda and papers: %(url)s") % {
            "kind": meeting.get_kind_display(),
            "url": url,
        }
        if meeting.online_link:
            event.add("url", meeting.online_link)
            description += "\n" + _("Join online: %(link)s") % {"link": meeting.online_link}
        event.add("description", description)
        organiser = vCalAddress(f"mailto:{settings.DEFAULT_FROM_EMAIL.split('<')[-1].rstrip('>')}")
        organiser.params["cn"] = vText(settings.SITE_NAME)
        event.add("organizer", organiser)
        cal.add_component(event)
        cal.add_missing_timezones()
        return cal.to_ical()
