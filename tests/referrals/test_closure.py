"""Closing and reopening a child case, and the legal hold: who may, what it does."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from ftu.models import AuditEvent, Clock
from notifications.models import Notification
from referrals import closure, services
from referrals.models import CaseEvent, ChildCase, Referral
from tests.referrals.world import build_world, make_case, refer

pytestmark = pytest.mark.django_db


def _ngo_case(p: dict[str, Any]) -> ChildCase:
    """Recorded by the NGO; the CWC accepted and completed the production referral, so the
    CWC handles the case and no referral is open."""
    case = make_case(p["ngo_counsellor"], p["orgs"]["ngo"])
    ref = refer(p["ngo_counsellor"], case, p["orgs"]["cwc"], service="cwc_production")
    services.referral_accept(actor=p["cwc_chair"], referral=ref, caseworker=p["cwc_member"])
    services.referral_complete(actor=p["cwc_chair"], referral=ref)
    case.refresh_from_db()
    assert case.cwc_id == p["orgs"]["cwc"].pk
    return case


def _close(client: Any, case: ChildCase, reason: str = "restored", note: str = "") -> Any:
    return client.post(
        reverse("referrals:case_close", args=[case.pk]), {"reason": reason, "note": note}
    )


def test_recording_coordinator_closes_the_case(personas: dict[str, Any], login: Any) -> None:
    p = personas
    case = _ngo_case(p)
    response = _close(login(p["ngo_coordinator"]), case)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.closed_at is not None and case.closure_reason == "restored"
    assert case.closed_by == p["ngo_coordinator"]
    event = AuditEvent.objects.get(action="case.close")
    assert event.object_id == str(case.pk) and event.fields == ["closure_reason"]
    assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.CLOSED).exists()
    page = login(p["ngo_counsellor"]).get(case.get_absolute_url()).content.decode()
    assert "Closed on" in page and "Restored to family" in page


def test_closing_marks_running_clocks_not_applicable(personas: dict[str, Any]) -> None:
    p = personas
    case = make_case(p["ngo_counsellor"], p["orgs"]["ngo"])
    services.case_milestone_record(
        actor=p["ngo_counsellor"],
        case=case,
        milestone="medical_care",
        at=case.first_contact_at,
    )
    closure.case_close(actor=p["ngo_coordinator"], case=case, reason="transferred")
    states = dict(Clock.objects.filter(object_id=str(case.pk)).values_list("rule", "state"))
    assert states["case.medical_care"] == Clock.State.MET  # met stays met
    assert states["case.cwc_production"] == Clock.State.NOT_APPLICABLE
    assert states["case.report_cwc_court"] == Clock.State.NOT_APPLICABLE
    reason = Clock.objects.get(object_id=str(case.pk), rule="case.cwc_production").reason
    assert "Transferred out of the district" in reason


def test_holders_are_notified_with_the_code_only(personas: dict[str, Any]) -> None:
    p = personas
    case = _ngo_case(p)
    closure.case_close(actor=p["cwc_member"], case=case, reason="placed")
    notes = Notification.objects.filter(kind="case.closed")
    recipients = set(notes.values_list("recipient__email", flat=True))
    assert p["ngo_coordinator"].email in recipients and p["cwc_chair"].email in recipients
    assert p["cwc_member"].email not in recipients  # the actor
    assert p["media_member"].email not in recipients
    name = ChildCase.objects.get(pk=case.pk).name
    for note in notes:
        assert note.title == f"{case.code}: case closed"
        assert name not in f"{note.title} {note.text} {note.url}"


def test_closing_is_refused_while_a_referral_is_open(personas: dict[str, Any]) -> None:
    p = personas
    case = make_case(p["ngo_counsellor"], p["orgs"]["ngo"])
    ref = refer(p["ngo_counsellor"], case, p["orgs"]["cwc"], service="cwc_production")
    with pytest.raises(ValidationError, match="Referrals still open"):
        closure.case_close(actor=p["ngo_coordinator"], case=case, reason="restored")
    services.referral_accept(actor=p["cwc_chair"], referral=ref, caseworker=p["cwc_member"])
    with pytest.raises(ValidationError, match="Referrals still open"):
        closure.case_close(actor=p["ngo_coordinator"], case=case, reason="restored")
    case.refresh_from_db()
    assert case.closed_at is None and not AuditEvent.objects.filter(action="case.close").exists()
    services.referral_complete(actor=p["cwc_chair"], referral=ref)
    closure.case_close(actor=p["ngo_coordinator"], case=case, reason="restored")
    assert ChildCase.objects.get(pk=case.pk).closed_at is not None


def test_other_needs_a_note_and_a_closed_case_cannot_be_closed_again(
    personas: dict[str, Any],
) -> None:
    p = personas
    case = _ngo_case(p)
    with pytest.raises(ValidationError):
        closure.case_close(actor=p["ngo_coordinator"], case=case, reason="other")
    with pytest.raises(ValidationError):
        closure.case_close(actor=p["ngo_coordinator"], case=case, reason="escaped")
    closure.case_close(actor=p["ngo_coordinator"], case=case, reason="other", note="Died")
    with pytest.raises(ValidationError, match="already closed"):
        closure.case_close(actor=p["cwc_member"], case=case, reason="restored")


def test_a_closed_case_cannot_be_referred(personas: dict[str, Any]) -> None:
    p = personas
    case = _ngo_case(p)
    draft = refer(p["ngo_counsellor"], case, p["orgs"]["shelter"], send=False)
    services.referral_withdraw(actor=p["ngo_counsellor"], referral=draft)
    closure.case_close(actor=p["ngo_coordinator"], case=case, reason="aged_out")
    with pytest.raises(ValidationError, match="closed"):
        refer(p["ngo_counsellor"], case, p["orgs"]["shelter"])
    assert not Referral.objects.filter(case=case, state=Referral.State.SENT).exists()


def test_reopen_needs_a_reason_and_is_audited(personas: dict[str, Any], login: Any) -> None:
    p = personas
    case = _ngo_case(p)
    closure.case_close(actor=p["ngo_coordinator"], case=case, reason="restored")
    url = reverse("referrals:case_reopen", args=[case.pk])
    login(p["cwc_member"]).post(url, {"reason": ""})
    assert ChildCase.objects.get(pk=case.pk).closed_at is not None
    response = login(p["cwc_member"]).post(url, {"reason": "Family returned the child to work"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.closed_at is None and case.closure_reason == ""
    event = AuditEvent.objects.get(action="case.reopen")
    assert event.reason == "Family returned the child to work"
    assert Notification.objects.filter(kind="case.reopened", recipient=p["ngo_coordinator"])
    with pytest.raises(ValidationError, match="not closed"):
        closure.case_reopen(actor=p["cwc_member"], case=case, reason="again please")


@pytest.mark.parametrize(
    ("key", "status"),
    [
        ("ngo_coordinator", 302),  # the recording organisation's coordinator
        ("cwc_member", 302),  # the CWC handling the case
        ("cwc_chair", 302),
        ("shelter_coordinator", 403),  # holds the case (accepted referral), may not close
        ("ngo_counsellor", 404),  # a holder without the capability
        ("station_officer", 404),
        ("ahtu_officer", 404),
        ("police_supervisor", 404),  # may close cases, not this one: not a holder
        ("wcd_officer", 404),
        ("convenor", 404),
        ("media_member", 404),
        ("mp_reviewer", 404),
        ("outsider", 404),
    ],
)
def test_who_may_close(personas: dict[str, Any], login: Any, key: str, status: int) -> None:
    p = personas
    case = _ngo_case(p)
    shelter = refer(p["ngo_counsellor"], case, p["orgs"]["shelter"], service="shelter")
    services.referral_accept(
        actor=p["shelter_coordinator"], referral=shelter, caseworker=p["shelter_staff"]
    )
    if status == 302:
        services.referral_complete(actor=p["shelter_coordinator"], referral=shelter)
        # The shelter no longer holds the case; the CWC and the NGO still do.
    response = _close(login(p[key]), case)
    assert response.status_code == status
    closed = ChildCase.objects.get(pk=case.pk).closed_at is not None
    assert closed is (status == 302)


def test_get_on_close_is_refused(personas: dict[str, Any], login: Any) -> None:
    case = _ngo_case(personas)
    url = reverse("referrals:case_close", args=[case.pk])
    assert login(personas["ngo_coordinator"]).get(url).status_code == 405


def test_close_service_refuses_others(personas: dict[str, Any]) -> None:
    p = personas
    case = _ngo_case(p)
    for key in ("ngo_counsellor", "convenor", "police_supervisor", "media_member"):
        with pytest.raises(PermissionDenied):
            closure.case_close(actor=p[key], case=case, reason="restored")


def _hold(
    client: Any, case: ChildCase, hold: str = "1", reason: str = "POCSO trial pending"
) -> Any:
    return client.post(
        reverse("referrals:case_legal_hold", args=[case.pk]), {"hold": hold, "reason": reason}
    )


def test_convenor_sets_and_cwc_clears_the_legal_hold(personas: dict[str, Any], login: Any) -> None:
    p = personas
    case = _ngo_case(p)
    assert _hold(login(p["convenor"]), case).status_code == 302
    case.refresh_from_db()
    assert case.legal_hold and case.legal_hold_reason == "POCSO trial pending"
    assert case.legal_hold_by == p["convenor"]
    event = AuditEvent.objects.get(action="case.legal_hold.set")
    assert event.reason == "POCSO trial pending"
    assert _hold(login(p["cwc_member"]), case, "0", "Trial concluded 01/11").status_code == 302
    case.refresh_from_db()
    assert not case.legal_hold and case.legal_hold_reason == ""
    assert AuditEvent.objects.filter(action="case.legal_hold.clear").count() == 1


def test_legal_hold_needs_a_reason(personas: dict[str, Any], login: Any) -> None:
    case = _ngo_case(personas)
    _hold(login(personas["convenor"]), case, reason="")
    with pytest.raises(ValidationError):
        closure.case_legal_hold(actor=personas["convenor"], case=case, hold=True, reason=" ")
    assert not ChildCase.objects.get(pk=case.pk).legal_hold


@pytest.mark.parametrize(
    ("key", "status"),
    [
        ("convenor", 302),
        ("cwc_member", 302),
        ("ngo_coordinator", 404),  # holds and may close, but not set a hold
        ("ngo_counsellor", 404),
        ("ahtu_officer", 404),
        ("media_member", 404),
        ("mp_reviewer", 404),
        ("outsider", 404),
    ],
)
def test_who_may_set_a_legal_hold(
    personas: dict[str, Any], login: Any, key: str, status: int
) -> None:
    case = _ngo_case(personas)
    assert _hold(login(personas[key]), case).status_code == status
    assert ChildCase.objects.get(pk=case.pk).legal_hold is (status == 302)


def test_a_cwc_deciding_a_referral_may_not_hold_a_case_it_does_not_handle(
    personas: dict[str, Any], login: Any
) -> None:
    p = personas
    case = make_case(p["ngo_counsellor"], p["orgs"]["ngo"])
    refer(p["ngo_counsellor"], case, p["orgs"]["cwc"], service="cwc_production")  # pending
    # The CWC sees the case by its code (deciding the referral) but does not handle it.
    assert _hold(login(p["cwc_member"]), case).status_code == 403
    assert not ChildCase.objects.get(pk=case.pk).legal_hold


def test_case_page_shows_the_forms_to_those_who_may_use_them(
    personas: dict[str, Any], login: Any
) -> None:
    p = personas
    world = build_world(p)
    url = world.case.get_absolute_url()
    cwc_page = login(p["cwc_member"]).get(url).content.decode()
    assert reverse("referrals:case_close", args=[world.case.pk]) in cwc_page
    assert reverse("referrals:case_legal_hold", args=[world.case.pk]) in cwc_page
    ahtu_page = login(p["ahtu_officer"]).get(url).content.decode()
    assert reverse("referrals:case_close", args=[world.case.pk]) not in ahtu_page
    assert reverse("referrals:case_legal_hold", args=[world.case.pk]) not in ahtu_page
    convenor_page = login(p["convenor"]).get(url).content.decode()
    assert reverse("referrals:case_legal_hold", args=[world.case.pk]) in convenor_page
    assert reverse("referrals:case_close", args=[world.case.pk]) not in convenor_page


def test_case_list_marks_and_filters_closed_cases(personas: dict[str, Any], login: Any) -> None:
    p = personas
    closed = _ngo_case(p)
    still_open = make_case(p["ngo_counsellor"], p["orgs"]["ngo"])
    closure.case_close(actor=p["ngo_coordinator"], case=closed, reason="restored")
    client = login(p["ngo_coordinator"])
    page = client.get(reverse("referrals:cases")).content.decode()
    assert closed.code in page and still_open.code in page and "Closed</span>" in page
    only_closed = client.get(reverse("referrals:cases"), {"closed": "true"}).content.decode()
    assert closed.code in only_closed and still_open.code not in only_closed
    only_open = client.get(reverse("referrals:cases"), {"closed": "false"}).content.decode()
    assert closed.code not in only_open and still_open.code in only_open
