"""Sessions: idle and absolute limits, revocation, the sessions page, language at log-in,
and the audit rows of logging in and out."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.test import Client
from django.utils import timezone

from agencies import services
from ftu.models import AuditEvent
from notifications.fanout import FANOUT_GROUP
from tests.agencies.helpers import full_login, make_person

pytestmark = pytest.mark.django_db


def test_idle_session_ends_after_thirty_minutes(personas: dict[str, Any]) -> None:
    user, secret = make_person(personas["orgs"]["ngo"])
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = full_login(user.email, secret)
        assert client.get("/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert client.get("/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=29 + 31), tick=False):
        response = client.get("/partners/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
        assert client.get("/").status_code == 302  # the session is gone, not just refused


def test_active_session_ends_after_twelve_hours(personas: dict[str, Any]) -> None:
    user, secret = make_person(personas["orgs"]["ngo"])
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = full_login(user.email, secret)
    minutes = 0
    while minutes < 12 * 60 - 20:
        minutes += 20
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get("/").status_code == 200, minutes
    with time_machine.travel(start + timedelta(hours=12, minutes=1), tick=False):
        assert client.get("/").status_code == 302


def test_a_session_replayed_after_logout_is_anonymous(personas: dict[str, Any]) -> None:
    user, secret = make_person(personas["orgs"]["ngo"])
    client = full_login(user.email, secret)
    cookie = client.cookies["sessionid"].value
    client.post("/accounts/logout/")
    replay = Client()
    replay.cookies["sessionid"] = cookie
    assert replay.get("/").status_code == 302


def test_login_logout_are_audited_and_the_preferred_language_applies(
    personas: dict[str, Any],
) -> None:
    user, secret = make_person(personas["orgs"]["ngo"], preferred_language="hi")
    client = Client()
    client.post("/accounts/login/", {"login": user.email, "password": _password()})
    from tests.agencies.helpers import totp_code

    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert response.cookies["django_language"].value == "hi"
    page = client.get("/")
    assert page.status_code == 200
    assert '<html lang="hi">' in page.content.decode()
    login_event = AuditEvent.objects.get(action="auth.login")
    assert login_event.actor == user and login_event.ip
    client.post("/accounts/logout/")
    assert AuditEvent.objects.filter(action="auth.logout", actor=user).exists()


def _password() -> str:
    from tests.agencies.helpers import PASSWORD

    return PASSWORD


def test_the_profile_links_to_the_sessions_page(personas: dict[str, Any]) -> None:
    user, secret = make_person(personas["orgs"]["ngo"])
    client = full_login(user.email, secret)
    assert "/accounts/sessions/" in client.get("/partners/me/").content.decode()
    page = client.get("/accounts/sessions/")
    assert page.status_code == 200


def test_ending_another_session_from_the_sessions_page(personas: dict[str, Any]) -> None:
    from allauth.usersessions.models import UserSession

    user, secret = make_person(personas["orgs"]["ngo"])
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        laptop = full_login(user.email, secret)
        traveller.shift(timedelta(seconds=31))  # the next TOTP period
        phone = full_login(user.email, secret)
    assert UserSession.objects.filter(user=user).count() == 2
    response = laptop.post("/accounts/sessions/", {"action": "logout"})
    assert response.status_code == 302
    assert laptop.get("/").status_code == 200
    assert phone.get("/").status_code == 302


def _revocations_during(user_id: int, action: Any) -> list[dict[str, Any]]:
    """Run ``action`` while listening on the fan-out group, as a server process's hub does.

    One event loop for subscribe, action and receive: the Redis pub/sub layer only
    delivers to channels created in the loop that subscribed.
    """
    import asyncio

    from asgiref.sync import sync_to_async

    async def run() -> list[dict[str, Any]]:
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(FANOUT_GROUP, channel)
        await sync_to_async(action)()
        received = []
        try:
            # Until quiet: an organisation's deactivation revokes each of its members.
            while True:
                received.append(await asyncio.wait_for(layer.receive(channel), timeout=1))
        except TimeoutError:
            pass
        await layer.group_discard(FANOUT_GROUP, channel)
        return [m for m in received if m.get("user") == user_id]

    return async_to_sync(run)()


@pytest.mark.parametrize("how", ["membership", "person", "organisation"])
def test_deactivation_ends_sessions_and_sockets_at_once(
    personas: dict[str, Any], django_capture_on_commit_callbacks: Any, how: str
) -> None:
    user, secret = make_person(personas["orgs"]["shelter"])
    client = full_login(user.email, secret)
    assert client.get("/").status_code == 200

    def deactivate() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            if how == "membership":
                services.membership_deactivate(
                    actor=personas["shelter_coordinator"], membership=user.memberships.get()
                )
            elif how == "person":
                services.person_deactivate(actor=personas["convenor"], person=user)
            else:
                services.organisation_set_active(
                    actor=personas["convenor"],
                    organisation=personas["orgs"]["shelter"],
                    active=False,
                )

    assert _revocations_during(user.pk, deactivate) == [
        {"type": "account.revoked", "user": user.pk}
    ]
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_nothing_is_revoked_when_the_deactivation_rolls_back(
    personas: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    from django.db import transaction

    user, secret = make_person(personas["orgs"]["shelter"])
    client = full_login(user.email, secret)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.membership_deactivate(
                actor=personas["shelter_coordinator"], membership=user.memberships.get()
            )
            raise RuntimeError
    assert callbacks == []
    assert client.get("/").status_code == 200
