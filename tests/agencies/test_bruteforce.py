"""Brute force (REFERENCE R12): django-axes locks the account after repeated failures on
allauth's form; allauth's own rate limit stands in front of it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone

from ftu.models import AuditEvent
from tests.agencies.helpers import make_person, password_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def axes_only(settings: Any) -> None:
    # Lift allauth's rate limit so that these tests see axes alone.
    settings.ACCOUNT_RATE_LIMITS = False


def fail(email: str, times: int) -> list[int]:
    return [
        Client().post("/accounts/login/", {"login": email, "password": "wrong"}).status_code
        for _ in range(times)
    ]


def test_lockout_after_repeated_failures_refuses_the_right_password(
    personas: dict[str, Any], axes_only: None, settings: Any
) -> None:
    user, _ = make_person(personas["orgs"]["police"])
    statuses = fail(user.email.upper(), settings.AXES_FAILURE_LIMIT - 1)
    assert set(statuses) == {200}
    assert password_login(Client(), user.email).status_code == 302  # not yet locked
    statuses = fail(user.email, settings.AXES_FAILURE_LIMIT)
    assert statuses[-1] == 429
    attempt = AccessAttempt.objects.get()
    assert attempt.username == user.email  # the account, not the IP alone
    locked = password_login(Client(), user.email)
    assert locked.status_code == 429
    assert "Too many attempts" in locked.content.decode()


def test_lockout_is_per_account_not_per_station(
    personas: dict[str, Any], axes_only: None, settings: Any
) -> None:
    victim, _ = make_person(personas["orgs"]["police"])
    colleague, _ = make_person(personas["orgs"]["police"], email="colleague@example.org")
    fail(victim.email, settings.AXES_FAILURE_LIMIT)
    # Same IP (the test client's), another account: still logs in.
    assert password_login(Client(), colleague.email).status_code == 302


def test_lockout_lifts_after_the_cool_off(
    personas: dict[str, Any], axes_only: None, settings: Any
) -> None:
    user, _ = make_person(personas["orgs"]["police"])
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        fail(user.email, settings.AXES_FAILURE_LIMIT)
        assert password_login(Client(), user.email).status_code == 429
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        # still locked; and trying during the lock restarts the cool-off
        assert password_login(Client(), user.email).status_code == 429
    with time_machine.travel(start + timedelta(minutes=29 + 31), tick=False):
        response = password_login(Client(), user.email)
        assert response.status_code == 302
        assert response["Location"] == "/accounts/2fa/authenticate/"


def test_allauth_rate_limit_refuses_even_the_right_password(personas: dict[str, Any]) -> None:
    user, _ = make_person(personas["orgs"]["police"])
    fail(user.email, 5)
    response = password_login(Client(), user.email)
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()


def test_failed_logins_are_audited_without_the_typed_address(
    personas: dict[str, Any], axes_only: None
) -> None:
    user, _ = make_person(personas["orgs"]["police"])
    fail(user.email, 1)
    fail("nobody@example.org", 1)
    events = list(AuditEvent.objects.filter(action="auth.login_failed").order_by("seq"))
    assert [e.outcome for e in events] == ["failed", "failed"]
    assert events[0].object_id == str(user.pk)
    assert events[1].object_id == ""
    assert all(e.actor_id is None and e.ip for e in events)
    assert "nobody" not in str(AuditEvent.objects.values_list())


def test_unknown_and_known_accounts_get_the_same_answer(personas: dict[str, Any]) -> None:
    user, _ = make_person(personas["orgs"]["police"])
    known = Client().post("/accounts/login/", {"login": user.email, "password": "wrong"})
    unknown = Client().post(
        "/accounts/login/", {"login": "nobody@example.org", "password": "wrong"}
    )
    assert known.status_code == unknown.status_code == 200
    message = "The email address and/or password you specified are not correct."
    assert message in known.content.decode()
    assert message in unknown.content.decode()
