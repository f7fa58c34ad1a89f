"""Invitation e-mails with the .ics attached, one per person in their own language."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from agencies.models import User
from meetings.ics import meeting_calendar
from meetings.models import Meeting

logger = logging.getLogger(__name__)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_meeting_invitations(meeting_id: int, user_ids: list[int], updated: bool = False) -> int:
    """The text carries the meeting's title, time, place and a link; never the agenda."""
    meeting = Meeting.objects.filter(pk=meeting_id).select_related("chair").first()
    if meeting is None:
        return 0
    base_url = settings.FTU_SITE_URL
    sent = 0
    for person in User.objects.filter(pk__in=user_ids, is_active=True):
        language = person.preferred_language or settings.LANGUAGE_CODE
        with translation.override(language):
            subject = (
                _("Meeting changed: %(title)s") if updated else _("Invitation: %(title)s")
            ) % {"title": meeting.title}
            body = render_to_string(
                "meetings/email/invitation.txt",
                {"meeting": meeting, "person": person, "updated": updated, "base_url": base_url},
            )
            message = EmailMessage(
                subject=subject.replace("\n", " ")[:200],
                body=body,
                to=[person.contact_email],
            )
            message.attach(
                "invitation.ics",
                meeting_calendar(meeting, base_url=base_url, language=language),
                "text/calendar; method=PUBLISH; charset=UTF-8",
            )
            message.send()
            sent += 1
    logger.info("meeting invitations sent: meeting=%s count=%s", meeting_id, sent)
    return sent
