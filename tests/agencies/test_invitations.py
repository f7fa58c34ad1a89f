"""Invitation-only accounts: invite, accept once and in time, withdraw; every refusal clear."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from agencies import services
from agencies.models import Invitation, Membership, User, hash_token
from ftu.models import AuditEvent
from ftu.roles import Role
from tests.agencies.helpers import PASSWORD

pytestmark = pytest.mark.django_db


def invite(
    personas: dict[str, Any],
    *,
    actor: str = "ngo_coordinator",
    org: str = "ngo",
    email: str = "asha.new@example.org",
    role: str = Role.MEMBER,
    title: str = "Counsellor",
) -> tuple[Invitation, str]:
    tokens: list[str] = []
    invitation = services.invitation_create(
        actor=personas[actor],
        organisation=personas["orgs"][org],
        email=email,
        full_name="Asha Rani",
        role=role,
        title=title,
        link_for=lambda t: tokens.append(t) or f"https://hub.example/partners/join/{t}/",
    )
    return invitation, tokens[0]


def accept_post(client: Any, token: str, password: str = PASSWORD) -> Any:
    return client.post(
        f"/partners/join/{token}/",
        {"full_name": "Asha Rani", "password1": password, "password2": password},
    )


# --- inviting ---------------------------------------------------------------------------------


def test_coordinator_invites_through_the_page_and_only_the_link_is_mailed(
    personas: dict[str, Any], login: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = login(personas["ngo_coordinator"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/partners/people/invite/",
            {
                "organisation": personas["orgs"]["ngo"].pk,
                "email": "Asha.New@Example.org",
                "full_name": "Asha Rani",
                "role": Role.MEMBER,
                "title": "Counsellor",
            },
        )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.email == "asha.new@example.org"
    assert (invitation.role, invitation.title) == (Role.MEMBER, "Counsellor")
    assert invitation.invited_by == personas["ngo_coordinator"]
    assert invitation.state == Invitation.State.PENDING
    assert abs(invitation.expires - (timezone.now() + timedelta(hours=72))) < timedelta(minutes=1)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["asha.new@example.org"]
    token = re.search(r"/partners/join/([A-Za-z0-9_-]+)/", message.body).group(1)
    # only the hash is stored, and the mail names neither the organisation nor the role
    assert invitation.token_hash == hash_token(token)
    assert token not in str(Invitation.objects.values_list().get())
    assert "Asha" not in message.body and "Counsel" not in message.body
    assert personas["orgs"]["ngo"].name not in message.body
    event = AuditEvent.objects.get(action="invitation.create")
    assert event.actor == personas["ngo_coordinator"]
    assert event.organisation == personas["orgs"]["ngo"]
    assert "asha" not in str(event.fields)


def test_no_mail_is_sent_when_the_invitation_rolls_back(
    personas: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            invite(personas)
            raise RuntimeError
    assert mail.outbox == []
    assert not Invitation.objects.exists()


def test_convenor_invites_to_any_organisation_coordinator_only_to_their_own(
    personas: dict[str, Any],
) -> None:
    invitation, _ = invite(personas, actor="convenor", org="shelter")
    assert invitation.organisation == personas["orgs"]["shelter"]
    with pytest.raises(PermissionDenied):
        invite(personas, actor="ngo_coordinator", org="shelter")
    with pytest.raises(PermissionDenied):
        invite(personas, actor="ngo_counsellor", org="ngo")


def test_the_invite_form_offers_only_the_coordinators_organisations(
    personas: dict[str, Any], login: Any
) -> None:
    client = login(personas["ngo_coordinator"])
    response = client.post(
        "/partners/people/invite/",
        {
            "organisation": personas["orgs"]["shelter"].pk,
            "email": "x@example.org",
            "full_name": "X",
            "role": Role.MEMBER,
        },
    )
    assert response.status_code == 200
    assert not Invitation.objects.exists()
    assert personas["orgs"]["shelter"].name not in response.content.decode()


def test_reinviting_an_active_member_says_so(personas: dict[str, Any], login: Any) -> None:
    client = login(personas["ngo_coordinator"])
    response = client.post(
        "/partners/people/invite/",
        {
            "organisation": personas["orgs"]["ngo"].pk,
            "email": personas["ngo_counsellor"].email.upper(),
            "full_name": "Again",
            "role": Role.MEMBER,
        },
    )
    assert response.status_code == 200
    assert "already an active member" in response.content.decode()
    assert not Invitation.objects.exists()


def test_inviting_to_a_deactivated_organisation_says_so(personas: dict[str, Any]) -> None:
    ngo = personas["orgs"]["ngo"]
    ngo.is_active = False
    ngo.save()
    with pytest.raises(ValidationError, match="deactivated"):
        invite(personas, actor="convenor", org="ngo")


def test_inviting_again_withdraws_the_pending_link(personas: dict[str, Any], client: Any) -> None:
    first, first_token = invite(personas)
    second, second_token = invite(personas)
    first.refresh_from_db()
    assert first.state == Invitation.State.REVOKED
    assert client.get(f"/partners/join/{first_token}/").status_code == 410
    assert client.get(f"/partners/join/{second_token}/").status_code == 200


@pytest.mark.parametrize("key", ["ngo_counsellor", "media_member", "outsider"])
def test_members_who_coordinate_nothing_cannot_open_the_invite_page(
    personas: dict[str, Any], login: Any, key: str
) -> None:
    assert login(personas[key]).get("/partners/people/invite/").status_code == 403


def test_invite_page_wrong_method(personas: dict[str, Any], login: Any) -> None:
    assert login(personas["ngo_coordinator"]).put("/partners/people/invite/").status_code == 405


# --- accepting ----------------------------------------------------------------------------------


def test_accepting_creates_the_person_and_membership_then_they_can_log_in(
    personas: dict[str, Any], client: Any
) -> None:
    invitation, token = invite(personas, role=Role.COORDINATOR, title="Deputy")
    page = client.get(f"/partners/join/{token}/")
    assert page.status_code == 200
    assert "asha.new@example.org" in page.content.decode()
    assert page["Referrer-Policy"] == "no-referrer"
    assert "no-store" in page["Cache-Control"]
    response = accept_post(client, token)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    user = User.objects.get(email="asha.new@example.org")
    assert user.check_password(PASSWORD)
    membership = Membership.objects.get(user=user)
    assert membership.organisation == personas["orgs"]["ngo"]
    assert (membership.role, membership.title, membership.is_active) == (
        Role.COORDINATOR,
        "Deputy",
        True,
    )
    invitation.refresh_from_db()
    assert invitation.state == Invitation.State.ACCEPTED
    assert invitation.accepted_by == user
    actions = set(AuditEvent.objects.filter(actor=user).values_list("action", flat=True))
    assert {"person.create", "invitation.accept", "membership.create"} <= actions
    # The new person logs in and, holding an NGO role, is sent to MFA enrolment.
    login_response = client.post(
        "/accounts/login/", {"login": "asha.new@example.org", "password": PASSWORD}
    )
    assert login_response.status_code == 302
    assert client.get("/").url == "/accounts/2fa/"


def test_a_used_link_says_it_was_used(personas: dict[str, Any], client: Any) -> None:
    _, token = invite(personas)
    accept_post(client, token)
    response = accept_post(client, token, password="another long passphrase for this")
    assert response.status_code == 410
    assert "already been used" in response.content.decode()
    assert User.objects.filter(email="asha.new@example.org").count() == 1
    refused = AuditEvent.objects.get(action="invitation.refused")
    assert (refused.reason, refused.outcome) == ("used", AuditEvent.Outcome.DENIED)


def test_the_new_persons_language_is_the_one_they_joined_in(
    personas: dict[str, Any], client: Any
) -> None:
    _, token = invite(personas)
    client.cookies["django_language"] = "hi"
    accept_post(client, token)
    assert User.objects.get(email="asha.new@example.org").preferred_language == "hi"


def test_an_expired_link_says_it_expired(personas: dict[str, Any], client: Any) -> None:
    _, token = invite(personas)
    with time_machine.travel(timezone.now() + timedelta(hours=72, minutes=1), tick=False):
        response = accept_post(client, token)
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert not User.objects.filter(email="asha.new@example.org").exists()


def test_a_link_still_works_just_before_expiry(personas: dict[str, Any], client: Any) -> None:
    _, token = invite(personas)
    with time_machine.travel(timezone.now() + timedelta(hours=71, minutes=59), tick=False):
        assert accept_post(client, token).status_code == 302


def test_a_withdrawn_link_says_it_was_withdrawn(personas: dict[str, Any], client: Any) -> None:
    invitation, token = invite(personas)
    services.invitation_revoke(actor=personas["ngo_coordinator"], invitation=invitation)
    response = accept_post(client, token)
    assert response.status_code == 410
    assert "withdrawn" in response.content.decode()
    assert not User.objects.filter(email="asha.new@example.org").exists()


def test_a_link_to_a_deactivated_organisation_says_so(
    personas: dict[str, Any], client: Any
) -> None:
    _, token = invite(personas)
    services.organisation_set_active(
        actor=personas["convenor"], organisation=personas["orgs"]["ngo"], active=False
    )
    response = client.get(f"/partners/join/{token}/")
    assert response.status_code == 410
    assert "no longer active" in response.content.decode()


def test_an_unknown_link_is_not_found(personas: dict[str, Any], client: Any) -> None:
    invite(personas)
    response = client.get("/partners/join/not-a-real-token/")
    assert response.status_code == 404
    assert "not valid" in response.content.decode()


@pytest.mark.parametrize(
    ("password", "message"),
    [("short pass", "too short"), ("Password@123", "word people would guess")],
)
def test_a_weak_password_is_refused_and_nothing_is_created(
    personas: dict[str, Any], client: Any, password: str, message: str
) -> None:
    invitation, token = invite(personas)
    response = accept_post(client, token, password=password)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.filter(email="asha.new@example.org").exists()
    invitation.refresh_from_db()
    assert invitation.state == Invitation.State.PENDING


def test_an_existing_account_must_log_in_then_joins(
    personas: dict[str, Any], client: Any, login: Any
) -> None:
    _, token = invite(
        personas, actor="convenor", org="shelter", email=personas["ngo_counsellor"].email
    )
    response = accept_post(client, token)
    assert response.status_code == 200
    assert "Log in first" in response.content.decode()
    assert not Membership.objects.filter(
        user=personas["ngo_counsellor"], organisation=personas["orgs"]["shelter"]
    ).exists()

    response = login(personas["ngo_counsellor"]).post(f"/partners/join/{token}/")
    assert response.status_code == 302
    membership = Membership.objects.get(
        user=personas["ngo_counsellor"], organisation=personas["orgs"]["shelter"]
    )
    assert membership.is_active and membership.title == "Counsellor"


def test_a_logged_in_person_cannot_use_someone_elses_invitation(
    personas: dict[str, Any], login: Any
) -> None:
    _, token = invite(personas)
    client = login(personas["ngo_counsellor"])
    assert "another e-mail address" in client.get(f"/partners/join/{token}/").content.decode()
    client.post(f"/partners/join/{token}/")
    assert not User.objects.filter(email="asha.new@example.org").exists()
    assert Invitation.objects.get().state == Invitation.State.PENDING


def test_rejoining_after_a_membership_ended_reactivates_it(
    personas: dict[str, Any], login: Any
) -> None:
    counsellor = personas["ngo_counsellor"]
    membership = counsellor.memberships.get()
    services.membership_deactivate(actor=personas["ngo_coordinator"], membership=membership)
    _, token = invite(personas, email=counsellor.email, title="Senior counsellor")
    assert login(counsellor).post(f"/partners/join/{token}/").status_code == 302
    membership.refresh_from_db()
    assert membership.is_active and membership.ended is None
    assert membership.title == "Senior counsellor"


def test_join_page_wrong_method(personas: dict[str, Any], client: Any) -> None:
    _, token = invite(personas)
    assert client.put(f"/partners/join/{token}/").status_code == 405


def test_there_is_no_open_sign_up(client: Any, db: Any) -> None:
    client.post(
        "/accounts/signup/",
        {"email": "self@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert not User.objects.filter(email="self@example.org").exists()


# --- withdrawing and the pending list ------------------------------------------------------------


def test_coordinator_withdraws_a_pending_invitation(personas: dict[str, Any], login: Any) -> None:
    invitation, _ = invite(personas)
    client = login(personas["ngo_coordinator"])
    listing = client.get(f"/partners/people/?organisation={personas['orgs']['ngo'].pk}")
    assert "asha.new@example.org" in listing.content.decode()
    response = client.post(f"/partners/invitations/{invitation.pk}/revoke/")
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.state == Invitation.State.REVOKED
    assert AuditEvent.objects.filter(action="invitation.revoke", object_id=str(invitation.pk))
    listing = client.get(f"/partners/people/?organisation={personas['orgs']['ngo'].pk}")
    assert "asha.new@example.org" not in listing.content.decode()


@pytest.mark.parametrize(
    "key", ["shelter_coordinator", "ngo_counsellor", "outsider", "media_member"]
)
def test_others_cannot_withdraw_it(personas: dict[str, Any], login: Any, key: str) -> None:
    invitation, _ = invite(personas)
    assert (
        login(personas[key]).post(f"/partners/invitations/{invitation.pk}/revoke/").status_code
        == 404
    )
    invitation.refresh_from_db()
    assert invitation.state == Invitation.State.PENDING


def test_withdraw_wrong_method(personas: dict[str, Any], login: Any) -> None:
    invitation, _ = invite(personas)
    response = login(personas["ngo_coordinator"]).get(
        f"/partners/invitations/{invitation.pk}/revoke/"
    )
    assert response.status_code == 405


def test_the_pending_list_shows_only_own_organisations(
    personas: dict[str, Any], login: Any, django_assert_max_num_queries: Any
) -> None:
    invite(personas, actor="convenor", org="shelter", email="shelter.new@example.org")
    invite(personas, email="ngo.new@example.org")
    client = login(personas["ngo_coordinator"])
    with django_assert_max_num_queries(20):
        page = client.get(f"/partners/people/?organisation={personas['orgs']['shelter'].pk}")
    body = page.content.decode()
    assert "ngo.new@example.org" in body
    assert "shelter.new@example.org" not in body
