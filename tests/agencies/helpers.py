"""Helpers for account tests: people made through the models, codes from real secrets."""

from __future__ import annotations

import time
from typing import Any

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.test import Client

from agencies.models import Membership, User
from ftu.roles import Role
from tests.conftest import enrol_totp

PASSWORD = "correct horse battery staple at the ghat"  # noqa: S105 - a test passphrase


def make_person(
    organisation: Any,
    *,
    email: str = "new.person@example.org",
    role: str = Role.MEMBER,
    mfa: bool = True,
    password: str = PASSWORD,
    **extra: Any,
) -> tuple[User, str | None]:
    """A person with a usable password and a membership; returns (user, TOTP secret)."""
    user = User.objects.create_user(email, password, full_name="Test Person", **extra)
    Membership.objects.create(user=user, organisation=organisation, role=role)
    return user, (enrol_totp(user) if mfa else None)


def totp_code(secret: str, at: float | None = None) -> str:
    return format_hotp_value(hotp_value(secret, int(at or time.time()) // 30))


def password_login(client: Client, email: str, password: str = PASSWORD) -> Any:
    return client.post("/accounts/login/", {"login": email, "password": password})


def full_login(email: str, secret: str, password: str = PASSWORD) -> Client:
    """Log in through allauth's real forms: password, then the TOTP code."""
    client = Client()
    response = password_login(client, email, password)
    assert response.status_code == 302, response.content[:500]
    assert response["Location"] == "/accounts/2fa/authenticate/"
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert response.status_code == 302, response.content[:500]
    return client
