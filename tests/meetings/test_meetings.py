from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation
from icalendar import Calendar

from agencies.models import Membership
from meetings import services
from meetings.forms import AgendaItemForm, MeetingForm
from meetings.models import AgendaItem, Attendance, Meeting
from notifications.models import Notification
from raids.models import Task
from tests.meetings import factories


def _form(personas: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    data = {
        "title": "Quarterly review",
        "kind": "monthly_review",
        "start": "2030-03-05T10:30",
        "end": "2030-03-05T12:00",
        "venue": "Collectorate",
        "online_link": "",
        "chair": personas["admin_officer"].pk,
        "invited_organisations": [personas["orgs"]["ngo"].pk],
        "invited_people": [personas["station_officer"].pk],
    }
    data.update(overrides)
    return data


def test_convenor_schedules_in_ist_and_invitees_get_mail_and_notification(
    personas: dict[str, Any], login: Any, django_capture_on_commit_callbacks: Any
) -> None:
    personas["ngo_counsellor"].preferred_language = "hi"
    personas["ngo_counsellor"].save()
    with django_capture_on_commit_callbacks(execute=True):
        response = login(personas["convenor"]).post(
            reverse("meetings:meeting_create"), _form(personas)
        )
    assert response.status_code == 302
    meeting = Meeting.objects.get()
    # 10:30 IST is 05:00 UTC.
    assert meeting.start == datetime.datetime(2030, 3, 5, 5, 0, tzinfo=datetime.UTC)
    assert meeting.convenor == personas["convenor"]
    page = login(personas["station_officer"]).get(meeting.get_absolute_url()).content.decode()
    assert "05/03/2030 10:30" in page
    assert 'hx-trigger="ftu:notify:meeting from:body"' in page
    recipients = {m.to[0] for m in mail.outbox}
    assert personas["station_officer"].email in recipients
    assert personas["ngo_counsellor"].email in recipients
    assert personas["convenor"].email not in recipients
    assert personas["media_member"].email not in recipients
    message = next(m for m in mail.outbox if m.to == [personas["station_officer"].email])
    assert "Quarterly review" in message.subject and "10:30" in message.body
    [(name, content, mimetype)] = message.attachments
    assert name == "invitation.ics" and mimetype.startswith("text/calendar")
    assert Calendar.from_ical(content).walk("VEVENT")[0].decoded("DTSTART") == meeting.start
    assert (
        Notification.objects.filter(
            recipient=personas["ngo_coordinator"], kind="meeting.invited"
        ).count()
        == 1
    )


def test_invitation_text_is_rendered_in_the_recipients_language(
    personas: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.utils import translation

    from meetings import tasks

    meeting = factories.schedule(personas)
    mail.outbox.clear()
    personas["station_officer"].preferred_language = "hi"
    personas["station_officer"].save()
    languages: list[str] = []

    class Recording(translation.override):
        def __enter__(self) -> None:
            languages.append(self.language)
            super().__enter__()

    monkeypatch.setattr(tasks.translation, "override", Recording)
    tasks.send_meeting_invitations(
        meeting.pk, [personas["station_officer"].pk, personas["cwc_member"].pk]
    )
    assert set(languages) == {"en", "hi"}
    assert len(mail.outbox) == 2
    assert all("Monthly review" in m.subject for m in mail.outbox)


@pytest.mark.parametrize(
    "key", ["ngo_coordinator", "police_supervisor", "mp_reviewer", "media_member"]
)
def test_only_the_convenor_schedules(personas: dict[str, Any], login: Any, key: str) -> None:
    assert (
        login(personas[key]).post(reverse("meetings:meeting_create"), _form(personas)).status_code
        == 403
    )
    with pytest.raises(PermissionDenied):
        services.meeting_schedule(actor=personas[key], data={})
    assert not Meeting.objects.exists()


def test_end_must_follow_start_and_place_is_required(personas: dict[str, Any], login: Any) -> None:
    client = login(personas["convenor"])
    response = client.post(
        reverse("meetings:meeting_create"), _form(personas, end="2030-03-05T10:00")
    )
    assert response.status_code == 200 and "must end after it starts" in response.content.decode()
    response = client.post(reverse("meetings:meeting_create"), _form(personas, venue=""))
    assert "venue or an online link" in response.content.decode()
    assert (
        client.post(
            reverse("meetings:meeting_create"),
            _form(personas, venue="", online_link="https://meet.example/ftu"),
        ).status_code
        == 302
    )


def test_cancel_needs_a_reason_and_tells_invitees(personas: dict[str, Any], login: Any) -> None:
    meeting = factories.schedule(personas, start=timezone.now() + datetime.timedelta(days=2))
    client = login(personas["convenor"])
    client.post(reverse("meetings:meeting_cancel", args=[meeting.pk]), {"reason": ""})
    meeting.refresh_from_db()
    assert meeting.state == "scheduled"
    assert (
        login(personas["ngo_coordinator"])
        .post(reverse("meetings:meeting_cancel", args=[meeting.pk]), {"reason": "x"})
        .status_code
        == 403
    )
    client.post(reverse("meetings:meeting_cancel", args=[meeting.pk]), {"reason": "Election duty"})
    meeting.refresh_from_db()
    assert (meeting.state, meeting.cancel_reason) == ("cancelled", "Election duty")
    assert Notification.objects.filter(
        recipient=personas["cwc_chair"], kind="meeting.cancelled"
    ).exists()
    with pytest.raises(ValidationError):
        services.meeting_mark_held(actor=personas["convenor"], meeting=meeting)


def test_held_only_once_started(personas: dict[str, Any]) -> None:
    future = factories.schedule(personas, start=timezone.now() + datetime.timedelta(hours=2))
    with pytest.raises(ValidationError):
        services.meeting_mark_held(actor=personas["convenor"], meeting=future)
    with pytest.raises(PermissionDenied):
        services.meeting_mark_held(actor=personas["mp_reviewer"], meeting=future)
    held = services.meeting_mark_held(
        actor=personas["convenor"], meeting=future, now=future.start + datetime.timedelta(minutes=5)
    )
    assert held.state == "held"
    with pytest.raises(ValidationError):
        services.meeting_cancel(actor=personas["convenor"], meeting=held, reason="late")


def test_agenda_reorders_and_freezes_once_held(personas: dict[str, Any], login: Any) -> None:
    meeting = factories.schedule(personas)
    a = factories.agenda(personas, meeting, "First")
    b = factories.agenda(personas, meeting, "Second")
    c = factories.agenda(personas, meeting, "Third")
    client = login(personas["convenor"])
    client.post(reverse("meetings:agenda_item_move", args=[c.pk]), {"direction": "up"})
    assert list(meeting.agenda_items.order_by("position").values_list("title", flat=True)) == [
        "First",
        "Third",
        "Second",
    ]
    assert (
        login(personas["ngo_coordinator"])
        .post(reverse("meetings:agenda_item_move", args=[a.pk]), {"direction": "down"})
        .status_code
        == 403
    )
    services.meeting_mark_held(actor=personas["convenor"], meeting=meeting)
    with pytest.raises(ValidationError):
        services.agenda_item_update(actor=personas["convenor"], item=b, data={"title": "Changed"})
    with pytest.raises(ValidationError):
        factories.agenda(personas, meeting, "Late addition")
    b.refresh_from_db()
    assert b.title == "Second"


def test_confidential_item_is_hidden_in_every_view(personas: dict[str, Any], login: Any) -> None:
    meeting, draft = factories.held_with_draft(personas)
    confidential = AgendaItem.objects.get(meeting=meeting, is_confidential=True)
    assert set(confidential.named_people.all()) == {personas["ahtu_officer"], personas["convenor"]}
    secret_item = draft.items.get(agenda_item=confidential)
    services.minutes_item_save(
        actor=personas["convenor"],
        item=secret_item,
        base_revision=1,
        discussion="Hotel Z on NH-58",
        decisions="",
    )
    factories.publish(personas, draft)
    reader = login(personas["ngo_coordinator"])  # invited, not named
    for url in (
        meeting.get_absolute_url(),
        reverse("meetings:meeting_fragment", args=[meeting.pk]),
        draft.get_absolute_url(),
    ):
        body = reader.get(url).content.decode()
        assert "Operational matter" not in body and "Hotel Z" not in body, url
        assert "confidential item is not shown" in body
    assert (
        reader.get(reverse("meetings:minutes_item_edit", args=[secret_item.pk])).status_code == 404
    )
    named = login(personas["ahtu_officer"])
    # Named, but the AHTU is not invited: they see the published minutes, with the item.
    assert "Hotel Z" in named.get(draft.get_absolute_url()).content.decode()
    assert named.get(meeting.get_absolute_url()).status_code == 404


def test_media_sees_only_the_public_summary(personas: dict[str, Any], login: Any) -> None:
    meeting, draft = factories.held_with_draft(personas)
    factories.publish(personas, draft)
    media = login(personas["media_member"])
    assert media.get(reverse("meetings:meeting_list")).status_code == 403
    assert media.get(meeting.get_absolute_url()).status_code == 404
    assert media.get(draft.get_absolute_url()).status_code == 404
    assert "Monthly review" not in media.get(reverse("meetings:public_summaries")).content.decode()
    services.meeting_publish_summary(
        actor=personas["convenor"], meeting=meeting, summary="The FTU reviewed shelter capacity."
    )
    body = media.get(reverse("meetings:public_summaries")).content.decode()
    assert "reviewed shelter capacity" in body and "Shelter capacity" not in body
    with pytest.raises(PermissionDenied):
        services.meeting_publish_summary(
            actor=personas["media_member"], meeting=meeting, summary="x"
        )


def test_attendance_of_invitees_with_delegate(personas: dict[str, Any], login: Any) -> None:
    meeting = factories.schedule(personas)
    url = reverse("meetings:meeting_attendance", args=[meeting.pk])
    ngo, cwc, officer = (
        personas["orgs"]["ngo"],
        personas["orgs"]["cwc"],
        personas["station_officer"],
    )
    response = login(personas["convenor"]).post(
        url,
        {
            f"org_{ngo.pk}_status": "present",
            f"org_{ngo.pk}_delegate": "A. Delegate",
            f"org_{cwc.pk}_status": "apologies",
            f"person_{officer.pk}_status": "absent",
        },
    )
    assert response.status_code == 302
    got = {
        (a.organisation_id, a.person_id): (a.status, a.delegate_name)
        for a in Attendance.objects.all()
    }
    assert got == {
        (ngo.pk, None): ("present", "A. Delegate"),
        (cwc.pk, None): ("apologies", ""),
        (None, officer.pk): ("absent", ""),
    }
    with pytest.raises(ValidationError):
        services.attendance_record(
            actor=personas["convenor"],
            meeting=meeting,
            rows=[
                services.AttendanceRow(status="present", organisation=personas["orgs"]["shelter"])
            ],
        )
    assert login(personas["ngo_coordinator"]).post(url, {}).status_code == 404
    page = login(personas["cwc_member"]).get(meeting.get_absolute_url()).content.decode()
    assert "A. Delegate" in page and "Apologies" in page


def test_changing_the_time_re_sends_the_invitation(
    personas: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    meeting = factories.schedule(personas, start=timezone.now() + datetime.timedelta(days=3))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_update(
            actor=personas["convenor"],
            meeting=meeting,
            data={
                "start": meeting.start + datetime.timedelta(hours=1),
                "end": meeting.end + datetime.timedelta(hours=1),
            },
        )
    meeting.refresh_from_db()
    assert meeting.sequence == 1
    assert mail.outbox and all("changed" in m.subject for m in mail.outbox)
    assert Notification.objects.filter(
        kind="meeting.changed", recipient=personas["station_officer"]
    ).exists()


def test_rollback_sends_nothing(
    personas: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    from django.db import transaction

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            factories.schedule(personas)
            raise RuntimeError
    assert callbacks == [] and mail.outbox == []
    assert not Notification.objects.exists()


def test_a_meeting_title_is_a_heading_in_hindi_not_a_job_title() -> None:
    """ "title" of a meeting or agenda item is शीर्षक; a person's job title stays पद."""
    with translation.override("hi"):
        assert MeetingForm().fields["title"].label == "शीर्षक"
        assert AgendaItemForm().fields["title"].label == "शीर्षक"
        assert str(Task._meta.get_field("title").verbose_name) == "शीर्षक"
        assert str(Membership._meta.get_field("title").verbose_name) == "पद"
