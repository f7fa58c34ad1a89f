"""Every step of the raid lifecycle, who may take it, and what is refused."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from ftu.models import AuditEvent
from notifications.models import Notification
from raids import services
from raids.choices import RaidStatus, TeamRole
from raids.models import ChecklistItem, Raid
from tests.raids.helpers import LOCATION, make_raid

pytestmark = pytest.mark.django_db


def _move(login: Any, user: Any, raid: Raid, step: str, **extra: Any) -> Any:
    return login(user).post(reverse("raids:move", args=[raid.pk]), {"step": step, **extra})


def _tick_all(raid: Raid, user: Any) -> None:
    for item in raid.checklist.all():
        services.checklist_mark(actor=user, item=item, checked=True, note="ref")


def _open_form(personas: Any, start: datetime.datetime, **changes: Any) -> dict[str, Any]:
    """The raid-open form as the AHTU officer sends it: a 2-hour window from ``start``."""
    return {
        "idempotency_key": uuid.uuid4(),
        "unit": personas["orgs"]["ahtu"].pk,
        "codename": "heron",
        "lead": personas["ahtu_officer"].pk,
        "supervisor": personas["police_supervisor"].pk,
        "window_start": start.strftime("%Y-%m-%dT%H:%M"),
        "window_end": (start + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "grounds": "g",
        "target_location": LOCATION,
        **changes,
    }


def test_open_through_the_page(personas, login) -> None:
    lead = personas["ahtu_officer"]
    start = timezone.localtime() + datetime.timedelta(days=1)
    response = login(lead).post(reverse("raids:open"), _open_form(personas, start))
    raid = Raid.objects.get()
    assert response.status_code == 302 and response["Location"] == raid.get_absolute_url()
    assert raid.codename == "HERON" and raid.status == RaidStatus.PLANNING
    assert raid.checklist.count() == 8
    note = Notification.objects.get(recipient=personas["police_supervisor"])
    assert note.kind == "raid.approval" and note.title == "Raid HERON: approval requested"
    assert AuditEvent.objects.filter(action="raid.open", object_id=str(raid.pk)).exists()


def test_a_resent_open_form_replays_the_raid_it_opened(personas, login) -> None:
    lead = personas["ahtu_officer"]
    start = timezone.localtime() + datetime.timedelta(days=1)
    form = _open_form(personas, start)
    client = login(lead)
    first = client.post(reverse("raids:open"), form)
    again = client.post(reverse("raids:open"), form, follow=True)
    raid = Raid.objects.get()
    assert first["Location"] == raid.get_absolute_url()
    assert again.redirect_chain == [(raid.get_absolute_url(), 302)]
    assert "This form was already sent" in again.content.decode()
    assert AuditEvent.objects.filter(action="raid.open").count() == 1
    assert Notification.objects.filter(kind="raid.approval").count() == 1
    # A new form (new key) with the same codename is a second raid: refused by name.
    response = client.post(reverse("raids:open"), {**form, "idempotency_key": uuid.uuid4()})
    assert response.status_code == 200 and Raid.objects.count() == 1
    assert "codename" in response.context["form"].errors


def test_a_changed_form_sent_again_with_its_key_is_refused(personas, login) -> None:
    lead = personas["ahtu_officer"]
    start = timezone.localtime() + datetime.timedelta(days=1)
    form = _open_form(personas, start)
    client = login(lead)
    client.post(reverse("raids:open"), form)
    later = (start + datetime.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("raids:open"), {**form, "window_end": later})
    assert response.status_code == 200
    assert "already opened raid HERON and was changed since" in response.content.decode()
    raid = Raid.objects.get()
    assert raid.window_end < timezone.localtime() + datetime.timedelta(days=1, hours=3)
    assert LOCATION not in raid.idempotency_fingerprint


def test_the_open_form_needs_its_key(personas, login) -> None:
    lead = personas["ahtu_officer"]
    client = login(lead)
    page = client.get(reverse("raids:open"))
    assert page.context["form"]["idempotency_key"].value()
    response = client.post(reverse("raids:open"), {"codename": "heron"})
    assert response.status_code == 200 and not Raid.objects.exists()


def test_window_ending_before_it_starts_is_refused(personas, login) -> None:
    lead = personas["ahtu_officer"]
    start = timezone.localtime() + datetime.timedelta(days=1)
    response = login(lead).post(
        reverse("raids:open"),
        _open_form(
            personas,
            start,
            window_end=(start - datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            target_location="x",
        ),
    )
    assert response.status_code == 200
    assert "The planned window must end after it starts." in response.content.decode()
    assert not Raid.objects.exists()
    with pytest.raises(ValidationError) as exc:
        services.raid_open(
            actor=lead,
            unit=personas["orgs"]["ahtu"],
            codename="X",
            lead=lead,
            supervisor=personas["police_supervisor"],
            window_start=start,
            window_end=start,
            grounds="g",
            target_location="t",
        )
    assert "window_end" in exc.value.message_dict


def test_only_police_open_raids(personas, login) -> None:
    assert login(personas["ngo_coordinator"]).get(reverse("raids:open")).status_code == 403
    assert login(personas["convenor"]).get(reverse("raids:open")).status_code == 403
    assert login(personas["station_officer"]).get(reverse("raids:open")).status_code == 200


def test_supervisor_of_another_unit_cannot_be_named(personas, other_supervisor) -> None:
    lead = personas["ahtu_officer"]
    start = timezone.now() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        services.raid_open(
            actor=lead,
            unit=personas["orgs"]["ahtu"],
            codename="X",
            lead=lead,
            supervisor=other_supervisor,
            window_start=start,
            window_end=start + datetime.timedelta(hours=1),
            grounds="g",
            target_location="t",
        )
    assert "supervisor" in exc.value.message_dict


def test_approve_by_the_named_supervisor_only(personas, login, other_supervisor) -> None:
    raid = make_raid(personas)
    assert _move(login, personas["ahtu_officer"], raid, "approve").status_code == 403
    assert _move(login, personas["ngo_counsellor"], raid, "approve").status_code == 403
    assert _move(login, other_supervisor, raid, "approve").status_code == 404
    raid.refresh_from_db()
    assert raid.status == RaidStatus.PLANNING
    response = _move(login, personas["police_supervisor"], raid, "approve")
    assert response.status_code == 302
    raid.refresh_from_db()
    assert raid.status == RaidStatus.APPROVED and raid.approved_at is not None
    assert AuditEvent.objects.filter(action="raid.approve").count() == 1


def test_approved_raid_cannot_be_briefed_by_a_non_lead(personas, login) -> None:
    raid = make_raid(
        personas,
        status=RaidStatus.APPROVED,
        team=(
            ("station_officer", "ps_civil", TeamRole.OFFICER),
            ("ngo_counsellor", "ngo", TeamRole.RESCUE_WORKER),
        ),
    )
    for key in ("station_officer", "ngo_counsellor", "police_supervisor"):
        assert _move(login, personas[key], raid, "brief").status_code == 403, key
        raid.refresh_from_db()
        assert raid.status == RaidStatus.APPROVED
    assert _move(login, personas["ahtu_officer"], raid, "brief").status_code == 302
    raid.refresh_from_db()
    assert raid.status == RaidStatus.BRIEFED


def test_a_planning_raid_cannot_be_briefed(personas, login) -> None:
    raid = make_raid(personas)
    response = _move(login, personas["ahtu_officer"], raid, "brief")
    assert response.status_code == 400
    assert "This raid is Planning: it cannot be moved that way." in response.content.decode()
    raid.refresh_from_db()
    assert raid.status == RaidStatus.PLANNING
    with pytest.raises(ValidationError):
        services.raid_move(actor=personas["ahtu_officer"], raid=raid, step="brief")


def test_execute_shows_unchecked_items_first(personas, login) -> None:
    raid = make_raid(personas, status=RaidStatus.BRIEFED)
    lead = personas["ahtu_officer"]
    woman = raid.checklist.get(code="woman_witness")
    services.checklist_mark(actor=lead, item=raid.checklist.get(code="grounds"), checked=True)
    response = _move(login, lead, raid, "execute")
    body = response.content.decode()
    assert response.status_code == 200
    assert str(woman.get_code_display()) in body
    assert "Grounds for the search recorded in writing before entry" not in body
    raid.refresh_from_db()
    assert raid.status == RaidStatus.BRIEFED

    response = _move(login, lead, raid, "execute", confirm_gaps="on")
    assert response.status_code == 302
    raid.refresh_from_db()
    assert raid.status == RaidStatus.EXECUTED and raid.executed_at is not None
    event = AuditEvent.objects.get(action="raid.execute")
    assert "woman_witness" in event.reason and "grounds" not in event.reason.split(":")[1]


def test_gaps_are_shown_to_lead_and_supervisor_only(personas, login) -> None:
    raid = make_raid(personas, status=RaidStatus.BRIEFED)
    for key, shown in (("ahtu_officer", True), ("police_supervisor", True), ("cwc_member", False)):
        body = login(personas[key]).get(raid.get_absolute_url()).content.decode()
        assert ("8 items are not checked." in body) is shown, key


def test_execute_without_gaps_needs_no_confirmation(personas, login) -> None:
    raid = make_raid(personas, status=RaidStatus.BRIEFED)
    _tick_all(raid, personas["ahtu_officer"])
    assert _move(login, personas["ahtu_officer"], raid, "execute").status_code == 302
    raid.refresh_from_db()
    assert raid.status == RaidStatus.EXECUTED


def test_checklist_ticked_by_police_on_the_team_not_by_ngo(personas, login) -> None:
    raid = make_raid(
        personas,
        status=RaidStatus.BRIEFED,
        team=(
            ("station_officer", "ps_civil", TeamRole.WOMAN_OFFICER),
            ("ngo_counsellor", "ngo", TeamRole.RESCUE_WORKER),
        ),
    )
    item = raid.checklist.get(code="witnesses")
    url = reverse("raids:checklist", args=[raid.pk, item.pk])
    assert login(personas["ngo_counsellor"]).post(url, {"checked": "on"}).status_code == 403
    assert (
        login(personas["station_officer"])
        .post(url, {"checked": "on", "note": "W1, W2"})
        .status_code
        == 302
    )
    item.refresh_from_db()
    assert item.checked and item.checked_by == personas["station_officer"] and item.note == "W1, W2"


def test_debrief_and_close_need_a_confirmed_outcome(personas, login) -> None:
    raid = make_raid(personas, status=RaidStatus.DEBRIEFED)
    lead = personas["ahtu_officer"]
    _tick_all(raid, lead)
    response = _move(login, lead, raid, "close")
    assert response.status_code == 400
    assert "Confirm the outcome before closing the raid." in response.content.decode()
    outcome = services.outcome_save(actor=lead, raid=raid, minors_rescued=0, adults_rescued=0)
    services.outcome_confirm(actor=lead, outcome=outcome)
    assert _move(login, personas["police_supervisor"], raid, "close").status_code == 302
    raid.refresh_from_db()
    assert raid.status == RaidStatus.CLOSED and raid.shared_summary
    assert LOCATION not in raid.shared_summary and raid.codename not in raid.shared_summary


def test_debrief_only_after_execution(personas) -> None:
    raid = make_raid(personas, status=RaidStatus.EXECUTED)
    with pytest.raises(PermissionDenied):
        services.raid_move(actor=personas["police_supervisor"], raid=raid, step="debrief")
    raid = services.raid_move(actor=personas["ahtu_officer"], raid=raid, step="debrief")
    assert raid.status == RaidStatus.DEBRIEFED and raid.debriefed_at


def test_cancel_needs_a_reason_and_a_live_raid(personas, login) -> None:
    raid = make_raid(personas, status=RaidStatus.APPROVED)
    response = _move(login, personas["police_supervisor"], raid, "cancel")
    assert (
        response.status_code == 400
        and "Say why the raid is cancelled." in response.content.decode()
    )
    assert _move(login, personas["cwc_member"], raid, "cancel", reason="x").status_code == 403
    assert (
        _move(
            login, personas["police_supervisor"], raid, "cancel", reason="Leak feared"
        ).status_code
        == 302
    )
    raid.refresh_from_db()
    assert raid.status == RaidStatus.CANCELLED and raid.cancel_reason == "Leak feared"
    executed = make_raid(personas, status=RaidStatus.EXECUTED, codename="OTHER")
    with pytest.raises(ValidationError):
        services.raid_move(actor=personas["ahtu_officer"], raid=executed, step="cancel", reason="x")


def test_two_people_cannot_both_move_the_raid(personas) -> None:
    raid = make_raid(personas, status=RaidStatus.APPROVED)
    stale = Raid.objects.get(pk=raid.pk)  # a second person loaded the same page
    services.raid_move(actor=personas["ahtu_officer"], raid=raid, step="brief")
    with pytest.raises(ValidationError) as exc:
        services.raid_move(
            actor=personas["police_supervisor"], raid=stale, step="cancel", reason="r"
        )
    assert "Someone else moved this raid first" in exc.value.messages[0]
    raid.refresh_from_db()
    assert raid.status == RaidStatus.BRIEFED
    assert AuditEvent.objects.filter(action="raid.cancel").count() == 0


def test_unknown_step_and_get_are_refused(personas, login) -> None:
    raid = make_raid(personas)
    assert _move(login, personas["ahtu_officer"], raid, "explode").status_code == 400
    assert (
        login(personas["ahtu_officer"]).get(reverse("raids:move", args=[raid.pk])).status_code
        == 405
    )


def test_stale_plan_edit_is_refused(personas, login) -> None:
    raid = make_raid(personas)
    lead = personas["ahtu_officer"]
    start = timezone.localtime(raid.window_start)
    data = {
        "window_start": start.strftime("%Y-%m-%dT%H:%M"),
        "window_end": (start + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "grounds": "new grounds",
        "target_location": "new place",
        "version": raid.version,
    }
    first = login(lead).post(reverse("raids:plan", args=[raid.pk]), data)
    assert first.status_code == 302, first.content.decode()[-3000:]
    response = login(lead).post(reverse("raids:plan", args=[raid.pk]), data)  # same version again
    assert response.status_code == 400
    assert "Someone changed this raid after you opened the form." in response.content.decode()
    raid.refresh_from_db()
    assert raid.target_location == "new place" and raid.version == 2


def test_status_notifications_reach_the_team_with_the_codename_only(personas) -> None:
    raid = make_raid(personas, status=RaidStatus.APPROVED)
    Notification.objects.all().delete()
    services.raid_move(actor=personas["ahtu_officer"], raid=raid, step="brief")
    notes = list(Notification.objects.all())
    assert {n.recipient.email for n in notes} == {
        personas[k].email for k in ("police_supervisor", "ngo_counsellor", "cwc_member")
    }
    for n in notes:
        assert n.title == "Raid KESTREL: briefed"
        assert "CANARY" not in n.title + n.text + n.url


def test_rollback_publishes_nothing(personas, django_capture_on_commit_callbacks) -> None:
    raid = make_raid(personas, status=RaidStatus.APPROVED)
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError):
        from django.db import transaction

        with transaction.atomic():
            services.raid_move(actor=personas["ahtu_officer"], raid=raid, step="brief")
            raise RuntimeError
    assert callbacks == [] and not Notification.objects.exists()
    raid.refresh_from_db()
    assert raid.status == RaidStatus.APPROVED


def test_check_constraints_hold_in_the_database(personas) -> None:
    from django.db import IntegrityError, transaction

    raid = make_raid(personas)
    with pytest.raises(IntegrityError), transaction.atomic():
        Raid.objects.filter(pk=raid.pk).update(window_end=raid.window_start)
    with pytest.raises(IntegrityError), transaction.atomic():
        Raid.objects.filter(pk=raid.pk).update(supervisor=raid.lead)
    assert ChecklistItem.objects.filter(raid=raid).count() == 8


def test_cancel_reason_stays_out_of_the_audit_log(personas) -> None:
    """The convenor reads the audit log but is not on the team: only field names go there."""
    from ftu.models import AuditEvent
    from raids import services
    from tests.raids.helpers import make_raid

    raid = make_raid(personas, codename="HERON")
    services.raid_move(
        actor=personas["ahtu_officer"], raid=raid, step="cancel", reason="CANARY-REASON-91"
    )
    event = AuditEvent.objects.filter(action="raid.cancel").get()
    assert "cancel_reason" in event.fields
    assert "CANARY-REASON-91" not in str(AuditEvent.objects.values_list())
