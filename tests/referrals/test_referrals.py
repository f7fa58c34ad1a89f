from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ftu.models import AuditEvent, Clock
from notifications.models import Notification
from referrals import services
from referrals.models import ChildCase, HeldCase, Referral
from tests.referrals.world import build_world, make_case, refer

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(personas: dict[str, Any]) -> ChildCase:
    return make_case(personas["ahtu_officer"], personas["orgs"]["ahtu"])


def test_send_starts_the_response_clock_and_tells_the_receiving_coordinator(
    personas: dict[str, Any], case: ChildCase, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        referral = refer(personas["ahtu_officer"], case, personas["orgs"]["ngo"])
    assert referral.state == "sent"
    assert referral.response_due_at is not None
    clock = Clock.objects.get(object_id=str(referral.pk), rule="referral.response.urgent")
    assert clock.due_at == referral.response_due_at
    notes = Notification.objects.filter(kind="referral.sent")
    assert [n.recipient for n in notes] == [personas["ngo_coordinator"]]
    assert notes[0].title.startswith(case.code)
    assert case.name not in notes[0].title
    assert callbacks  # the push waits for the commit


def test_draft_then_send(personas: dict[str, Any], case: ChildCase, login: Any) -> None:
    referral = refer(personas["ahtu_officer"], case, personas["orgs"]["ngo"], send=False)
    assert referral.state == "draft" and referral.sent_at is None
    assert not Notification.objects.exists()
    # The receiving organisation does not see a draft.
    assert not Referral.objects.visible_to(personas["ngo_coordinator"]).exists()
    r = login(personas["ahtu_officer"]).post(reverse("referrals:referral_send", args=[referral.pk]))
    assert r.status_code == 302
    referral.refresh_from_db()
    assert referral.state == "sent"
    with pytest.raises(ValidationError):
        services.referral_send(actor=personas["ahtu_officer"], referral=referral)


def test_referral_form_is_idempotent(personas: dict[str, Any], case: ChildCase, login: Any) -> None:
    client = login(personas["ahtu_officer"])
    url = reverse("referrals:case_refer", args=[case.pk])
    assert client.get(url).status_code == 200
    data = {
        "idempotency_key": str(uuid.uuid4()),
        "to_org": personas["orgs"]["ngo"].pk,
        "service": "counselling",
        "urgency": "urgent",
        "note": "",
        "action": "send",
    }
    first = client.post(url, data)
    second = client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Referral.objects.count() == 1
    assert Notification.objects.filter(kind="referral.sent").count() == 1


def test_cannot_refer_to_media_or_self(personas: dict[str, Any], case: ChildCase) -> None:
    for org in (personas["orgs"]["media"], personas["orgs"]["ahtu"]):
        with pytest.raises(ValidationError):
            refer(personas["ahtu_officer"], case, org)


def test_non_holder_cannot_refer(personas: dict[str, Any], case: ChildCase) -> None:
    with pytest.raises(PermissionDenied):
        refer(personas["ngo_coordinator"], case, personas["orgs"]["shelter"])


def test_accept_names_a_caseworker_and_grants_the_case(
    personas: dict[str, Any], case: ChildCase, login: Any
) -> None:
    p = personas
    referral = refer(p["ahtu_officer"], case, p["orgs"]["ngo"])
    assert not HeldCase.objects.visible_to(p["ngo_counsellor"]).exists()
    r = login(p["ngo_coordinator"]).post(
        reverse("referrals:referral_accept", args=[referral.pk]),
        {"caseworker": p["ngo_counsellor"].pk},
    )
    assert r.status_code == 302
    referral.refresh_from_db()
    assert referral.state == "accepted" and referral.caseworker == p["ngo_counsellor"]
    assert HeldCase.objects.visible_to(p["ngo_counsellor"]).filter(pk=case.pk).exists()
    assert (
        Clock.objects.get(object_id=str(referral.pk), rule__startswith="referral.").state == "met"
    )
    kinds = set(Notification.objects.values_list("kind", "recipient__email"))
    assert ("referral.accepted", p["ahtu_officer"].email) in kinds
    assert ("referral.assigned", p["ngo_counsellor"].email) in kinds
    assert AuditEvent.objects.filter(action="referral.accept").count() == 1


@pytest.mark.parametrize("value", ["", "abc", "1.5", "-3"])
def test_malformed_caseworker_gets_a_message_and_changes_nothing(
    personas: dict[str, Any], case: ChildCase, login: Any, value: str
) -> None:
    referral = refer(personas["ahtu_officer"], case, personas["orgs"]["ngo"])
    client = login(personas["ngo_coordinator"])
    r = client.post(reverse("referrals:referral_accept", args=[referral.pk]), {"caseworker": value})
    assert r.status_code == 302
    referral.refresh_from_db()
    assert referral.state == "sent"
    page = client.get(r["Location"]).content.decode()
    assert "Name a caseworker to accept the referral." in page


def test_member_who_is_not_coordinator_cannot_accept(
    personas: dict[str, Any], case: ChildCase, login: Any
) -> None:
    referral = refer(personas["ahtu_officer"], case, personas["orgs"]["ngo"])
    r = login(personas["ngo_counsellor"]).post(
        reverse("referrals:referral_accept", args=[referral.pk]),
        {"caseworker": personas["ngo_counsellor"].pk},
    )
    assert r.status_code == 404  # no REFERRAL_RESPOND: the object view answers 404
    referral.refresh_from_db()
    assert referral.state == "sent"


def test_caseworker_must_belong_to_the_receiving_org(
    personas: dict[str, Any], case: ChildCase
) -> None:
    referral = refer(personas["ahtu_officer"], case, personas["orgs"]["ngo"])
    with pytest.raises(ValidationError):
        services.referral_accept(
            actor=personas["ngo_coordinator"],
            referral=referral,
            caseworker=personas["shelter_staff"],
        )


def test_second_accept_gets_a_clear_message(
    personas: dict[str, Any], case: ChildCase, login: Any
) -> None:
    referral = refer(personas["ahtu_officer"], case, personas["orgs"]["ngo"])
    services.referral_accept(
        actor=personas["ngo_coordinator"], referral=referral, caseworker=personas["ngo_counsellor"]
    )
    with pytest.raises(ValidationError, match="already accepted"):
        services.referral_accept(
            actor=personas["ngo_coordinator"],
            referral=referral,
            caseworker=personas["ngo_coordinator"],
        )
    r = login(personas["ngo_coordinator"]).post(
        reverse("referrals:referral_decline", args=[referral.pk]),
        {"reason": "late"},
        follow=True,
    )
    assert "already accepted" in r.content.decode()


def test_decline_needs_a_reason_and_goes_back_to_sender_and_convenor(
    personas: dict[str, Any], case: ChildCase
) -> None:
    p = personas
    referral = refer(p["ahtu_officer"], case, p["orgs"]["shelter"], service="shelter")
    with pytest.raises(ValidationError):
        services.referral_decline(actor=p["shelter_coordinator"], referral=referral, reason=" ")
    services.referral_decline(
        actor=p["shelter_coordinator"], referral=referral, reason="No bed free"
    )
    referral.refresh_from_db()
    assert referral.state == "declined" and referral.decline_reason == "No bed free"
    told = set(
        Notification.objects.filter(kind="referral.declined").values_list(
            "recipient__email", flat=True
        )
    )
    assert {p["ahtu_officer"].email, p["convenor"].email} <= told
    assert not Referral.objects.visible_to(p["shelter_coordinator"]).exists()


def test_withdraw_before_acceptance_only(personas: dict[str, Any], case: ChildCase) -> None:
    p = personas
    referral = refer(p["ahtu_officer"], case, p["orgs"]["ngo"])
    with pytest.raises(PermissionDenied):
        services.referral_withdraw(actor=p["ngo_coordinator"], referral=referral)
    services.referral_withdraw(actor=p["ahtu_officer"], referral=referral)
    referral.refresh_from_db()
    assert referral.state == "withdrawn"
    assert (
        Clock.objects.get(object_id=str(referral.pk), rule__startswith="referral.").state
        == "not_applicable"
    )
    accepted = refer(p["ahtu_officer"], case, p["orgs"]["cwc"], service="cwc_production")
    services.referral_accept(actor=p["cwc_chair"], referral=accepted, caseworker=p["cwc_member"])
    with pytest.raises(ValidationError):
        services.referral_withdraw(actor=p["ahtu_officer"], referral=accepted)
    with pytest.raises(ValidationError):
        services.referral_accept(
            actor=p["ngo_coordinator"], referral=referral, caseworker=p["ngo_counsellor"]
        )


def test_complete_ends_the_receiving_hold(personas: dict[str, Any], case: ChildCase) -> None:
    p = personas
    referral = refer(p["ahtu_officer"], case, p["orgs"]["ngo"])
    with pytest.raises(ValidationError):
        services.referral_complete(actor=p["ahtu_officer"], referral=referral)
    services.referral_accept(
        actor=p["ngo_coordinator"], referral=referral, caseworker=p["ngo_counsellor"]
    )
    with pytest.raises(PermissionDenied):
        services.referral_complete(actor=p["shelter_coordinator"], referral=referral)
    services.referral_complete(actor=p["ngo_counsellor"], referral=referral)
    referral.refresh_from_db()
    assert referral.state == "completed"
    assert not HeldCase.objects.visible_to(p["ngo_counsellor"]).exists()
    assert not ChildCase.objects.visible_to(p["ngo_counsellor"]).exists()


def test_inbox_accept_from_the_list_and_htmx_fragment(
    personas: dict[str, Any], case: ChildCase, login: Any
) -> None:
    p = personas
    referral = refer(p["ahtu_officer"], case, p["orgs"]["ngo"])
    client = login(p["ngo_coordinator"])
    inbox = reverse("referrals:inbox")
    page = client.get(inbox).content.decode()
    assert 'hx-trigger="ftu:notify:referral from:body"' in page
    assert reverse("referrals:referral_accept", args=[referral.pk]) in page
    fragment = client.get(inbox, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and case.code in fragment
    r = client.post(
        reverse("referrals:referral_accept", args=[referral.pk]),
        {"caseworker": p["ngo_counsellor"].pk, "next": inbox + "?state=sent"},
    )
    assert r.status_code == 302 and r["Location"] == inbox + "?state=sent"
    r = client.post(
        reverse("referrals:referral_accept", args=[referral.pk]),
        {"caseworker": p["ngo_counsellor"].pk, "next": "https://evil.example/"},
    )
    assert r["Location"] == referral.get_absolute_url()


def test_inbox_and_outbox_filters(personas: dict[str, Any], case: ChildCase, login: Any) -> None:
    p = personas
    refer(p["ahtu_officer"], case, p["orgs"]["ngo"], urgency="routine")
    refer(p["ahtu_officer"], case, p["orgs"]["ngo"], urgency="emergency", service="other")
    Referral.objects.filter(urgency="emergency").update(response_due_at="2020-01-01T00:00Z")
    client = login(p["ngo_coordinator"])
    inbox = reverse("referrals:inbox")
    assert client.get(inbox, {"overdue": "true"}).context["page"].paginator.count == 1
    assert client.get(inbox, {"overdue": "false"}).context["page"].paginator.count == 1
    assert client.get(inbox, {"service": "other"}).context["page"].paginator.count == 1
    assert client.get(inbox, {"urgency": "routine"}).context["page"].paginator.count == 1
    outbox = login(p["ahtu_officer"]).get(reverse("referrals:outbox"))
    assert outbox.context["page"].paginator.count == 2
    assert login(p["shelter_coordinator"]).get(inbox).context["page"].paginator.count == 0


def test_referral_page_shows_history_to_holders(personas: dict[str, Any], login: Any) -> None:
    world = build_world(personas)
    body = login(personas["ahtu_officer"]).get(world.pending.get_absolute_url()).content.decode()
    assert "Referral sent to" in body
    ngo = login(personas["ngo_coordinator"]).get(world.pending.get_absolute_url())
    assert ngo.status_code == 200 and "Accept" in ngo.content.decode()
    assert (
        login(personas["shelter_coordinator"]).get(world.declined.get_absolute_url()).status_code
        == 404
    )


@pytest.mark.parametrize("name", ["inbox", "outbox", "case", "clocks", "cases"])
def test_pages_keep_a_constant_number_of_queries(
    personas: dict[str, Any], login: Any, django_assert_max_num_queries: Any, name: str
) -> None:
    p = personas
    for _ in range(3):
        world = build_world(p)
        refer(p["ahtu_officer"], world.case, p["orgs"]["dcpu"], service="support_person")
    client = login(p["ahtu_officer"] if name != "inbox" else p["ngo_coordinator"])
    url = world.case.get_absolute_url() if name == "case" else reverse(f"referrals:{name}")
    client.get(url)  # warm caches (content types, session)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _ in range(5):
        world = build_world(p)
    # The same number with more rows (and a small number in all: session, person,
    # memberships, MFA, the bell, then the page's own reads).
    with django_assert_max_num_queries(len(few)):
        assert client.get(url).status_code == 200
    assert len(few) <= 20


def test_inbox_and_outbox_stay_inside_visible_to(personas: dict[str, Any]) -> None:
    from referrals import selectors

    p = personas
    world = build_world(p)
    refer(p["ahtu_officer"], world.case, p["orgs"]["dcpu"], send=False)
    for key in (
        "ahtu_officer",
        "ngo_coordinator",
        "cwc_chair",
        "shelter_coordinator",
        "wcd_officer",
        "convenor",
        "media_member",
    ):
        visible = set(Referral.objects.visible_to(p[key]).values_list("pk", flat=True))
        assert set(selectors.inbox(p[key]).values_list("pk", flat=True)) <= visible, key
        assert set(selectors.outbox(p[key]).values_list("pk", flat=True)) <= visible, key
    assert not selectors.inbox(p["shelter_coordinator"]).exists()  # declined
    assert not selectors.inbox(p["wcd_officer"]).exists()  # a draft is not in an inbox


def test_a_refused_transition_stores_and_pushes_nothing(
    personas: dict[str, Any], case: ChildCase, django_capture_on_commit_callbacks: Any
) -> None:
    p = personas
    referral = refer(p["ahtu_officer"], case, p["orgs"]["ngo"])
    before = Notification.objects.count()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(ValidationError):
            services.referral_accept(
                actor=p["ngo_coordinator"], referral=referral, caseworker=p["media_member"]
            )
    assert callbacks == []
    assert Notification.objects.count() == before
    assert not AuditEvent.objects.filter(action="referral.accept").exists()
    referral.refresh_from_db()
    assert referral.state == "sent"


def test_wrong_methods(personas: dict[str, Any], case: ChildCase, login: Any) -> None:
    referral = refer(personas["ahtu_officer"], case, personas["orgs"]["ngo"])
    client = login(personas["ngo_coordinator"])
    for name in ("referral_accept", "referral_decline"):
        assert client.get(reverse(f"referrals:{name}", args=[referral.pk])).status_code == 405
    assert (
        login(personas["ahtu_officer"])
        .put(reverse("referrals:case_refer", args=[case.pk]))
        .status_code
        == 405
    )
